"""Health scores: gathering each person's metrics from derived tables, scoring, storing.

The daily task scores everyone with a handful of grouped queries (activity rollups, ticket,
error and payment tallies) and one batched upsert; raw events are never read.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum

from opsroom.analytics.selectors import core_features_detect
from opsroom.analytics.services.lift import feature_lift_compute
from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.people.models import ActivityDaily, Person
from opsroom.revenue.selectors import payment_health_by_person
from opsroom.support.selectors import ticket_counts_by_person
from opsroom.telemetry.selectors import error_counts_by_person
from opsroom.user360.health import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    HealthInputs,
    HealthResult,
    HealthSettings,
    health_compute,
    history_append,
    weights_normalise,
)
from opsroom.user360.models import HealthConfig, PersonHealth

_WRITE_CHUNK = 1000


def health_config_get() -> HealthConfig:
    """The health settings row (created with defaults on first use)."""
    config = HealthConfig.objects.filter(pk=1).first()
    if config is None:
        config, _ = HealthConfig.objects.get_or_create(pk=1, defaults={"weights": DEFAULT_WEIGHTS})
    return config


def login_events_parse(text: str) -> tuple[str, ...]:
    """The login event names of the comma-separated setting (at least "login")."""
    return tuple(name.strip() for name in text.split(",") if name.strip()) or ("login",)


def health_settings_get() -> HealthSettings:
    """The health settings in effect, with the core features detected when none are set."""
    config = health_config_get()
    core = list(config.core_features) or list(config.detected_core_features)
    return HealthSettings(
        weights=dict(config.weights or DEFAULT_WEIGHTS),
        core_features=core,
        healthy_min=config.healthy_min,
        at_risk_min=config.at_risk_min,
        target_days_per_week=config.target_days_per_week,
        login_events=login_events_parse(config.login_event),
        usage_counters=list(config.usage_counters or []),
        core_features_detected=not config.core_features,
        new_days=config.new_days,
    )


@transaction.atomic
def health_config_update(*, audit: AuditContext, **changes: Any) -> HealthConfig:
    """Change the health settings (weights, core features, bands, counters)."""
    allowed = {
        "weights",
        "core_features",
        "healthy_min",
        "at_risk_min",
        "target_days_per_week",
        "login_event",
        "usage_counters",
        "new_days",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"cannot change {sorted(unknown)} in the health settings")
    if "weights" in changes:
        weights_normalise(changes["weights"])  # refuses all-zero weights
    config = health_config_get()
    healthy = changes.get("healthy_min", config.healthy_min)
    at_risk = changes.get("at_risk_min", config.at_risk_min)
    if not 0 < at_risk < healthy <= 100:
        raise InvalidInput("Bands need 0 < 'At risk' minimum < 'Healthy' minimum <= 100.")
    before = {name: getattr(config, name) for name in changes}
    for name, value in changes.items():
        setattr(config, name, value)
    config.updated_at = clock.now()
    config.updated_by = audit.actor
    config.save()
    audit_record(
        audit,
        action="people.health_settings_change",
        target=config,
        params={"from": before, "to": changes},
    )
    return config


def _activity(
    *, on: date, core: Sequence[str], person_ids: Sequence[int] | None
) -> QuerySet[Any, dict[str, Any]]:
    day = timedelta(days=1)
    rows = ActivityDaily.objects.filter(day__gte=on - 56 * day, day__lt=on)
    if person_ids is not None:
        rows = rows.filter(person_id__in=person_ids)
    return rows.values("person_id").annotate(
        events_7d=Sum("count", filter=Q(day__gte=on - 7 * day)),
        events_prev_21d=Sum("count", filter=Q(day__lt=on - 7 * day, day__gte=on - 28 * day)),
        active_14=Count("day", distinct=True, filter=Q(day__gte=on - 14 * day)),
        active_prev_42=Count("day", distinct=True, filter=Q(day__lt=on - 14 * day)),
        core_used=Count("name", distinct=True, filter=Q(day__gte=on - 30 * day, name__in=core)),
    )


def _people_on(
    *, on: date, person_ids: Sequence[int] | None, now: datetime | None
) -> dict[int, tuple[int | None, int | None]]:
    """Each person's account age in days on a day (None: signup unknown) and, scoring `now`,
    the days since last seen: everyone who had signed up by the end of that day (people
    without a signup date too), or the ones given."""
    if person_ids is None:
        signed_up = Q(signed_up_at__isnull=True) | Q(signed_up_at__date__lte=on)
        people = Person.objects.filter(signed_up, is_placeholder=False)
    else:
        people = Person.objects.filter(pk__in=person_ids)
    rows = people.order_by("id").values_list("id", "signed_up_at", "last_seen_at")
    return {
        person_id: (
            (on - signed.date()).days if signed is not None else None,
            (now - seen).days if now is not None and seen is not None else None,
        )
        for person_id, signed, seen in rows.iterator(chunk_size=5000)
    }


def health_inputs(
    *,
    on: date,
    settings_: HealthSettings,
    person_ids: Sequence[int] | None = None,
    at: datetime | None = None,
) -> dict[int, HealthInputs]:
    """Each person's metrics for the day `on` (activity windows end the day before; tickets,
    errors and payments are read as they stood at `at`, default now), by person id: everyone
    who had signed up by then, or the people given."""
    moment = at or clock.now()
    as_of = at  # None: the live state (open tickets, subscription statuses now)
    activity = {
        row["person_id"]: row
        for row in _activity(on=on, core=settings_.core_features, person_ids=person_ids)
    }
    tickets = ticket_counts_by_person(
        since=moment - timedelta(days=30), person_ids=person_ids, at=as_of
    )
    errors = error_counts_by_person(
        since=moment - timedelta(days=7), person_ids=person_ids, until=as_of
    )
    payments = payment_health_by_person(
        since=moment - timedelta(days=60), person_ids=person_ids, at=as_of
    )
    inputs: dict[int, HealthInputs] = {}
    people = _people_on(on=on, person_ids=person_ids, now=moment if at is None else None)
    for person_id, (age, seen_days_ago) in people.items():
        row = activity.get(person_id, {})
        recent_tickets, open_tickets = tickets.get(person_id, (0, 0))
        inputs[person_id] = HealthInputs(
            events_7d=row.get("events_7d") or 0,
            events_prev_21d=row.get("events_prev_21d") or 0,
            active_days_14d=row.get("active_14") or 0,
            active_days_prev_42d=row.get("active_prev_42") or 0,
            core_used=row.get("core_used") or 0,
            tickets_30d=recent_tickets,
            open_tickets=open_tickets,
            errors_7d=errors.get(person_id, 0),
            payment=payments.get(person_id),
            account_age_days=age,
            seen_days_ago=seen_days_ago,
        )
    return inputs


def health_for_person_now(*, person_id: int) -> HealthResult:
    """A person's health computed now (for people the daily task has not scored yet)."""
    settings_ = health_settings_get()
    on = clock.now().date()
    inputs = health_inputs(on=on, settings_=settings_, person_ids=[person_id])
    return health_compute(inputs.get(person_id, HealthInputs()), settings_)


@dataclass(frozen=True)
class HealthRun:
    people: int
    bands: dict[str, int]
    seconds: float
    core_features: list[str]


def health_scores_compute(*, on: date | None = None) -> HealthRun:
    """Score every person for a day and keep each score in their history."""
    started = time.monotonic()
    on = on or clock.now().date()
    detected = core_features_detect(
        on=on, excluded=login_events_parse(health_config_get().login_event)
    )
    HealthConfig.objects.filter(pk=health_config_get().pk).update(detected_core_features=detected)
    settings_ = health_settings_get()
    inputs = health_inputs(on=on, settings_=settings_)
    person_ids = list(inputs)
    bands: dict[str, int] = {}
    keep = settings.OPSROOM_HEALTH_HISTORY_DAYS
    computed_at = clock.now()
    for start in range(0, len(person_ids), _WRITE_CHUNK):
        chunk = person_ids[start : start + _WRITE_CHUNK]
        histories = dict(
            PersonHealth.objects.filter(person_id__in=chunk).values_list("person_id", "history")
        )
        rows = []
        for person_id in chunk:
            result = health_compute(inputs[person_id], settings_)
            bands[result.band] = bands.get(result.band, 0) + 1
            history = history_append(
                histories.get(person_id) or {}, on=on, score=result.score, keep=keep
            )
            rows.append((person_id, result, history))
        with transaction.atomic():
            _health_write(rows, on=on, computed_at=computed_at)
    return HealthRun(
        people=len(person_ids),
        bands=bands,
        seconds=round(time.monotonic() - started, 2),
        core_features=settings_.core_features,
    )


def _health_write(rows: list[tuple[int, HealthResult, dict[str, Any]]], **when: Any) -> None:
    ops = connection.ops
    table = ops.quote_name(PersonHealth._meta.db_table)
    on_value = ops.adapt_datefield_value(when["on"])
    at_value = ops.adapt_datetimefield_value(when["computed_at"])
    params: list[Any] = []
    for person_id, result, history in rows:
        components = [component.as_dict() for component in result.components]
        params += [
            person_id,
            result.score,
            result.uncapped_score,
            result.band,
            ops.adapt_json_value(components, None),
            ops.adapt_json_value(history, None),
            on_value,
            at_value,
        ]
    placeholders = ",".join(["(%s,%s,%s,%s,%s,%s,%s,%s)"] * len(rows))
    sql = (  # only quoted table names and placeholders are interpolated
        f"INSERT INTO {table} (person_id, score, uncapped_score, band, components, history, "  # noqa: S608
        f"computed_on, computed_at) VALUES {placeholders} ON CONFLICT (person_id) DO UPDATE SET "
        "score = excluded.score, uncapped_score = excluded.uncapped_score, "
        "band = excluded.band, components = excluded.components, "
        "history = excluded.history, computed_on = excluded.computed_on, "
        "computed_at = excluded.computed_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def component_keys() -> list[str]:
    """The health components, in display order."""
    return [key for key, _label in COMPONENTS]


def feature_lift_refresh(*, today: date | None = None) -> int:
    """Recompute feature lift for the core features health counts; return the rows written."""
    today = today or clock.now().date()
    features = health_settings_get().core_features or core_features_detect(
        on=today, excluded=login_events_parse(health_config_get().login_event)
    )
    return feature_lift_compute(features=features, today=today)
