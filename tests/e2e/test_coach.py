"""The reply coach in a real browser: on a ticket where the customer waited a little, an agent types
"Maaf atas keterlambatannya", sees the suggestion to thank them instead, and accepts it in one click."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.tickets.models import Message

pytestmark = pytest.mark.e2e


def test_agent_accepts_thanks_instead_of_sorry(new_page, sign_in, screenshot, dewi, tickets):
    ticket = tickets[0]  # Siti Rahma, in Indonesian: "pengiriman pesanan saya belum sampai"
    # A small delay: she wrote three hours ago and nobody has answered yet.
    Message.objects.filter(ticket=ticket).update(created_at=timezone.now() - timedelta(hours=3))
    page = sign_in(new_page(), "dewi")
    page.goto(f"/tickets/{ticket.pk}/")
    page.locator("#reply-text").fill("")
    page.locator("#reply-text").press_sequentially(
        "Halo Siti, maaf atas keterlambatannya. Pesanan Anda sudah kami kirim hari ini.", delay=5
    )
    finding = page.locator('[data-coach-rule="thank_vs_sorry"]')
    finding.wait_for()
    assert "terima kasih" in finding.locator("[data-coach-accept]").inner_text().lower()
    screenshot(page, "coach-suggestion")

    finding.locator("[data-coach-accept]").click()
    draft = page.locator("#reply-text").input_value()
    assert "maaf atas keterlambatan" not in draft.lower()
    assert draft.lower().startswith("halo siti, terima kasih atas kesabaran anda")
    # The coach checks the new draft again: the suggestion is gone.
    page.wait_for_function("() => !document.querySelector('[data-coach-rule=\"thank_vs_sorry\"]')")
    screenshot(page, "coach-accepted")

    page.click(".composer-form[data-panel=reply] button[type=submit]")
    page.wait_for_selector(".tl-reply")
    assert "terima kasih atas kesabaran" in page.locator(".tl-reply").last.inner_text().lower()

    # The report counts the suggestion she used.
    page.goto("/reports/coach/")
    assert page.locator('[data-rule="thank_vs_sorry"] [data-outcome="used"]').inner_text() == "1"


def test_agent_sets_an_unanswered_question_aside_and_brings_it_back(
    new_page, sign_in, screenshot, dewi, tickets
):
    ticket = tickets[2]  # Ani Wijaya: "Bisa ganti alamat pengantaran ke Bandung?"
    page = sign_in(new_page(), "dewi")
    page.goto(f"/tickets/{ticket.pk}/")
    page.locator("#reply-text").press_sequentially("Halo Ani, terima kasih sudah menghubungi kami.", delay=5)
    finding = page.locator('[data-coach-rule="thoroughness"]')
    finding.wait_for()
    assert "Bisa ganti alamat pengantaran ke Bandung?" in finding.inner_text()

    # She answered it on the phone: the agent says so, and the coach keeps it aside while she types on.
    finding.locator("[data-coach-dismiss]").click()
    page.locator("[data-coach-undismiss]").wait_for()
    page.locator("#reply-text").press_sequentially(" Terima kasih.", delay=5)
    page.wait_for_timeout(1200)
    assert page.locator('[data-coach-rule="thoroughness"]').count() == 0
    assert page.locator("[data-coach-undismiss]").count() == 1
    screenshot(page, "coach-set-aside")

    page.locator("[data-coach-undismiss]").click()
    page.locator('[data-coach-rule="thoroughness"]').wait_for()

    # She sets it aside again and sends: the report lists the question among those agents said
    # were answered, for a lead to read what the coach missed.
    page.locator('[data-coach-rule="thoroughness"] [data-coach-dismiss]').click()
    page.locator("[data-coach-undismiss]").wait_for()
    page.click(".composer-form[data-panel=reply] button[type=submit]")
    page.wait_for_selector(".tl-reply")
    page.goto("/reports/coach/")
    assert page.locator('[data-rule="thoroughness"] [data-outcome="set_aside"]').inner_text() == "1"
    assert "Bisa ganti alamat pengantaran ke Bandung?" in page.locator(".coach-set-aside").inner_text()
    screenshot(page, "coach-report")
