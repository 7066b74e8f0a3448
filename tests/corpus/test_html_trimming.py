"""split_html_reply on the HTML mails of the Zammad corpus (read from ``../shared/corpus``).

Every HTML mail: no word lost between the visible part and the hidden one, and never an empty reply
for a non-empty message. The Outlook and GMX mails with a copied header block, and Thunderbird's
signature, are cut where the history starts.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tanggap.inboxes.email.html_trim import split_html_reply
from tanggap.inboxes.email.parse import parse_mail


def _words(value: str) -> str:
    return "".join(html.unescape(re.sub(r"<[^>]*>", "", value)).split())


# file: (the visible reply ends with, the hidden part starts with)
EXPECTED_CUTS = {
    # Outlook 2010, German: the "Von:/Gesendet:/An:/Cc:/Betreff:" block under a border line.
    "mail003.box": ("auchimmerzuverwenden.", "Von:FritzBauer"),
    # Outlook 2010, English, a forward of a forward: the "From:/Sent:/To:/Subject:" block.
    "mail082.box": ("Faxtoe-mail:0865665137", "From:ProfsenLab"),
    # Thunderbird: the moz-signature container.
    "mail030.box": ("Verfügung.VielenDank!", "--FreundlicheGrüße"),
    # GMX: the header block starts with "Gesendet:"; the forwarder wrote only a signature.
    "mail036.box": ("(RainaldGoetz)", "Gesendet:Mittwoch"),
}


def _html_mails(corpus_dir: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted((corpus_dir / "zammad").rglob("*.box")):
        mail = parse_mail(path.read_bytes())
        if mail.html:
            found.append((path.name, mail.html))
    return found


def test_no_word_is_lost_and_no_reply_is_empty(corpus_dir: Path) -> None:
    mails = _html_mails(corpus_dir)
    assert len(mails) >= 50
    trimmed = 0
    for name, body in mails:
        reply = split_html_reply(body)
        if not reply.trimmed:
            assert reply.visible == body, name
            continue
        trimmed += 1
        assert _words(reply.visible), name
        assert _words(reply.visible) + _words(reply.hidden) == _words(body), name
    print(
        f"\nHTML trimming: {trimmed} of {len(mails)} Zammad HTML mails had quoted history or a signature cut"
    )
    assert trimmed >= len(EXPECTED_CUTS)


@pytest.mark.parametrize("name", sorted(EXPECTED_CUTS))
def test_history_is_cut_where_it_starts(corpus_dir: Path, name: str) -> None:
    path = next((corpus_dir / "zammad").rglob(name))
    reply = split_html_reply(parse_mail(path.read_bytes()).html)
    visible_end, hidden_start = EXPECTED_CUTS[name]
    assert reply.trimmed
    assert _words(reply.visible).endswith(visible_end)
    assert _words(reply.hidden).startswith(hidden_start)
