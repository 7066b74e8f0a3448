"""core.lookups: ``literal_in`` writes plain words into the SQL and refuses anything else."""

from __future__ import annotations

import pytest

from tanggap.tickets.models import Ticket
from tanggap.tickets.workflow import ACTIVE_VALUES

pytestmark = pytest.mark.django_db


def test_literal_in_is_written_into_the_sql_and_filters_like_in(ticket):
    qs = Ticket.objects.filter(status__literal_in=ACTIVE_VALUES)
    sql, params = qs.query.sql_with_params()
    assert "IN ('new', 'on_hold', 'open', 'pending')" in sql
    assert "new" not in params
    assert list(qs) == list(Ticket.objects.filter(status__in=ACTIVE_VALUES)) == [ticket]
    assert not Ticket.objects.filter(status__literal_in=["closed"]).exists()


@pytest.mark.parametrize("values", [[], ["x') OR 1=1 --"], ["Open"], [1], ["a" * 65]])
def test_literal_in_refuses_anything_but_plain_words(values):
    with pytest.raises(ValueError, match="literal_in"):
        Ticket.objects.filter(status__literal_in=values)
