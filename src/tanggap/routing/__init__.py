"""Routing: which available agent gets a ticket (issue 5). ``choose`` is the pure core."""
