"""Safe impersonation: a reasoned, time-limited, revocable grant and the signed token for it.

Opsroom does not hold the host app's sessions. It signs a short-lived token naming the person
(subject) and the staff user (actor); the host app verifies it and redeems it once through
the API. Starting, redeeming, refusing and revoking are each audited with both identities.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from django.conf import settings
from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.models import User
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.people.impersonation_token import (
    ISSUER,
    PURPOSE,
    InvalidToken,
    impersonation_token_encode,
    impersonation_token_verify,
)
from opsroom.people.models import ImpersonationGrant, Person

MIN_REASON = 10
# Profile attributes by which the host app marks its own staff (compared without case, "_"
# or "-": isStaff, IS_STAFF and is-staff are the same flag).
STAFF_FLAGS = frozenset({"isstaff", "isadmin", "issuperuser", "staff", "admin", "superuser"})
ROLE_KEYS = frozenset({"role", "roles", "group", "groups", "usertype", "accounttype"})
STAFF_ROLES = frozenset({"admin", "administrator", "staff", "superuser", "owner", "support"})
# A flag counts as set unless it is clearly off: when in doubt, nobody is impersonated.
_OFF = frozenset({"", "0", "false", "f", "no", "n", "off", "none", "null"})


class ImpersonationRefused(InvalidInput):
    """Impersonation is not allowed here; the message says why."""


def person_identity(person: Person) -> str:
    """How a person is named in the audit log's 'acting as'."""
    return f"person {person.external_id}" + (f" <{person.email}>" if person.email else "")


def _key(key: object) -> str:
    return "".join(char for char in str(key).casefold() if char.isalnum())


def _is_set(value: object) -> bool:
    """Whether a flag is on: true, 1, "true", "yes", " Y "... (anything not clearly off)."""
    if value is None or value is False:
        return False
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, list | dict):
        return bool(value)
    return str(value).strip().casefold() not in _OFF


def _roles(value: object) -> set[str]:
    """Role names in a value: " Admin ", ["admin", "editor"], "admin, editor"."""
    items = value if isinstance(value, list | tuple) else [value]
    names: set[str] = set()
    for item in items[:100]:
        if isinstance(item, dict):
            item = item.get("name") or item.get("role") or ""
        for part in str(item).replace(";", ",").split(","):
            names.add(part.strip().casefold())
    return names


def person_staff_reason(person: Person) -> str:
    """Why a person counts as staff of the host app ('' when they do not)."""
    email = person.email.lower()
    domain = email.rsplit("@", 1)[-1] if "@" in email else ""
    for staff_domain in settings.OPSROOM_STAFF_EMAIL_DOMAINS:
        staff_domain = staff_domain.lower().lstrip("@")
        if domain and (domain == staff_domain or domain.endswith(f".{staff_domain}")):
            return f"their email domain {domain} is a staff domain (OPSROOM_STAFF_EMAIL_DOMAINS)"
    attributes = person.attributes if isinstance(person.attributes, dict) else {}
    for key, value in attributes.items():
        name = _key(key)
        if name in STAFF_FLAGS and _is_set(value):
            return f"the host app marks them as staff (attribute {key})"
        if name in ROLE_KEYS:
            staff_roles = sorted(_roles(value) & STAFF_ROLES)
            if staff_roles:
                return f"the host app gives them the role '{staff_roles[0]}'"
    if email and User.objects.filter(email__iexact=email, is_staff=True).exists():
        return "an Opsroom staff account has their email"
    return ""


@dataclass(frozen=True)
class ImpersonationStart:
    grant: ImpersonationGrant
    token: str  # shown once; only its id is stored
    login_url: str


def impersonation_check(*, person: Person, reason: str, minutes: int, audit: AuditContext) -> None:
    """Raise ImpersonationRefused when this impersonation may not start (a refused staff
    target is audited)."""
    if not settings.OPSROOM_IMPERSONATION_SECRET:
        raise ImpersonationRefused(
            "Impersonation is not set up: set OPSROOM_IMPERSONATION_SECRET (shared with the "
            "host app, see docs/impersonation.md)."
        )
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise ImpersonationRefused(f"Give a reason of at least {MIN_REASON} characters.")
    if not 1 <= minutes <= settings.OPSROOM_IMPERSONATION_MAX_MINUTES:
        raise ImpersonationRefused(
            f"Impersonation lasts 1 to {settings.OPSROOM_IMPERSONATION_MAX_MINUTES} minutes."
        )
    if person.is_placeholder or person.status == Person.Status.DELETED:
        raise ImpersonationRefused("This person has no account to sign in to.")
    staff_reason = person_staff_reason(person)
    if staff_reason:
        audit_record(
            audit.acting_for(person_identity(person)),
            action="person.impersonate_refused",
            target=person,
            params={"why": staff_reason, "reason": reason},
        )
        raise ImpersonationRefused(
            f"Staff and admin accounts cannot be impersonated: {staff_reason}."
        )


def impersonation_start(
    *, person: Person, staff: User, reason: str, audit: AuditContext, minutes: int | None = None
) -> ImpersonationStart:
    """Grant a staff user a short impersonation of a person and sign its token."""
    minutes = settings.OPSROOM_IMPERSONATION_MINUTES if minutes is None else minutes
    impersonation_check(person=person, reason=reason, minutes=minutes, audit=audit)
    reason = reason.strip()
    with transaction.atomic():
        return _grant_create(
            person=person, staff=staff, reason=reason, minutes=minutes, audit=audit
        )


def _grant_create(
    *, person: Person, staff: User, reason: str, minutes: int, audit: AuditContext
) -> ImpersonationStart:
    secret = settings.OPSROOM_IMPERSONATION_SECRET
    now = clock.now()
    grant = ImpersonationGrant.objects.create(
        token_id=secrets.token_urlsafe(16),
        person=person,
        staff=staff,
        reason=reason,
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    token = impersonation_token_encode(
        {
            "iss": ISSUER,
            "aud": settings.OPSROOM_IMPERSONATION_AUDIENCE,
            "purpose": PURPOSE,
            "sub": person.external_id,
            "act": {"sub": staff.get_username()},
            "jti": grant.token_id,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(grant.expires_at.timestamp()),
        },
        secret=secret,
    )
    audit_record(
        audit.acting_for(person_identity(person)),
        action="person.impersonate_start",
        target=person,
        params={
            "grant": grant.token_id,
            "reason": reason,
            "minutes": minutes,
            "expires_at": grant.expires_at.isoformat(),
        },
    )
    template = settings.OPSROOM_IMPERSONATION_URL
    login_url = template.replace("{token}", quote(token, safe="")) if template else ""
    return ImpersonationStart(grant=grant, token=token, login_url=login_url)


@transaction.atomic
def impersonation_revoke(*, grant: ImpersonationGrant, audit: AuditContext) -> ImpersonationGrant:
    """End an impersonation before its time; the host app refuses its token from then on."""
    grant = ImpersonationGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None:
        return grant
    grant.revoked_at = clock.now()
    grant.revoked_by = audit.actor
    grant.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        audit.acting_for(person_identity(grant.person)),
        action="person.impersonate_revoke",
        target=grant.person,
        params={"grant": grant.token_id, "staff": grant.staff.get_username()},
    )
    return grant


def impersonation_redeem(*, token: str, audit: AuditContext) -> ImpersonationGrant:
    """The host app's one use of a token: verified, checked live, marked used and audited.

    Every refusal is audited too (an attempted use of a bad, expired, revoked or spent token);
    refusals are written outside any transaction so that raising does not undo them.
    """
    try:
        claims = impersonation_token_verify(
            token,
            secret=settings.OPSROOM_IMPERSONATION_SECRET,
            audience=settings.OPSROOM_IMPERSONATION_AUDIENCE,
            now=clock.now().timestamp(),
        )
    except InvalidToken as exc:
        _refusal(audit, str(exc), grant=None)
        raise ImpersonationRefused(f"Invalid token: {exc}.") from exc
    with transaction.atomic():
        grant = (
            ImpersonationGrant.objects.select_for_update()
            .select_related("person", "staff")
            .filter(token_id=claims["jti"])
            .first()
        )
        why = ""
        if grant is None:
            why = "unknown token id"
        elif grant.state(clock.now()) != "active":
            why = grant.state(clock.now())
        elif grant.redeemed_at is not None:
            why = "already used"
        else:
            grant.redeemed_at = clock.now()
            grant.save(update_fields=["redeemed_at"])
            _use_record(grant, audit)
            return grant
    _refusal(audit, why, grant=grant)
    raise ImpersonationRefused(
        "This token was not issued here." if grant is None else f"This token is {why}."
    )


def _use_record(grant: ImpersonationGrant, audit: AuditContext) -> None:
    acting = AuditContext(
        actor=grant.staff,
        api_key=audit.api_key,
        label=f"{grant.staff.get_username()} (via {audit.label})",
        ip=audit.ip,
        user_agent=audit.user_agent,
    )
    audit_record(
        acting.acting_for(person_identity(grant.person)),
        action="person.impersonate_use",
        target=grant.person,
        params={"grant": grant.token_id, "expires_at": grant.expires_at.isoformat()},
    )


def _refusal(audit: AuditContext, why: str, *, grant: ImpersonationGrant | None) -> None:
    if grant is not None:
        audit = audit.acting_for(person_identity(grant.person))
    audit_record(
        audit,
        action="person.impersonate_refused",
        target=grant.person if grant is not None else None,
        params={"why": why, "grant": grant.token_id if grant is not None else ""},
    )
