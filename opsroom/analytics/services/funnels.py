"""Funnels: who did the steps in order, how far each got, how long each step took.

Entry: a person's first occurrence of the first step in the period (the last `period_days`).
Step k counts when the person did it after reaching step k-1 and within `window_days` of their
entry (other events may come between: sequential order, as PostHog's default). Per step: the
people reaching it, the share of those entering and of the step before, those who dropped
there, and the median time from the step before. Time to value: the median time from signup to
the last step. Breakdowns by acquisition channel, platform, signup month and current plan,
each with a chi-square test of completion across its groups (scipy). The people who dropped
at each step are kept (up to 1,000 per step) to list.
"""

import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from scipy import stats

from opsroom.analytics.models import Funnel, FunnelResult
from opsroom.core import clock
from opsroom.core.errors import InvalidInput, NotFound
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.people.selectors import people_profiles
from opsroom.people.selectors.events import event_times
from opsroom.revenue.series import plan_codes_for_people

MIN_STEPS, MAX_STEPS = 2, 8
DROPPED_KEPT = 10_000  # per step: the page lists 200; a People segment takes them all
GROUPS_SHOWN = 12


def _reached(
    times: dict[str, list[datetime]], steps: list[str], *, since: datetime, window: timedelta
) -> list[datetime]:
    """When a person reached each step in order (as far as they got)."""
    firsts = [t for t in times.get(steps[0], []) if t >= since]
    if not firsts:
        return []
    entry = min(firsts)
    reached = [entry]
    for name in steps[1:]:
        after = [t for t in times.get(name, []) if reached[-1] <= t <= entry + window]
        if not after:
            break
        reached.append(min(after))
    return reached


def _breakdown(groups: dict[str, list[bool]]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = sorted(
        (
            {
                "value": value,
                "entered": len(done),
                "completed": sum(done),
                "rate": sum(done) / len(done),
            }
            for value, done in groups.items()
        ),
        key=lambda row: (-int(row["entered"]), str(row["value"])),
    )
    p_value = None
    table = [[r["completed"], r["entered"] - r["completed"]] for r in rows if r["entered"]]
    if len(table) > 1 and all(sum(col) > 0 for col in zip(*table, strict=True)):
        p_value = float(stats.chi2_contingency(table)[1])
    return {"p_value": p_value, "rows": rows[:GROUPS_SHOWN]}


def funnel_compute(*, funnel: Funnel, now: datetime | None = None) -> FunnelResult:
    """Compute a funnel's figures over its period and store them."""
    now = now or clock.now()
    steps: list[str] = list(funnel.steps)
    since = now - timedelta(days=funnel.period_days)
    window = timedelta(days=funnel.window_days)
    times: dict[int, dict[str, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    for person_id, name, at in event_times(names=set(steps), since=since, until=now):
        times[person_id][name].append(at)
    journeys = {
        pid: path
        for pid, person_times in times.items()
        if (path := _reached(person_times, steps, since=since, window=window))
    }
    entered = len(journeys)
    rows: list[dict[str, Any]] = []
    dropped: dict[str, list[int]] = {}
    for k, name in enumerate(steps):
        at_step = [pid for pid, path in journeys.items() if len(path) > k]
        durations = [
            (journeys[pid][k] - journeys[pid][k - 1]).total_seconds() for pid in at_step if k > 0
        ]
        previous = rows[-1]["people"] if rows else entered
        left = sorted(pid for pid in at_step if len(journeys[pid]) == k + 1)
        if k < len(steps) - 1:
            dropped[str(k)] = left[:DROPPED_KEPT]
        rows.append(
            {
                "name": name,
                "people": len(at_step),
                "from_start": len(at_step) / entered if entered else None,
                "from_previous": len(at_step) / previous if previous else None,
                "dropped": len(left) if k < len(steps) - 1 else 0,
                "median_seconds": statistics.median(durations) if durations else None,
            }
        )
    profiles = people_profiles(ids=list(journeys))
    plans = plan_codes_for_people(person_ids=list(journeys))
    dimensions: dict[str, dict[str, list[bool]]] = {
        "channel": defaultdict(list),
        "platform": defaultdict(list),
        "signup month": defaultdict(list),
        "plan": defaultdict(list),
    }
    to_value = []
    for pid, path in journeys.items():
        done = len(path) == len(steps)
        signed_up_at, channel, platform = profiles.get(pid, (None, "", ""))
        dimensions["channel"][channel or "(none)"].append(done)
        dimensions["platform"][platform or "(none)"].append(done)
        month = f"{signed_up_at:%Y-%m}" if signed_up_at else "(unknown)"
        dimensions["signup month"][month].append(done)
        dimensions["plan"][plans.get(pid) or "(none)"].append(done)
        if done and signed_up_at is not None and path[-1] >= signed_up_at:
            to_value.append((path[-1] - signed_up_at).total_seconds())
    result, _ = FunnelResult.objects.update_or_create(
        funnel=funnel,
        defaults={
            "period_start": since,
            "period_end": now,
            "entered": entered,
            "steps": rows,
            "median_seconds_to_value": statistics.median(to_value) if to_value else None,
            "breakdowns": {name: _breakdown(groups) for name, groups in dimensions.items()},
            "dropped": dropped,
            "computed_at": now,
        },
    )
    return result


def _steps_clean(steps: list[str]) -> list[str]:
    cleaned = [step.strip() for step in steps if step.strip()]
    if not MIN_STEPS <= len(cleaned) <= MAX_STEPS:
        raise InvalidInput(f"A funnel has {MIN_STEPS} to {MAX_STEPS} steps (event names).")
    for step in cleaned:
        if len(step) > 100 or "\x00" in step:
            raise InvalidInput("An event name has at most 100 characters.")
    return cleaned


@transaction.atomic
def funnel_create(
    *, name: str, steps: list[str], window_days: int, period_days: int, audit: AuditContext
) -> Funnel:
    """Define a funnel; its figures are computed on commit and then hourly."""
    from opsroom.analytics.tasks import funnel_compute_task  # the task calls this module

    if not 1 <= window_days <= 90 or not 1 <= period_days <= 180:
        raise InvalidInput("The window is 1 to 90 days; the period 1 to 180 days.")
    cleaned = _steps_clean(steps)
    funnel = Funnel.objects.create(
        name=name.strip()[:200] or " → ".join(cleaned)[:200],
        steps=cleaned,
        window_days=window_days,
        period_days=period_days,
        created_by=audit.label[:150],
        created_at=clock.now(),
    )
    audit_record(
        audit,
        action="funnel.create",
        target=funnel,
        params={"steps": cleaned, "window_days": window_days, "period_days": period_days},
    )
    transaction.on_commit(lambda: funnel_compute_task.enqueue(funnel_id=funnel.pk))
    return funnel


@transaction.atomic
def funnel_delete(*, funnel_id: int, audit: AuditContext) -> None:
    """Delete a funnel and its figures."""
    funnel = Funnel.objects.select_for_update().filter(pk=funnel_id).first()
    if funnel is None:
        raise NotFound("No such funnel.")
    audit_record(audit, action="funnel.delete", target=funnel, params={"name": funnel.name})
    funnel.delete()
