"""Macros: the team's written procedures as canned replies with actions and variables (issue 5)."""
