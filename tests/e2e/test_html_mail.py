"""An HTML mail in a real browser: its remote image is not fetched until the agent clicks "Show images",
its inline (cid:) image shows at once, and the quoted history opens with one click."""

from __future__ import annotations

import base64
import shutil
import struct
import tempfile
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tanggap.inboxes.models import MailSource, MailStatus
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.setup import inbox_create

pytestmark = pytest.mark.e2e

SHOTS = Path(tempfile.gettempdir()) / "tanggap-shots"  # besides test-artifacts, for a quick look


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG, made here so the test needs no image files."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


REMOTE_PNG = png(120, 40, (31, 111, 235))
INLINE_PNG = png(80, 40, (28, 124, 76))


class _ImageServer:
    """A loopback web server standing in for the sender's image host; it counts every fetch."""

    def __init__(self) -> None:
        self.hits: list[dict[str, str]] = []
        seen = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append({"path": self.path, "referer": self.headers.get("Referer", "")})
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(REMOTE_PNG)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(REMOTE_PNG)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _ImageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def image_server() -> Iterator[_ImageServer]:
    with _ImageServer() as server:
        yield server


def html_mail(remote_url: str) -> bytes:
    html = (
        '<div dir="ltr">Halo kak, ini foto paket yang datang rusak:<br>'
        '<img src="cid:paket@siti.example" alt="foto paket" width="80" height="40"><br>'
        f'Dan ini logo tokonya: <img src="{remote_url}/logo.png" alt="logo toko" width="120" height="40">'
        f'<img src="{remote_url}/open.gif?id=siti" width="1" height="1"></div><br>'
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">Pada Sen, 3 Nov 2025 pukul 10.00 Toko '
        'Maju &lt;support@tanggap.test&gt; menulis:<br></div><blockquote class="gmail_quote">'
        "<div>Mohon kirim foto paketnya.</div></blockquote></div>"
    )
    image = base64.encodebytes(INLINE_PNG).decode()
    return (
        "From: Siti Rahma <siti@example.com>\r\n"
        "To: support@tanggap.test\r\n"
        "Subject: Paket rusak\r\n"
        "Date: Mon, 3 Nov 2025 11:00:00 +0700\r\n"
        "Message-ID: <e2e-html-mail@siti.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/related; boundary="rel"\r\n'
        "\r\n"
        "--rel\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        "\r\n"
        f"{html}\r\n"
        "--rel\r\n"
        "Content-Type: image/png\r\n"
        "Content-ID: <paket@siti.example>\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        f"{image}"
        "--rel--\r\n"
    ).encode()


def natural_width(locator) -> int:
    return locator.evaluate("img => img.complete ? img.naturalWidth : 0")


def shot(page, screenshot, name: str) -> None:
    path = screenshot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def test_remote_images_wait_for_the_agent_and_inline_images_show(
    new_page, sign_in, screenshot, support, budi, image_server
):
    inbox = inbox_create(actor=None, name="Dukungan", address="support@tanggap.test", team=support)
    row = mail_receive(inbox=inbox, raw=html_mail(image_server.url), source=MailSource.SMTP)
    assert row.status == MailStatus.PROCESSED, row.reason

    page = sign_in(new_page(), "budi")
    page.click("text=Paket rusak")
    page.wait_for_selector("[data-html-mail]")
    mail = page.locator("[data-html-mail]")

    inline = mail.locator("img[alt='foto paket']")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=inline.element_handle())
    assert natural_width(inline) == 80
    assert "/inline/" in (inline.get_attribute("src") or "")

    remote = mail.locator("img[alt='logo toko']")
    assert remote.get_attribute("src") is None
    notice = mail.locator("[data-remote-notice]")
    assert notice.is_visible()
    assert "Show images" in notice.inner_text() or "Tampilkan gambar" in notice.inner_text()
    # The quoted history is closed, one click away.
    assert not page.locator("text=Mohon kirim foto paketnya.").is_visible()
    page.wait_for_load_state("networkidle")
    assert image_server.hits == []
    shot(page, screenshot, "html-mail-blocked")

    notice.locator("button[data-show-images]").click()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=remote.element_handle())
    assert natural_width(remote) == 120
    assert not notice.is_visible()
    page.wait_for_load_state("networkidle")
    # One fetch, the logo's; the tracking pixel stays blocked; the sender learns nothing of our URL.
    assert [hit["path"] for hit in image_server.hits] == ["/logo.png"]
    assert image_server.hits[0]["referer"] == ""

    mail.locator("details.tl-quoted summary").click()
    assert page.locator("text=Mohon kirim foto paketnya.").is_visible()
    shot(page, screenshot, "html-mail-shown")
