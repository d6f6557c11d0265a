"""Every page needs a signed-in staff user, except views marked `@public`; sessions end on time."""

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from opsroom.core.errors import DomainError

V = TypeVar("V", bound=Callable[..., Any])

# The JSON API authenticates each request itself (API key or staff session); its docs do not.
_API_NAMESPACE = "api"
_API_DOCS = {"openapi-json", "openapi-view", "api-root"}
_IDLE_KEY = "opsroom_last_active"
_STARTED_KEY = "opsroom_signed_in_at"
# The idle clock is written to the session at most this often.
_IDLE_RESOLUTION_SECONDS = 60


def public(view: V) -> V:
    """Mark a view as reachable without signing in (login, health check, signed webhooks)."""
    view.opsroom_public = True  # type: ignore[attr-defined]
    return view


def is_public(view: Callable[..., Any]) -> bool:
    return bool(getattr(view, "opsroom_public", False))


class StaffRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if is_public(view_func):
            return None
        match = request.resolver_match
        if match and match.namespace == _API_NAMESPACE and match.url_name not in _API_DOCS:
            return None
        user = request.user
        if not user.is_authenticated:
            login_url = f"{reverse('login')}?next={quote(request.get_full_path())}"
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=401)
                response["HX-Redirect"] = login_url
                return response
            return HttpResponseRedirect(login_url)
        if not (user.is_active and user.is_staff):
            return error_page(
                request,
                status=403,
                message="Opsroom is for staff accounts only, and this account is not one. "
                "Ask an admin to give it a staff role.",
            )
        return None


def session_start(request: HttpRequest) -> None:
    """Start the clocks of a new staff session (its absolute end is fixed from here).

    Sessions run on the wall clock, like Django's own session expiry, not on the settable
    Opsroom clock (which tests and the simulator move).
    """
    now = int(time.time())
    request.session[_STARTED_KEY] = now
    request.session[_IDLE_KEY] = now
    # A fixed end date: saving the session later (the idle clock) must not move it.
    request.session.set_expiry(datetime.fromtimestamp(now + settings.SESSION_COOKIE_AGE, tz=UTC))


class SessionLimitsMiddleware:
    """A signed-in session ends 12 hours after sign-in, and after 2 hours without a request.

    On every path (pages, the API, the public ones): it sits before authentication, so an
    ended session reaches no view as signed in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if session.get(SESSION_KEY) is not None:
            self._enforce(request)
        return self.get_response(request)

    def _enforce(self, request: HttpRequest) -> None:
        session = request.session
        now = int(time.time())
        started, last = session.get(_STARTED_KEY), session.get(_IDLE_KEY)
        if started is None:  # a session from before this check existed
            session_start(request)
            return
        if now - int(started) > settings.SESSION_COOKIE_AGE or (
            last is not None and now - int(last) > settings.OPSROOM_SESSION_IDLE_SECONDS
        ):
            session.flush()
            return
        if last is None or now - int(last) > _IDLE_RESOLUTION_SECONDS:
            session[_IDLE_KEY] = now


class DomainErrorMiddleware:
    """A domain error that a page did not handle itself becomes its 4xx page, with the message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        if request.headers.get("HX-Request"):
            return HttpResponse(
                exception.message, status=exception.status, content_type="text/plain"
            )
        return error_page(request, status=exception.status, message=exception.message)


_TITLES = {
    400: "That request cannot be done",
    403: "Not allowed",
    404: "Not found",
    409: "Not possible right now",
    410: "No longer available",
    502: "An outside service failed",
}


def error_page(request: HttpRequest, *, status: int, message: str) -> HttpResponse:
    """The app's error page: the navigation, what went wrong and why."""
    return render(
        request,
        "core/error.html",
        {
            "status": status,
            "title": _TITLES.get(status, "Something went wrong"),
            "message": message,
        },
        status=status,
    )
