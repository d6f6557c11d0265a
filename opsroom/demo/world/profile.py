"""What the host app's request profiler reports with each API call: the user action behind it,
time in external services, and, for a sample of calls, the database queries it ran.

Two routes carry a planted N+1: creating a grocery list reads each recipe's ingredients with one
query per recipe, and a plan from a template inserts its entries one by one. Everything here
draws from its own random stream per request, so the rest of the world is unchanged by it.
"""

import random
from typing import Any

SPAN_SAMPLE = 0.1  # the share of calls whose query spans the host app sends

ACTIONS = {
    "GET /api/me": "app.open",
    "POST /api/auth/login": "auth.login",
    "POST /api/auth/refresh": "app.open",
    "GET /api/meal-plans/current": "home.open",
    "GET /api/meal-plans/{id}": "meal_plan.open",
    "POST /api/meal-plans": "meal_plan.create",
    "POST /api/meal-plans/from-template": "meal_plan.from_template",
    "GET /api/meal-plans/{id}/export.pdf": "meal_plan.export",
    "GET /api/recipes/search": "recipes.search",
    "GET /api/recipes/{id}": "recipe.open",
    "POST /api/recipes/{id}/save": "recipe.save",
    "POST /api/recipes/generate": "recipe.generate",
    "POST /api/kids": "kids.add",
    "POST /api/kids/{id}/food-attempts": "kids.log_attempt",
    "POST /api/grocery-lists": "grocery_list.create",
    "POST /api/coach/messages": "coach.ask",
    "PATCH /api/settings": "settings.save",
    "GET /api/billing/plans": "paywall.open",
    "POST /api/billing/checkout-session": "paywall.subscribe",
    "POST /api/billing/payment-method": "billing.update_card",
}

# The share of a call's time spent calling other services (the LLM, Stripe).
EXTERNAL_SHARE = {
    "POST /api/recipes/generate": 0.9,
    "POST /api/coach/messages": 0.85,
    "POST /api/billing/checkout-session": 0.65,
    "POST /api/billing/payment-method": 0.7,
}

# The query run once per row: (route, SQL as Django passes it, queries that are not it).
_REPEATED = {
    "POST /api/grocery-lists": (
        'SELECT "recipe_ingredient"."id", "recipe_ingredient"."name", "recipe_ingredient"."qty" '
        'FROM "recipe_ingredient" WHERE "recipe_ingredient"."recipe_id" = %s',
        5,
    ),
    "POST /api/meal-plans/from-template": (
        'INSERT INTO "meal_plan_entry" ("plan_id", "recipe_id", "day", "slot") '
        "VALUES (%s, %s, %s, %s)",
        6,
    ),
}

_TABLES = ("person", "household", "kid", "meal_plan", "recipe", "subscription", "settings")


def _query(n: int) -> str:
    """The n-th distinct query of a call: a table and a column, so none repeats 10 times."""
    table = _TABLES[n % len(_TABLES)]
    column = ("id", "owner_id", "household_id", "plan_id", "created_at")[(n // len(_TABLES)) % 5]
    # Text the simulated host app reports as data; nothing runs it.
    return f'SELECT "{table}"."id", "{table}"."data" FROM "{table}" WHERE "{table}"."{column}" = %s'  # noqa: S608


def call_profile(
    *, seed: int, request_id: str, route_key: str, duration_ms: float, db_ms: float, queries: int
) -> dict[str, Any]:
    """The action, external time and (for a sample of calls) query spans of one call."""
    rng = random.Random(f"opsroom-demo-profile:{seed}:{request_id}")
    share = EXTERNAL_SHARE.get(route_key, 0.0)
    profile: dict[str, Any] = {
        "action": ACTIONS.get(route_key, ""),
        "external_time_ms": round(
            min(duration_ms * share * (0.9 + 0.1 * rng.random()), max(duration_ms - db_ms, 0.0)),
            1,
        ),
    }
    if rng.random() >= SPAN_SAMPLE:
        return profile
    repeated = _REPEATED.get(route_key)
    distinct = min(queries, repeated[1]) if repeated else queries
    spans = [
        {"sql": _query(i), "duration_ms": round(0.3 + rng.random() * 2.5, 2)}
        for i in range(distinct)
    ]
    if repeated:
        spans += [
            {"sql": repeated[0], "duration_ms": round(0.4 + rng.random() * 1.2, 2)}
            for _ in range(max(queries - distinct, 0))
        ]
    profile["spans"] = spans[:200]
    return profile
