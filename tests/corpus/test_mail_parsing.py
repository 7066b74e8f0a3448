"""parse_mail against the zammad corpus: every mail parses; the portable fields of each .yml match.

The .yml files are a subset: a key that is present must match, ``null`` means "empty". We compare the
fields the corpus README calls portable (sender, display name, subject, recipients, attachments by the
MD5 of their bytes with file name, MIME type and Content-ID) and the body loosely (its words). Where our
result differs on purpose, the difference is listed in KNOWN_DIFFERENCES with the reason; an unlisted
difference fails, and so does a listed one that no longer happens (the list must stay true).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tanggap.inboxes.email.parse import PROBLEMS, ParsedMail, parse_mail


class _Loader(yaml.SafeLoader):
    pass


def _ruby(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    # Ruby-tagged hashes are plain maps; other Ruby tags wrap a plain scalar.
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    assert isinstance(node, yaml.ScalarNode)
    return loader.construct_scalar(node)


def _binary(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    assert isinstance(node, yaml.ScalarNode)
    return base64.b64decode("".join(str(loader.construct_scalar(node)).split()))


_Loader.add_multi_constructor("!ruby/", _ruby)
_Loader.add_constructor("!binary", _binary)

# (mail, field) -> why our value differs from the 2022 expectation.
KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {
    # Upstream later changed these itself (spec #2254): the sender is repaired and marked invalid.
    ("mail076", "from_email"): "we repair the broken sender to MillionsLotterySpaintransfer@example.com",
    ("mail076", "from_display_name"): "no display name is invented from a broken address",
    # "From: Test test@example.com" (no angle brackets): we read the last word as the address.
    ("mail087", "from_email"): "the bare 'Name addr' form gives test@example.com, not the whole text",
    ("mail087", "from_display_name"): "the bare 'Name addr' form gives the name 'Test'",
    # An encoded-word in the local part is never decoded (spoofing): the literal address is kept.
    ("mail117", "from_email"): "the address stays =?utf-8?Q?attacker?Q?agent?=@victim.example, undecoded",
    # UTF-7 text (+ANw- is "Ü") is decoded; the upstream left it encoded.
    ("mail018", "subject"): "we decode the UTF-7 subject to 'Übermittlungsstatus'",
    ("mail018", "body"): "we decode the UTF-7 body too, so the encoded words are not in our text",
    # A uuencoded file inside a text part becomes an attachment; the upstream left it in the text.
    ("mail025", "body"): "rulesets-report.csv is extracted as an attachment, not shown as text",
    # The <title> of an HTML part is not visible text, so it is not in our text or HTML.
    ("mail026", "body"): "the only expected words come from the HTML <title>, which we drop",
    # Raw 8-bit GBK headers with no charset label anywhere outside the attached message: we read them
    # as Windows-1252 (readable bytes, no crash); guessing CJK encodings would misread Latin text.
    ("mail046", "from_display_name"): "raw 8-bit GBK display name, decoded as Windows-1252",
    ("mail046", "subject"): "raw 8-bit GBK subject, decoded as Windows-1252",
    ("mail046", "attachment[0].filename"): "the attached mail is named after that subject",
    # A raw 8-bit (UTF-8) file name is decoded; the upstream replaced the byte with U+FFFD.
    ("mail073", "attachment[2].filename"): "we give 'Forex Platte ohne Wölbung.jpg'",
    # A part without Content-Type is text/plain by RFC 2045, so it is body text, not a file "file".
    ("mail087", "attachment[1]"): "the untyped part is the message text",
    # Two files with the same name keep it; the upstream renamed the second ("at 091.00.38.png").
    ("mail102", "attachment[2].filename"): "we keep the sender's file name",
}

_ADDRESS = re.compile(r"[^\s<>()\"',;:]+@[^\s<>()\"',;:]+")


def _load(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_bytes().decode("utf-8"), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    assert isinstance(data, dict)
    return data


def _squash(value: object) -> str:
    return " ".join(str(value or "").split())


def _addresses_of(value: object) -> set[str]:
    return {a.lower().rstrip(".") for a in _ADDRESS.findall(str(value or ""))}


def _words(value: str) -> set[str]:
    value = re.sub(r"<[^>]*>", " ", value)
    value = re.sub(r"&[a-z]+;|&#\d+;", " ", value)
    return set(re.findall(r"\w{3,}", value.lower()))


def _bytes_of(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value or "").encode("utf-8")


def _md5(data: bytes) -> str:
    # The upstream stored text parts with LF line endings; we keep the bytes as received (often CRLF).
    return hashlib.md5(data.replace(b"\r\n", b"\n")).hexdigest()  # noqa: S324 - the corpus uses MD5


def differences(name: str, expected: dict[str, Any], mail: ParsedMail) -> dict[str, str]:
    """Field -> "expected != ours" for every portable field that does not match."""
    found: dict[str, str] = {}

    def check(field: str, want: object, got: object) -> None:
        if want != got:
            found[field] = f"{want!r} != {got!r}"

    if "from_email" in expected:
        check("from_email", expected["from_email"] or "", mail.from_address)
    if "from_display_name" in expected:
        check("from_display_name", _squash(expected["from_display_name"]), _squash(mail.from_name))
    if "subject" in expected:
        check("subject", _squash(expected["subject"]), _squash(mail.subject))
    for key, ours in (("to", mail.to), ("cc", mail.cc), ("reply-to", mail.reply_to)):
        if key in expected:
            check(key, _addresses_of(expected[key]), {a.lower().rstrip(".") for _, a in ours})
    if "message_id" in expected and "zammad_generated" not in str(expected["message_id"]):
        check("message_id", str(expected["message_id"]).strip("<>"), mail.message_id)
    if "date" in expected and expected["date"] is None:
        check("date", None, mail.date)
    if expected.get("body"):
        wanted = _words(str(expected["body"]))
        missing = wanted - _words(mail.text) - _words(mail.html)
        if wanted and len(missing) > max(2, len(wanted) // 10):
            found["body"] = f"{len(missing)} of {len(wanted)} words missing, e.g. {sorted(missing)[:8]}"
    for index, attachment in enumerate(expected.get("attachments") or []):
        preferences = attachment.get("preferences") or {}
        if preferences.get("content-alternative"):
            continue  # the upstream's own copy of the HTML body, not an attachment of the mail
        digest = _md5(_bytes_of(attachment.get("data")))
        same = [a for a in mail.attachments if _md5(a.data) == digest]
        content_id = preferences.get("Content-ID") or ""
        same.sort(key=lambda a: (a.content_id != content_id, a.filename != attachment.get("filename")))
        match = same[0] if same else None
        label = f"attachment[{index}]"
        if match is None:
            found[label] = f"{attachment.get('filename')!r} with md5 {digest} not found"
            continue
        check(label + ".filename", attachment.get("filename"), match.filename)
        if preferences.get("Mime-Type"):
            check(label + ".content_type", preferences["Mime-Type"], match.content_type)
        check(label + ".content_id", content_id, match.content_id)
    return found


def _boxes(corpus_dir: Path) -> list[Path]:
    root = corpus_dir / "zammad"
    return sorted([*(root / "mail").glob("*.box"), *(root / "upstream-extra").glob("*.box")])


def test_every_mail_parses(corpus_dir: Path) -> None:
    boxes = _boxes(corpus_dir)
    assert len(boxes) >= 112
    for box in boxes:
        mail = parse_mail(box.read_bytes())
        assert mail.quarantine_reason is None, box.name
        assert mail.from_address or "no_sender" in mail.problems, box.name
        assert set(mail.problems) <= PROBLEMS, box.name


def test_every_bounce_and_report_mail_parses(corpus_dir: Path) -> None:
    mails = sorted((corpus_dir / "sisimai").rglob("*.eml"))
    assert len(mails) >= 591
    for path in mails:
        mail = parse_mail(path.read_bytes())
        assert mail.quarantine_reason is None, path.name
        assert set(mail.problems) <= PROBLEMS, path.name


def test_expected_fields_match(corpus_dir: Path) -> None:
    unexpected: dict[str, dict[str, str]] = {}
    seen_known: set[tuple[str, str]] = set()
    compared = 0
    for box in _boxes(corpus_dir):
        yml = box.with_suffix(".yml")
        if not yml.exists():
            continue
        compared += 1
        found = differences(box.stem, _load(yml), parse_mail(box.read_bytes()))
        for field, detail in found.items():
            if (box.stem, field) in KNOWN_DIFFERENCES:
                seen_known.add((box.stem, field))
            else:
                unexpected.setdefault(box.stem, {})[field] = detail
    assert compared == 91
    assert unexpected == {}
    assert set(KNOWN_DIFFERENCES) == seen_known, "a listed difference no longer happens: remove it"


def _mail(corpus_dir: Path, name: str) -> ParsedMail:
    return parse_mail((corpus_dir / "zammad" / "mail" / name).read_bytes())


def test_iso_2022_jp(corpus_dir: Path) -> None:
    mail = _mail(corpus_dir, "mail091.box")
    assert mail.subject == "メルマガ解除"
    assert "このアドレスへのメルマガを解除してください。" in mail.text


def test_windows_1258(corpus_dir: Path) -> None:
    mail = _mail(corpus_dir, "mail072.box")
    assert mail.subject == "Réclamation commande n° 018255977840"
    assert mail.from_name == "Valérie Oury"
    assert "Je vous contacte suite à ma commande du 14 août 2018" in mail.text
    assert "bad_charset" not in mail.problems


def test_uuencoded_attachment(corpus_dir: Path) -> None:
    mail = _mail(corpus_dir, "mail078-content_transfer_encoding_x_uuencode.box")
    (attachment,) = mail.attachments
    assert attachment.filename == "PGP_Cmts_on_12-14-01_Pkg.txt"
    assert attachment.data == b"Hello Zammad"


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("mail071.box", "powerquadrantsystem@example.com"),
        ("mail076.box", "MillionsLotterySpaintransfer@example.com"),
    ],
)
def test_broken_senders_are_repaired_and_flagged(corpus_dir: Path, name: str, address: str) -> None:
    mail = _mail(corpus_dir, name)
    assert mail.from_address == address
    assert "broken_address" in mail.problems


def test_iso_8859_1_encoded_subject(corpus_dir: Path) -> None:
    mail = _mail(corpus_dir, "mail065.box")
    assert mail.subject == "aaäöüßad asd"


def test_encoded_word_in_local_part_is_not_decoded(corpus_dir: Path) -> None:
    mail = parse_mail((corpus_dir / "zammad" / "upstream-extra" / "mail117.box").read_bytes())
    assert mail.from_address == "=?utf-8?Q?attacker?Q?agent?=@victim.example"
    assert "encoded_address" in mail.problems
