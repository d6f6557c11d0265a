"""API keys: created by admins, shown once, stored as a SHA-256 hash, scoped, revocable."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from opsroom.core import clock
from opsroom.core.errors import Forbidden, InvalidInput
from opsroom.core.models import ApiKey, User
from opsroom.core.services.audit import AuditContext, audit_record

KEY_PREFIX = "opk"
# last_used_at is written at most this often, so busy ingest clients do not write per request.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw_key: str  # shown once; Opsroom keeps only its hash


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, scopes: list[str], audit: AuditContext) -> IssuedKey:
    """Create a key; the returned raw key is the only time its secret is visible."""
    name = name.strip()
    if not name:
        raise InvalidInput("An API key needs a name.")
    valid = set(ApiKey.Scope.values)
    unknown = sorted(set(scopes) - valid)
    if not scopes or unknown:
        raise InvalidInput(f"Scopes must be some of {sorted(valid)}; got {scopes}.")
    if audit.actor is None:
        raise Forbidden("API keys are created by a staff user.")
    prefix = secrets.token_hex(4)
    raw_key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        key_hash=_hash(raw_key),
        scopes=sorted(set(scopes)),
        created_by=audit.actor,
    )
    audit_record(
        audit, action="api_key.create", target=key, params={"name": name, "scopes": key.scopes}
    )
    return IssuedKey(api_key=key, raw_key=raw_key)


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, audit: AuditContext) -> ApiKey:
    """Revoke a key; requests with it fail from now on."""
    if api_key.revoked_at is None:
        api_key.revoked_at = clock.now()
        api_key.revoked_by = audit.actor if isinstance(audit.actor, User) else None
        api_key.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(audit, action="api_key.revoke", target=api_key)
    return api_key


def api_key_authenticate(*, raw_key: str, scope: str) -> ApiKey | None:
    """Return the active key matching `raw_key` if it holds `scope`, else None."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key = ApiKey.objects.filter(prefix=parts[1]).first()
    if key is None or not hmac.compare_digest(key.key_hash, _hash(raw_key)):
        return None
    if not key.has_scope(scope):
        return None
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
