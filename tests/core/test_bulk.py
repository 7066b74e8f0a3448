"""Writing many rows at once: the values stored are the ones ``save`` stores, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import IntegrityError, transaction

from tanggap.core.audit import audit_entry, audit_record, audit_record_many
from tanggap.core.bulk import insert_many, insert_rows, insert_rows_returning_keys, update_many, update_rows
from tanggap.core.models import AuditEntry
from tanggap.customers.models import Customer, Identity

pytestmark = pytest.mark.django_db


def test_insert_many_sets_keys_in_order_and_stores_what_save_stores():
    customers = [Customer(name=f"Pelanggan {n}", notes="catatan" if n % 2 else "") for n in range(7)]
    insert_many(customers)
    keys = [c.pk for c in customers]
    assert all(keys) and keys == sorted(keys)
    saved = Customer(name="Satu per satu", notes="catatan")
    saved.save()
    for customer in customers:
        row = Customer.objects.get(pk=customer.pk)
        assert (row.name, row.notes) == (customer.name, customer.notes)
        assert row.created_at is not None and saved.created_at is not None


def test_insert_many_conflict_is_an_integrity_error():
    customer = Customer.objects.create(name="A")
    Identity.objects.create(customer=customer, kind="email", value="a@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_many([Identity(customer=customer, kind="email", value="a@example.com")])
    assert Identity.objects.count() == 1


def test_insert_rows_writes_plain_values_with_their_fields_conversion():
    customer = Customer.objects.create(name="Budi")
    wib = timezone(timedelta(hours=7))
    at = datetime(2026, 11, 22, 9, 30, tzinfo=wib)
    insert_rows(
        AuditEntry,
        ("created_at", "actor_id", "action", "object_type", "object_id", "data"),
        [(at, None, "x.one", "customers.customer", str(customer.pk), {"via": "email", "n": [1, 2]})] * 2
        + [(at + timedelta(minutes=1), None, "x.two", "customers.customer", str(customer.pk), {})],
    )
    rows = list(AuditEntry.objects.order_by("id"))
    assert [r.action for r in rows] == ["x.one", "x.one", "x.two"]
    assert rows[0].created_at == datetime(2026, 11, 22, 2, 30, tzinfo=UTC)
    assert rows[2].created_at == datetime(2026, 11, 22, 2, 31, tzinfo=UTC)
    assert rows[0].data == {"via": "email", "n": [1, 2]} and rows[2].data == {}


def test_insert_rows_ignoring_conflicts_keeps_the_first():
    customer, other = Customer.objects.create(name="A"), Customer.objects.create(name="B")
    names = (
        "customer_id", "kind", "value", "is_primary", "created_at", "bounce_severity", "bounce_reason",
        "bounce_detail",
    )  # fmt: skip
    now = datetime.now(UTC)
    insert_rows(
        Identity,
        names,
        [(customer.pk, "email", "a@example.com", True, now, "", "", "")],
        ignore_conflicts=True,
    )
    insert_rows(
        Identity,
        names,
        [
            (other.pk, "email", "a@example.com", True, now, "", "", ""),
            (other.pk, "email", "b@example.com", True, now, "", "", ""),
        ],
        ignore_conflicts=True,
    )
    assert dict(Identity.objects.values_list("value", "customer_id")) == {
        "a@example.com": customer.pk,
        "b@example.com": other.pk,
    }


def test_insert_rows_refuses_what_is_not_a_column_and_rows_missing_a_required_one():
    with pytest.raises(ValueError):
        insert_rows(Customer, ("identities",), [(1,)])
    with pytest.raises(ValueError, match="created_at"):
        insert_rows(
            Identity, ("customer_id", "kind", "value"), [(1, "email", "a@example.com")], ignore_conflicts=True
        )


def test_update_many_writes_the_named_fields_only():
    customers = [Customer.objects.create(name=f"C{n}", notes="lama") for n in range(3)]
    for customer in customers:
        customer.name, customer.notes = customer.name + "!", "baru"
    update_many(customers, ["name"])
    assert sorted(Customer.objects.values_list("name", "notes")) == [
        ("C0!", "lama"),
        ("C1!", "lama"),
        ("C2!", "lama"),
    ]


def test_update_many_stores_json_as_save_does():
    entries = [AuditEntry.objects.create(action="x.y", data={"n": n}) for n in range(3)]
    values = [{"nested": [1, "dua", None], "ok": True}, [], {"teks": 'kutip " dan \\ garis'}]
    for entry, value in zip(entries, values, strict=True):
        entry.data, entry.action = value, "ignored"
    update_many(entries, ["data"])
    stored = [AuditEntry.objects.get(pk=e.pk) for e in entries]
    assert [row.data for row in stored] == values
    assert {row.action for row in stored} == {"x.y"}
    # Searched as JSON, not as a string holding JSON.
    assert AuditEntry.objects.filter(data__ok=True).count() == 1


def test_update_rows_takes_plain_values_with_the_key_last():
    customer = Customer.objects.create(name="Budi")
    entries = [AuditEntry.objects.create(action="x.y", data={}) for _ in range(2)]
    wib = timezone(timedelta(hours=7))
    at = datetime(2026, 11, 23, 9, 0, tzinfo=wib)
    update_rows(
        AuditEntry,
        ["created_at", "actor_id", "data"],
        [[at, None, {"n": 1}, entries[0].pk], [at + timedelta(hours=1), None, [], entries[1].pk]],
    )
    first, second = (AuditEntry.objects.get(pk=e.pk) for e in entries)
    assert (first.created_at, first.data) == (datetime(2026, 11, 23, 2, 0, tzinfo=UTC), {"n": 1})
    assert (second.created_at, second.data) == (datetime(2026, 11, 23, 3, 0, tzinfo=UTC), [])
    update_rows(Identity, ["customer_id"], [])  # nothing to do
    with pytest.raises(ValueError, match="concrete"):
        update_rows(Customer, ["identities"], [[None, customer.pk]])


def test_insert_rows_returning_keys_gives_each_rows_key_in_order():
    names = ("action", "object_type", "object_id", "data", "created_at")
    at = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    rows = [(f"x.{n}", "t", str(n), {"n": n}, at) for n in range(5)]
    keys = insert_rows_returning_keys(AuditEntry, names, rows)
    assert len(keys) == 5 and len(set(keys)) == 5
    assert [AuditEntry.objects.get(pk=key).action for key in keys] == [f"x.{n}" for n in range(5)]
    assert insert_rows_returning_keys(AuditEntry, names, []) == []


def test_audit_rows_one_by_one_and_many_read_the_same():
    customer = Customer.objects.create(name="A")
    audit_record(actor=None, action="customer.created", target=customer, data={"via": "email"})
    audit_record_many(
        [audit_entry(actor=None, action="customer.created", target=customer, data={"via": "email"})]
    )
    one, many = AuditEntry.objects.order_by("id")
    fields = ("actor_id", "action", "object_type", "object_id", "data")
    assert [getattr(one, f) for f in fields] == [getattr(many, f) for f in fields]
    assert one.created_at and many.created_at


def test_choices_and_subclasses_of_plain_types_are_stored_as_their_value():
    from tanggap.customers.models import IdentityKind

    customer = Customer.objects.create(name="A")

    class Name(str):
        pass

    identity = Identity(customer=customer, kind=IdentityKind.EMAIL, value=Name("a@example.com"))
    insert_many([identity])
    row = Identity.objects.values("kind", "value", "customer_id").get()
    assert row == {"kind": "email", "value": "a@example.com", "customer_id": customer.pk}
    assert type(row["kind"]) is str and type(row["value"]) is str
