"""Refusals in words: what a permission lets staff do, who holds it, and why a user is refused.

Generated from the permissions and the role table (core.roles), never written per button:
"Analysts can read but not send email to a person; support agents, billing specialists and
admins can. Ask an admin if you need to."
"""

from collections.abc import Callable, Sequence
from functools import lru_cache, wraps
from typing import Any, TypeVar

from django.apps import apps
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.http import HttpRequest

from opsroom.core.errors import Forbidden
from opsroom.core.models import User
from opsroom.core.roles import ADMIN, ROLE_PERMISSIONS, ROLES

V = TypeVar("V", bound=Callable[..., Any])

ROLE_PLURALS = {
    ADMIN: "admins",
    "Support agent": "support agents",
    "Billing specialist": "billing specialists",
    "Analyst": "analysts",
}
_VERBS = {"add": "add", "change": "change", "delete": "delete", "view": "see"}


@lru_cache(maxsize=256)
def permission_phrase(permission: str) -> str:
    """'people.email_person' -> 'send email to a person'; 'people.add_note' -> 'add notes'."""
    app_label, _dot, codename = permission.partition(".")
    verb, _sep, model_name = codename.partition("_")
    if verb in _VERBS:
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            model = None
        if model is not None:
            return f"{_VERBS[verb]} {model._meta.verbose_name_plural}"
    name = (
        Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        .values_list("name", flat=True)
        .first()
    )
    if name:
        return name.removeprefix("Can ").rstrip(".")
    return codename.replace("_", " ")


def roles_holding(permission: str) -> set[str]:
    """The roles whose group holds a permission."""
    app_label, _dot, codename = permission.partition(".")
    return set(
        Group.objects.filter(
            name__in=ROLES,
            permissions__content_type__app_label=app_label,
            permissions__codename=codename,
        ).values_list("name", flat=True)
    )


def _listing(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def refusal_text(user: User | AnonymousUser, permissions: Sequence[str]) -> str:
    """Why `user` may not do what needs `permissions`, and who may, in one or two sentences."""
    missing = [p for p in permissions if not user.has_perm(p)] or list(permissions)
    doing = _listing([permission_phrase(p) for p in missing])
    roles = sorted(group.name for group in user.groups.all()) if isinstance(user, User) else []
    if not roles:
        who = "Your account has no role and cannot"
    elif len(roles) == 1 and roles[0] in ROLE_PLURALS:
        plural = ROLE_PLURALS[roles[0]].capitalize()
        read_only = roles[0] != ADMIN and not ROLE_PERMISSIONS.get(roles[0])
        who = f"{plural} can read but not" if read_only else f"{plural} cannot"
    else:
        who = f"Your roles ({', '.join(roles)}) cannot"
    holding = set(ROLES).intersection(*(roles_holding(p) for p in missing))
    # Admins last: "support agents and admins can".
    order = [role for role in ROLES if role != ADMIN] + [ADMIN]
    holders = [ROLE_PLURALS[role] for role in order if role in holding and role not in roles]
    can = f"; {_listing(holders)} can" if holders else ""
    return f"{who} {doing}{can}. Ask an admin if you need to."


class Refused(Forbidden):
    """A staff user without the permissions an action needs (403), said in words."""

    def __init__(self, user: User | AnonymousUser, permissions: Sequence[str]) -> None:
        super().__init__(refusal_text(user, permissions))
        self.permissions = tuple(permissions)


def permissions_check(user: User | AnonymousUser, permissions: Sequence[str]) -> None:
    """Raise Refused unless the user holds every permission."""
    if not user.has_perms(permissions):
        raise Refused(user, permissions)


def permissions_needed(*permissions: str) -> Callable[[V], V]:
    """A view decorator: Refused (the 403 page, in words) without every permission."""

    def decorate(view: V) -> V:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            permissions_check(request.user, permissions)
            return view(request, *args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate
