"""HTML sanitising for anything a customer or an agent wrote. Pure: no Django.

nh3 keeps remote images by default; a support tool must not load tracking pixels when an agent
opens a message, so remote ``<img>`` sources are dropped (inline ``cid:`` and ``data:`` stay).
"""

from __future__ import annotations

import html as _html
import re

import nh3

MAX_HTML = 2 * 1024 * 1024

# fmt: off
_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
# fmt: on
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def _filter(tag: str, attribute: str, value: str) -> str | None:
    lowered = "".join(value.split()).lower()
    if tag == "img" and attribute == "src":
        return value if lowered.startswith(("cid:", "data:image/")) else None
    if attribute == "href" and lowered.startswith("data:"):
        # ``data:`` is allowed for inline images only: a data: link can carry a whole HTML page.
        return None
    return value


def sanitise(value: str) -> str:
    """Safe HTML: allow-listed tags and attributes, links open safely, no remote images."""
    if not value:
        return ""
    value = value[:MAX_HTML]
    try:
        return nh3.clean(
            value,
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            url_schemes={"http", "https", "mailto", "tel", "cid", "data"},
            link_rel="noopener noreferrer nofollow",
            attribute_filter=_filter,
            strip_comments=True,
        )
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException:  # nh3 raises PanicException, a BaseException, on some inputs
        return "<pre>" + _html.escape(value) + "</pre>"


_TAG = re.compile(r"<[^>]+>")


def text_from_html(value: str) -> str:
    """A rough plain-text rendering, used only when a channel gave HTML and no text."""
    value = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", value)
    return _html.unescape(_TAG.sub("", value)).strip()
