"""Inline images of a customer's HTML mail: the ``cid:`` references of a message, served from the
message's own attachments to agents who may see its ticket.

The bytes came from a customer, so they are only ever an image to the browser: a raster type from
an allow-list, ``nosniff``, and a CSP that forbids everything should the response be opened as a
page. Anything else referenced by Content-ID is a download, like every other attachment.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from tanggap.core.blobs import default_store
from tanggap.tickets.models import Attachment
from tanggap.tickets.selectors import ticket_get_for_agent
from tanggap.web.views.common import AuthedRequest, not_found_as_404
from tanggap.web.views.tickets import download_response

# SVG is left out on purpose: it is a document that can carry script.
INLINE_IMAGE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/pjpeg", "image/gif", "image/webp", "image/bmp", "image/avif"}
)
IMAGE_CSP = "default-src 'none'; sandbox"
MAX_CONTENT_ID = 255  # Attachment.content_id's column width


@login_required
@require_safe
def ticket_inline_image(
    request: AuthedRequest, ticket_id: int, message_id: int, content_id: str
) -> HttpResponseBase:
    with not_found_as_404():
        ticket = ticket_get_for_agent(user=request.user, ticket_id=ticket_id)
    content_id = content_id.strip().strip("<>").strip()
    if not content_id or len(content_id) > MAX_CONTENT_ID:
        raise Http404
    attachment = (
        Attachment.objects.filter(message_id=message_id, message__ticket=ticket, content_id=content_id)
        .order_by("pk")
        .first()
    )
    if attachment is None:
        raise Http404
    try:
        data = default_store().get(attachment.sha256)
    except (OSError, ValueError):
        raise Http404 from None
    content_type = attachment.content_type.split(";", 1)[0].strip().lower()
    response: HttpResponseBase
    if content_type in INLINE_IMAGE_TYPES:
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(False, attachment.filename) or "inline"
        response["Content-Security-Policy"] = IMAGE_CSP
        # Private: only this agent's browser may keep it, and not for long after access changes.
        response["Cache-Control"] = "private, max-age=3600"
    else:
        return download_response(data, attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
