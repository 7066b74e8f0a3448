"""Response clocks: business calendars and SLA arithmetic (the pure clock lives in `clock.py`)."""
