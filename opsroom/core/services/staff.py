"""Staff accounts and their roles."""

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from opsroom.core.errors import Conflict, InvalidInput
from opsroom.core.models import User
from opsroom.core.roles import ROLES
from opsroom.core.services.audit import AuditContext, audit_record


@transaction.atomic
def staff_create(
    *, username: str, email: str, role: str, password: str | None, audit: AuditContext
) -> User:
    """Create an active staff user holding one role. Without a password they cannot sign in."""
    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}; choose one of: {', '.join(ROLES)}.")
    username = username.strip()
    if not username:
        raise InvalidInput("A username is required.")
    if User.objects.filter(username=username).exists():
        raise Conflict(f"A user named {username!r} already exists.")
    user = User(username=username, email=email.strip(), is_staff=True, is_active=True)
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    audit_record(audit, action="staff.create", target=user, params={"role": role})
    return user


@transaction.atomic
def staff_role_set(*, user: User, role: str, audit: AuditContext) -> User:
    """Give a staff user exactly one role."""
    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}; choose one of: {', '.join(ROLES)}.")
    before = user.role_names
    user.groups.set([Group.objects.get(name=role)])
    audit_record(audit, action="staff.role_set", target=user, params={"from": before, "to": role})
    return user
