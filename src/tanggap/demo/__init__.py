"""The generated demo (``tanggap demo-data``): teams, agents, customers and tickets written through the
real services, with Indonesian and English conversations spread over the past 90 days."""
