"""Releases of the API and the mobile apps over the simulated months, and the errors they bring.

The planted story: release `bug_release` (nine days before the end) breaks logging a food
attempt for children with allergies; `fix_release` (the day before the end) repairs it.
An older export bug and one database incident add history; LLM timeouts are the noisy top issue.
"""

import bisect
import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# The planted errors: the bug, the old export bug and the database incident.
PLANTED_ERRORS = ("food-attempt-allergy-none", "pdf-font-missing", "db-pool-exhausted")
# Errors whose calls hang until a 30-second timeout (demo/world/traffic.py).
TIMED_OUT_ERRORS = ("llm-timeout", "db-pool-exhausted")


@dataclass(frozen=True)
class ErrorDef:
    key: str
    title: str
    message: str
    culprit: str
    level: str
    routes: tuple[str, ...]  # "METHOD /route"; empty: every route
    rate: float  # chance per call while active
    active_from: datetime | None = None
    active_until: datetime | None = None
    needs_allergy: bool = False
    platform: str = ""  # only clients on this platform hit it
    web_only: bool = False
    status: int = 500

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.key}:{self.culprit}".encode()).hexdigest()[:32]

    @property
    def issue_id(self) -> str:
        number = int(self.fingerprint[:6], 16) % 4000 + 100
        project = "WEB" if self.web_only else "API"
        return f"LITTLE-BITES-{project}-{number:X}"

    def is_active(self, at: datetime) -> bool:
        if self.active_from is not None and at < self.active_from:
            return False
        return self.active_until is None or at < self.active_until


@dataclass
class Releases:
    """The API release timeline (name, deployed at) and the app versions in the stores."""

    api: list[tuple[datetime, str]]
    app: list[tuple[datetime, str]]
    bug_release: str
    fix_release: str
    bug_from: datetime
    bug_until: datetime
    errors: list[ErrorDef] = field(default_factory=list)
    _api_times: list[datetime] = field(default_factory=list)
    _app_times: list[datetime] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._api_times = [at for at, _ in self.api]
        self._app_times = [at for at, _ in self.app]

    def api_release_at(self, at: datetime) -> str:
        index = bisect.bisect_right(self._api_times, at) - 1
        return self.api[max(index, 0)][1]

    def app_version_at(self, at: datetime, *, lag: int) -> str:
        index = bisect.bisect_right(self._app_times, at) - 1 - lag
        return self.app[max(index, 0)][1]


def releases_plan(rng: random.Random, *, start: datetime, horizon: datetime) -> Releases:
    """Deploys every one to two weeks, the planted bug and its fix, and the error catalogue."""
    bug_from = (horizon - timedelta(days=9)).replace(hour=14, minute=12, second=0, microsecond=0)
    bug_until = (horizon - timedelta(days=1)).replace(hour=16, minute=40, second=0, microsecond=0)
    span = horizon - start
    api: list[tuple[datetime, str]] = []
    minor, at = 0, start
    while at < bug_from - timedelta(days=3):
        api.append((at, f"api@3.{minor}.0"))
        if rng.random() < 0.3:  # a hotfix a day or two later
            api.append((at + timedelta(hours=rng.randint(20, 52)), f"api@3.{minor}.1"))
        minor += 1
        at += timedelta(days=rng.randint(7, 15), hours=rng.randint(-3, 3))
    bug_release, fix_release = f"api@3.{minor}.0", f"api@3.{minor}.1"
    api += [(bug_from, bug_release), (bug_until, fix_release)]
    api.sort()

    app: list[tuple[datetime, str]] = []
    app_minor, at = 0, start - timedelta(days=30)
    while at < horizon:
        app.append((at, f"5.{app_minor}.0"))
        app_minor += 1
        at += timedelta(days=rng.randint(16, 26))

    # The export bug ships with the first minor release past 45% of the history; the next
    # minor release fixes it (its hotfix, if any, still has it).
    minors = [at for at, name in api if name.endswith(".0") and at < bug_from]
    later = [at for at in minors if at >= start + span * 0.45] or minors[-2:]
    pdf_from = later[0]
    pdf_until = later[1] if len(later) > 1 else pdf_from + timedelta(days=12)
    incident_day = max(start + timedelta(days=2), horizon - timedelta(days=38))
    incident_from = incident_day.replace(hour=19, minute=10, second=0, microsecond=0)
    releases = Releases(
        api=api,
        app=app,
        bug_release=bug_release,
        fix_release=fix_release,
        bug_from=bug_from,
        bug_until=bug_until,
    )
    releases.errors = _error_catalogue(
        bug_from=bug_from,
        bug_until=bug_until,
        pdf_from=pdf_from,
        pdf_until=pdf_until,
        incident_from=incident_from,
        incident_until=incident_from + timedelta(minutes=50),
    )
    return releases


def _error_catalogue(
    *,
    bug_from: datetime,
    bug_until: datetime,
    pdf_from: datetime,
    pdf_until: datetime,
    incident_from: datetime,
    incident_until: datetime,
) -> list[ErrorDef]:
    return [
        ErrorDef(
            "food-attempt-allergy-none",
            "AttributeError: 'NoneType' object has no attribute 'severity'",
            "AttributeError: 'NoneType' object has no attribute 'severity'\n"
            '  File "littlebites/kids/allergens.py", line 88, in allergen_warning\n'
            "    if allergy.reaction.severity >= Severity.MODERATE:",
            "littlebites.kids.allergens in allergen_warning",
            "error",
            ("POST /api/kids/{id}/food-attempts",),
            1.0,
            bug_from,
            bug_until,
            needs_allergy=True,
            platform="android",
        ),
        ErrorDef(
            "llm-timeout",
            "ReadTimeout: LLM provider request timed out after 30s",
            "httpx.ReadTimeout: timed out (POST https://llm.internal/v1/chat/completions, 30.0s)",
            "littlebites.ai.client in complete",
            "error",
            ("POST /api/recipes/generate", "POST /api/coach/messages"),
            0.035,
            status=504,
        ),
        ErrorDef(
            "pdf-font-missing",
            "OSError: cannot open resource 'NotoSans-Bold.ttf'",
            "OSError: cannot open resource\n"
            '  File "littlebites/export/pdf.py", line 41, in render_week\n'
            '    font = ImageFont.truetype("NotoSans-Bold.ttf", 14)',
            "littlebites.export.pdf in render_week",
            "error",
            ("GET /api/meal-plans/{id}/export.pdf",),
            0.85,
            pdf_from,
            pdf_until,
        ),
        ErrorDef(
            "db-pool-exhausted",
            "OperationalError: QueuePool limit of size 20 overflow 10 reached",
            "sqlalchemy.exc.TimeoutError: QueuePool limit of size 20 overflow 10 reached, "
            "connection timed out, timeout 30.00",
            "littlebites.db.session in get_session",
            "fatal",
            (),
            0.35,
            incident_from,
            incident_until,
            status=503,
        ),
        ErrorDef(
            "grocery-duplicate-item",
            'IntegrityError: duplicate key value violates unique constraint "grocery_item_unique"',
            "psycopg.errors.UniqueViolation: duplicate key value violates unique constraint "
            '"grocery_item_unique"\nDETAIL: Key (list_id, ingredient_id)=(...) already exists.',
            "littlebites.grocery.services in list_build",
            "error",
            ("POST /api/grocery-lists",),
            0.012,
        ),
        ErrorDef(
            "recipe-nutrition-missing",
            "KeyError: 'nutrition'",
            "KeyError: 'nutrition'\n"
            '  File "littlebites/recipes/serializers.py", line 120, in to_representation\n'
            '    data["calories"] = recipe.meta["nutrition"]["kcal"]',
            "littlebites.recipes.serializers in to_representation",
            "error",
            ("GET /api/recipes/{id}",),
            0.0025,
        ),
        ErrorDef(
            "meal-plan-servings",
            "ValidationError: servings must be between 1 and 12",
            "pydantic.ValidationError: 1 validation error for MealPlanIn\nservings\n"
            "  Input should be less than or equal to 12",
            "littlebites.meal_plans.api in create",
            "warning",
            ("POST /api/meal-plans",),
            0.01,
            status=422,
        ),
        ErrorDef(
            "web-meal-plan-undefined-map",
            "TypeError: Cannot read properties of undefined (reading 'map')",
            "TypeError: Cannot read properties of undefined (reading 'map')\n"
            "    at MealPlanGrid (app/meal-plans/[id]/grid.tsx:57:31)",
            "app/meal-plans/[id]/grid.tsx in MealPlanGrid",
            "error",
            ("GET /api/meal-plans/{id}",),
            0.006,
            web_only=True,
            status=200,  # a front-end crash: the API call itself succeeded
        ),
    ]


BACKGROUND_ERRORS = (
    (
        "digest-smtp",
        "SMTPServerDisconnected: Connection unexpectedly closed",
        "littlebites.notifications.tasks in send_weekly_digest",
        "warning",
    ),
    (
        "stripe-webhook-timeout",
        "stripe.error.APIConnectionError: Request to Stripe timed out",
        "littlebites.billing.webhooks in sync_subscription",
        "error",
    ),
)
