"""How a message's sanitised HTML is shown on the timeline: the visible reply with the quoted history
behind "Show the whole message", ``cid:`` images pointing at the message's own attachments, and
whether remote images were held back."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from tanggap.core.html import has_remote_images
from tanggap.inboxes.email.html_trim import HtmlReply, split_html_reply
from tanggap.tickets.models import Message

register = template.Library()

_CID = re.compile(r'(<img\b[^>]*?\ssrc=")cid:([^"]*)"')
_PATH_SAFE = "@.-_~+!$'()*,;=:"


@dataclass(frozen=True, slots=True)
class HtmlMail:
    visible: SafeString
    hidden: SafeString
    remote_images: bool


def _inline_images(value: str, message: Message) -> str:
    """``src="cid:…"`` → the URL that serves this message's attachment with that Content-ID."""
    if "cid:" not in value:
        return value
    prefix = reverse("web:ticket_inline_image", args=[message.ticket_id, message.pk, "_"])[:-1]

    def rewrite(match: re.Match[str]) -> str:
        # RFC 2392: a cid URL is the Content-ID, %-encoded; the attribute is HTML-escaped.
        content_id = unquote(html.unescape(match.group(2))).strip().strip("<>")
        if not content_id:
            return match.group(1) + '"'
        url = prefix + quote(content_id, safe=_PATH_SAFE)
        return match.group(1) + html.escape(url) + '"'

    return _CID.sub(rewrite, value)


class _Body:
    """A message body as a cache key: equal by message and content digest, not by the whole text."""

    __slots__ = ("key", "value")

    def __init__(self, pk: int, value: str) -> None:
        self.key = (pk, hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=16).digest())
        self.value = value

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Body) and other.key == self.key


@lru_cache(maxsize=64)
def _split(body: _Body) -> HtmlReply:
    # A long ticket re-renders the same mails on every action; the split costs ~1 ms per 4 KB of HTML.
    return split_html_reply(body.value)


@register.simple_tag
def html_mail(message: Message) -> HtmlMail:
    """The parts of ``message.body_html`` (already sanitised at intake) the timeline shows."""
    reply = _split(_Body(message.pk, message.body_html))
    # Sanitised HTML again, with only our own URLs written into it.
    return HtmlMail(
        visible=mark_safe(_inline_images(reply.visible, message)),  # noqa: S308
        hidden=mark_safe(_inline_images(reply.hidden, message)),  # noqa: S308
        remote_images=has_remote_images(message.body_html),
    )
