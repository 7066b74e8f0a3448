"""The acknowledgement's settings in a real browser: the preview on the inbox form follows the
"how we work" sentences as they are typed (htmx), and saving keeps them."""

from __future__ import annotations

import re

import pytest

from tanggap.accounts.services import agent_create
from tanggap.inboxes.models import Inbox
from tanggap.inboxes.setup import inbox_create

from .conftest import PASSWORD

pytestmark = pytest.mark.e2e


def test_the_preview_follows_the_text_as_typed_and_saving_keeps_it(new_page, sign_in, screenshot, support):
    agent_create(actor=None, username="sari", password=PASSWORD, display_name="Sari", role="admin")
    inbox = inbox_create(actor=None, name="Dukungan", address="cs@toko.test", team=support)
    page = sign_in(new_page(height=1400), "sari", f"/admin/inboxes/{inbox.pk}/edit/")
    preview = page.locator("#ack-preview")
    assert preview.locator(".ack-preview-mail").count() == 2
    assert "#1234" in preview.inner_text()

    page.fill(
        "#id_ack_how_en", "Our two agents answer every message in turn. Reply to this mail to add more."
    )
    page.wait_for_function(
        "document.querySelector('#ack-preview').innerText.includes('Our two agents answer every message')"
    )
    page.fill("#id_ack_how_id", "Dua agen kami menjawab setiap pesan bergiliran.")
    page.wait_for_function("document.querySelector('#ack-preview').innerText.includes('Dua agen kami')")
    assert Inbox.objects.get(pk=inbox.pk).ack_how_en == ""  # a preview saves nothing
    screenshot(page, "acknowledgement-preview")

    page.uncheck("#id_ack_enabled")
    page.click("form.card button[type=submit].btn-primary")
    page.wait_for_url(re.compile(rf"/admin/inboxes/{inbox.pk}/edit/$"))
    saved = Inbox.objects.get(pk=inbox.pk)
    assert saved.ack_enabled is False
    assert saved.ack_how_id == "Dua agen kami menjawab setiap pesan bergiliran."
    assert "Our two agents answer every message" in page.locator("#ack-preview").inner_text()
