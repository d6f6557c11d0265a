"""The activity, health and devices parts of the person snapshot (opsroom.people.snapshot).

Activity and health depend on the health settings kept here: which events are logins, which
are core features, which counters the operator wants to see. Devices join two apps' records:
the clients of their API calls (telemetry) and the platforms their events name (people).
"""

from dataclasses import replace
from datetime import datetime, timedelta

from opsroom.people.models import Person
from opsroom.people.selectors.activity import PersonActivity, activity_for_person
from opsroom.people.selectors.clients import event_clients_for_person
from opsroom.people.snapshot import (
    ACTIVITY,
    DEVICES,
    HEALTH,
    ActivityFacts,
    DeviceFacts,
    HealthComponentFacts,
    HealthFacts,
    UsageCount,
)
from opsroom.telemetry.selectors import api_clients_for_person
from opsroom.telemetry.user_agents import user_agent_parse
from opsroom.user360.health import HealthSettings, history_points
from opsroom.user360.models import PersonHealth
from opsroom.user360.services.health import health_for_person_now, health_settings_get

USAGE_COUNTERS_DEFAULT = 4
DEVICE_DAYS = 30


def usage_counts(*, activity: PersonActivity, settings_: HealthSettings) -> list[UsageCount]:
    """30-day counters: the configured events, or logins and the person's most frequent ones."""
    counts = activity.counts_since(activity.today - timedelta(days=30))
    if settings_.usage_counters:
        return [
            UsageCount(row["event"], row.get("label") or "", counts.get(row["event"], 0))
            for row in settings_.usage_counters
        ]
    logins = settings_.login_events
    top = sorted(((n, name) for name, n in counts.items() if name not in logins), reverse=True)
    rows = [UsageCount(name, "", n) for n, name in top[:USAGE_COUNTERS_DEFAULT]]
    rows.insert(0, UsageCount(logins[0], "Logins", sum(counts.get(name, 0) for name in logins)))
    return rows


@ACTIVITY.provide
def activity_facts(person: Person, now: datetime) -> ActivityFacts:
    """Last login and activity, active days, the 30-day counters and core features used."""
    settings_ = health_settings_get()
    today = now.date()
    activity = activity_for_person(
        person_id=person.pk, today=today, login_events=settings_.login_events
    )
    week, month = today - timedelta(days=7), today - timedelta(days=30)
    core = set(settings_.core_features)
    return ActivityFacts(
        login_events=settings_.login_events,
        last_login=activity.last_login,
        last_active=activity.last_active,
        active_days_7d=len({day for day, _name, _n in activity.rows if day >= week}),
        active_days_30d=len({day for day, _name, _n in activity.rows if day >= month}),
        events_7d=sum(activity.counts_since(week).values()),
        events_30d=sum(activity.counts_since(month).values()),
        usage_30d=tuple(usage_counts(activity=activity, settings_=settings_)),
        core_features=tuple(settings_.core_features),
        core_features_used_30d=tuple(sorted(core & set(activity.counts_since(month)))),
        daily=activity,
    )


@HEALTH.provide
def health_facts(person: Person, now: datetime) -> HealthFacts:
    """The stored health of a person, or one computed now when none is stored yet."""
    settings_ = health_settings_get()
    bands = {
        "healthy_min": settings_.healthy_min,
        "at_risk_min": settings_.at_risk_min,
        "new_days": settings_.new_days,
    }
    stored = PersonHealth.objects.filter(person_id=person.pk).first()
    if stored is None:
        result = health_for_person_now(person_id=person.pk)
        return HealthFacts(
            score=result.score,
            band=result.band,
            components=tuple(
                HealthComponentFacts(c.key, c.score, c.weight, c.figure) for c in result.components
            ),
            computed_at=None,
            history=(),
            change_7d=None,
            uncapped_score=result.uncapped_score,
            **bands,
        )
    points = history_points(stored.history)
    earlier = [score for day, score in points if day <= stored.computed_on - timedelta(days=7)]
    return HealthFacts(
        score=stored.score,
        band=stored.band,
        components=tuple(
            HealthComponentFacts(c["key"], c["score"], c["weight"], c["figure"])
            for c in stored.components
        ),
        computed_at=stored.computed_at,
        history=tuple(points),
        change_7d=stored.score - earlier[-1] if earlier else None,
        uncapped_score=stored.uncapped_score,
        **bands,
    )


def _newer_version(first: str, second: str) -> str:
    """The higher of two dotted versions ('5.26.0' beats '5.9.1'); text compares as text."""

    def parts(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split(".") if part.isdigit())

    return max(first, second, key=lambda version: (parts(version), version))


@DEVICES.provide
def device_facts(person: Person, now: datetime) -> tuple[DeviceFacts, ...]:
    """The devices of their API calls and events in 30 days, most recently seen first."""
    since = now - timedelta(days=DEVICE_DAYS)
    devices: dict[str, DeviceFacts] = {}
    for use in api_clients_for_person(person_id=person.pk, since=since):
        client = user_agent_parse(use.user_agent)
        held = devices.get(client.key)
        if held is None:
            devices[client.key] = DeviceFacts(
                platform=client.platform,
                device=client.device,
                os_name=client.os_name,
                os_version=client.os_version,
                app_version=client.app_version,
                browser=client.browser,
                last_seen_at=use.last_at,
                api_calls_30d=use.calls,
                from_events=False,
            )
        else:  # older clients of the same device: an earlier app or OS version
            devices[client.key] = replace(
                held,
                app_version=_newer_version(held.app_version, client.app_version),
                api_calls_30d=held.api_calls_30d + use.calls,
            )
    for seen in event_clients_for_person(person_id=person.pk, since=since):
        match = next((key for key, d in devices.items() if d.platform == seen.platform), None)
        if match is None:
            devices[f"events|{seen.platform}"] = DeviceFacts(
                platform=seen.platform,
                device=seen.device,
                os_name="",
                os_version=seen.os_version,
                app_version=seen.app_version,
                browser="",
                last_seen_at=seen.last_at,
                api_calls_30d=0,
                from_events=True,
            )
            continue
        held = devices[match]
        devices[match] = replace(
            held,
            app_version=_newer_version(held.app_version, seen.app_version),
            last_seen_at=max(held.last_seen_at, seen.last_at),
            from_events=True,
        )
    return tuple(sorted(devices.values(), key=lambda d: d.last_seen_at, reverse=True))
