"""The dead-zone audit in a real browser: an admin records where an inbox is advertised, sends the
canary's probes, and sees the inbox whose probe never arrived marked dead, with a banner on every page
until the alert is acknowledged."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.accounts.services import agent_create
from tanggap.inboxes.canary import advert_add, canary_check
from tanggap.inboxes.models import AdvertKind, CanaryRun, MailSource, RawMail
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.setup import inbox_create, inbox_form_enable
from tanggap.sla.models import Policy, TicketClock
from tanggap.tickets.models import Status, Ticket
from tests.inboxes.conftest import make_mail
from tests.inboxes.smtp_sink import running_sink

from .conftest import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def sari(support):
    return agent_create(actor=None, username="sari", password=PASSWORD, display_name="Sari", role="admin")


@pytest.fixture
def sink(settings):
    with running_sink(settings) as server:
        yield server


def _traffic(inbox, policy) -> None:
    now = timezone.now()
    for n, (sender, days, answered, late) in enumerate(
        [
            ("siti@example.com", 2, False, False),
            ("john@example.org", 1, True, False),
            ("ani@example.com", 3, True, False),
            ("rudi@example.com", 4, True, True),
        ]
    ):
        row = mail_receive(
            inbox=inbox,
            raw=make_mail(f"Pesan {n}", sender=sender, to=inbox.address),
            source=MailSource.IMPORT,
        )
        at = now - timedelta(days=days)
        RawMail.objects.filter(pk=row.pk).update(received_at=at + timedelta(hours=n))
        Ticket.objects.filter(pk=row.ticket_id).update(created_at=at, last_customer_message_at=at)
        if answered:
            Ticket.objects.filter(pk=row.ticket_id).update(
                status=Status.PENDING, first_response_at=now, last_agent_reply_at=now
            )
            TicketClock.objects.create(
                ticket_id=row.ticket_id,
                policy=policy,
                computed_at=now,
                breached=["first_response"] if late else [],
            )


def test_admin_audits_dead_zones_probes_and_sees_a_dead_inbox(
    new_page, sign_in, screenshot, sink, support, sari
):
    policy = Policy.objects.create(name="Standar", first_response_minutes=60)
    support_inbox = inbox_create(actor=None, name="Dukungan", address="support@tanggap.test", team=support)
    billing = inbox_create(actor=None, name="Tagihan", address="billing@tanggap.test")
    inbox_form_enable(actor=None, inbox=billing)
    advert_add(actor=None, inbox=billing, kind=AdvertKind.MANUAL, notes="Buku panduan, halaman 12")
    _traffic(support_inbox, policy)
    _traffic(billing, policy)

    # Mail to billing reaches Tanggap (the MX hands it to `tanggap smtp`); mail to support is lost.
    def mx(mail):
        if billing.address in mail.rcpt_tos:
            mail_receive(inbox=billing, raw=mail.raw, source=MailSource.SMTP)

    sink.on_mail = mx
    page = sign_in(new_page(), "sari")
    # Record where the support address is advertised, from its settings page.
    page.goto(f"/admin/inboxes/{support_inbox.pk}/edit/")
    page.select_option("#adverts select[name=kind]", "site_page")
    page.fill("#adverts input[name=url]", "https://toko.example/kontak")
    page.fill("#adverts input[name=notes]", "Footer of every page")
    with page.expect_navigation():
        page.click("#adverts form.form-stack button[type=submit] >> nth=0")
    assert "https://toko.example/kontak" in page.locator("#adverts").inner_text()

    page.goto("/admin/inboxes/")
    page.click("a[href='/admin/dead-zones/']")
    page.wait_for_url(re.compile(r"/admin/dead-zones/$"))
    rows = page.locator("tr.deadzone-row")
    assert rows.count() == 2

    page.click("button[data-canary-run]")
    page.wait_for_url(re.compile(r"/admin/dead-zones/$"))
    # Each address got a mail; the billing form was submitted, became a ticket and was removed.
    assert len(sink.received) == 2
    assert CanaryRun.objects.count() == 3
    assert set(CanaryRun.objects.filter(inbox=billing).values_list("channel", "status")) == {
        ("email", "arrived"),
        ("form", "arrived"),
    }

    # The support address never delivers its probe: past the deadline it is dead.
    support_run = CanaryRun.objects.get(inbox=support_inbox, channel="email")
    canary_check(now=support_run.deadline + timedelta(seconds=1))
    page.goto("/admin/dead-zones/")
    dead = page.locator(f"tr.deadzone-row[data-inbox='{support_inbox.pk}']")
    assert "is-dead" in (dead.get_attribute("class") or "")
    healthy = page.locator(f"tr.deadzone-row[data-inbox='{billing.pk}']")
    assert "is-dead" not in (healthy.get_attribute("class") or "")
    assert healthy.locator(".canary-arrived").count() == 2
    banner = page.locator(".canary-banner")
    assert banner.is_visible()
    assert "support@tanggap.test" in banner.inner_text()
    screenshot(page, "dead-zones-laptop")

    # The percentage opens the tickets behind it.
    dead.locator("a.deadzone-percent").click()
    page.wait_for_url(re.compile(rf"/admin/dead-zones/{support_inbox.pk}/tickets/\?kind=met$"))
    assert page.locator("ul.list .ticket-row").count() == 2

    page.goto("/admin/dead-zones/")
    with page.expect_navigation():
        page.click(".canary-banner button[type=submit]")
    assert page.locator(".canary-banner").count() == 0
    assert "is-dead" in (
        page.locator(f"tr.deadzone-row[data-inbox='{support_inbox.pk}']").get_attribute("class") or ""
    )

    small = sign_in(new_page(width=390, height=844), "sari", "/admin/dead-zones/")
    small.wait_for_url(re.compile(r"/admin/dead-zones/$"))
    screenshot(small, "dead-zones-phone")
    # On a phone the table scrolls inside its card; the page itself does not get wider.
    assert small.evaluate("document.documentElement.scrollWidth") <= 390
