"""Response-time figures and dashboards: first response and resolution by day, agent, team and more."""
