"""The dead-zone audit page: its figures per inbox and the tickets behind them, the registry of where
an inbox is advertised, the probe button and the dead-inbox banner. Admins only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tanggap.inboxes.canary import REASON_CANARY, advert_add, canary_check, canary_run
from tanggap.inboxes.models import (
    AdvertKind,
    CanaryAlert,
    CanaryRun,
    ImapState,
    Inbox,
    InboxAdvert,
    MailSource,
    RawMail,
)
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.setup import inbox_create
from tanggap.sla.models import Policy, TicketClock
from tanggap.tickets.models import Status, Ticket
from tanggap.web.views.audit import dead_zone_rows, dead_zone_tickets
from tests.inboxes.conftest import make_mail

AUDIT = "/admin/dead-zones/"


def _mail(inbox: Inbox, sender: str, *, days_ago: float = 0) -> Ticket:
    row = mail_receive(
        inbox=inbox, raw=make_mail(f"Halo dari {sender}", sender=sender), source=MailSource.IMPORT
    )
    ticket = Ticket.objects.get(pk=row.ticket_id)
    if days_ago:
        at = timezone.now() - timedelta(days=days_ago)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=at, last_customer_message_at=at)
        RawMail.objects.filter(pk=row.pk).update(received_at=at)
        ticket.refresh_from_db()
    return ticket


def _answered(ticket: Ticket, policy: Policy, *, breached: bool) -> None:
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Status.PENDING, first_response_at=now, last_agent_reply_at=now
    )
    TicketClock.objects.create(
        ticket=ticket, policy=policy, computed_at=now, breached=["first_response"] if breached else []
    )


@pytest.fixture
def traffic(db, inbox, other_inbox):
    policy = Policy.objects.create(name="Standar", first_response_minutes=60)
    oldest = _mail(inbox, "ani@example.com", days_ago=3)
    newer = _mail(inbox, "budi@example.com", days_ago=1)
    met = _mail(inbox, "citra@example.com", days_ago=2)
    late = _mail(inbox, "dodi@example.com", days_ago=2)
    _answered(met, policy, breached=False)
    _answered(late, policy, breached=True)
    elsewhere = _mail(other_inbox, "eka@example.com", days_ago=5)
    # The canary's own mail is the newest, but it is no customer's.
    probe = _mail(inbox, "support@tanggap.test")
    RawMail.objects.filter(ticket=probe).update(reason=REASON_CANARY)
    Ticket.objects.filter(pk=probe.pk).delete()
    return {"oldest": oldest, "newer": newer, "met": met, "late": late, "elsewhere": elsewhere}


# ---------------------------------------------------------------- the figures


def test_each_inbox_has_its_last_mail_oldest_unanswered_and_share_within_target(traffic, inbox, admin):
    rows = {row.inbox.pk: row for row in dead_zone_rows(user=admin)}

    row = rows[inbox.pk]
    assert row.oldest_ticket_id == traffic["oldest"].pk
    assert row.unanswered == 2
    assert (row.answered, row.met, row.missed, row.percent_met) == (2, 1, 1, 50)
    # The latest customer mail, not the probe that came after it.
    newest = RawMail.objects.filter(inbox=inbox).exclude(reason=REASON_CANARY).latest("received_at")
    assert row.last_received_at == newest.received_at
    other = next(row for pk, row in rows.items() if pk != inbox.pk)
    assert other.oldest_ticket_id == traffic["elsewhere"].pk
    assert other.answered == 0 and other.percent_met is None


def test_the_tickets_behind_each_figure(traffic, inbox):
    unanswered = list(dead_zone_tickets(inbox=inbox, kind="unanswered").values_list("pk", flat=True))
    assert unanswered == [traffic["oldest"].pk, traffic["newer"].pk]
    assert list(dead_zone_tickets(inbox=inbox, kind="met").values_list("pk", flat=True)) == [
        traffic["met"].pk
    ]
    assert list(dead_zone_tickets(inbox=inbox, kind="missed").values_list("pk", flat=True)) == [
        traffic["late"].pk
    ]


def test_a_ticket_answered_after_the_customer_wrote_again_is_unanswered_again(traffic, inbox):
    met = traffic["met"]
    Ticket.objects.filter(pk=met.pk).update(
        status=Status.OPEN, last_customer_message_at=timezone.now() + timedelta(minutes=1)
    )
    unanswered = set(dead_zone_tickets(inbox=inbox, kind="unanswered").values_list("pk", flat=True))
    assert met.pk in unanswered


def test_the_audit_page_links_each_figure_to_its_tickets(traffic, inbox, admin, client):
    ImapState.objects.create(
        inbox=inbox,
        last_success_at=timezone.now() - timedelta(hours=2),
        last_error="login_failed: AUTHENTICATIONFAILED",
        last_error_at=timezone.now(),
    )
    Inbox.objects.filter(pk=inbox.pk).update(imap_host="imap.tanggap.test")
    advert_add(actor=None, inbox=inbox, kind=AdvertKind.PACKAGING, notes="Kotak ketel 2026")
    client.force_login(admin)

    page = client.get(AUDIT)

    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("web:ticket", args=[traffic["oldest"].pk]) in html
    assert f"/admin/dead-zones/{inbox.pk}/tickets/?kind=met" in html
    assert f"/admin/dead-zones/{inbox.pk}/tickets/?kind=missed" in html
    assert "50 %" in html
    assert "Kotak ketel 2026" in html
    assert "refused the user name or password" in html or "menolak" in html
    listed = client.get(f"/admin/dead-zones/{inbox.pk}/tickets/?kind=unanswered")
    assert listed.status_code == 200
    assert f"#{traffic['oldest'].pk}" in listed.content.decode()
    assert f"#{traffic['elsewhere'].pk} " not in listed.content.decode()
    assert client.get(f"/admin/dead-zones/{inbox.pk}/tickets/?kind=nonsense").status_code == 404


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_inboxes(traffic, admin, client):
    client.force_login(admin)
    with CaptureQueriesContext(connection) as few:
        assert client.get(AUDIT).status_code == 200
    for n in range(4):
        inbox = inbox_create(actor=None, name=f"Extra {n}", address=f"extra{n}@tanggap.test")
        advert_add(actor=None, inbox=inbox, kind=AdvertKind.OTHER, notes="Brosur")
        _mail(inbox, f"p{n}@example.com")
    with CaptureQueriesContext(connection) as many:
        assert client.get(AUDIT).status_code == 200
    assert len(many) == len(few)


def test_only_admins_see_the_audit(traffic, agent, client):
    client.force_login(agent)
    assert client.get(AUDIT).status_code == 404
    assert client.post("/admin/dead-zones/probe/").status_code == 404


# ---------------------------------------------------------------- where an inbox is advertised


def test_admins_record_and_remove_where_an_inbox_is_advertised(inbox, admin, client):
    client.force_login(admin)
    url = f"/admin/inboxes/{inbox.pk}/adverts/"

    added = client.post(url, {"kind": "site_page", "url": "https://toko.example/kontak", "notes": "Footer"})
    assert added.status_code == 302
    advert = InboxAdvert.objects.get()
    assert (advert.kind, advert.url, advert.notes) == ("site_page", "https://toko.example/kontak", "Footer")
    edit = client.get(f"/admin/inboxes/{inbox.pk}/edit/").content.decode()
    assert "https://toko.example/kontak" in edit

    client.post(url, {"kind": "manual", "url": "", "notes": ""})  # says nothing: refused
    client.post(url, {"kind": "manual", "url": "javascript:alert(1)", "notes": "x"})
    assert InboxAdvert.objects.count() == 1

    client.post(f"/admin/inboxes/{inbox.pk}/adverts/{advert.pk}/remove/")
    assert not InboxAdvert.objects.exists()


def test_canary_settings_are_saved_from_the_inbox_page(inbox, admin, client):
    client.force_login(admin)
    client.post(f"/admin/inboxes/{inbox.pk}/canary/", {"canary_minutes": "30"})
    inbox.refresh_from_db()
    assert inbox.canary_enabled is False and inbox.canary_minutes == 30
    client.post(f"/admin/inboxes/{inbox.pk}/canary/", {"canary_enabled": "on", "canary_minutes": ""})
    inbox.refresh_from_db()
    assert inbox.canary_enabled is True and inbox.canary_minutes is None


# ---------------------------------------------------------------- probes and the banner


def test_the_button_sends_probes_and_a_dead_inbox_shows_everywhere_for_admins(
    smtp_sink, inbox, admin, agent, client
):
    advert_add(actor=None, inbox=inbox, kind=AdvertKind.SITE_PAGE, url="https://toko.example/")
    client.force_login(admin)

    client.post("/admin/dead-zones/probe/")

    run = CanaryRun.objects.get()
    assert run.trigger == "manual" and run.requested_by == admin
    assert len(smtp_sink.mails_to(inbox.address)) == 1
    assert f'data-inbox="{inbox.pk}"' in client.get(AUDIT).content.decode()

    canary_check(now=run.deadline + timedelta(seconds=1))
    queue = client.get("/").content.decode()
    assert "canary-banner" in queue and inbox.address in queue
    assert "inbox-dead" in client.get("/admin/inboxes/").content.decode()
    assert "is-dead" in client.get(AUDIT).content.decode()
    client.force_login(agent)
    assert "canary-banner" not in client.get("/").content.decode()

    client.force_login(admin)
    alert = CanaryAlert.objects.get()
    client.post(f"/admin/dead-zones/alerts/{alert.pk}/ack/")
    assert "canary-banner" not in client.get("/").content.decode()
    assert "is-dead" in client.get(AUDIT).content.decode()  # acknowledged, still dead


def test_a_second_press_sends_nothing_while_a_probe_is_on_its_way(smtp_sink, inbox, admin):
    advert_add(actor=None, inbox=inbox, kind=AdvertKind.SITE_PAGE, url="https://toko.example/")
    assert len(canary_run(actor=admin, trigger="manual")) == 1
    assert canary_run(actor=admin, trigger="manual") == []
    assert len(smtp_sink.received) == 1
