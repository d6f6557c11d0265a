"""Impersonation tokens: a JWT signed with HMAC-SHA256, made by Opsroom, checked by the host app.

This module has no dependency beyond the Python standard library, so a host app written in
Python can copy it as it is; any JWT library that does HS256 verifies the same tokens. The
format and the checks are described in docs/impersonation.md.
"""

import base64
import hashlib
import hmac
import json
import time
from typing import Any

ISSUER = "opsroom"
PURPOSE = "impersonation"
ALGORITHM = "HS256"
# Opsroom's tokens are a few hundred characters; anything far longer is not one of them.
MAX_TOKEN_LENGTH = 4096


class InvalidToken(Exception):
    """The token is malformed, wrongly signed, expired or not meant for this app."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise InvalidToken("the token is not base64url") from exc


def _sign(signing_input: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()


def impersonation_token_encode(claims: dict[str, Any], *, secret: str) -> str:
    """Sign claims into a compact JWT (HS256)."""
    if not secret:
        raise ValueError("a signing secret is needed")
    header = {"alg": ALGORITHM, "typ": "JWT"}
    parts = [
        _b64encode(json.dumps(part, separators=(",", ":"), sort_keys=True).encode())
        for part in (header, claims)
    ]
    signing_input = ".".join(parts)
    return f"{signing_input}.{_b64encode(_sign(signing_input, secret))}"


def impersonation_token_verify(
    token: str, *, secret: str, audience: str, now: float | None = None, leeway: int = 30
) -> dict[str, Any]:
    """Return the claims of a valid impersonation token; raise InvalidToken otherwise.

    Checks: three parts, HS256, the signature (constant-time), issuer "opsroom", purpose
    "impersonation", the audience, not before / expiry (with `leeway` seconds of clock skew),
    and that subject, actor and token id are present.
    """
    if not secret:
        raise InvalidToken("no secret to verify with")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("the token is too long")
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise InvalidToken("a token has three dot-separated parts")
    # The signature first: nothing an attacker wrote is parsed before it holds. Only HS256
    # is accepted, so the HMAC can be checked before the header names its algorithm.
    try:
        signing_input = f"{parts[0]}.{parts[1]}"
        expected = _sign(signing_input, secret)
    except UnicodeEncodeError as exc:
        raise InvalidToken("the token is not base64url") from exc
    if not hmac.compare_digest(expected, _b64decode(parts[2])):
        raise InvalidToken("the signature does not match")
    try:
        header = json.loads(_b64decode(parts[0]))
        claims = json.loads(_b64decode(parts[1]))
    except (ValueError, RecursionError) as exc:
        raise InvalidToken("the token's header or claims are not JSON") from exc
    if not isinstance(header, dict) or header.get("alg") != ALGORITHM:
        raise InvalidToken("only HS256 tokens are accepted")
    if not isinstance(claims, dict):
        raise InvalidToken("the claims are not an object")
    if claims.get("iss") != ISSUER or claims.get("purpose") != PURPOSE:
        raise InvalidToken("not an Opsroom impersonation token")
    if claims.get("aud") != audience:
        raise InvalidToken("the token is meant for another audience")
    moment = time.time() if now is None else now
    try:
        expires = float(claims["exp"])
        not_before = float(claims["nbf"] if "nbf" in claims else claims["iat"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidToken("the token has no valid exp/iat") from exc
    if moment > expires + leeway:
        raise InvalidToken("the token has expired")
    if moment < not_before - leeway:
        raise InvalidToken("the token is not valid yet")
    actor = claims.get("act")
    if not claims.get("sub") or not claims.get("jti") or not isinstance(actor, dict):
        raise InvalidToken("the token lacks its subject, actor or id")
    if not actor.get("sub"):
        raise InvalidToken("the token lacks its actor")
    return claims
