"""Redaction against a corpus of secret shapes (and of look-alikes that are not secrets)."""

import json

import pytest

from opsroom.core import redaction
from opsroom.core.redaction import REDACTED, body_redact, payload_redact


def text_redact(text):
    return redaction.text_redact(text)


def key_is_secret(key):
    return redaction.key_is_secret(key)


def luhn_complete(prefix: str, length: int) -> str:
    """A card number of `length` digits starting with `prefix`, with a valid check digit."""
    body = prefix + "3" * (length - len(prefix) - 1)
    for check in "0123456789":
        digits = body + check
        total = 0
        for index, char in enumerate(reversed(digits)):
            value = int(char)
            if index % 2 == 1:
                value = value * 2 - 9 if value > 4 else value * 2
            total += value
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


CARDS = [
    "4242424242424242",  # Visa test card
    "4111111111111111",
    "5555555555554444",  # Mastercard
    "2223003122003222",  # Mastercard 2-series
    "378282246310005",  # Amex (15)
    "6011111111111117",  # Discover
    "3566002020360505",  # JCB
    luhn_complete("4", 13),
    luhn_complete("62", 19),  # UnionPay, 19 digits
]
FORMATS = [
    ("plain", lambda n: n),
    ("spaces", lambda n: " ".join(n[i : i + 4] for i in range(0, len(n), 4))),
    ("dashes", lambda n: "-".join(n[i : i + 4] for i in range(0, len(n), 4))),
    ("dots", lambda n: ".".join(n[i : i + 4] for i in range(0, len(n), 4))),
    ("plus", lambda n: "+".join(n[i : i + 4] for i in range(0, len(n), 4))),
    ("glued-to-letters", lambda n: f"card{n}exp"),
    ("in-a-sentence", lambda n: f"I paid with {n}, thanks"),
    ("in-a-query", lambda n: f"/pay?number={n}&ok=1"),
]


@pytest.mark.parametrize("card", CARDS)
@pytest.mark.parametrize(("style", "shape"), FORMATS, ids=[f[0] for f in FORMATS])
def test_a_card_number_in_any_format_is_redacted(card, style, shape):
    text = shape(card)
    redacted = text_redact(text)
    assert card[-4:] not in redacted.replace("[redacted]", "") or card[-4:] in text.split(card)[0]
    assert REDACTED in redacted


@pytest.mark.parametrize("card", CARDS)
def test_a_card_number_sent_as_a_json_number_is_redacted(card):
    assert payload_redact({"n": int(card)}) == {"n": REDACTED}
    if len(card) <= 15:  # exact as a float
        assert payload_redact([float(card)]) == [REDACTED]


@pytest.mark.parametrize(
    "text",
    [
        "order 1234567890123456",  # fails the Luhn check
        "timestamp 1718000000000",  # 13 digits, millisecond time, starts with 1
        "phone +44 20 7946 0958",
        "on 2026-03-10 10:30:45",
        "ip 192.168.100.200",
        "Token verification failed for user 42",
        "Basic information about the plan",
        "session_count=3&tokens_used=1200",
        "recipe_viewed",
    ],
)
def test_look_alikes_are_kept(text):
    assert text_redact(text) == text


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "Password",
        "passwd",
        "pwd",
        "new_password",
        "passwordConfirmation",
        "secret",
        "client_secret",
        "token",
        "access_token",
        "refreshToken",
        "X-Auth-Token",
        "api_key",
        "apiKey",
        "x-api-key",
        "Authorization",
        "cookie",
        "Set-Cookie",
        "session",
        "sessionid",
        "session_id",
        "otp",
        "totp_code",
        "pin",
        "pin_code",
        "id_jwt",
        "jwt",
        "cvc",
        "cvv",
        "ssn",
        "iban",
        "card",
        "cardNumber",
        "card_number",
        "credit_card",
        "account_number",
        "private_key",
        "signature",
        "credentials",
        "mfa_code",
    ],
)
def test_secret_key_names_are_recognised(key):
    assert key_is_secret(key)
    assert payload_redact({key: "s3cr3t-value"}) == {key: REDACTED}
    assert payload_redact({key: 123456}) == {key: REDACTED}
    assert text_redact(f"{key}=s3cr3t-value&x=1") == f"{key}={REDACTED}&x=1"


@pytest.mark.parametrize(
    "key",
    [
        "prompt_tokens",
        "tokens_used",
        "session_count",
        "is_pinned",
        "card_brand",
        "card_last4",
        "passport_country",
        "email",
        "plan",
        "spinner",
        "opt_in",
        "keyboard",
    ],
)
def test_ordinary_key_names_are_kept(key):
    assert not key_is_secret(key)
    assert payload_redact({key: "value"}) == {key: "value"}


def test_booleans_under_secret_keys_are_kept():
    assert payload_redact({"password_set": True, "otp_enabled": False, "pin": None}) == {
        "password_set": True,
        "otp_enabled": False,
        "pin": None,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abcdefgh123", f"Authorization: {REDACTED}"),
        ("auth: Bearer sk_live_abcdefgh123", f"auth: {REDACTED}"),
        ("header Bearer abc.def.ghi12", f"header Bearer {REDACTED}"),
        ("Token 9f8e7d6c5b4a3f2e", f"Token {REDACTED}"),
        ("token abcdefghijklmnopqrstuvwxyz", f"token {REDACTED}"),
        ("Basic dXNlcjpwYXNz", f"Basic {REDACTED}"),
        ("Digest username=x, response=6629fae49393a05397450978507c4ef1", None),
        ("ApiKey 0123456789abcdef", f"ApiKey {REDACTED}"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_part", None),
        ("key sk_live_51Habcdefghijklmno", f"key {REDACTED}"),
        ("key sk_test_51Habcdefghijklmno", f"key {REDACTED}"),
        ("secret whsec_abcdefghijklmnop", f"secret: {REDACTED}".replace(": ", " ")),
        ("opsroom opk_ab12cd34_secretpart123", f"opsroom {REDACTED}"),
        ("gh ghp_abcdefghijklmnopqrstuvwxyz0123", f"gh {REDACTED}"),
        ("aws AKIAIOSFODNN7EXAMPLE", f"aws {REDACTED}"),
        ("db postgres://app:s3cret@db:5432/x", f"db postgres://app:{REDACTED}@db:5432/x"),
    ],
)
def test_auth_schemes_and_key_formats_are_redacted(text, expected):
    redacted = text_redact(text)
    if expected is None:
        assert REDACTED in redacted
    else:
        assert redacted == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("password=hunter2", f"password={REDACTED}"),
        (
            "username=ann&password=hunter2&remember=1",
            f"username=ann&password={REDACTED}&remember=1",
        ),
        ("token=abc&otp=123456", f"token={REDACTED}&otp={REDACTED}"),
        ("/reset?token=abc123&email=a@b.c", f"/reset?token={REDACTED}&email=a@b.c"),
        (
            "https://x.io/cb?code=1&access_token=zzz#f",
            f"https://x.io/cb?code=1&access_token={REDACTED}#f",
        ),
        ("password: hunter2", f"password: {REDACTED}"),
        ('{"password": "hunter 2"', f'{{"password": "{REDACTED}"'),
        ("pin=1234", f"pin={REDACTED}"),
        ("user[password]=x", f"user[password]={REDACTED}"),
    ],
)
def test_secrets_in_form_bodies_text_and_query_strings_are_redacted(text, expected):
    assert text_redact(text) == expected


def test_sensitive_keys_are_redacted_at_any_depth():
    payload = {
        "email": "jane@example.com",
        "password": "hunter2",
        "nested": {"api_key": "abc", "items": [{"cardNumber": "4242 4242 4242 4242"}]},
        "Authorization": "Bearer abc.def",
    }
    assert payload_redact(payload) == {
        "email": "jane@example.com",
        "password": REDACTED,
        "nested": {"api_key": REDACTED, "items": [{"cardNumber": REDACTED}]},
        "Authorization": REDACTED,
    }


def test_bodies_are_truncated_with_a_marker():
    body = body_redact('{"note": "' + "x" * 100 + '"}', limit=40)
    assert body.startswith('{"note":"xxx')
    assert body.endswith("chars]")
    assert "truncated" in body


def test_a_form_encoded_body_is_redacted():
    assert body_redact(b"password=hunter2&card=4242424242424242", limit=500) == (
        f"password={REDACTED}&card={REDACTED}"
    )


def test_a_json_body_is_redacted_as_json_and_a_deep_one_as_text():
    assert json.loads(body_redact('{"otp": 123456, "n": 1}', limit=500)) == {
        "otp": REDACTED,
        "n": 1,
    }
    deep = '{"password": "x", "a": ' + "[" * 3000 + "]" * 3000 + "}"
    assert '"password": "[redacted]"' in body_redact(deep, limit=100)
