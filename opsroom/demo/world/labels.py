"""The anomalies planted in the world, as labelled windows of the anomaly watch's series.

Derived from what the simulation did, not from its plans: a planted error's window runs from
the hour of its first occurrence to the end of the hour of its last, in every series it shows
in (errors, its endpoints' errors; within the API log window, server errors, and the latency
when its calls hang until a timeout); the prompt loop's window covers the looped calls, in
the hourly AI cost. `manage.py analytics_anomaly_eval` scores the detector against them.
"""

from datetime import datetime, timedelta

from opsroom.analytics.anomaly.metrics import ENDPOINT_PREFIX
from opsroom.analytics.services.anomaly_labels import LabelWindow as Label
from opsroom.demo.world.context import World
from opsroom.demo.world.releases import TIMED_OUT_ERRORS

HOUR = timedelta(hours=1)
STORIES = {
    "food-attempt-allergy-none": "the planted bug (food attempts with allergies, Android)",
    "pdf-font-missing": "the old PDF export bug",
    "db-pool-exhausted": "the database incident (connection pool exhausted)",
}


def label_as_dict(label: Label) -> dict[str, str]:
    """A label for the build's summary."""
    return {
        "metric": label.metric,
        "start": label.start.isoformat(),
        "end": label.end.isoformat(),
        "description": label.description,
    }


def _hours(first: datetime, last: datetime) -> tuple[datetime, datetime]:
    start = first.replace(minute=0, second=0, microsecond=0)
    return start, last.replace(minute=0, second=0, microsecond=0) + HOUR


def anomaly_labels(world: World) -> list[Label]:
    """Every planted anomaly of the world, per series it shows in."""
    labels: list[Label] = []
    for key, trace in sorted(world.story.planted.items()):
        story = STORIES[key]
        error = next(e for e in world.releases.errors if e.key == key)
        labels.append(Label("errors", *_hours(trace.first, trace.last), story))
        for endpoint, (first, last) in sorted(trace.endpoints.items()):
            labels.append(Label(f"{ENDPOINT_PREFIX}{endpoint}", *_hours(first, last), story))
        if trace.logged is None:
            continue
        window = _hours(*trace.logged)
        if error.status >= 500:
            labels.append(Label("api_server_errors", *window, story))
        if key in TIMED_OUT_ERRORS:
            labels.append(Label("api_latency", *window, story))
            labels.append(Label("api_latency_p95", *window, story))
    loop = world.ai.loop
    if loop.first is not None and loop.last is not None:
        labels.append(
            Label(
                "ai_cost",
                *_hours(loop.first, loop.last),
                f"a prompt loop at {loop.endpoint} ({loop.plans} plans, {loop.calls} calls)",
            )
        )
    return labels
