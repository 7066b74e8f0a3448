"""Tickets, their timeline (messages, replies, notes, events), tags, the status workflow and search."""
