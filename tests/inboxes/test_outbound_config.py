"""The site's default outgoing mail server, read from TANGGAP_SMTP_URL (pure configuration)."""

from __future__ import annotations

import pytest

from tanggap.config import ConfigError, is_loopback_host, load, parse_smtp_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:25", ("127.0.0.1", 25, "none", "", "", 30.0)),
        ("smtp://localhost", ("localhost", 25, "none", "", "", 30.0)),
        ("smtp://[::1]:2525", ("::1", 2525, "none", "", "", 30.0)),
        ("smtp+starttls://mail.example.com", ("mail.example.com", 587, "starttls", "", "", 30.0)),
        (
            "smtps://tanggap:p%40ss%3Aw@mail.example.com?timeout=5",
            ("mail.example.com", 465, "ssl", "tanggap", "p@ss:w", 5.0),
        ),
    ],
)
def test_smtp_urls(url, expected):
    smtp = parse_smtp_url(url)
    assert (smtp.host, smtp.port, smtp.security, smtp.username, smtp.password, smtp.timeout) == expected
    assert "p@ss" not in repr(smtp)  # the password never reaches a log line


@pytest.mark.parametrize(
    "url",
    [
        "smtp://mail.example.com:25",  # no encryption beyond this machine
        "smtp://10.0.0.5",
        "http://mail.example.com",
        "smtps://",
        "smtps://mail.example.com:port",
        "smtps://mail.example.com?timeout=0",
        "smtps://mail.example.com?timeout=soon",
    ],
)
def test_unusable_smtp_urls_stop_the_start(url):
    with pytest.raises(ConfigError):
        parse_smtp_url(url)


def test_defaults_and_mail_domain(tmp_path):
    base = {"TANGGAP_DATA_DIR": str(tmp_path), "TANGGAP_SECRET_KEY": "x" * 50}
    assert load({**base, "TANGGAP_ENV": "development"}).smtp.port == 25
    assert load({**base, "TANGGAP_ENV": "test"}).smtp.port == 9  # tests never reach a real server
    config = load({**base, "TANGGAP_ENV": "test", "TANGGAP_MAIL_DOMAIN": "Help.Toko.Example."})
    assert config.mail_domain == "help.toko.example"
    with pytest.raises(ConfigError):
        load({**base, "TANGGAP_ENV": "test", "TANGGAP_MAIL_DOMAIN": "not a domain"})


def test_loopback_hosts():
    assert all(map(is_loopback_host, ["localhost", "127.0.0.1", "127.5.5.5", "::1", "[::1]"]))
    assert not any(map(is_loopback_host, ["", "10.0.0.1", "mail.example.com", "localhost.evil.example"]))
    # A name under .localhost reaches this machine only where the resolver keeps to RFC 6761; a
    # resolver that asks DNS would send the password in the clear.
    assert not is_loopback_host("mail.localhost")
