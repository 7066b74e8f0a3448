"""The agent workspace: server-rendered pages with htmx."""
