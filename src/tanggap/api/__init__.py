"""The REST API: assembles each context's ``api.py`` into one NinjaAPI."""
