"""HTML sanitising for anything a customer or an agent wrote. Pure: no Django.

nh3 keeps remote images by default; a support tool must not load tracking pixels when an agent
opens a message. A remote ``<img>`` keeps its address in the inert ``data-remote-src`` attribute,
which no browser fetches, until the agent chooses to show the images of that message; images sized
as tracking pixels lose it altogether. Inline ``cid:`` and ``data:image/`` sources stay. No ``style``
attribute, ``<style>`` element or ``background`` attribute survives, so CSS cannot fetch anything either.
The class names, ids and ``type="cite"`` that mail clients put on quoted history are kept (and only
those), so the visible reply can still be told from the quote after sanitising.
"""

from __future__ import annotations

import html as _html
import re

import nh3

MAX_HTML = 2 * 1024 * 1024
REMOTE_SRC = "data-remote-src"

# fmt: off
_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
# Containers of quoted history and signatures, as Gmail, Yahoo, Thunderbird, Outlook, Zoho and Proton
# Mail mark them (Outlook on the web re-quotes another client's markup with an ``x_`` prefix).
QUOTE_CLASSES = frozenset({
    "gmail_quote", "gmail_quote_container", "gmail_extra", "gmail_signature", "yahoo_quoted",
    "moz-cite-prefix", "moz-signature", "OutlookMessageHeader", "zmail_extra", "protonmail_quote",
    "protonmail_signature_block",
})
QUOTE_IDS = frozenset({
    "divRplyFwdMsg", "appendonsend", "mail-editor-reference-message-container", "Signature",
    "stopSpelling",
})
# fmt: on
_CLASSES = QUOTE_CLASSES | {"x_" + name for name in QUOTE_CLASSES}
_IDS = QUOTE_IDS | {"x_" + name for name in QUOTE_IDS}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", REMOTE_SRC, "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
_ALLOWED_CLASSES = {tag: set(_CLASSES) for tag in ("div", "blockquote", "pre")}
_TAG_ATTRIBUTE_VALUES = {
    "blockquote": {"type": {"cite"}},
    "div": {"id": set(_IDS)},
    "hr": {"id": set(_IDS)},
}
_REMOTE = ("http://", "https://")
PIXEL_MAX = 2  # an image this small (in either dimension) is a tracking pixel, never content


def _compact(value: str) -> str:
    return "".join(value.split()).lower()


def _filter(tag: str, attribute: str, value: str) -> str | None:
    lowered = _compact(value)
    if tag == "img" and attribute == "src":
        return value if lowered.startswith(("cid:", "data:image/", *_REMOTE)) else None
    if attribute == REMOTE_SRC:
        # Not a URL attribute to nh3, so its scheme is checked here.
        return value.strip() if lowered.startswith(_REMOTE) else None
    if attribute == "href" and lowered.startswith("data:"):
        # ``data:`` is allowed for inline images only: a data: link can carry a whole HTML page.
        return None
    return value


# nh3's output is well formed: attribute values are double-quoted with ``"``, ``<`` and ``>`` escaped.
_IMG = re.compile(r"<img\b[^>]*>")
_ATTR = re.compile(r'\s([a-z-]+)="([^"]*)"')
# Inside a tag only: text outside tags has ``<`` and ``>`` escaped.
_EMPTY_CLASS = re.compile(r'(<[a-z][a-z0-9]*\b[^<>]*?) class=""')
_SIZE = re.compile(r"\s*(\d{1,6})(?:\.\d*)?\s*(?:px)?\s*$", re.IGNORECASE)


def _is_pixel(attributes: dict[str, str]) -> bool:
    for name in ("width", "height"):
        match = _SIZE.match(attributes.get(name, ""))
        if match and int(match.group(1)) <= PIXEL_MAX:
            return True
    return False


def _block_remote(tag: re.Match[str]) -> str:
    """``src="https://…"`` becomes ``data-remote-src="https://…"``; tracking pixels lose it."""
    text = tag.group(0)
    found = {m.group(1): m.group(2) for m in _ATTR.finditer(text)}
    src = found.get("src", "")
    remote = _compact(_html.unescape(src)).startswith(_REMOTE)
    if not remote and REMOTE_SRC not in found:
        return text
    pixel = _is_pixel(found)

    def rewrite(attribute: re.Match[str]) -> str:
        name = attribute.group(1)
        if name == "src" and remote:
            if pixel or REMOTE_SRC in found:
                return ""
            return f' {REMOTE_SRC}="{attribute.group(2).strip()}"'
        if name == REMOTE_SRC and pixel:
            return ""
        return attribute.group(0)

    return _ATTR.sub(rewrite, text)


def sanitise(value: str) -> str:
    """Safe HTML: allow-listed tags and attributes, links open safely, remote images inert."""
    if not value:
        return ""
    value = value[:MAX_HTML]
    try:
        clean = nh3.clean(
            value,
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            url_schemes={"http", "https", "mailto", "tel", "cid", "data"},
            link_rel="noopener noreferrer nofollow",
            attribute_filter=_filter,
            strip_comments=True,
            allowed_classes=_ALLOWED_CLASSES,
            tag_attribute_values=_TAG_ATTRIBUTE_VALUES,
        )
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException:  # nh3 raises PanicException, a BaseException, on some inputs
        return "<pre>" + _html.escape(value) + "</pre>"
    if ' class=""' in clean:  # left behind when none of an element's classes is a quote marker
        clean = _EMPTY_CLASS.sub(r"\1", clean)
    return _IMG.sub(_block_remote, clean) if "<img" in clean else clean


def has_remote_images(value: str) -> bool:
    """Whether sanitised HTML holds remote images the agent has not chosen to load."""
    return f" {REMOTE_SRC}=" in value


_TAG = re.compile(r"<[^>]+>")


def text_from_html(value: str) -> str:
    """A rough plain-text rendering, used only when a channel gave HTML and no text."""
    value = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", value)
    return _html.unescape(_TAG.sub("", value)).strip()
