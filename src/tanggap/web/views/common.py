"""What every view shares: turning application errors into 404s and flash messages, and paging
without counting the whole table."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from tanggap.accounts.models import User
from tanggap.accounts.permissions import can
from tanggap.core.errors import ApplicationError, ErrorCode, NotFound


class AuthedRequest(HttpRequest):
    """A request behind ``login_required``: its user is an agent."""

    user: User


PAGE_SIZE = 25
COUNT_CAP = 1000

# Services write short English reasons for developers; the UI shows these translated sentences.
_FIELD_MESSAGES: dict[tuple[str, str], Any] = {
    (ErrorCode.INVALID_INPUT, "text"): _("Write something first."),
    (ErrorCode.INVALID_INPUT, "assignee"): _(
        "That agent cannot take this ticket (inactive or not in the team)."
    ),
    (ErrorCode.INVALID_INPUT, "priority"): _("That priority does not exist."),
    (ErrorCode.INVALID_INPUT, "status"): _("That status does not exist."),
    (ErrorCode.INVALID_INPUT, "tags"): _("Too many tags."),
    (ErrorCode.INVALID_INPUT, "identity"): _("That is not a valid e-mail address or phone number."),
    (ErrorCode.INVALID_INPUT, "password"): _("That password is too short or too common."),
    (ErrorCode.INVALID_INPUT, "username"): _("Choose a user name."),
    (ErrorCode.INVALID_INPUT, "role"): _("You cannot remove your own admin role."),
    (ErrorCode.INVALID_INPUT, "is_active"): _("You cannot deactivate yourself."),
    (ErrorCode.INVALID_INPUT, "name"): _("Choose a name."),
    (ErrorCode.CONFLICT, "username"): _("That user name is taken."),
    (ErrorCode.CONFLICT, "name"): _("A team with that name already exists."),
    (ErrorCode.TOO_LARGE, "text"): _("The message is too long."),
    (ErrorCode.TOO_LARGE, "attachments"): _("The attachments are too large."),
}

_CODE_MESSAGES: dict[str, Any] = {
    ErrorCode.NOT_FOUND: _("Not found."),
    ErrorCode.PERMISSION_DENIED: _("You do not have permission to do that."),
    ErrorCode.NOT_AUTHENTICATED: _("Sign in first."),
    ErrorCode.INVALID_INPUT: _("The input is not valid."),
    ErrorCode.INVALID_TRANSITION: _("That status change is not allowed."),
    ErrorCode.CONFLICT: _("That conflicts with the current state."),
    ErrorCode.RATE_LIMITED: _("Too many requests; try again shortly."),
    ErrorCode.TOO_LARGE: _("That is too large."),
}


def error_message(exc: ApplicationError) -> str:
    """A translated sentence for an application error."""
    field = str(exc.details.get("field", ""))
    if (exc.code, field) in _FIELD_MESSAGES:
        return str(_FIELD_MESSAGES[(exc.code, field)])
    if isinstance(exc.message, Promise):  # already marked for translation by the service
        return str(exc.message)
    return str(_CODE_MESSAGES.get(exc.code, _("Something went wrong.")))


def flash_error(request: HttpRequest, exc: ApplicationError) -> None:
    messages.error(request, error_message(exc))


@contextmanager
def not_found_as_404() -> Iterator[None]:
    """Selectors raise ``NotFound`` for what the user may not see; a page shows that as a 404."""
    try:
        yield
    except NotFound as exc:
        raise Http404(str(exc.message)) from None


def page_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``NotFound`` becomes a 404; any other application error becomes a flash message and a
    redirect back to where the user was (never a 500)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc.message)) from None
        except ApplicationError as exc:
            flash_error(request, exc)
            return redirect(safe_back(request, "web:queue"))

    return wrapper


def require_action(action: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Pages for a role only (the product admin pages): everyone else gets a 404, as if they did not exist."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not can(request.user, action):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def safe_back(request: HttpRequest, fallback: str) -> str:
    """Where to go after a form: ``next`` or the referring page when it is ours, else ``fallback``."""
    for candidate in (request.POST.get("next"), request.GET.get("next"), request.headers.get("referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    from django.urls import reverse

    return reverse(fallback)


def page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        return 1


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list, found by fetching one row more than shown: no COUNT over the table."""

    items: Sequence[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def paginate(
    qs: QuerySet[Any] | Sequence[Any],
    number: int,
    size: int = PAGE_SIZE,
    rows: Callable[[Any], Sequence[Any]] = list,
) -> Page:
    """Page ``number`` of ``qs``; ``rows`` turns the slice into what the page shows (default: a list)."""
    start = (number - 1) * size
    items = rows(qs[start : start + size + 1])
    return Page(items=items[:size], number=number, has_next=len(items) > size)


def parse_int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None
