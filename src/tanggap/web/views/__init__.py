"""Views of the agent workspace, one module per area."""
