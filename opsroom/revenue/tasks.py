"""Background work of the revenue command center. Each task is safe to run twice."""

from typing import Any

from django_tasks import task

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.core.services.audit import AuditContext
from opsroom.revenue.campaigns.run import campaigns_run
from opsroom.revenue.churn.services import churn_model_train, churn_predictions_refresh
from opsroom.revenue.cohorts.services import cohorts_refresh
from opsroom.revenue.digest import revenue_digest_send
from opsroom.revenue.forecast.services import forecast_basis_refresh
from opsroom.revenue.metrics.services import mrr_ledger_update
from opsroom.revenue.recovery.services import payment_cases_refresh


@task()
def revenue_ledger_update() -> dict[str, Any]:
    """Take in new subscription changes and ended discounts; refresh snapshots and the overview."""
    run = mrr_ledger_update()
    return {
        "rebuilt": run.rebuilt,
        "people": run.people,
        "movements": run.movements,
        "from_day": run.from_day.isoformat() if run.from_day else None,
        "seconds": round(run.seconds, 2),
    }


@task()
def revenue_forecast_prepare() -> dict[str, Any]:
    """Measure the complete months and backtest the forecast on them, for the day."""
    basis = forecast_basis_refresh(today=clock.now().date())
    return {"day": basis.day.isoformat(), "months": len(basis.flows)}


@task()
def revenue_cohorts_daily() -> dict[str, Any]:
    """Recompute the cohort tables and the context of the cohorts the insights name."""
    cells, seconds = cohorts_refresh(today=clock.now().date())
    return {"cells": cells, "seconds": round(seconds, 2)}


@task()
def payment_recovery_refresh() -> dict[str, Any]:
    """Bring the failed-payment cases up to date; when Opsroom owns recovery, retry and dun."""
    run = payment_cases_refresh()
    return {
        "cases": run.cases,
        "opened": run.opened,
        "recovered": run.recovered,
        "lost": run.lost,
        "retries_requested": run.retries_requested,
        "emails_sent": run.emails_sent,
    }


@task()
def churn_predictions_daily() -> dict[str, Any]:
    """Predict churn for every paying customer (the active model, else the rule score)."""
    run = churn_predictions_refresh()
    return {
        "customers": run.customers,
        "source": run.source,
        "model_version": run.model_version,
        "band_changes": run.band_changes,
    }


@task()
def churn_model_weekly() -> dict[str, Any]:
    """Retrain the churn model; it is switched on only if it beats the rule score."""
    try:
        artifact = churn_model_train(audit=AuditContext.system("churn model weekly"))
    except InvalidInput as exc:
        return {"trained": False, "reason": exc.message}
    return {"trained": True, "version": artifact.version, "active": artifact.is_active}


@task()
def revenue_digest_weekly() -> dict[str, Any]:
    """Email the week's revenue digest to the chosen staff (once a week)."""
    run = revenue_digest_send()
    return {"week": run.week.isoformat(), "sent": run.sent, "skipped": run.skipped}


@task()
def retention_campaigns_run() -> dict[str, Any]:
    """Measure, take in today's entrants and send what is due (each step once)."""
    run = campaigns_run()
    return {
        "entered": run.entered,
        "held_out": run.held_out,
        "sent": run.sent,
        "deferred": run.deferred,
        "measured": run.measured,
    }
