"""The web form in a real browser: an admin opens an inbox's form, a customer fills it in (with a file)
on a phone-sized and a laptop-sized screen, the thanks names the ticket, and the agent finds the ticket
in the queue with channel "Web form"."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest
from django.core.cache import caches
from django.utils import translation

from tanggap.accounts.services import agent_create
from tanggap.inboxes import webform
from tanggap.inboxes.models import Inbox
from tanggap.inboxes.setup import inbox_create, inbox_form_enable
from tanggap.tickets.models import Channel, Ticket

from .conftest import PASSWORD

pytestmark = pytest.mark.e2e

# Screenshots go to test-artifacts/; TANGGAP_SHOTS_DIR names a folder that gets a copy as well.
SHOTS = os.environ.get("TANGGAP_SHOTS_DIR", "")


@pytest.fixture(autouse=True)
def _fresh_counters():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.fixture
def sari(support):
    return agent_create(
        actor=None, username="sari", password=PASSWORD, display_name="Sari", role="admin", teams=[support]
    )


def keep(path: Path, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(SHOTS) / f"{name}.png")


def test_admin_opens_the_form_a_customer_writes_and_the_agent_sees_it(
    new_page, sign_in, screenshot, monkeypatch, support, sari
):
    inbox = inbox_create(actor=None, name="Toko Budi", address="halo@toko.example", team=support)

    admin_page = sign_in(new_page(), "sari", next_url="/admin/inboxes/")
    admin_page.click(f".inbox-webform-link[href='/admin/inboxes/{inbox.pk}/webform/']")
    admin_page.wait_for_url(re.compile(rf"/admin/inboxes/{inbox.pk}/webform/$"))
    admin_page.click("button[name=action][value=enable]")
    admin_page.wait_for_selector(".webform-url")
    form_url = admin_page.inner_text(".webform-url").strip()
    inbox.refresh_from_db()
    assert inbox.form_enabled and form_url.endswith(f"/form/{inbox.form_key}/")
    snippet = admin_page.input_value(".webform-snippet")
    assert snippet.startswith(f'<iframe src="{form_url}"')
    screenshot(admin_page, "webform-admin")

    # The customer, on a phone first: the page fits and reads well at 390 px.
    phone = new_page(width=390, height=844)
    phone.goto(form_url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    keep(screenshot(phone, "webform-390"), "webform-390")

    laptop = new_page()
    laptop.goto(form_url)
    keep(screenshot(laptop, "webform-1280"), "webform-1280")
    laptop.fill("#id_name", "Siti Rahma")
    laptop.fill("#id_email", "siti@example.com")
    laptop.fill("#id_subject", "Paket datang rusak")
    laptop.fill("#id_message", "Halo, paket pesanan 1182 datang dalam keadaan rusak. Fotonya terlampir.")
    laptop.set_input_files(
        "#id_attachments", files=[{"name": "paket.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8 foto"}]
    )
    # The person took their time: the token is old enough (no sleeping in tests).
    monkeypatch.setattr(webform, "_now", lambda: time.time() + 60)
    laptop.click("button.public-send")
    laptop.wait_for_selector(".public-thanks")
    ticket = Ticket.objects.get()
    assert f"#{ticket.pk}" in laptop.inner_text(".public-ticket")
    assert "siti@example.com" in laptop.inner_text(".public-thanks")
    keep(screenshot(laptop, "webform-thanks"), "webform-thanks")
    assert ticket.channel == Channel.WEB
    assert ticket.customer.name == "Siti Rahma"

    # The agent's queue has it; the ticket says where it came from and keeps the photo.
    admin_page.goto("/?view=all")
    row = admin_page.locator(f".ticket-row:has(a.row-subject[href='/tickets/{ticket.pk}/'])")
    assert "Paket datang rusak" in row.inner_text()
    row.locator("a.row-subject").click()
    admin_page.wait_for_url(re.compile(rf"/tickets/{ticket.pk}/$"))
    with translation.override("id"):
        web_label = str(Channel.WEB.label)
    head = admin_page.inner_text(".ticket-facts")
    assert web_label in head or "Web form" in head
    assert admin_page.locator("text=paket.jpg").count() >= 1
    assert admin_page.locator(".tl-customer:has-text('datang dalam keadaan rusak')").count() == 1
    screenshot(admin_page, "webform-ticket")

    # Closing the form: its address is gone.
    admin_page.goto(f"/admin/inboxes/{inbox.pk}/webform/")
    admin_page.click("button[name=action][value=disable]")
    admin_page.wait_for_selector(".flash-success")
    assert not Inbox.objects.get(pk=inbox.pk).form_enabled
    response = laptop.goto(form_url)
    assert response is not None and response.status == 404


def test_the_form_works_inside_a_frame_of_another_site(new_page, support, monkeypatch, live_server):
    """Embedded in a page of another origin (a data: URL here), the form loads and sends: no cookie and
    no X-Frame-Options stand in its way."""
    inbox = inbox_create(actor=None, name="Toko Budi", address="halo@toko.example", team=support)
    inbox = inbox_form_enable(actor=None, inbox=inbox)
    form_url = f"{live_server.url}/form/{inbox.form_key}/?lang=en"
    page = new_page()
    page.set_content(f'<h1>Toko Budi</h1><iframe src="{form_url}" style="width:600px;height:900px"></iframe>')
    frame = page.frame_locator("iframe")
    frame.locator("#id_name").fill("John Miller")
    frame.locator("#id_email").fill("john@example.org")
    frame.locator("#id_message").fill("Hi, where is my refund?")
    monkeypatch.setattr(webform, "_now", lambda: time.time() + 60)
    frame.locator("button.public-send").click()
    frame.locator(".public-thanks").wait_for()
    ticket = Ticket.objects.get()
    assert f"#{ticket.pk}" in frame.locator(".public-ticket").inner_text()
    assert ticket.channel == Channel.WEB
