"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tanggap.accounts.models import Team, User
from tanggap.accounts.services import agent_create, team_create
from tanggap.tickets.inbound import InboundMessage, Sender
from tanggap.tickets.models import Ticket
from tanggap.tickets.services import message_receive

# Playwright's sync API runs an event loop in this thread; the live server's ORM calls from the test
# body are still synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct-horse-42"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium); browser tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh browser context (its own cookies), at laptop size unless told."""
    contexts = []

    def open_page(width: int = 1280, height: int = 860, **options: Any) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="id-ID", base_url=live_server.url, **options
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def sign_in():
    def sign_in(page: Any, username: str, next_url: str = "/") -> Any:
        page.goto(f"/login/?next={next_url}")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].btn-primary")
        page.wait_for_load_state("domcontentloaded")
        return page

    return sign_in


@pytest.fixture
def settled():
    """Wait until htmx has swapped and settled. Swapped-in content gets its hx- behaviour when it
    settles, 20 ms after the swap: a change made to it sooner (a test is that quick) is lost."""

    def settled(page: Any) -> Any:
        page.wait_for_function("!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
        return page

    return settled


@pytest.fixture
def screenshot():
    def screenshot(page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return screenshot


@pytest.fixture
def support(transactional_db) -> Team:
    return team_create(actor=None, name="Dukungan")


@pytest.fixture
def budi(support) -> User:
    return agent_create(
        actor=None,
        username="budi",
        password=PASSWORD,
        display_name="Budi",
        teams=[support],
        role="supervisor",
    )


@pytest.fixture
def dewi(support) -> User:
    return agent_create(actor=None, username="dewi", password=PASSWORD, display_name="Dewi", teams=[support])


@pytest.fixture
def tickets(support, budi) -> list[Ticket]:
    """A small, realistic queue for the agent's team."""
    conversations = [
        (
            "Siti Rahma",
            "siti@example.com",
            "Pesanan belum sampai",
            "Halo, pengiriman pesanan saya belum sampai.",
        ),
        (
            "John Miller",
            "john@example.org",
            "Refund for order 1182",
            "Hi, I would like a refund for my order.",
        ),
        ("Ani Wijaya", "ani@example.com", "Ganti alamat", "Bisa ganti alamat pengantaran ke Bandung?"),
        (
            "Rudi Hartono",
            "rudi@example.com",
            "Kode voucher tidak berlaku",
            "Voucher HEMAT10 ditolak saat bayar.",
        ),
    ]
    made = []
    for n, (name, email, subject, text) in enumerate(conversations):
        result = message_receive(
            inbound=InboundMessage(
                channel="email",
                sender=Sender("email", email, name),
                subject=subject,
                text=text,
                idempotency_key=f"e2e-{n}",
            )
        )
        result.ticket.team = support
        result.ticket.save(update_fields=["team"])
        made.append(result.ticket)
    return made
