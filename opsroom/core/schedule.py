"""Periodic jobs, all in one place: a cron spec (UTC) and the task it enqueues.

`manage.py opsroom_scheduler` claims each due slot once (see ScheduleSlot), so running two
schedulers never enqueues the same slot twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from croniter import croniter


@dataclass(frozen=True)
class Job:
    cron: str
    task: str  # dotted path to a django-tasks Task
    description: str


SCHEDULE: dict[str, Job] = {
    "task_results_prune": Job(
        cron="30 3 * * *",
        task="opsroom.core.tasks.task_results_prune",
        description="Delete finished task results and schedule slots older than 14 days.",
    ),
    "outbox_sweep": Job(
        cron="*/5 * * * *",
        task="opsroom.core.outbox.tasks.outbox_sweep",
        description="Queue due outbox retries, and entries whose worker died mid-flight.",
    ),
    "people_health_scores": Job(
        cron="15 2 * * *",
        task="opsroom.user360.tasks.health_scores_daily",
        description="Score every person's health for the day and keep it in their history.",
    ),
    "people_feature_lift": Job(
        cron="45 2 * * *",
        task="opsroom.user360.tasks.feature_lift_daily",
        description="Recompute which early-adopted features go with people staying active.",
    ),
    "people_health_validation": Job(
        cron="30 4 * * 1",
        task="opsroom.user360.tasks.health_validation_weekly",
        description="Check the health score against 12 months of churn; fit weights to it.",
    ),
    "revenue_ledger": Job(
        cron="*/15 * * * *",
        task="opsroom.revenue.tasks.revenue_ledger_update",
        description="Take new subscription changes and ended discounts into the MRR ledger.",
    ),
    "revenue_forecast": Job(
        cron="20 3 * * *",
        task="opsroom.revenue.tasks.revenue_forecast_prepare",
        description="Measure the complete months and backtest the 12-month forecast on them.",
    ),
    "revenue_cohorts": Job(
        cron="30 3 * * *",
        task="opsroom.revenue.tasks.revenue_cohorts_daily",
        description="Recompute the revenue cohorts (retention by month) and their insights' "
        "context.",
    ),
    "churn_predictions": Job(
        cron="40 3 * * *",
        task="opsroom.revenue.tasks.churn_predictions_daily",
        description="Predict every paying customer's churn (the model if active, else the rule).",
    ),
    "churn_model": Job(
        cron="0 5 * * 0",
        task="opsroom.revenue.tasks.churn_model_weekly",
        description="Retrain the churn model; switched on only if it beats the rule score.",
    ),
    "revenue_digest": Job(
        cron="0 7 * * 1",
        task="opsroom.revenue.tasks.revenue_digest_weekly",
        description="Email the week's revenue digest to the staff chosen on the revenue settings.",
    ),
    "retention_campaigns": Job(
        cron="25 * * * *",
        task="opsroom.revenue.tasks.retention_campaigns_run",
        description="Measure campaign entrants, take in today's (with a random holdout) and "
        "send the steps that are due, outside quiet hours; nothing twice.",
    ),
    "payment_recovery": Job(
        cron="10 * * * *",
        task="opsroom.revenue.tasks.payment_recovery_refresh",
        description="Update failed-payment cases; retry and dun when Opsroom owns recovery.",
    ),
    "people_error_spread": Job(
        cron="5 * * * *",
        task="opsroom.analytics.tasks.error_spread_hourly",
        description="Recompute how many people each recent error reached, and what fixed it.",
    ),
    "flag_rollouts": Job(
        cron="*/5 * * * *",
        task="opsroom.analytics.tasks.rollouts_watch_often",
        description="Watch staged flag rollouts: roll back on an error spike, advance when due.",
    ),
    "experiment_results": Job(
        cron="20 * * * *",
        task="opsroom.experiments.tasks.experiment_results_hourly",
        description="Recompute each experiment's people, conversions and metric sums per variant.",
    ),
    "anomaly_watch": Job(
        cron="7 * * * *",
        task="opsroom.analytics.tasks.anomalies_watch_hourly",
        description="Score each watched metric's latest points; record anomalies and alert.",
    ),
    "endpoint_performance": Job(
        cron="12 * * * *",
        task="opsroom.analytics.tasks.endpoint_performance_hourly",
        description="Recompute each endpoint's latency percentiles, errors and release "
        "regressions over the last 14 days.",
    ),
    "ai_budget": Job(
        cron="15 * * * *",
        task="opsroom.analytics.tasks.ai_budget_hourly",
        description="Project this month's AI cost; warn once when it heads over the budget.",
    ),
    "ai_limits": Job(
        cron="* * * * *",
        task="opsroom.analytics.tasks.ai_limits_every_minute",
        description="Turn each endpoint's AI cost throttle flag on when its spend reaches its "
        "daily or monthly limit (alert, audit) and off when a new period starts.",
    ),
    "funnels": Job(
        cron="25 * * * *",
        task="opsroom.analytics.tasks.funnels_hourly",
        description="Recompute every funnel's steps, drop-offs, timings and breakdowns.",
    ),
    "cohorts": Job(
        cron="40 3 * * *",
        task="opsroom.analytics.tasks.cohorts_daily",
        description="Compare the last 6 months' signups by month, channel, platform and plan: "
        "retention, activity and feature adoption.",
    ),
    "attribution": Job(
        cron="35 * * * *",
        task="opsroom.analytics.tasks.attribution_hourly",
        description="Credit the last 13 months' signups, trials and customers to their first "
        "and last touch: channel, campaign and landing page.",
    ),
    "support_triage_model": Job(
        cron="0 4 * * 0",
        task="opsroom.support.tasks.triage_model_train",
        description="Retrain the ticket category classifier and recalibrate the severity, "
        "feature and blocking confidences; each is used only if it beats its rules on the "
        "latest tickets.",
    ),
}


def due_slot(job: str, *, now: datetime) -> datetime:
    """The most recent slot of a job at or before `now`."""
    # croniter's get_prev is strictly before its start, so start just after `now`.
    start = now + timedelta(seconds=1)
    return croniter(SCHEDULE[job].cron, start).get_prev(datetime)


def next_run(job: str, *, after: datetime) -> datetime:
    """The next slot of a job after a time."""
    return croniter(SCHEDULE[job].cron, after).get_next(datetime)
