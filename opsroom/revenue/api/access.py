"""Who may call a revenue endpoint: the permission check and the month parameters."""

from datetime import date
from typing import Any

from django.http import HttpRequest

from opsroom.core.auth import ApiKeyAuth, StaffSessionAuth
from opsroom.core.errors import Forbidden, InvalidInput
from opsroom.core.models import User

MANAGE = [ApiKeyAuth("admin"), StaffSessionAuth()]


def permission_require(request: HttpRequest, permission: str) -> None:
    """Refuse a staff user without the permission (an admin API key holds every one)."""
    user: Any = getattr(request, "auth", None)
    if isinstance(user, User) and not user.has_perm(permission):
        raise Forbidden(f"You may not do this (needs {permission}).")


def staff_of(request: HttpRequest) -> User | None:
    user: Any = getattr(request, "auth", None)
    return user if isinstance(user, User) else None


def month_parse(value: str, name: str, *, last_day: bool = False) -> date:
    """'YYYY-MM' (its first day, or with last_day its last) or 'YYYY-MM-DD'."""
    text = value.strip()
    try:
        if len(text) == 7:
            first = date.fromisoformat(f"{text}-01")
            if not last_day:
                return first
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return date.fromordinal(following.toordinal() - 1)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} must be YYYY-MM or YYYY-MM-DD (got '{value[:20]}').") from None
