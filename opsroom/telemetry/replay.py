"""Replaying a recorded API request against the staging base URL (OPSROOM_REPLAY_BASE_URL).

A direct call from an admin's request, not an outbox side effect: the admin waits for the
answer to compare it with the recorded one. Refused when replay is off, when the base URL is a
production host (the host app's webhook or impersonation URL, or one listed in
OPSROOM_REPLAY_PRODUCTION_HOSTS) unless OPSROOM_REPLAY_ALLOW_PRODUCTION is set; limited by
OPSROOM_REPLAY_TIMEOUT; audited. Recorded bodies were stored redacted, so a replay sends the
redacted body; with impersonation set up, it carries a short-lived token for the person.
"""

import json
import shlex
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from opsroom.core import clock
from opsroom.core.errors import Conflict, Forbidden
from opsroom.core.redaction import body_redact
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.people.impersonation_token import impersonation_token_encode
from opsroom.telemetry.models import ApiRequest, RequestReplay

RESPONSE_LIMIT = 4000
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def replay_production_hosts() -> set[str]:
    """Hosts a replay must not reach unless production replays are allowed."""
    hosts = {host.lower() for host in settings.OPSROOM_REPLAY_PRODUCTION_HOSTS}
    for url in (settings.OPSROOM_HOST_WEBHOOK_URL, settings.OPSROOM_IMPERSONATION_URL):
        if url:
            hosts.add(_host(url))
    return {host for host in hosts if host}


def replay_refusal() -> str:
    """Why replay cannot run now, or an empty string when it can."""
    base = settings.OPSROOM_REPLAY_BASE_URL
    if not base:
        return "Replay is off: set OPSROOM_REPLAY_BASE_URL to your staging API's base URL."
    if urlsplit(base).scheme not in ("http", "https") or not _host(base):
        return "OPSROOM_REPLAY_BASE_URL must be an http(s) URL."
    if _host(base) in replay_production_hosts() and not settings.OPSROOM_REPLAY_ALLOW_PRODUCTION:
        return (
            f"OPSROOM_REPLAY_BASE_URL points at a production host ({_host(base)}); replays go "
            "to staging only (set OPSROOM_REPLAY_ALLOW_PRODUCTION to override)."
        )
    return ""


def replay_url(api_request: ApiRequest) -> str:
    """Where a replay of this request goes."""
    path = api_request.path or api_request.route
    return urljoin(settings.OPSROOM_REPLAY_BASE_URL.rstrip("/") + "/", path.lstrip("/"))


def api_request_curl(api_request: ApiRequest, *, base_url: str = "") -> str:
    """The request as a curl command (its body as recorded, redacted)."""
    base = base_url or settings.OPSROOM_REPLAY_BASE_URL or "https://api.example.com"
    url = urljoin(base.rstrip("/") + "/", (api_request.path or api_request.route).lstrip("/"))
    parts = ["curl", "-X", api_request.method, url]
    if api_request.request_body:
        parts += ["-H", "Content-Type: application/json", "--data-raw", api_request.request_body]
    return " ".join(shlex.quote(part) for part in parts)


def _token(api_request: ApiRequest) -> str:
    person = api_request.person
    if person is None or not settings.OPSROOM_IMPERSONATION_SECRET:
        return ""
    now = clock.now()
    claims = {
        "jti": uuid.uuid4().hex,
        "sub": person.external_id,
        "aud": settings.OPSROOM_IMPERSONATION_AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=2)).timestamp()),
        "purpose": "replay",
    }
    return impersonation_token_encode(claims, secret=settings.OPSROOM_IMPERSONATION_SECRET)


def api_request_replay(*, api_request: ApiRequest, audit: AuditContext) -> RequestReplay:
    """Send a recorded request to staging now and keep the answer beside the recorded one."""
    if audit.actor is None or not audit.actor.has_perm("telemetry.replay_apirequest"):
        raise Forbidden("Only admins may replay requests.")
    refusal = replay_refusal()
    if refusal:
        raise Conflict(refusal)
    url = replay_url(api_request)
    body = api_request.request_body.encode() if api_request.request_body else None
    if api_request.method in _SAFE_METHODS:
        body = None
    headers = {"User-Agent": "Opsroom-Replay", "X-Opsroom-Replay-Of": api_request.request_id}
    if body is not None:
        headers["Content-Type"] = "application/json"
    token = _token(api_request)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 - the operator's staging URL, checked above
        url, data=body, method=api_request.method, headers=headers
    )
    started = time.monotonic()
    status, answer, error = None, "", ""
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.OPSROOM_REPLAY_TIMEOUT
        ) as response:
            status, answer = (
                response.status,
                response.read(RESPONSE_LIMIT * 4).decode("utf-8", "replace"),
            )
    except urllib.error.HTTPError as exc:
        status, answer = exc.code, exc.read(RESPONSE_LIMIT * 4).decode("utf-8", "replace")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    elapsed = (time.monotonic() - started) * 1000
    replay = RequestReplay.objects.create(
        api_request=api_request,
        url=url[:800],
        status=status,
        duration_ms=round(elapsed, 1),
        response_body=body_redact(_parsed(answer), limit=RESPONSE_LIMIT) if answer else "",
        error=error,
        replayed_by=audit.label[:150],
    )
    audit_record(
        audit,
        action="api_request.replay",
        target=api_request,
        params={"url": url, "status": status, "error": error, "replay": replay.pk,
                "impersonated": bool(token)},
    )  # fmt: skip
    return replay


def _parsed(answer: str) -> str | dict[str, Any] | list[Any]:
    try:
        parsed = json.loads(answer)
    except ValueError:
        return answer
    return parsed if isinstance(parsed, dict | list) else answer
