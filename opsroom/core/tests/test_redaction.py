import pytest

from opsroom.core.redaction import REDACTED, body_redact, payload_redact


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("paid with 4242424242424242 today", f"paid with {REDACTED} today"),
        ("order 1234567890123456", "order 1234567890123456"),  # fails Luhn: not a card
        ("auth: Bearer sk_live_abcdefgh123", f"auth: Bearer {REDACTED}"),
    ],
    ids=["card", "not-a-card", "bearer-token"],
)
def test_card_numbers_and_tokens_in_text_are_redacted(text, expected):
    assert payload_redact(text) == expected


def test_bodies_are_truncated_with_a_marker():
    body = body_redact('{"note": "' + "x" * 100 + '"}', limit=40)
    assert body.startswith('{"note":"xxx')
    assert body.endswith("chars]")
    assert "truncated" in body


def test_a_non_json_body_is_redacted_as_text():
    assert body_redact(b"password=hunter2&card=4242424242424242", limit=500) == (
        f"password=hunter2&card={REDACTED}"
    )
