"""Authentication for the JSON API: API keys with a scope, or a signed-in staff session."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from opsroom.core.models import ApiKey, User
from opsroom.core.services.apikeys import api_key_authenticate


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer opk_...` with a key holding `scope` (admin keys hold every scope)."""

    openapi_scheme = "bearer"

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = api_key_authenticate(raw_key=token, scope=self.scope)
        if key is not None:
            request.api_key = key  # type: ignore[attr-defined]
        return key


class StaffSessionAuth(SessionAuth):
    """A signed-in, active staff user (CSRF-checked for unsafe methods).

    A request without a signed-in session is simply not authenticated by this (a 401 when
    nothing else authenticates it); only a signed-in session is held to the CSRF check.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "_cached_user", None) or request.user
        if not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "_cached_user", None) or request.user
        if user.is_authenticated and user.is_active and user.is_staff:
            return user
        return None


def staff_or_key(scope: str) -> list[Any]:
    """The auth list for an endpoint: an API key with `scope`, or a staff session."""
    return [ApiKeyAuth(scope), StaffSessionAuth()]


def request_staff(request: HttpRequest) -> User:
    """The signed-in staff user making a request (pages past StaffRequiredMiddleware have one)."""
    user = request.user
    if not isinstance(user, User) or not (user.is_active and user.is_staff):
        raise PermissionDenied("Opsroom is for staff accounts only.")
    return user
