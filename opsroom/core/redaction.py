"""Payloads are stored redacted (passwords, tokens, card data) and truncated."""

import json
import re
from typing import Any

REDACTED = "[redacted]"
_SENSITIVE_KEY = re.compile(
    r"pass(word|wd)?|secret|token|api[_-]?key|authori[sz]ation|cookie|session|"
    r"card[_-]?(number|no)?$|^pan$|cvc|cvv|ssn|iban|account[_-]?number|private[_-]?key|signature",
    re.IGNORECASE,
)
# 13-19 digit runs that pass the Luhn check are card numbers wherever they appear.
_DIGIT_RUN = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}")
MAX_DEPTH = 8


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _redact_text(text: str) -> str:
    def card(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return REDACTED if _luhn_ok(digits) else match.group(0)

    return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", _DIGIT_RUN.sub(card, text))


def payload_redact(value: Any, _depth: int = 0) -> Any:
    """Return a copy of a JSON-like value with sensitive fields and card numbers replaced."""
    if _depth > MAX_DEPTH:
        return "[too deep]"
    if isinstance(value, dict):
        return {
            str(key): REDACTED
            if _SENSITIVE_KEY.search(str(key))
            else payload_redact(item, _depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [payload_redact(item, _depth + 1) for item in value]
    if isinstance(value, str):
        return _redact_text(value)
    return value


def body_redact(body: str | bytes | dict[str, Any] | list[Any] | None, *, limit: int) -> str:
    """Redact a request or response body (JSON or text) and cut it to `limit` characters."""
    if body is None:
        return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        try:
            parsed = json.loads(body)
        except ValueError:
            text = _redact_text(body)
        else:
            text = json.dumps(payload_redact(parsed), separators=(",", ":"), ensure_ascii=False)
    else:
        text = json.dumps(payload_redact(body), separators=(",", ":"), ensure_ascii=False)
    if len(text) > limit:
        return text[:limit] + f"…[truncated {len(text) - limit} chars]"
    return text
