"""Macros in a real browser: an agent picks one in the reply box, the customer's first name and the
ticket number appear in the reply, the reply goes out and the timeline shows it and the macro."""

from __future__ import annotations

import re

import pytest

from tanggap.macros.services import macro_create
from tanggap.tickets.models import Message, MessageKind, Status

pytestmark = pytest.mark.e2e

BODY_ID = (
    "Halo {{ customer.first_name }},\n\nTiket #{{ ticket.number }} sedang kami cek ke kurir.\n\n"
    "Salam,\n{{ agent.first_name }}"
)
BODY_EN = "Hi {{ customer.first_name }},\n\nWe are checking ticket #{{ ticket.number }} with the courier."


@pytest.fixture
def macros(budi, support):
    order = macro_create(
        actor=budi,
        name="Status pesanan",
        body_id=BODY_ID,
        body_en=BODY_EN,
        set_status="pending",
        add_tags=["pesanan"],
    )
    macro_create(
        actor=budi, name="Kebijakan refund", body_id="Refund 14 hari.", body_en="Refund within 14 days."
    )
    return order


def _open_ticket(page, ticket):
    page.goto(f"/tickets/{ticket.pk}/")
    page.wait_for_selector("[data-macro-picker]")


def test_agent_applies_a_macro_and_sends_the_reply(new_page, sign_in, screenshot, dewi, tickets, macros):
    ticket = tickets[0]  # Siti Rahma, in Indonesian
    page = sign_in(new_page(), "dewi")
    _open_ticket(page, ticket)
    page.click(".macro-menu > summary")
    page.fill("[data-macro-filter]", "status")
    assert page.locator("[data-macro-name]:visible").count() == 1
    page.select_option("[data-macro-language]", "id")
    page.click(".macro-option:has-text('Status pesanan')")
    page.wait_for_selector("[data-macro-applied]")

    reply = page.locator("#reply-text").input_value()
    assert reply.startswith("Halo Siti,")
    assert f"Tiket #{ticket.pk} sedang" in reply
    assert reply.rstrip().endswith("Dewi")
    assert page.locator(".composer-form[data-panel=reply] select[name=status]").input_value() == "pending"
    assert "pesanan" in page.locator("#macro-result").inner_text()
    # The side panel and the timeline follow what the macro changed, the reply is kept.
    page.wait_for_selector("#ticket-side #prop-status option[value=pending][selected]", state="attached")
    page.wait_for_selector(".tl-event:has-text('Status pesanan')")
    assert page.locator("#reply-text").input_value() == reply
    screenshot(page, "macro-applied-laptop")

    page.click(".composer-form[data-panel=reply] button[type=submit]")
    page.wait_for_selector(".tl-reply:has-text('sedang kami cek ke kurir')")
    page.wait_for_selector(".tl-event:has-text('Status pesanan')")
    sent = Message.objects.get(ticket=ticket, kind=MessageKind.REPLY)
    assert sent.body_text.startswith("Halo Siti,")
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert list(ticket.tags.values_list("name", flat=True)) == ["pesanan"]


def test_macro_text_goes_at_the_cursor_when_the_reply_has_text(new_page, sign_in, dewi, tickets, macros):
    ticket = tickets[1]
    page = sign_in(new_page(), "dewi")
    _open_ticket(page, ticket)
    page.fill("#reply-text", "Before. After.")
    page.evaluate(
        "() => { const a = document.getElementById('reply-text'); a.focus(); a.setSelectionRange(8, 8); }"
    )
    page.keyboard.press("Shift")  # a key press records where the cursor is
    page.click(".macro-menu > summary")
    page.select_option("[data-macro-language]", "en")
    page.click(".macro-option:has-text('Kebijakan refund')")
    page.wait_for_function("document.getElementById('reply-text').value.includes('Refund within')")
    assert page.locator("#reply-text").input_value() == "Before. Refund within 14 days.After."


def test_picker_fits_a_narrow_screen(new_page, sign_in, screenshot, dewi, tickets, macros):
    page = sign_in(new_page(width=390, height=844), "dewi")
    _open_ticket(page, tickets[0])
    page.click(".macro-menu > summary")
    box = page.locator(".macro-panel").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    screenshot(page, "macro-picker-phone")


def test_lead_writes_a_macro_with_live_preview(new_page, sign_in, screenshot, budi, support):
    page = sign_in(new_page(), "budi")
    page.goto("/admin/macros/")
    page.click("a[href='/admin/macros/new/']")
    page.wait_for_url(re.compile(r"/admin/macros/new/$"))
    page.fill("#id_name", "Terima kasih")
    page.fill("#id_body_id", "Halo {{ customer.first_name }}, terima kasih atas kesabarannya.")
    page.wait_for_selector("#macro-preview:has-text('Halo Siti, terima kasih')")
    page.fill("#id_body_en", "Hi {{ customer.phone }}")
    page.wait_for_selector("#macro-preview .errorlist:has-text('customer.phone')")
    page.fill("#id_body_en", "Hi {{ customer.first_name }}, thank you for your patience.")
    screenshot(page, "macro-form-laptop")
    page.click("#macro-form button[type=submit]")
    page.wait_for_selector(".macro-row:has-text('Terima kasih')")
