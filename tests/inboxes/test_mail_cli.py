"""Tests for tanggap.inboxes.mail_cli: ``tanggap mail parse`` and ``tanggap mail trim``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tanggap.inboxes.email.report import mail_report
from tanggap.inboxes.mail_cli import mail

MESSAGE = (
    b"From: Budi <budi@example.id>\r\nTo: support@toko.example\r\nSubject: Pesanan\r\n"
    b"Message-ID: <m1@example.id>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Barangnya belum sampai.\r\n\r\nDikirim dari iPhone saya\r\n"
)
AUTO_REPLY = MESSAGE.replace(b"Subject: Pesanan", b"Auto-Submitted: auto-replied\r\nSubject: Cuti")


def test_parse_prints_one_json_line_per_file_in_order(tmp_path: Path) -> None:
    first, second = tmp_path / "b.eml", tmp_path / "a.eml"
    first.write_bytes(MESSAGE)
    second.write_bytes(AUTO_REPLY)
    missing = tmp_path / "missing.eml"
    before = sorted(tmp_path.iterdir())

    result = CliRunner().invoke(mail, ["parse", str(first), str(missing), str(second)])

    assert result.exit_code == 0, result.output
    lines = result.stdout_bytes.decode("utf-8").splitlines()
    assert len(lines) == 3
    reports = [json.loads(line) for line in lines]
    assert [r["file"] for r in reports] == [str(first), str(missing), str(second)]
    assert reports[0] == mail_report(MESSAGE, file=str(first))
    assert reports[0]["visible_text"] == "Barangnya belum sampai."
    assert reports[1]["errors"][0].startswith("read_failed: FileNotFoundError")
    assert reports[2]["kind"] == "auto_reply"
    assert lines[0] == json.dumps(reports[0], ensure_ascii=False)  # keys in the documented order
    assert sorted(tmp_path.iterdir()) == before  # writes nothing


def test_parse_keeps_non_ascii_readable(tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE.replace(b"Subject: Pesanan", "Subject: Pesanan \u00fc \u65e5".encode()))
    result = CliRunner().invoke(mail, ["parse", str(path)])
    assert '"subject": "Pesanan \u00fc \u65e5"' in result.stdout_bytes.decode("utf-8")


def test_parse_needs_a_file_and_says_how_errors_are_reported() -> None:
    runner = CliRunner()
    assert runner.invoke(mail, ["parse"]).exit_code == 2
    help_text = " ".join(runner.invoke(mail, ["parse", "--help"]).output.split())
    assert "exit status is 0 even when some files had errors" in help_text


def test_trim_prints_the_visible_reply() -> None:
    body = (
        "Terima kasih, sudah sampai.\n\nSalam,\nBudi\n\n"
        "Pada Sen, 3 Nov 2025 pukul 10.00, Toko <support@toko.example> menulis:\n"
        "> Pesanan Anda sedang dikirim.\n"
    )
    result = CliRunner().invoke(mail, ["trim"], input=body.encode("utf-8"))
    assert result.exit_code == 0
    assert result.stdout_bytes.decode("utf-8") == "Terima kasih, sudah sampai.\n\nSalam,\nBudi\n"


def test_trim_reads_bytes_that_are_not_utf8() -> None:
    result = CliRunner().invoke(mail, ["trim"], input="J\u00fcrgen schreibt\n".encode("latin-1"))
    assert result.exit_code == 0
    assert result.stdout_bytes.decode("utf-8") == "J\ufffdrgen schreibt\n"


def test_the_group_runs_as_a_module(tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(MESSAGE)
    env = {**os.environ, "LC_ALL": "C", "PYTHONIOENCODING": "ascii"}  # the output is UTF-8 all the same
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "tanggap.inboxes.mail_cli", "parse", str(path), str(tmp_path / "x")],
        capture_output=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode("utf-8").splitlines()
    assert [json.loads(line)["file"] for line in lines] == [str(path), str(tmp_path / "x")]
