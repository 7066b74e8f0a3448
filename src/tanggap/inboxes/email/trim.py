"""Separates the visible reply of an e-mail from quoted history and signatures, in English and Indonesian.

Pure. Each line is classified (text, quote, "On … wrote:" header, Outlook header, signature, delimiter);
rules over that sequence decide what is hidden. Nothing is lost: ``Reply.hidden`` keeps what was cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TRIM_CHARS = 512 * 1024
MAX_LINE = 1000  # longer lines are text: no pattern runs on them
JOIN_LINES = 5  # an "On … wrote:" header may be wrapped over this many following lines

EMPTY, DELIMITER, SIGNATURE, EMBEDDED, HEADER, QUOTE, TEXT = "edsbhqt"


@dataclass(frozen=True, slots=True)
class Reply:
    """``visible`` is what to show; ``hidden`` what was cut (in order); ``full`` the whole text."""

    visible: str
    hidden: str
    full: str
    visible_html: str = ""

    @property
    def trimmed(self) -> bool:
        return bool(self.hidden)


_I = re.IGNORECASE

_EMPTY = re.compile(r"^[\s\u200b\u200c\u200d\u2060\ufeff]*$")
_DELIMITER = re.compile(r"^\s*(?:--\s*|ᐧ|([-_~=+*])\s*(?:\1\s*){2,})$")
_QUOTE = re.compile(r"^\s*\w{0,12}>")

# "Sent from my iPhone" and friends. Indonesian "Dikirim dari …" needs a device or app word, since
# "Dikirim dari gudang Jakarta" (shipped from the warehouse) is ordinary customer text.
_DEVICE = (
    r"(?:i\s?phone|i\s?pad|i\s?pod|android|mobile|phone|ponsel|hp|handphone|perangkat|seluler|smartphone|"
    r"cell|device|tablet|galaxy|samsung|xiaomi|redmi|oppo|vivo|realme|huawei|nokia|blackberry|"
    r"outlook|yahoo|gmail|g?mail|mailbox|airmail|spark|aplikasi|app|windows|\[mail\])"
)
_SIGNATURES = [
    re.compile(p, _I)
    for p in (
        r"^(?:sent|dikirim|terkirim|diketik) (?:from|with|via|using|by|dari|dengan|lewat|melalui|pakai)\b"
        rf".{{0,40}}\b{_DEVICE}",
        r"^sent from my \S.{0,80}$",
        r"^(?:envoyé|enviado|inviato|verzonden|verstuurd|sendt|skickat|wysłane|отправлено) .{0,60}$",
        r"^(?:von|from) (?:meinem|my) .{0,60}$",
        r"^diese nachricht wurde von meinem .{0,80}gesendet\.?$",
        r"^\S{1,30} from (?:my )?mobile$",
        r"^sent by \S+$",
        r"^get (?:\[)?outlook for .{0,80}$",
        r"^(?:從我的|发自我的|來自我的|来自我的) ?.{0,30}$",
    )
]
_SIGNATURE_TRIM = re.compile(r"^[\s<>(\[*_]+|[\s<>)\]*_.]+$")

# "On <date>, <name> wrote:" in the languages our customers and their mail clients use.
_WROTE = (
    r"(?:wrote|writes|schrieb|a\s+écrit|geschreven|schreef|ha\s+scritto|skrev|napisał(?:\(a\)|a)?|escreveu|"
    r"escribió|написал[аи]?|пише|пишет|写道|寫道|menulis|menuliskan)"
)
_EMBEDDED = [
    re.compile(p, _I)
    for p in (
        # … wrote:   (the line must carry a date or an address, so "Here is what I wrote:" stays text)
        rf"^[\s>*<-]*+(?=[^@\n]{{0,300}}(?:\d|@)).{{1,300}}?\s?{_WROTE}\s*+[:：]?[\s<>*-]*+$",
        # The verb inside: "Am 03.02.2016 3:35 nachm. schrieb Max <x@y>:", "Den 15. jun. 2016 … skrev …:"
        r"^[\s>*<-]*+(?:on|am|le|op|il|den|dnia|em|el|pada|at)\s(?=.*(?:\d|@))"
        rf".{{1,200}}?\s{_WROTE}\s.{{0,200}}[:：]\s*+$",
        # German: "Name <x@y> schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:"
        r"^[\s>*<-]*+.{1,200}\sschrieb am .{1,80}:\s*+$",
        # Gmail without a verb: "2016-03-03 17:21 GMT+01:00 Name" or "2013/7/20 Name <x@y>"
        r"^[\s>]*\d{4}[/-]\d{1,2}[/-]\d{1,2}\b(?=.*(?:@|GMT|:\s*$)).{0,200}$",
        # Separators of forwarded or copied mail
        r"^[\s>*_]*-{2,}\s*(?:original message|forwarded message|mensaje original|ursprüngliche nachricht|"
        r"message d'origine|messaggio originale|oorspronkelijk bericht|pesan asli|pesan terusan|"
        r"pesan yang diteruskan|pesan asal|mensagem original|mensagem encaminhada|weitergeleitete nachricht)"
        r"\s*-{2,}[\s*_-]*$",
        r"^[\s>]*(?:begin forwarded message|awal pesan (?:yang )?(?:diteruskan|terusan)|"
        r"anfang der weitergeleiteten nachricht|début du message réexpédié)\s*:?\s*$",
    )
]
# Where a wrapped header may start, so joining lines cannot turn ordinary text into a header.
_EMBEDDED_START = re.compile(
    r"^[\s>*<-]*(?:on|am|le|op|il|den|dnia|em|el|pada|at|\d|\S+(?:\s+\S+){0,6}\s*<|\S.{0,80}\s(?:via|pengguna|пользователь)\s)",
    _I,
)

_HEADER_NAMES = (
    r"from|sent|to|cc|bcc|subject|date|reply-to|de|enviado|para|asunto|fecha|von|gesendet|an|betreff|datum|"
    r"da|risposta|data|a|oggetto|inviato|från|skickat|till|ämne|kopia|van|verzonden|aan|onderwerp|"
    r"dari|dikirim|kepada|subjek|perihal|tanggal|tembusan|balas ke|envoyé|à|objet"
)
_HEADER = re.compile(rf"^[\s>]*\*?(?:{_HEADER_NAMES})\s?\*?\s?:\*?(?:\s.*)?$", _I)
# A copied header block names a subject; a customer's own "Dari: BCA / Kepada: Mandiri / Tanggal: …"
# transfer details do not, so they are never taken for quoted history.
_SUBJECT_HEADER = re.compile(
    r"^[\s>]*\*?(?:subject|subjek|perihal|betreff|oggetto|asunto|ämne|onderwerp|objet|assunto)\s?\*?\s?:", _I
)


def _is_signature(line: str) -> bool:
    line = line.strip()
    if len(line) > 130:  # also keeps the trimming regex below linear
        return False
    core = _SIGNATURE_TRIM.sub("", line)
    return 0 < len(core) <= 120 and any(p.match(core) for p in _SIGNATURES)


def _is_embedded(line: str) -> bool:
    return len(line) <= 400 and any(p.match(line) for p in _EMBEDDED)


def _classify(lines: list[str]) -> list[str]:
    kinds: list[str] = []
    for line in lines:
        if len(line) > MAX_LINE:
            kinds.append(TEXT)
        elif _EMPTY.match(line):
            kinds.append(EMPTY)
        elif _DELIMITER.match(line):
            kinds.append(DELIMITER)
        elif _is_signature(line):
            kinds.append(SIGNATURE)
        elif _is_embedded(line):
            kinds.append(EMBEDDED)
        elif _HEADER.match(line):
            kinds.append(HEADER)
        elif _QUOTE.match(line):
            kinds.append(QUOTE)
        else:
            kinds.append(TEXT)
    _join_wrapped_headers(lines, kinds)
    return kinds


def _join_wrapped_headers(lines: list[str], kinds: list[str]) -> None:
    """Marks "On …\\n<address>\\nwrote:" wrapped over several lines as one embedded header."""
    for index, line in enumerate(lines):
        if kinds[index] not in (TEXT, QUOTE, EMBEDDED) or len(line) > 300:
            continue
        if kinds[index] != EMBEDDED and not _EMBEDDED_START.match(line):
            continue
        joined = line.strip()
        for end in range(index + 1, min(index + 1 + JOIN_LINES, len(lines))):
            following = lines[end].strip()
            if len(following) > 100 or kinds[end] not in (TEXT, QUOTE, EMPTY, EMBEDDED):
                break
            if following.startswith(">") and not following.startswith(">:"):
                following = following.lstrip("> ")
            joined = f"{joined} {following}".strip()
            ends_header = kinds[end] == EMBEDDED or following.endswith((":", "："))
            if ends_header and _is_embedded(joined):
                kinds[index : end + 1] = [EMBEDDED] * (end + 1 - index)
                break
    for index in range(1, len(kinds) - 1):
        if kinds[index] == TEXT and kinds[index - 1] == HEADER and kinds[index + 1] == HEADER:
            kinds[index] = HEADER  # a header value wrapped onto its own line


def _tail_start(kinds: list[str]) -> int | None:
    """Index of the first text line of a final run made only of text and empty lines."""
    start = None
    for index in range(len(kinds) - 1, -1, -1):
        if kinds[index] == TEXT:
            start = index
        elif kinds[index] != EMPTY:
            break
    return start


def _keep(lines: list[str], kinds: list[str]) -> list[int]:
    """Indexes of the lines that form the visible reply."""
    keep = list(range(len(kinds)))

    def view() -> str:
        return "".join(kinds[i] for i in keep)

    def cut_after(position: int) -> None:  # keep pattern positions 0..position
        del keep[position + 1 :]

    pattern = view()
    if DELIMITER in pattern:
        del keep[pattern.index(DELIMITER) :]
    keep[:] = [i for i in keep if kinds[i] != SIGNATURE]

    pattern = view()
    tail = _tail_start([kinds[i] for i in keep])
    if pattern.startswith(EMBEDDED) and tail is not None and tail >= 2 and TEXT not in pattern[:tail]:
        del keep[:tail]  # the reply is written below the quoted history

    pattern = view()
    last_quote = pattern.rfind(QUOTE)
    if not (pattern.startswith(EMBEDDED) and last_quote < 0):
        for match in re.finditer(r"te*b", pattern):
            if match.end() - 1 > last_quote:
                cut_after(match.start())
                break

    pattern = view()
    for match in re.finditer(r"te*b", pattern):
        rest = pattern[match.end() :]
        first_text = rest.find(TEXT)
        after = rest[first_text:] if first_text >= 0 else ""
        if not re.search("[qbh]", after) and after.count(TEXT) < 7:
            cut_after(match.start())
            break

    pattern = view()
    suffix = len(pattern)
    while suffix > 0 and pattern[suffix - 1] in "qbe":
        suffix -= 1
    if suffix < len(pattern):
        cut_after(suffix - 1 if suffix > 0 and pattern[suffix - 1] == TEXT else suffix)

    keep[:] = [i for i in keep if kinds[i] != EMBEDDED]

    pattern = view()
    for match in re.finditer(r"t[eq]*(h{3,})", pattern):
        headers = [keep[i] for i in range(match.start(1), match.end(1))]
        if any(_SUBJECT_HEADER.match(lines[i]) for i in headers):
            cut_after(match.start())
            break

    pattern = view()
    if TEXT in pattern and pattern.endswith((EMPTY, QUOTE)):
        end = len(pattern)
        while end > 0 and pattern[end - 1] in "eq":
            end -= 1
        del keep[end:]
    return keep


def split_reply(text: str, *, html: str = "") -> Reply:
    """The visible reply and what was hidden. Never empty when the text has any non-blank character."""
    full = text.replace("\r\n", "\n").replace("\r", "\n")
    if not full.strip() and html:
        from tanggap.core.html import sanitise  # only needed for HTML-only mail
        from tanggap.inboxes.email.parse import text_from_html

        full = text_from_html(sanitise(html))
    lines = full[:MAX_TRIM_CHARS].split("\n")
    kinds = _classify(lines)
    kept = _keep(lines, kinds)
    visible = "\n".join(lines[i] for i in kept).strip()
    kept_set = set(kept)
    hidden = "\n".join(line for i, line in enumerate(lines) if i not in kept_set).strip("\n")
    if not visible and full.strip():
        visible, hidden = full.strip(), ""
    return Reply(visible=visible, hidden=hidden, full=full, visible_html=_visible_html(html) if html else "")


# Containers mail clients wrap quoted history in (classes and ids, before sanitising drops them).
_HTML_QUOTE = re.compile(
    r"<(?:div|blockquote)\b[^>]{0,400}?(?:class=[\"']?[^\"'>]*\b(?:gmail_quote|gmail_extra|yahoo_quoted|moz-cite-prefix|"
    r"OutlookMessageHeader|zmail_extra)\b|id=[\"']?(?:divRplyFwdMsg|appendonsend|mail-editor-reference-message-container)\b|"
    r"type=[\"']?cite\b)",
    _I,
)
_HTML_HR_OUTLOOK = re.compile(r"<hr\b[^>]{0,200}?(?:tabindex=[\"']?-1|id=[\"']?stopSpelling)", _I)


def _visible_html(html: str) -> str:
    """The HTML before the first quoted-history container; the caller sanitises it."""
    head = html[:MAX_TRIM_CHARS]
    cuts = [m.start() for m in (_HTML_QUOTE.search(head), _HTML_HR_OUTLOOK.search(head)) if m]
    visible = head[: min(cuts)] if cuts else head
    return visible if re.sub(r"<[^>]*>|&nbsp;|\s", "", visible) else html


def visible_prefix_length(text: str) -> int | None:
    """How much of ``text`` the timeline shows: the reply without the quoted history and signature
    after it, worked out once per mail so a page never runs the trimmer. ``None`` (show everything)
    unless the reply is exactly where the text starts: not when the customer wrote below the quote or
    between quoted lines."""
    reply = split_reply(text)
    if not reply.trimmed:
        return None
    start = len(text) - len(text.lstrip())
    if not reply.visible or not text.startswith(reply.visible, start):
        return None
    end = start + len(reply.visible)
    return end if text[end:].strip() else None
