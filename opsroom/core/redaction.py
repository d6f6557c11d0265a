"""Free-form data from outside is stored redacted (secrets, card numbers) and truncated.

Every free-form field on the way in goes through here: error messages and tags, event
properties, profile attributes, API request paths and bodies, webhook payloads. What counts
as a secret (docs/operating.md, "What is redacted"):

- the value of a key that names a secret (password, token, otp, pin, jwt, api key, cookie,
  card number...), in JSON, in `key=value` / `key: value` text and in query strings, whatever
  the value's type (booleans are kept: `password_set: true` is not a secret);
- credentials after an auth scheme (`Bearer`, `Basic`, `Token`, `Digest`...), JSON web
  tokens, well-known key formats (Stripe, GitHub, Slack, AWS, Google, Opsroom keys) and the
  password in a URL;
- card numbers: 13-19 digits starting 2-6 that pass the Luhn check, in text (with spaces,
  dashes, dots or plus signs, or glued to letters) or as a JSON number.
"""

import base64
import binascii
import json
import re
from functools import lru_cache
from itertools import pairwise
from typing import Any

import orjson

from opsroom.core.jsonshape import json_shape_problem

REDACTED = "[redacted]"
MAX_DEPTH = 8

# Words that make a key secret wherever they stand in it ("id_jwt", "X-Auth-Token").
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "passcode",
        "secret",
        "token",
        "apikey",
        "authorization",
        "cookie",
        "otp",
        "totp",
        "hotp",
        "pin",
        "cvc",
        "cvv",
        "cvv2",
        "csc",
        "ssn",
        "iban",
        "jwt",
        "bearer",
        "credential",
        "credentials",
        "signature",
        "privatekey",
        "sessionid",
        "cardnumber",
    }
)
# Keys that are secret as a whole, or through two of their words together.
_SECRET_KEYS = frozenset(
    {
        "auth",
        "pass",
        "pw",
        "pan",
        "card",
        "session",
        "sid",
        "apikey",
        "privatekey",
        "accesskey",
        "secretkey",
        "sessionid",
        "sessionkey",
        "cardnumber",
        "cardno",
        "cardnum",
        "creditcard",
        "accountnumber",
        "securitycode",
        "setcookie",
        "mfacode",
        "verificationcode",
    }
)
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


@lru_cache(maxsize=4096)
def key_is_secret(key: str) -> bool:
    """Whether a field named `key` holds a secret ('password', 'id_jwt', 'cardNumber'...)."""
    words = [word.lower() for word in _WORD.findall(key)]
    if not words:
        return False
    if "".join(words) in _SECRET_KEYS or any(word in _SECRET_WORDS for word in words):
        return True
    return any(first + second in _SECRET_KEYS for first, second in pairwise(words))


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and _luhn_ok(digits)


# A cheap first look: text without any of these holds nothing to redact.
_MAYBE = re.compile(
    r"\d{4}|[=:]|eyJ|_(?:live|test)_|whsec_|opk_|AKIA|AIza|xox|gh[pousr]_"
    r"|(?:bearer|basic|digest|token|api-?key|jwt|negotiate)\s",
    re.IGNORECASE,
)
_CARD = re.compile(r"(?<!\d)[2-6](?:[ .+\-]?\d){12,18}(?!\d)")
_JWT = re.compile(r"\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
_KNOWN_KEY = re.compile(
    r"\b(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}|whsec_[A-Za-z0-9]{8,}|opk_[A-Za-z0-9_]{8,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}"
    r"|AIza[0-9A-Za-z_-]{35})"
)
_SCHEME = re.compile(
    r"(?i)\b(bearer|basic|digest|token|apikey|api-key|jwt|negotiate)(\s+)([A-Za-z0-9._~+/=-]{6,})"
)
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@]*):([^/\s@]+)@")
_KEY_SEP = re.compile(r"""(?P<key>[A-Za-z_][A-Za-z0-9_.\-\[\]]{0,63})["']?\s*[:=]\s*""")
_VALUE = re.compile(
    r""""(?:[^"\\]|\\.)*"|'[^']*'|(?:(?i:bearer|basic|token|digest)\s+)?[^\s&,;#"'<>]+"""
)


def _credential(match: re.Match[str]) -> str:
    scheme, space, credential = match.groups()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credential + "=" * (-len(credential) % 4), validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if b":" in decoded:
            return f"{scheme}{space}{REDACTED}"
    # Words after "token" or "basic" in prose ("Token verification failed") are not secrets.
    if len(credential) >= 20 or re.search(r"[\d._~+/=-]", credential):
        return f"{scheme}{space}{REDACTED}"
    return match.group(0)


def _pairs_redact(text: str) -> str:
    """The values of `secret_key=value` and `secret_key: value` pairs replaced."""
    parts: list[str] = []
    position = 0
    for match in _KEY_SEP.finditer(text):
        if match.start() < position or not key_is_secret(match.group("key")):
            continue
        value = _VALUE.match(text, match.end())
        if value is None:
            continue
        quote = value.group(0)[0] if value.group(0)[:1] in ("'", '"') else ""
        parts.append(text[position : match.end()] + f"{quote}{REDACTED}{quote}")
        position = value.end()
    return "".join(parts) + text[position:] if parts else text


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return REDACTED if _is_card(digits) else match.group(0)


def text_redact(text: str) -> str:
    """Free text with secrets, credentials and card numbers replaced by [redacted]."""
    if len(text) < 6 or not _MAYBE.search(text):
        return text
    text = _JWT.sub(REDACTED, text)
    text = _KNOWN_KEY.sub(REDACTED, text)
    text = _SCHEME.sub(_credential, text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{REDACTED}@", text)
    text = _pairs_redact(text)
    return _CARD.sub(_card, text)


def _number_redact(value: int | float) -> int | float | str:
    if isinstance(value, float):
        if not value.is_integer() or not 1e12 <= abs(value) < 1e19:
            return value
        digits = str(int(abs(value)))
    else:
        digits = str(abs(value))
    return REDACTED if _is_card(digits) else value


def _secret_value(value: Any) -> Any:
    # A boolean or a null says whether a secret is set, not what it is.
    return value if value is None or isinstance(value, bool) else REDACTED


def payload_redact(value: Any, *, max_depth: int = MAX_DEPTH, _depth: int = 0) -> Any:
    """A copy of a JSON-like value with secrets and card numbers replaced (cut at max_depth)."""
    if isinstance(value, str):
        return text_redact(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return _number_redact(value)
    if _depth >= max_depth:
        return "[too deep]"
    if isinstance(value, dict):
        return {
            str(key): _secret_value(item)
            if key_is_secret(str(key))
            else payload_redact(item, max_depth=max_depth, _depth=_depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [payload_redact(item, max_depth=max_depth, _depth=_depth + 1) for item in value]
    return text_redact(str(value))


def body_redact(body: str | bytes | dict[str, Any] | list[Any] | None, *, limit: int) -> str:
    """Redact a request or response body (JSON, form-encoded or text) and cut it to `limit`."""
    if body is None:
        return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        text = _json_text_redact(body)
    else:
        text = json.dumps(payload_redact(body), separators=(",", ":"), ensure_ascii=False)
    if len(text) > limit:
        return text[:limit] + f"…[truncated {len(text) - limit} chars]"
    return text


def _json_text_redact(body: str) -> str:
    stripped = body.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            return text_redact(body)
        if json_shape_problem(parsed) is None:
            return json.dumps(payload_redact(parsed), separators=(",", ":"), ensure_ascii=False)
    return text_redact(body)
