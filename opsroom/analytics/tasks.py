"""Background work of analytics: derived tables recomputed on a schedule. Each task is safe to
run twice."""

from typing import Any

from django_tasks import task

from opsroom.analytics.models import Funnel
from opsroom.analytics.rollouts import rollouts_watch
from opsroom.analytics.services.ai_cost import ai_budget_watch
from opsroom.analytics.services.ai_limits import ai_limits_watch
from opsroom.analytics.services.anomalies import anomalies_detect
from opsroom.analytics.services.attribution import attribution_refresh
from opsroom.analytics.services.cohorts import cohorts_refresh
from opsroom.analytics.services.funnels import funnel_compute
from opsroom.analytics.services.impact import error_impacts_refresh
from opsroom.analytics.services.performance import endpoint_performance_refresh
from opsroom.analytics.services.spread import error_spread_refresh


@task()
def error_spread_hourly() -> dict[str, Any]:
    """Recompute how far each recent error fingerprint reached, and what stopped it."""
    spread = error_spread_refresh()
    return {"fingerprints": spread, "impacts": error_impacts_refresh()}


@task()
def rollouts_watch_often() -> dict[str, Any]:
    """Watch every staged flag rollout: roll back on an error spike, advance when due."""
    return {"rollouts": rollouts_watch()}


@task()
def anomalies_watch_hourly() -> dict[str, Any]:
    """Score every watched metric series; record anomalies and alert on new episodes."""
    return anomalies_detect()


@task()
def endpoint_performance_hourly() -> dict[str, Any]:
    """Recompute each endpoint's latency, errors and release regressions."""
    return {"rows": endpoint_performance_refresh()}


@task()
def ai_budget_hourly() -> dict[str, Any]:
    """Project this month's AI cost; alert once when the projection crosses the budget."""
    return ai_budget_watch()


@task()
def ai_limits_every_minute() -> dict[str, Any]:
    """Switch each endpoint's AI cost throttle flag to match its spend this day or month."""
    return ai_limits_watch()


@task()
def funnel_compute_task(funnel_id: int) -> dict[str, Any]:
    """Compute one funnel's figures (after it is defined)."""
    funnel = Funnel.objects.filter(pk=funnel_id).first()
    if funnel is None:
        return {"funnel": None}
    return {"funnel": funnel_id, "entered": funnel_compute(funnel=funnel).entered}


@task()
def funnels_hourly() -> dict[str, Any]:
    """Recompute every funnel's figures."""
    return {"funnels": [funnel_compute(funnel=f).funnel_id for f in Funnel.objects.all()]}


@task()
def cohorts_daily() -> dict[str, Any]:
    """Recompute the cohort comparison (retention, activity, feature adoption by group)."""
    return {"people": cohorts_refresh()}


@task()
def attribution_hourly() -> dict[str, Any]:
    """Recompute first- and last-touch attribution of the last 13 months' signups."""
    return {"people": attribution_refresh()}
