"""Separates the visible reply of an HTML e-mail from quoted history and signatures. Pure: no Django.

Works on sanitised HTML (``core.html.sanitise`` keeps the classes and ids mail clients put on quoted
history, and nothing else). The markup is read as a sequence of text lines and of containers:
Gmail's ``gmail_quote``, Yahoo's ``yahoo_quoted``, Thunderbird's ``moz-cite-prefix``, any
``<blockquote>`` (Apple Mail's ``type="cite"``), signature containers; Outlook's ``divRplyFwdMsg`` /
``appendonsend`` and its "From:/Sent:/Subject:" header block (any language the plain-text trimmer
reads, "Dari:/Dikirim:/Subjek:" included) mark everything after them as history. A container is cut
only when the customer wrote nothing after it (no bottom-posting, no answers between quotes); the
"On … wrote:" / "Pada … menulis:" line before it and a "Sent from my iPhone" go with it.
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass

from tanggap.core.html import QUOTE_CLASSES, QUOTE_IDS, sanitise

# The line rules of the plain-text trimmer, shared so both cuts read the same languages.
from tanggap.inboxes.email.trim import _DELIMITER, _HEADER, _SUBJECT_HEADER, _is_embedded, _is_signature

MAX_TRIM_HTML = 512 * 1024  # larger bodies are shown whole: newsletters, not replies
SIGNATURE_LINES = 8  # a "-- " signature is at most this many lines

_CLASSES = QUOTE_CLASSES | {"x_" + name for name in QUOTE_CLASSES}
# Everything after these is quoted history (Outlook's reply header and its markers).
_REST_IDS = frozenset(
    name
    for base in ("divRplyFwdMsg", "appendonsend", "mail-editor-reference-message-container", "stopSpelling")
    for name in (base, "x_" + base)
)
_BOX_IDS = (QUOTE_IDS - _REST_IDS) | {"x_" + name for name in QUOTE_IDS - _REST_IDS}
_BLOCKS = frozenset(
    {
        "p", "div", "blockquote", "pre", "table", "thead", "tbody", "tfoot", "tr", "ul", "ol",
        "li", "dl", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6",
    }
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
_VOID = frozenset({"br", "hr", "img", "wbr"})
# Sanitised HTML never has ``>`` inside an attribute value, so a simple tokenizer is exact (and linear).
_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>|([^<]+)|<")
_CLASS = re.compile(r'\sclass="([^"]*)"')
_ID = re.compile(r'\sid="([^"]*)"')
_FROM = re.compile(r"^[\s>]*\*?(?:from|von|dari|de|da|van|från|envoyé par)\s?\*?\s?:", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^[\s>*_]*(?:-{2,}|begin forwarded|awal pesan|anfang der weitergeleiteten|début du message)",
    re.IGNORECASE,
)
_BLANK = re.compile(r"^[\s\u200b\u200c\u200d\u2060\ufeff]*$")
HEADER_WINDOW = 8  # the most header lines an Outlook block is read for


@dataclass(frozen=True, slots=True)
class HtmlReply:
    """``visible`` is what to show, ``hidden`` what was cut ("" when nothing was); both sanitised."""

    visible: str
    hidden: str

    @property
    def trimmed(self) -> bool:
        return bool(self.hidden)


@dataclass(slots=True)
class _Item:
    kind: str  # "line", "box" (a quote or signature container), "rest" (history follows)
    start: int  # where a cut before this item goes
    text: str = ""
    in_box: bool = False

    @property
    def blank(self) -> bool:
        return self.kind == "line" and bool(_BLANK.match(self.text))


def _read(value: str) -> list[_Item]:
    """Lines of text (each starting at the markup that opens it) and the quote markers, in order."""
    items: list[_Item] = []
    stack: list[tuple[str, bool]] = []  # open elements: tag, is a box
    depth = 0  # open boxes
    start: int | None = None
    parts: list[str] = []
    content = False

    def flush() -> None:
        nonlocal start, content
        if content and start is not None:
            items.append(_Item("line", start, "".join(parts), depth > 0))
        start, content = None, False
        parts.clear()

    for match in _TOKEN.finditer(value):
        closing, tag, attributes, text = (
            match.group(1),
            (match.group(2) or "").lower(),
            match.group(3),
            match.group(4),
        )
        position = match.start()
        if text is not None or not tag:
            if start is None:
                start = position
            parts.append(_html.unescape(text or match.group(0)).replace("\xa0", " "))
            content = True
            continue
        if tag in _CELLS and content:
            parts.append(" ")  # a table row is one line, as in the plain text: "Von: | Martin"
        if closing:
            if tag in _BLOCKS:
                flush()
            while stack:
                open_tag, box = stack.pop()
                if box:
                    depth -= 1
                if open_tag == tag:
                    break
            continue
        if tag in _VOID:
            if tag == "img":
                if start is None:
                    start = position
                parts.append("\ufffc")  # an image is content: a reply may be a screenshot alone
                content = True
            elif tag == "hr" and _marker_id(attributes) in _REST_IDS:
                flush()
                items.append(_Item("rest", position, in_box=depth > 0))
            elif tag in ("br", "hr"):
                if tag == "hr":
                    flush()
                if start is None:
                    start = position
                content = True
                flush()
            continue
        box = False
        if tag in _BLOCKS:
            flush()
            marker = _marker(tag, attributes)
            if marker:
                items.append(_Item(marker, position, in_box=depth > 0))
                box = marker == "box"
            elif start is None:
                start = position
        elif start is None:
            start = position
        stack.append((tag, box))
        if box:
            depth += 1
    flush()
    return items


def _marker_id(attributes: str) -> str:
    found = _ID.search(attributes)
    return found.group(1) if found else ""


def _marker(tag: str, attributes: str) -> str:
    if tag == "blockquote":
        return "box"
    found = _CLASS.search(attributes)
    if found and any(name in _CLASSES for name in found.group(1).split()):
        return "box"
    ident = _marker_id(attributes)
    if ident in _REST_IDS:
        return "rest"
    if ident in _BOX_IDS:
        return "box"
    return ""


def _mark_text_markers(items: list[_Item]) -> None:
    """Outlook's header block and forward separators in the text itself mark the rest as history."""
    lines = [i for i, item in enumerate(items) if item.kind == "line" and not item.in_box and not item.blank]
    texts = [items[i].text.strip() for i in lines]
    headers = [len(text) <= 400 and bool(_HEADER.match(text)) for text in texts]
    for n, index in enumerate(lines):
        text = texts[n]
        if len(text) > 400:
            continue
        if _SEPARATOR.match(text) and _is_embedded(text):
            items[index].kind = "rest"
        elif headers[n] and (n == 0 or not headers[n - 1]):
            # A copied header block names a sender and a subject (GMX puts "Gesendet:" first); a
            # customer's own "Dari: BCA / Kepada: Mandiri" transfer details name no subject.
            end = n
            while end < len(texts) and end - n < HEADER_WINDOW and headers[end]:
                end += 1
            block = texts[n:end]
            if (
                len(block) >= 3
                and any(_FROM.match(line) for line in block)
                and any(_SUBJECT_HEADER.match(line) for line in block)
            ):
                items[index].kind = "rest"


def split_html_reply(value: str) -> HtmlReply:
    """The visible reply of sanitised HTML and what was hidden; ``hidden`` is "" when nothing was cut."""
    whole = HtmlReply(visible=value, hidden="")
    if not value or len(value) > MAX_TRIM_HTML:
        return whole
    items = _read(value)
    _mark_text_markers(items)
    top = [item for item in items if not item.in_box]
    if not any(item.kind in ("box", "rest") for item in top) and not any(
        item.kind == "line" and _is_delimiter(item) for item in top
    ):
        return whole

    # For each position in ``top``: where the next non-blank line outside containers is, and where the
    # next "rest" marker is (after it everything is history anyway).
    count = len(top)
    next_text = [count] * (count + 1)
    next_rest = [count] * (count + 1)
    for i in range(count - 1, -1, -1):
        item = top[i]
        next_text[i] = i if item.kind == "line" and not item.blank else next_text[i + 1]
        next_rest[i] = i if item.kind == "rest" else next_rest[i + 1]
    texts_before = [0] * (count + 1)  # non-blank lines before each position
    for i, item in enumerate(top):
        texts_before[i + 1] = texts_before[i] + (item.kind == "line" and not item.blank)
    starts = [item.start for item in top]

    for i, item in enumerate(top):
        if item.kind == "box":
            if next_text[i + 1] < next_rest[i + 1]:
                continue  # the customer wrote after this quote
        elif item.kind == "line":
            if not _is_delimiter(item):
                continue
            lines_after = sum(
                1
                for j in range(i + 1, min(next_rest[i + 1], count))
                if top[j].kind == "line" and not top[j].blank
            )
            if lines_after > SIGNATURE_LINES or next_text[i + 1] >= next_rest[i + 1]:
                continue
        cut = _back_over_attribution(top, i)
        if not texts_before[cut]:
            continue
        position = starts[cut] if cut < count else len(value)
        visible, hidden = sanitise(value[:position]), sanitise(value[position:])
        if not _BLANK.match(_text(hidden)) and not _BLANK.match(_text(visible)):
            return HtmlReply(visible=visible, hidden=hidden)
    return whole


def _is_delimiter(item: _Item) -> bool:
    return item.kind == "line" and len(item.text) <= 20 and bool(_DELIMITER.match(item.text))


def _back_over_attribution(top: list[_Item], index: int) -> int:
    """The cut moves back over blank lines, an "On … wrote:" line and a "Sent from my …" line."""
    cut = index
    while cut > 0:
        previous = top[cut - 1]
        if previous.kind != "line":
            break
        text = previous.text.strip()
        if (
            previous.blank
            or _is_delimiter(previous)
            or (len(text) <= 400 and (_is_embedded(text) or _is_signature(text)))
        ):
            cut -= 1
            continue
        break
    return cut


_TAGS = re.compile(r"<[^>]*>")


def _text(value: str) -> str:
    return _html.unescape(_TAGS.sub("", value)) + ("\ufffc" if "<img" in value else "")
