"""customer_find_or_create under real concurrency (the IntegrityError path)."""

from __future__ import annotations

import pytest

from tanggap.customers.models import Customer, Identity
from tanggap.customers.services import customer_find_or_create
from tests.conftest import race, together

pytestmark = pytest.mark.django_db(transaction=True)


def test_second_worker_in_the_window_gets_the_first_workers_customer():
    first, second = race(
        lambda: customer_find_or_create(kind="email", value="race@example.com", name="Satu"),
        lambda: customer_find_or_create(kind="email", value="RACE@example.com", name="Dua"),
    )
    assert first[1] is True and second[1] is False
    assert first[0].pk == second[0].pk
    assert Customer.objects.count() == 1
    assert Identity.objects.count() == 1


def test_many_workers_at_once_make_one_customer():
    results = together(
        *(lambda: customer_find_or_create(kind="phone", value="0812-3456-7890") for _ in range(4))
    )
    assert len({customer.pk for customer, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Customer.objects.count() == 1
