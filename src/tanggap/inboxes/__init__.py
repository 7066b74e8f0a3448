"""Inboxes: the advertised addresses and forms customers write to, and the adapters that bring
their messages in."""
