"""Every API operation (from the project's own OpenAPI schema) and every webhook, driven with
hostile input: deep nesting, huge numbers, wrong types, large bodies, unicode look-alikes.

Nothing may answer 5xx. Examples are derandomized and bounded, so the run is repeatable and
takes well under a minute. (A refused large body costing nothing is shown by
ingest/tests/test_webhook_hardening.py and by `make bench BENCH_ARGS=webhook_flood`.)
"""

import hashlib
import hmac
import json
import re
import time
from typing import Any
from urllib.parse import quote

import pytest
import stripe
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from config.api import api
from opsroom.core.services.apikeys import api_key_create
from opsroom.core.services.audit import AuditContext

STRIPE_SECRET = "whsec_fuzz_0123456789abcdef"
SENTRY_SECRET = "sentry-fuzz-secret-0123456789"
FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return [
        (method.upper(), path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


OPERATIONS = _operations()
FIELD_NAMES = sorted(
    {
        name
        for component in api.get_openapi_schema(path_prefix="/api/v1")
        .get("components", {})
        .get("schemas", {})
        .values()
        for name in component.get("properties", {})
    }
    | {"user_id", "attributes", "properties", "conditions", "value", "key", "token", "action"}
)
LOOK_ALIKES = [
    "\uff41dmin",  # fullwidth a
    "\u202eevil",  # right-to-left override
    "\U0001d552\U0001d555\U0001d55e\U0001d55a\U0001d55f",  # mathematical double-struck "admin"
    "A\u0301",  # combining accent
    "\x00",
    "\ud800",  # lone surrogate (escaped in JSON)
    "a__regex",
    "=cmd|' /C calc'!A0",
    "../../etc/passwd",
    "x" * 20_000,
]
NUMBERS = [10**30, -(10**30), 2**63, -(2**63) - 1, 1e308, -1e308, 1e-308, 0, -1]
scalars = st.one_of(
    st.sampled_from(LOOK_ALIKES + NUMBERS),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
RAW_BODIES = [
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b"\xff\xfe\x00garbage",
    b"1e999999",
    b'{"x": "' + b"y" * 3_000_000 + b'"}',  # past the page upload limit
    b"",
]
bodies = st.one_of(
    st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=8).map(
        lambda d: json.dumps(d).encode()
    ),
    st.lists(st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=6), max_size=3).map(
        lambda items: json.dumps(items).encode()
    ),
    values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from(RAW_BODIES),
)
path_values = st.sampled_from(
    ["1", "0", "99999999999999999999", "-1", "%EF%BC%91", "abc", "1.5", "x" * 300, "%00"]
)
query_values = st.one_of(
    st.sampled_from([*LOOK_ALIKES[:8], "[" * 5000, "-1", "1e999"]), st.text(max_size=20)
)


@pytest.fixture
def admin_key(staff_admin):
    audit = AuditContext(actor=staff_admin, label=staff_admin.username)
    return api_key_create(name="fuzz", scopes=["admin"], audit=audit).raw_key


def _quoted(value: str) -> str:
    # Percent-encoded bytes, lone surrogates included (they reach the server as invalid UTF-8).
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _call(client, method, url, body, **headers):
    return client.generic(method, url, data=body, content_type="application/json", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "operation"),
    OPERATIONS,
    ids=[f"{method} {path}" for method, path, _ in OPERATIONS],
)
def test_no_api_operation_answers_5xx_to_hostile_input(admin_key, method, path, operation):
    query_names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]

    @FUZZ
    @given(
        body=bodies,
        path_args=st.lists(path_values, min_size=4, max_size=4),
        query=st.dictionaries(st.sampled_from(query_names or ["q"]), query_values, max_size=3),
    )
    def run(body, path_args, query):
        args = iter(path_args)
        url = re.sub(r"\{[^}]+\}", lambda _: next(args), path)
        client = Client()
        response = _call(
            client,
            method,
            url + ("?" + "&".join(f"{k}={_quoted(v)}" for k, v in query.items()) if query else ""),
            body if method in ("POST", "PUT", "PATCH", "DELETE") else b"",
            HTTP_AUTHORIZATION=f"Bearer {admin_key}",
        )
        assert response.status_code < 500, (method, url, response.content[:300])

    run()


KNOWN_BODIES = [
    *RAW_BODIES,
    b'{"conditions": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"token": "' + b"a" * 100_000 + b'"}',
    b'[{"user_id": "u", "attributes": ' + b'{"a":' * 900 + b"1" + b"}" * 900 + b"}]",
]
KNOWN_QUERY = ["[" * 5000 + "]" * 5000, "1e999", "-1", "99999999999999999999", "\uff11", "%00"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "operation"),
    OPERATIONS,
    ids=[f"{method} {path}" for method, path, _ in OPERATIONS],
)
def test_every_api_operation_survives_the_known_hostile_inputs(admin_key, method, path, operation):
    """The inputs an outside test used, each in every body and every query parameter."""
    url = re.sub(r"\{[^}]+\}", "1", path)
    query_names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    calls = [(url, body) for body in KNOWN_BODIES] if method != "GET" else []
    calls += [
        (f"{url}?{name}={_quoted(value)}", b"{}") for name in query_names for value in KNOWN_QUERY
    ]
    client = Client()
    for target, body in calls:
        response = _call(
            client,
            method,
            target,
            body if method != "GET" else b"",
            HTTP_AUTHORIZATION=f"Bearer {admin_key}",
        )
        assert response.status_code < 500, (method, target[:120], response.content[:300])


@pytest.fixture
def webhook_secrets(settings):
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_SECRET
    settings.SENTRY_CLIENT_SECRET = SENTRY_SECRET
    settings.OPSROOM_EMAIL_ESP = "postmark"
    settings.ANYMAIL = {"WEBHOOK_SECRET": "esp:secret"}


STRIPE_TYPES = [
    "customer.created",
    "customer.updated",
    "customer.subscription.updated",
    "invoice.paid",
    "charge.refunded",
    "charge.failed",
    "unknown.type",
]
stripe_objects = st.fixed_dictionaries(
    {"id": values, "customer": values, "status": values},
    optional=dict.fromkeys(
        [
            "items",
            "metadata",
            "current_period_end",
            "amount",
            "unit_amount",
            "created",
            "plan",
            "quantity",
            "discount",
            "email",
            "invoice",
            "payment_method_details",
            "total_taxes",
            "status_transitions",
            "amount_refunded",
        ],
        values,
    ),
)
stripe_events = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=20) | values,
        "type": st.sampled_from(STRIPE_TYPES) | values,
        "created": st.sampled_from([1_700_000_000, 1e20, -5, "now", None]) | st.integers(),
        "data": st.fixed_dictionaries({"object": stripe_objects}) | values,
    }
)


@pytest.mark.django_db
@FUZZ
@example(event=[1, 2, 3], signed=True)
@example(event={"id": "e", "type": "customer.created", "created": 1e20, "data": {}}, signed=True)
@example(
    event={
        "id": "e",
        "type": "customer.subscription.updated",
        "created": 1_700_000_000,
        "data": {
            "object": {"id": "s", "customer": "c", "status": "active", "current_period_end": 1e20}
        },
    },
    signed=True,
)
@given(event=stripe_events | values, signed=st.booleans())
def test_the_stripe_webhook_never_answers_5xx(webhook_secrets, event, signed):
    body = json.dumps(event)
    header = (
        stripe.WebhookSignature.generate_signature_header(body, STRIPE_SECRET, int(time.time()))
        if signed
        else "t=1,v1=00"
    )
    response = Client().post(
        "/webhooks/stripe/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    assert response.status_code < 500, response.content[:300]


sentry_errors = st.fixed_dictionaries(
    {"event_id": values},
    optional=dict.fromkeys(
        [
            "datetime",
            "timestamp",
            "user",
            "tags",
            "title",
            "message",
            "fingerprint",
            "level",
            "issue_id",
        ],
        values,
    ),
)


@pytest.mark.django_db
@FUZZ
@example(
    payload={"action": "created", "data": {"error": {"event_id": "e1", "datetime": 1e300}}},
    resource="error",
    raw=None,
)
@given(
    payload=st.fixed_dictionaries(
        {
            "action": st.sampled_from(["created", "resolved"]) | values,
            "data": st.fixed_dictionaries({"error": sentry_errors})
            | st.fixed_dictionaries({"issue": sentry_errors})
            | values,
        }
    )
    | values,
    resource=st.sampled_from(["error", "issue", "event_alert", "installation", "\uff45rror"]),
    raw=st.sampled_from([None, *RAW_BODIES[:4]]),
)
def test_the_sentry_webhook_never_answers_5xx(webhook_secrets, payload, resource, raw):
    body = raw if raw is not None else json.dumps(payload).encode()
    signature = hmac.new(SENTRY_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = Client().post(
        "/webhooks/sentry/",
        data=body,
        content_type="application/json",
        HTTP_SENTRY_HOOK_RESOURCE=resource,
        HTTP_SENTRY_HOOK_SIGNATURE=signature,
    )
    assert response.status_code < 500, response.content[:300]


@pytest.mark.django_db
@FUZZ
@given(
    body=bodies,
    kind=st.sampled_from(["tracking", "inbound"]),
    authorized=st.booleans(),
)
def test_the_email_webhooks_never_answer_5xx(webhook_secrets, body, kind, authorized):
    import base64

    credentials = base64.b64encode(b"esp:secret" if authorized else b"esp:nope").decode()
    response = Client().post(
        f"/webhooks/email/{kind}/",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert response.status_code < 500, response.content[:300]
