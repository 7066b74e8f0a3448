"""Property-based run of the whole OpenAPI schema against the app, in process: no input may cause a 500.

Each operation gets a bounded number of generated requests (valid and invalid), authenticated as an
admin so that every operation is reachable. Runs on SQLite and on PostgreSQL like every other test.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tanggap.customers.services import customer_find_or_create
from tanggap.wsgi import application

MAX_EXAMPLES = 25


@pytest.fixture(autouse=True)
def _keep_test_connection(db):
    # As Django's test client does: the WSGI handler must not close the test's database connection
    # at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(admin, token_for, receive, team):
    # A little data, so that generated ids sometimes hit something real (ids start at 1).
    for i in range(3):
        receive(f"Pesanan {i} belum sampai", sender=f"s{i}@example.com")
    customer_find_or_create(kind="phone", value="081234567890", name="Dewi")
    return {"Authorization": f"Bearer {token_for(admin)}"}


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_causes_a_server_error(case, bearer):
    response = case.call(headers=bearer)
    case.validate_response(response, checks=[not_a_server_error], headers=bearer)
