"""API calls of the host app: routes, latencies, status codes, bodies, and the errors they raise.

Errors are simulated for the whole history; request logs are written only for the last
`API_LOG_DAYS` days, as a host app would ship and retain them.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from opsroom.demo.world.profile import call_profile
from opsroom.demo.world.releases import TIMED_OUT_ERRORS, ErrorDef
from opsroom.demo.world.state import PersonSim

if TYPE_CHECKING:
    from opsroom.demo.world.context import World

API_LOG_DAYS = 45


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    median_ms: float
    sigma: float
    queries: int
    client_error_rate: float = 0.0
    client_error_status: int = 400

    @property
    def key(self) -> str:
        return f"{self.method} {self.pattern}"


ROUTES = {
    route.key: route
    for route in (
        Route("GET", "/api/me", 24, 0.35, 3, 0.004, 401),
        Route("POST", "/api/auth/login", 180, 0.3, 4, 0.03, 401),
        Route("POST", "/api/auth/refresh", 35, 0.3, 2, 0.002, 401),
        Route("GET", "/api/meal-plans/current", 62, 0.45, 9),
        Route("GET", "/api/meal-plans/{id}", 55, 0.45, 8, 0.002, 404),
        Route("POST", "/api/meal-plans", 140, 0.5, 21, 0.004, 400),
        Route("POST", "/api/meal-plans/from-template", 210, 0.45, 34),
        Route("GET", "/api/meal-plans/{id}/export.pdf", 950, 0.5, 12),
        Route("GET", "/api/recipes/search", 118, 0.55, 6),
        Route("GET", "/api/recipes/{id}", 46, 0.4, 5, 0.003, 404),
        Route("POST", "/api/recipes/{id}/save", 58, 0.35, 4),
        Route("POST", "/api/recipes/generate", 2900, 0.55, 7, 0.01, 429),
        Route("POST", "/api/kids", 75, 0.35, 6, 0.01, 400),
        Route("POST", "/api/kids/{id}/food-attempts", 68, 0.4, 7, 0.004, 400),
        Route("POST", "/api/grocery-lists", 160, 0.5, 28),
        Route("POST", "/api/coach/messages", 2100, 0.5, 6, 0.008, 429),
        Route("PATCH", "/api/settings", 45, 0.3, 4, 0.01, 400),
        Route("GET", "/api/billing/plans", 40, 0.3, 2),
        Route("POST", "/api/billing/checkout-session", 420, 0.4, 5),
        Route("POST", "/api/billing/payment-method", 610, 0.4, 6, 0.05, 402),
    )
}

_UA_IOS = "LittleBites/{v} (iPhone; iOS 17.{m}; Scale/3.00)"
_UA_ANDROID = "LittleBites/{v} (Linux; Android 14; okhttp/4.12.0)"
_UA_WEB = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
)


def user_agent(person: PersonSim, app_version: str) -> str:
    if person.platform == "ios":
        return _UA_IOS.format(v=app_version, m=person.index % 6)
    if person.platform == "android":
        return _UA_ANDROID.format(v=app_version)
    return _UA_WEB


def api_call(
    world: "World",
    person: PersonSim,
    route_key: str,
    at: datetime,
    *,
    object_id: str = "",
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
) -> tuple[int, ErrorDef | None]:
    """Serve one call: maybe raise an error, log it inside the log window; status and error."""
    rng = world.rng
    route = ROUTES[route_key]
    status = 201 if route.method == "POST" else 200
    if at >= world.horizon:  # a session running past the end of the simulation
        return status, None
    error = world.error_for(person, route_key, at, context)
    if error is not None:
        if error.web_only:
            world.error_record(person, error, at, endpoint="/meal-plans/[id]", request_id="")
            error = None
        else:
            status = error.status
    elif route.client_error_rate and rng.random() < route.client_error_rate:
        status = route.client_error_status
    if at < world.api_log_from:
        if error is not None:
            world.error_record(person, error, at, endpoint=route_key, request_id="")
        return status, error
    request_id = "req_" + world.ids.hex(80)
    if error is not None:
        world.error_record(person, error, at, endpoint=route_key, request_id=request_id)
    duration = route.median_ms * math.exp(rng.gauss(0, route.sigma))
    if error is not None and error.key in TIMED_OUT_ERRORS:
        duration = 30000 + rng.random() * (80 if error.key == "llm-timeout" else 40)
    elif rng.random() < 0.01:
        duration *= 4 + rng.random() * 6  # the slow tail
    queries = max(1, route.queries + int(rng.gauss(0, 1.5)))
    body: dict[str, Any] | None = response
    if error is not None:
        body = {"error": "internal_error", "message": "Something went wrong on our side."}
        if status in (503, 504):
            body = {"error": "unavailable", "message": "Please try again in a moment."}
    elif status >= 400:
        body = _client_error_body(status)
    app_version = world.releases.app_version_at(at, lag=person.app_lag)
    db_ms = round(duration * min(0.8, 0.04 * queries) * rng.random(), 1)
    profile = call_profile(
        seed=world.config.seed,
        request_id=request_id,
        route_key=route_key,
        duration_ms=duration,
        db_ms=db_ms,
        queries=queries,
    )
    world.batch.api_requests.append(
        {
            **profile,
            "request_id": request_id,
            "_person": person.external_id,
            "method": route.method,
            "route": route.pattern,
            "path": route.pattern.replace("{id}", object_id) if object_id else route.pattern,
            "status": status,
            "duration_ms": round(duration, 1),
            "query_count": queries,
            "db_time_ms": db_ms,
            "request_body": request if request is not None else "",
            "response_body": body if body is not None else "",
            "user_agent": user_agent(person, app_version),
            "release": world.releases.api_release_at(at),
            "occurred_at": at,
            "received_at": at + timedelta(seconds=rng.randint(5, 90)),
        }
    )
    return status, error


def _client_error_body(status: int) -> dict[str, Any]:
    bodies: dict[int, dict[str, Any]] = {
        400: {"error": "invalid_request", "detail": [{"loc": ["body"], "msg": "field required"}]},
        401: {"error": "unauthorized", "message": "Session expired. Please sign in again."},
        402: {"error": "card_declined", "message": "Your card was declined."},
        404: {"error": "not_found", "message": "Not found."},
        429: {"error": "rate_limited", "message": "Too many requests.", "retry_after": 60},
    }
    return bodies.get(status, {"error": "error"})


def login_bodies(person: PersonSim, world: "World") -> tuple[dict[str, Any], dict[str, Any]]:
    """A sign-in request and response: both hold secrets the log must redact."""
    request = {
        "email": person.email,
        "password": "".join(world.rng.choices("abcdefghjkmnpqrstuvwxyz23456789!", k=12)),
        "device": person.platform,
    }
    response = {
        "access_token": "eyJhbGciOiJIUzI1NiJ9." + world.ids.hex(96),
        "refresh_token": "rt_" + world.ids.hex(64),
        "user": {"id": person.external_id, "email": person.email},
    }
    return request, response


def payment_method_bodies(person: PersonSim, last4: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Updating the card: the app sends a tokenised method; a support note carries raw digits."""
    request = {
        "payment_method": "pm_card_" + last4,
        "billing_details": {"name": person.name, "email": person.email},
        # Some clients still echo what was typed: the log must never keep it.
        "debug_card_number": "4242 4242 4242 4242",
        "cvc": "123",
    }
    return request, {"ok": True, "card": {"last4": last4}}


def errors_by_route(errors: list[ErrorDef]) -> dict[str, tuple[ErrorDef, ...]]:
    """Which errors each route can raise (those for every route are checked separately)."""
    table: dict[str, list[ErrorDef]] = {key: [] for key in ROUTES}
    for error in errors:
        for route in error.routes:
            table[route].append(error)
    return {key: tuple(found) for key, found in table.items()}
