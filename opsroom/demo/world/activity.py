"""A family's use of the app on one day: sessions at their usual hours, events, API calls."""

from datetime import datetime, timedelta
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from opsroom.demo.world import billing, catalog, support
from opsroom.demo.world.events import emit, expose
from opsroom.demo.world.releases import ErrorDef
from opsroom.demo.world.state import PersonSim, sigmoid
from opsroom.demo.world.traffic import api_call, login_bodies
from opsroom.experiments.evaluation import bucket

if TYPE_CHECKING:
    from opsroom.demo.world.context import World

# Activity by local weekday (Monday first): Sunday is meal-planning day, Friday is pizza night.
WEEKDAY_FACTOR = (1.05, 1.0, 0.97, 0.95, 0.72, 0.82, 1.4)
_ACTIONS = (
    "meal_plan_viewed",
    "recipe_viewed",
    "recipe_searched",
    "food_attempt_logged",
    "meal_plan_created",
    "grocery_list_created",
    "recipe_generated",
    "ai_coach_message",
    "meal_plan_template_used",
    "export_pdf",
    "settings_changed",
    "paywall_viewed",
)
_WEIGHTS = {
    # (premium, uses templates) -> weights in the order of _ACTIONS
    (False, False): (22, 24, 8, 12, 6, 4, 3, 0, 0, 0.5, 0.8, 3.5),
    (False, True): (20, 22, 7, 12, 4, 4, 3, 0, 8, 0.5, 0.8, 3.0),
    (True, False): (22, 24, 7, 12, 7, 6, 9, 5, 0, 1.5, 0.8, 0),
    (True, True): (20, 22, 6, 12, 5, 6, 9, 5, 9, 1.5, 0.8, 0),
}
_CUMULATIVE = {key: list(accumulate(weights)) for key, weights in _WEIGHTS.items()}
_REACTION_NAMES = [name for name, _ in catalog.REACTIONS]
_REACTION_CUMULATIVE = list(accumulate(weight for _, weight in catalog.REACTIONS))
ADD_RATE = {"control": 0.26, "test": 0.30}  # the experiment's modest real effect
# Even the keenest family skips some days: calibrates volume to about 100 events a person.
ACTIVITY_SCALE = 0.58


def day_activity(world: "World", person: PersonSim, day_start: datetime, day_end: datetime) -> None:
    """Whether the family opens the app today, and what they do in each session."""
    rng = world.rng
    local_noon = day_start + timedelta(hours=12 + person.utc_offset)
    p_active = (
        ACTIVITY_SCALE
        * sigmoid(person.engagement(local_noon))
        * WEEKDAY_FACTOR[local_noon.weekday()]
    )
    if rng.random() >= p_active:
        return
    sessions = 1 + (rng.random() < 0.1 + 0.6 * p_active) + (rng.random() < 0.3 * p_active)
    times = []
    for _ in range(sessions):
        hour = (rng.choice(person.hours) + rng.gauss(0, 0.9) - person.utc_offset) % 24
        at = day_start + timedelta(hours=hour)
        if person.signup_at <= at < day_end:
            times.append(at)
    for at in sorted(times):
        session(world, person, at)


def session(world: "World", person: PersonSim, at: datetime, *, first: bool = False) -> datetime:
    """One visit: open the app, do a few things; returns when it ended."""
    rng = world.rng
    premium = person.sub is not None and person.sub.is_live
    version = world.releases.app_version_at(at, lag=person.app_lag)
    if person.platform == "web" and (first or rng.random() < 0.35):
        request, response = login_bodies(person, world)
        method = rng.choice(("password", "password", "google", "apple"))
        status, _ = api_call(world, person, "POST /api/auth/login", at, request=request,
                             response=response)  # fmt: skip
        if status == 401:  # a mistyped password, then the right one
            at += timedelta(seconds=rng.randint(8, 40))
            api_call(world, person, "POST /api/auth/login", at, request=request, response=response)
        emit(world, person, "login", at, {"method": method, "platform": "web"})
    else:
        emit(world, person, "app_open", at, {"platform": person.platform, "app_version": version})
        if rng.random() < 0.08:
            api_call(world, person, "POST /api/auth/refresh", at,
                     request={"refresh_token": "rt_" + world.ids.hex(64)})  # fmt: skip
    api_call(world, person, "GET /api/me", at, response={"id": person.external_id})
    plan_id = _meal_plan_id(person, at)
    api_call(world, person, "GET /api/meal-plans/current", at + timedelta(seconds=1),
             response={"id": plan_id, "days": 7, "meals": 14 + rng.randint(0, 7)})  # fmt: skip
    if at >= world.templates_launch:
        expose(world, person, catalog.FLAG_TEMPLATES, "on", at)
    person.last_active = at
    actions = 1
    while rng.random() < 0.62 and actions < 14:
        actions += 1
    cumulative = _CUMULATIVE[(premium, person.adopted_templates)]
    for _ in range(actions):
        at += timedelta(seconds=rng.randint(15, 150))
        if at >= world.horizon:
            break
        name = rng.choices(_ACTIONS, cum_weights=cumulative)[0]
        if name == "meal_plan_template_used" and at < world.templates_launch:
            name = "meal_plan_viewed"
        at = _action(world, person, name, at, plan_id, premium)
    if not person.adopted_templates and at >= world.templates_launch:
        chance = 0.01 + 0.03 * sigmoid(person.engagement(at))
        if rng.random() < chance:
            person.adopted_templates = True
            person.trend += 0.03
            person.boost += 0.25
            world.story.template_adopters += 1
            _action(world, person, "meal_plan_template_used", at, plan_id, premium)
    return at


def _action(
    world: "World", person: PersonSim, name: str, at: datetime, plan_id: str, premium: bool
) -> datetime:
    rng = world.rng
    props: dict[str, Any]
    if name == "recipe_viewed" or name == "recipe_searched":
        if name == "recipe_searched":
            query = rng.choice(catalog.FOODS)
            status, error = api_call(world, person, "GET /api/recipes/search", at,
                                     response={"results": rng.randint(0, 40)})  # fmt: skip
            if not _ok(world, person, status, error, at, "GET /api/recipes/search"):
                return at
            emit(world, person, "recipe_searched", at, {"query": query})
            at += timedelta(seconds=rng.randint(5, 40))
        index = rng.randrange(len(catalog.RECIPES))
        recipe_id = f"rcp_{1000 + index}"
        title, cuisine, meal = catalog.RECIPES[index]
        status, error = api_call(world, person, "GET /api/recipes/{id}", at, object_id=recipe_id,
                                 response={"id": recipe_id, "title": title})  # fmt: skip
        if not _ok(world, person, status, error, at, "GET /api/recipes/{id}"):
            return at
        props = {"recipe_id": recipe_id, "cuisine": cuisine, "meal": meal}
        rate = ADD_RATE["control"]
        if at >= world.experiment_from:
            variant = recipe_ui_variant(person.external_id)
            expose(world, person, catalog.FLAG_RECIPE_UI, variant, at)
            props["recipe_ui"] = variant
            rate = ADD_RATE[variant]
        emit(world, person, "recipe_viewed", at, props)
        if rng.random() < rate:
            at += timedelta(seconds=rng.randint(10, 90))
            status, error = api_call(world, person, "POST /api/recipes/{id}/save", at,
                                     object_id=recipe_id, request={"to": "meal_plan"})  # fmt: skip
            if _ok(world, person, status, error, at, "POST /api/recipes/{id}/save"):
                to = rng.choice(("meal_plan", "meal_plan", "favorites"))
                emit(world, person, "recipe_added", at, {"recipe_id": recipe_id, "to": to})
        return at
    if name == "food_attempt_logged":
        kid = rng.choice(person.kids)
        food = rng.choice(catalog.FOODS)
        reaction = rng.choices(_REACTION_NAMES, cum_weights=_REACTION_CUMULATIVE)[0]
        kid_id = f"kid_{person.index}_{person.kids.index(kid)}"
        route = "POST /api/kids/{id}/food-attempts"
        status, error = api_call(world, person, route, at, object_id=kid_id,
                                 request={"food": food, "reaction": reaction},
                                 context={"allergies": bool(kid.get("allergies"))})  # fmt: skip
        if _ok(world, person, status, error, at, route):
            props = {"kid_name": kid["name"], "food": food, "reaction": reaction}
            emit(world, person, "food_attempt_logged", at, props)
        return at
    route, props, request = _simple_action(world, person, name, at, plan_id)
    status, error = api_call(world, person, route, at, object_id=plan_id, request=request)
    if _ok(world, person, status, error, at, route):
        emit(world, person, name, at, props)
        if name == "ai_coach_message":
            expose(world, person, catalog.FLAG_AI_COACH, ai_coach_variant(world, person, at), at)
        elif name == "grocery_list_created":
            variant = "on" if person.country.code in catalog.GROCERY_COUNTRIES else "off"
            expose(world, person, catalog.FLAG_GROCERY, variant, at)
        elif name == "paywall_viewed" and not premium:
            billing.paywall_seen(world, person, at)
    return at


def _simple_action(
    world: "World", person: PersonSim, name: str, at: datetime, plan_id: str
) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
    rng = world.rng
    if name == "meal_plan_viewed":
        return "GET /api/meal-plans/{id}", {"meal_plan_id": plan_id}, None
    if name == "meal_plan_created":
        days = rng.choice((5, 7, 7, 7))
        body = {"days": days, "servings": len(person.kids) + 2, "diet": person.diet}
        return "POST /api/meal-plans", {"meal_plan_id": plan_id, "days": days}, body
    if name == "grocery_list_created":
        items = rng.randint(6, 34)
        return "POST /api/grocery-lists", {"items": items}, {"meal_plan_id": plan_id}
    if name == "recipe_generated":
        tokens = int(600 + rng.random() * 900)
        props = {"ingredients": rng.randint(2, 8), "tokens": tokens,
                 "cost_usd": round(tokens * 0.0000015, 6), "model": "gpt-4o-mini"}  # fmt: skip
        return "POST /api/recipes/generate", props, {"ingredients": rng.sample(catalog.FOODS, 3)}
    if name == "ai_coach_message":
        tokens = int(300 + rng.random() * 700)
        topic = rng.choice(catalog.COACH_TOPICS)
        props = {"topic": topic, "tokens": tokens, "cost_usd": round(tokens * 0.000006, 6)}
        return "POST /api/coach/messages", props, {"topic": topic, "message": "…"}
    if name == "meal_plan_template_used":
        template = rng.choice(catalog.TEMPLATES)
        return "POST /api/meal-plans/from-template", {"template": template}, {"template": template}
    if name == "export_pdf":
        return "GET /api/meal-plans/{id}/export.pdf", {"meal_plan_id": plan_id, "pages": 2}, None
    if name == "settings_changed":
        setting = rng.choice(("notifications.weekly_digest", "units", "theme", "reminders.time"))
        return "PATCH /api/settings", {"setting": setting}, {"setting": setting}
    trigger = rng.choice(("recipe_generate_limit", "ai_coach", "export_pdf", "settings"))
    return "GET /api/billing/plans", {"trigger": trigger}, None


def _ok(
    world: "World", person: PersonSim, status: int, error: ErrorDef | None, at: datetime,
    route: str,
) -> bool:  # fmt: skip
    """Whether the call worked; a server error shows an error screen and frustrates."""
    if error is None:
        return status < 400
    emit(world, person, "error_shown", at, {"route": route, "status": status})
    person.frustration += 1.0
    person.boost -= 0.12 if not error.needs_allergy else 0.25
    support.after_error(world, person, error, at, endpoint=route)
    return False


def recipe_ui_variant(external_id: str) -> str:
    """The experiment's variant, bucketed exactly as the flag's rules bucket it."""
    point = bucket(salt=f"{catalog.FLAG_RECIPE_UI}:variant", person_key=external_id)
    return "control" if point < 50 else "test"


def ai_coach_variant(world: "World", person: PersonSim, at: datetime) -> str:
    """What the AI coach flag served then: beta testers, plus a rollout widened later."""
    if person.is_beta:
        return "on"
    rollout = (
        catalog.AI_COACH_ROLLOUT
        if at >= world.ai_coach_widened
        else catalog.AI_COACH_ROLLOUT_BEFORE
    )
    return (
        "on"
        if bucket(salt=catalog.FLAG_AI_COACH, person_key=person.external_id) < rollout
        else "off"
    )


def _meal_plan_id(person: PersonSim, at: datetime) -> str:
    return f"mp_{person.index * 100 + (at - person.signup_at).days // 7}"
