"""Customer services: find-or-create by identity, edit, identities, merge."""

from __future__ import annotations

import pytest

from tanggap.accounts.models import Role
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, NotFound, PermissionDenied
from tanggap.core.models import AuditEntry
from tanggap.customers.models import Customer, Identity, Organisation
from tanggap.customers.selectors import customer_get_for_agent, customer_list
from tanggap.customers.services import (
    customer_create,
    customer_find_or_create,
    customer_merge,
    customer_update,
    identity_add,
)
from tanggap.tickets.models import Message, Ticket
from tanggap.tickets.services import reply_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(make_agent):
    return make_agent("supervisor", role=Role.SUPERVISOR)


@pytest.fixture
def trainee(make_agent):
    return make_agent("trainee", role=Role.TRAINEE)


def test_find_or_create_creates_once():
    customer, created = customer_find_or_create(
        kind="email", value="Siti@Example.com", name="  Siti   Rahma "
    )
    assert created
    assert customer.name == "Siti Rahma"
    identity = customer.identities.get()
    assert (identity.kind, identity.value, identity.is_primary) == ("email", "siti@example.com", True)
    again, created = customer_find_or_create(kind="email", value="siti@example.com")
    assert (again, created) == (customer, False)
    assert AuditEntry.objects.filter(action="customer.created", object_id=str(customer.pk)).count() == 1


def test_find_or_create_normalises_phones():
    one, _ = customer_find_or_create(kind="phone", value="0812-3456-7890")
    two, created = customer_find_or_create(kind="phone", value="+62 812 3456 7890")
    assert one == two and not created
    assert one.identities.get().value == "+6281234567890"


@pytest.mark.parametrize(
    "kind,value", [("email", "bukan email"), ("phone", "abc"), ("fax", "123"), ("handle", "x")]
)
def test_find_or_create_refuses_invalid_identities(kind, value):
    with pytest.raises(InvalidInput):
        customer_find_or_create(kind=kind, value=value)
    assert not Customer.objects.exists()


def test_create_update_and_identities(admin, agent):
    org = Organisation.objects.create(name="PT Maju")
    customer = customer_create(
        actor=agent,
        name="Budi",
        identities=[("email", "Budi@Example.com"), ("phone", "0812 1111 2222")],
        organisation=org,
        language="id",
    )
    assert sorted(customer.identities.values_list("kind", "value", "is_primary")) == [
        ("email", "budi@example.com", True),
        ("phone", "+6281211112222", False),
    ]
    customer_update(actor=agent, customer=customer, name=" Budi S ", notes="VIP", organisation=None)
    customer.refresh_from_db()
    assert (customer.name, customer.notes, customer.organisation) == ("Budi S", "VIP", None)
    audit = AuditEntry.objects.filter(action="customer.updated").latest("id")
    assert audit.actor == agent and set(audit.data) == {"name", "notes", "organisation"}


def test_create_needs_an_identity(agent):
    with pytest.raises(InvalidInput):
        customer_create(actor=agent, name="Budi", identities=[])


def test_trainee_may_not_edit_customers(trainee, agent):
    customer = customer_create(actor=agent, name="Budi", identities=[("email", "budi@example.com")])
    with pytest.raises(PermissionDenied):
        customer_update(actor=trainee, customer=customer, name="X")
    with pytest.raises(PermissionDenied):
        identity_add(actor=trainee, customer=customer, kind="email", value="x@example.com")
    # ... but may read them.
    assert customer_get_for_agent(user=trainee, customer_id=customer.pk) == customer


def test_identity_add_conflict(agent):
    one = customer_create(actor=agent, name="Satu", identities=[("email", "satu@example.com")])
    two = customer_create(actor=agent, name="Dua", identities=[("email", "dua@example.com")])
    with pytest.raises(ApplicationError) as excinfo:
        identity_add(actor=agent, customer=two, kind="email", value="SATU@example.com")
    assert excinfo.value.code == ErrorCode.CONFLICT
    assert excinfo.value.details == {"customer_id": one.pk}
    # Adding an identity the customer already has is a no-op.
    same = identity_add(actor=agent, customer=one, kind="email", value=" satu@EXAMPLE.com")
    assert same.customer == one
    assert Identity.objects.count() == 2


def test_new_primary_identity_replaces_the_old_one(agent):
    customer = customer_create(actor=agent, name="Budi", identities=[("email", "lama@example.com")])
    identity_add(actor=agent, customer=customer, kind="email", value="baru@example.com", primary=True)
    assert list(customer.identities.filter(is_primary=True).values_list("value", flat=True)) == [
        "baru@example.com"
    ]


def test_merge_moves_identities_and_tickets_and_leaves_a_pointer(
    receive, admin, agent, django_capture_on_commit_callbacks, published
):
    source_ticket = receive(sender="siti.lama@example.com").ticket
    reply_send(actor=agent, ticket=source_ticket, text="Halo kak")
    target_ticket = receive(sender="siti@example.com").ticket
    source, target = source_ticket.customer, target_ticket.customer
    customer_update(actor=admin, customer=source, notes="Pernah komplain")
    other = customer_create(actor=admin, name="", identities=[("phone", "081299990000")])
    customer_merge(actor=admin, source=other, target=source)  # an older merge into the source

    with django_capture_on_commit_callbacks(execute=True):
        survivor = customer_merge(actor=admin, source=source, target=target)
    assert survivor == target
    source.refresh_from_db()
    target.refresh_from_db()
    other.refresh_from_db()
    assert source.merged_into == target
    assert other.merged_into == target  # pointers do not chain
    assert sorted(target.identities.values_list("value", flat=True)) == [
        "+6281299990000",
        "siti.lama@example.com",
        "siti@example.com",
    ]
    assert list(target.identities.filter(is_primary=True).values_list("value", flat=True)) == [
        "siti@example.com"
    ]
    assert set(Ticket.objects.filter(customer=target).values_list("pk", flat=True)) == {
        source_ticket.pk,
        target_ticket.pk,
    }
    assert not Ticket.objects.filter(customer=source).exists()
    assert not Message.objects.filter(customer=source).exists()
    assert "Pernah komplain" in target.notes
    audit = AuditEntry.objects.filter(action="customer.merged", object_id=str(target.pk)).latest("id")
    assert audit.actor == admin
    assert audit.data["source_id"] == source.pk
    assert audit.data["moved"]["tickets.ticket.customer"] == 1
    assert published == [
        ("customer.merged", {"source_id": source.pk, "target_id": target.pk, "actor_id": admin.pk})
    ]

    # A message from the merged customer's address reaches the survivor.
    assert receive(sender="Siti.Lama@example.com").ticket.customer == target
    assert customer_find_or_create(kind="phone", value="0812 9999 0000") == (target, False)
    # The merged customer is no longer listed, but its page still resolves (to show the pointer).
    assert source not in customer_list(user=agent)
    assert customer_get_for_agent(user=agent, customer_id=source.pk).merged_into == target


def test_identity_left_on_a_merged_customer_resolves_to_the_survivor(admin):
    a = customer_create(actor=admin, name="A", identities=[("email", "a@example.com")])
    b = customer_create(actor=admin, name="B", identities=[("email", "b@example.com")])
    customer_merge(actor=admin, source=a, target=b)
    # Written by a path outside the services (an import): the identity still points at the merged row.
    Identity.objects.create(customer=a, kind="email", value="a2@example.com")
    assert customer_find_or_create(kind="email", value="a2@example.com") == (b, False)


def test_merge_permissions(admin, supervisor, agent, trainee):
    def pair():
        return (
            customer_create(
                actor=admin, name="", identities=[("email", f"x{Customer.objects.count()}@example.com")]
            ),
            customer_create(
                actor=admin, name="", identities=[("email", f"y{Customer.objects.count()}@example.com")]
            ),
        )

    for user in (agent, trainee):
        with pytest.raises(PermissionDenied):
            customer_merge(actor=user, source=pair()[0], target=pair()[1])
    for user in (admin, supervisor):
        source, target = pair()
        customer_merge(actor=user, source=source, target=target)


def test_merge_refusals(admin):
    a = customer_create(actor=admin, name="A", identities=[("email", "a@example.com")])
    b = customer_create(actor=admin, name="B", identities=[("email", "b@example.com")])
    c = customer_create(actor=admin, name="C", identities=[("email", "c@example.com")])
    with pytest.raises(InvalidInput):
        customer_merge(actor=admin, source=a, target=a)
    customer_merge(actor=admin, source=a, target=b)
    for source, target in ((a, c), (c, a)):
        with pytest.raises(ApplicationError) as excinfo:
            customer_merge(actor=admin, source=source, target=target)
        assert excinfo.value.code == ErrorCode.CONFLICT
    with pytest.raises(ApplicationError) as excinfo:
        identity_add(actor=admin, customer=Customer.objects.get(pk=a.pk), kind="email", value="z@example.com")
    assert excinfo.value.code == ErrorCode.CONFLICT
    gone = Customer(pk=10**9)
    with pytest.raises(NotFound):
        customer_merge(actor=admin, source=gone, target=c)


def test_customer_list_finds_by_name_identity_and_phone(agent, admin):
    budi = customer_create(actor=admin, name="Budi Santoso", identities=[("phone", "+6281234567890")])
    siti = customer_create(actor=admin, name="Siti", identities=[("email", "siti@toko.example")])
    assert list(customer_list(user=agent, query="santoso")) == [budi]
    assert list(customer_list(user=agent, query="TOKO.example")) == [siti]
    assert list(customer_list(user=agent, query="0812-3456-7890")) == [budi]
    assert list(customer_list(user=agent)) == [budi, siti]


@pytest.mark.parametrize("customer_id", [-1, 2**70, "abc", None])
def test_customer_get_absurd_ids(agent, customer_id):
    with pytest.raises(NotFound):
        customer_get_for_agent(user=agent, customer_id=customer_id)


def test_customer_list_query_count(agent, admin, django_assert_num_queries):
    for i in range(6):
        customer_create(
            actor=admin,
            name=f"C{i}",
            identities=[("email", f"c{i}@example.com"), ("phone", f"08121111{i:04d}")],
        )
    for size in (2, 6):
        with django_assert_num_queries(2):
            rows = list(customer_list(user=agent)[:size])
            for row in rows:
                _ = (row.organisation, [i.value for i in row.identities.all()])
