"""``tanggap mail parse`` and ``tanggap mail trim`` over the whole corpus, against the expectations the other
corpus tests hold (their lists of known misses included), so the inspection commands show what the pipeline
really does. Run with ``-s`` to see the rates; docs/email.md quotes them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tanggap.inboxes.email.parse import PROBLEMS
from tanggap.inboxes.email.report import mail_report
from tanggap.inboxes.mail_cli import mail
from tests.corpus.test_bounces import (
    KNOWN_COUNT_MISSES,
    KNOWN_KIND_MISSES,
    KNOWN_SEVERITY_MISSES,
    ZAMMAD_NON_HUMAN,
    _expected_class,
    _expected_hard,
)
from tests.corpus.test_mail_parsing import KNOWN_DIFFERENCES, _load, _squash
from tests.corpus.test_reply_trimming import KNOWN_MISSES as KNOWN_TRIM_MISSES

# What each class of the automatic-mail tests is called in the report.
REPORT_KIND = {
    "human": "message",
    "list": "message",
    "system": "message",
    "auto_reply": "auto_reply",
    "feedback_report": "feedback_report",
    "bounce": "bounce",
    "delay": "bounce",
}

# Amazon SES reports a successful delivery as a JSON notification from a no-reply sender, not as a DSN:
# the automatic-mail check calls it machine mail without naming it a delivery report: it reads as a message.
KNOWN_REPORT_KIND_MISSES = {"bsd/lhost-amazonses-12.eml", "bsd/lhost-amazonses-13.eml"}


def _rate(label: str, results: dict[str, bool], known: set[str]) -> None:
    misses = {name for name, ok in results.items() if not ok}
    print(f"\n{label}: {len(results) - len(misses)}/{len(results)} = {1 - len(misses) / len(results):.1%}")
    assert misses == known, f"{label}: new misses {sorted(misses - known)}, fixed {sorted(known - misses)}"


def _clean(report: dict[str, Any]) -> None:
    """No step broke, and the problems are the parser's codes."""
    assert set(report["errors"]) <= PROBLEMS, (report["file"], report["errors"])
    assert "too_large" not in report["errors"] and "not_mail" not in report["errors"], report["file"]


@pytest.fixture(scope="module")
def sisimai(corpus_dir: Path) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    root = corpus_dir / "sisimai"
    expectations = json.loads((root / "expected.json").read_bytes())
    expectations.pop("_source", None)
    return [
        (expected, mail_report((root / name).read_bytes(), file=name))
        for name, expected in expectations.items()
    ]


def test_sisimai_kinds(sisimai: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    results = {}
    for expected, report in sisimai:
        _clean(report)
        wanted = (
            "delivery_report"
            if _expected_class(expected) == "system"
            else REPORT_KIND[_expected_class(expected)]
        )
        results[report["file"]] = report["kind"] == wanted
    assert len(results) == 591
    _rate("sisimai kind", results, KNOWN_KIND_MISSES | KNOWN_REPORT_KIND_MISSES)


def test_sisimai_bounces_hard_soft_and_recipients(
    sisimai: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    severity, count = {}, {}
    for expected, report in sisimai:
        if _expected_class(expected) != "bounce":
            continue
        bounce = report["bounce"]
        records = expected["records"]
        got = bounce["recipients"] if bounce else []
        count[report["file"]] = bounce is not None and len(got) == len(records)
        severity[report["file"]] = bounce is not None and sorted(r["hard"] for r in got) == sorted(
            _expected_hard(r) for r in records
        )
        if bounce:
            assert bounce["hard"] == any(r["hard"] for r in got), report["file"]
            assert all("@" in r["address"] for r in got), report["file"]
    _rate("sisimai recipient count", count, KNOWN_COUNT_MISSES)
    _rate("sisimai hard/soft", severity, KNOWN_SEVERITY_MISSES)


def test_zammad_kinds_and_fields(corpus_dir: Path) -> None:
    root = corpus_dir / "zammad"
    boxes = sorted([*(root / "mail").glob("*.box"), *(root / "upstream-extra").glob("*.box")])
    fields = kinds = 0
    for box in boxes:
        report = mail_report(box.read_bytes(), file=box.name)
        _clean(report)
        assert report["kind"] == REPORT_KIND[ZAMMAD_NON_HUMAN.get(box.name, "human")], box.name
        kinds += 1
        yml = box.with_suffix(".yml")
        if not yml.exists():
            continue
        expected = _load(yml)
        sender = report["from"] or {"address": "", "name": ""}
        for field, got in (
            ("from_email", sender["address"]),
            ("from_display_name", _squash(sender["name"])),
            ("subject", _squash(report["subject"])),
        ):
            if field in expected and (box.stem, field) not in KNOWN_DIFFERENCES:
                want = (expected[field] or "") if field == "from_email" else _squash(expected[field])
                assert got == want, (box.name, field)
                fields += 1
    print(f"\nzammad: {kinds} mails reported with the right kind, {fields} sender and subject fields right")
    assert kinds >= 112


def test_trim_command_over_the_reply_trimming_set(corpus_dir: Path) -> None:
    root = corpus_dir / "email_reply_trimmer"
    runner = CliRunner()
    results = {}
    for body in sorted((root / "emails").glob("*.txt")):
        result = runner.invoke(mail, ["trim"], input=body.read_bytes())
        assert result.exit_code == 0, body.name
        expected = (root / "trimmed" / body.name).read_bytes().decode("utf-8").strip()
        results[body.stem] = result.stdout_bytes.decode("utf-8").strip() == expected
    assert len(results) == 64
    _rate("trimmed exactly (mail trim)", results, set(KNOWN_TRIM_MISSES))
