"""Automations: triggers run on ticket events, and the honest acknowledgement of a new ticket (issue 5)."""
