"""The agent workspace in a real browser: sign in, queue, ticket, reply, note, status, language,
search, phone width and the collision warning."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from tanggap.tickets.models import Message, MessageKind, Status, Ticket
from tanggap.tickets.services import ticket_update

pytestmark = pytest.mark.e2e


def test_sign_in_and_the_queue(new_page, sign_in, screenshot, live_server, budi, tickets):
    page = new_page()
    page.goto("/")
    assert "/login/" in page.url
    screenshot(page, "login")
    ticket_update(actor=budi, ticket=tickets[0], tags=["pengiriman", "vip"], priority=3)
    sign_in(page, "budi")
    assert page.url == f"{live_server.url}/"
    rows = page.locator(".ticket-row")
    assert rows.count() == len(tickets)
    for ticket in tickets:
        assert page.locator(f"text={ticket.subject}").count() == 1
    assert page.locator(".sidenav .count").first.is_visible()
    screenshot(page, "queue-laptop")


def test_the_angry_customers_box_filters_the_queue_at_once(new_page, sign_in, budi, tickets):
    Ticket.objects.filter(pk=tickets[1].pk).update(anger=0.9)
    Ticket.objects.exclude(pk=tickets[1].pk).update(anger=0.1)
    page = sign_in(new_page(), "budi")
    assert page.locator(".ticket-row").count() == len(tickets)
    page.check("input[name=angry]")  # no button to press: ticking the box applies it
    page.wait_for_url(re.compile(r"angry=1"))
    rows = page.locator(".ticket-row")
    assert rows.count() == 1
    assert tickets[1].subject in rows.first.inner_text()
    assert page.locator("input[name=angry]").is_checked()
    page.uncheck("input[name=angry]")
    page.wait_for_url(lambda url: "angry=1" not in url)
    assert page.locator(".ticket-row").count() == len(tickets)


def test_bulk_assign_from_the_queue(new_page, sign_in, budi, tickets):
    page = sign_in(new_page(), "budi")
    page.check(f"input.row-check[value='{tickets[0].pk}']")
    page.check(f"input.row-check[value='{tickets[1].pk}']")
    page.click("button[name=action][value=assign_me]")
    page.wait_for_selector(".flash-success")
    assert Ticket.objects.filter(assignee=budi).count() == 2


def test_ticket_reply_note_and_status(new_page, sign_in, screenshot, settled, budi, tickets):
    ticket = tickets[0]
    page = sign_in(new_page(), "budi")
    page.click(f"text={ticket.subject}")
    page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    assert page.locator(".tl-customer").count() == 1

    page.fill("#reply-text", "Terima kasih sudah menunggu. Paket Anda dikirim hari ini.")
    page.select_option("select[name=status]", "pending")
    page.click(".composer-form[data-panel=reply] button[type=submit]")
    page.wait_for_selector(".tl-reply:has-text('Paket Anda dikirim hari ini')")
    assert page.locator("#reply-text").input_value() == ""
    assert Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY).count() == 1

    page.click("[data-tab=note]")
    page.fill("#note-text", "Cek ulang dengan gudang besok pagi.")
    page.click(".composer-note button[type=submit]")
    page.wait_for_selector(".tl-note:has-text('Cek ulang dengan gudang')")
    assert Message.objects.filter(ticket=ticket, kind=MessageKind.NOTE).count() == 1

    settled(page).select_option("#prop-status", "on_hold")
    page.wait_for_selector("#ticket-head .badge.status-on_hold")
    page.wait_for_selector(".tl-event:has-text('Budi')")
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD

    settled(page).select_option("#prop-priority", "4")
    page.wait_for_selector("#ticket-head .prio-4")
    settled(page).fill("#prop-tags", "pengiriman, vip")
    page.click("#prop-tags ~ button")
    page.wait_for_function("document.querySelector('#prop-tags').value === 'pengiriman, vip'")
    page.wait_for_selector(".tl-event:has-text('vip')")
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["pengiriman", "vip"]
    screenshot(page, "ticket-laptop")


def test_language_switch(new_page, sign_in, budi, tickets):
    page = sign_in(new_page(), "budi")
    assert page.get_attribute("html", "lang") == "id"
    with translation.override("en"):
        english = translation.gettext("New ticket")
    with translation.override("id"):
        indonesian = translation.gettext("New ticket")
    assert page.locator(".new-ticket").inner_text().strip().endswith(indonesian)
    page.click(".langswitch button[value=en]")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator(".new-ticket").inner_text().strip().endswith(english)
    page.click(".langswitch button[value=id]")
    page.wait_for_function("document.documentElement.lang === 'id'")
    assert page.locator(".new-ticket").inner_text().strip().endswith(indonesian)


def test_search_by_stemmed_word(new_page, sign_in, screenshot, budi, tickets):
    page = sign_in(new_page(), "budi")
    page.fill("#topsearch-q", "dikirim")
    page.press("#topsearch-q", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q=dikirim"))
    assert page.locator(".ticket-row").count() == 1
    assert page.locator(".ticket-row").first.inner_text().find("Pesanan belum sampai") >= 0
    screenshot(page, "search")


def test_phone_width(new_page, sign_in, screenshot, budi, tickets):
    page = sign_in(new_page(width=390, height=844, is_mobile=True, has_touch=True), "budi")
    assert page.locator(".menu-btn").is_visible()
    assert not page.locator("#sidenav").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    subject = page.locator(".ticket-row .row-subject").first
    box = subject.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    screenshot(page, "queue-phone")
    page.click(".menu-btn")
    assert page.locator("#sidenav").is_visible()
    screenshot(page, "nav-phone")
    page.click(".menu-btn")
    page.click(f"text={tickets[0].subject}")
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "ticket-phone")


def test_collision_warning(new_page, sign_in, screenshot, budi, dewi, tickets):
    ticket = tickets[1]
    budi_page = sign_in(new_page(), "budi", next_url=f"/tickets/{ticket.pk}/")
    budi_page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    budi_page.click("#reply-text")
    budi_page.keyboard.type("Halo John, ")
    dewi_page = sign_in(new_page(), "dewi", next_url=f"/tickets/{ticket.pk}/")
    dewi_page.wait_for_selector(".presence-item:has-text('Budi')")
    text = dewi_page.locator(".presence-item").inner_text()
    with translation.override("id"):
        replying = translation.gettext("%(name)s is replying") % {"name": "Budi"}
    assert "Budi" in text
    assert text.strip() == replying or "replying" in text or "membalas" in text
    screenshot(dewi_page, "collision")


def test_other_pages_render(new_page, sign_in, screenshot, budi, tickets):
    page = sign_in(new_page(), "budi")
    for path, name in [
        ("/customers/", "customers"),
        (f"/customers/{tickets[0].customer_id}/", "customer"),
        ("/tickets/new/", "ticket-new"),
        ("/settings/", "settings"),
    ]:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        screenshot(page, name)
    page.goto("/tickets/new/")
    page.fill("#id_contact", "maya@example.com")
    page.fill("#id_name", "Maya")
    page.fill("#id_subject", "Telepon soal garansi")
    page.fill("#id_text", "Pelanggan menelepon menanyakan garansi.")
    page.click("form button[type=submit].btn-primary")
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    assert page.locator("h1:has-text('Telepon soal garansi')").count() == 1


def test_admin_pages(new_page, sign_in, screenshot, budi, dewi, support):
    from tanggap.accounts.services import agent_create

    agent_create(
        actor=None, username="admin", password="correct-horse-42", display_name="Admin", role="admin"
    )
    page = sign_in(new_page(), "admin")
    page.click(
        "text=Agents" if page.locator("html[lang=en]").count() else ".sidenav a[href='/admin/agents/']"
    )
    page.wait_for_url(re.compile(r"/admin/agents/$"))
    assert page.locator(".list-row:has-text('Dewi')").count() == 1
    screenshot(page, "admin-agents")
    page.click(".list-row:has-text('Dewi') a")
    page.fill("#id_display_name", "Dewi Lestari")
    screenshot(page, "admin-agent-form")
    page.click("form button[type=submit].btn-primary")
    page.wait_for_url(re.compile(r"/admin/agents/$"))
    assert page.locator(".list-row:has-text('Dewi Lestari')").count() == 1
    page.goto("/admin/teams/")
    screenshot(page, "admin-teams")
    page.goto(f"/admin/teams/{support.pk}/")
    screenshot(page, "admin-team-form")
