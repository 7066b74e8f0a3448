"""The API docs work without the internet: Swagger UI comes from our own static files."""

from django.test import Client


def test_api_docs_use_local_swagger_ui(db):
    page = Client().get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn.jsdelivr.net" not in page
