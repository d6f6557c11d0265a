"""`revenue_forecast_backtest`: the forecast against the naive one on whatever ledger is there."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from opsroom.revenue.cohorts.build import month_add
from opsroom.revenue.models import MrrDay


def _ledger(months: int) -> None:
    """A business that gains 2,000 of new MRR a month and loses 2% (one ledger day a month)."""
    mrr, customers = 50_000, 50
    MrrDay.objects.create(day=date(2024, 12, 31), currency="usd", mrr=mrr, customers=customers)
    for i in range(months):
        churn = round(mrr * 0.02)
        mrr += 2_000 - churn
        customers += 9
        MrrDay.objects.create(
            day=month_add(date(2025, 1, 1), i),
            currency="usd",
            mrr=mrr,
            customers=customers,
            new=2_000,
            churn=-churn,
            new_customers=10,
            churned_customers=1,
        )


def _run(*args: str) -> str:
    out = StringIO()
    call_command("revenue_forecast_backtest", "--no-update", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_forecast_beats_the_naive_one_on_a_steady_growing_ledger():
    _ledger(14)
    summary = json.loads(_run("--as-of", "2026-03-05", "--json"))
    assert summary["months"] == 15  # December 2024 (the opening day) to February 2026
    assert summary["origins"] == 15 - 6
    assert [row["months_ahead"] for row in summary["by_horizon"]] == [1, 2, 3]
    # The naive forecast misses the steady growth; the flow model follows it.
    assert summary["model_mape"] < summary["naive_mape"]
    assert summary["model_beats_naive"] is True
    text = _run("--as-of", "2026-03-05", "--horizon-months", "2")
    assert "2024-12 to 2026-02" in text
    assert "The forecast beats the naive forecast by MAPE." in text


@pytest.mark.django_db
def test_too_little_history_or_bad_options_exit_with_a_message():
    _ledger(5)
    with pytest.raises(CommandError, match="at least 7 complete months"):
        _run("--as-of", "2026-03-05")
    with pytest.raises(CommandError, match="not a date"):
        _run("--as-of", "March")
    with pytest.raises(CommandError, match="1 to 12"):
        _run("--horizon-months", "0")


@pytest.mark.django_db
def test_the_as_of_day_leaves_later_months_out():
    _ledger(14)
    summary = json.loads(_run("--as-of", "2025-11-15", "--json"))
    assert summary["last_month"] == "2025-10-01"
    assert summary["months"] == 11
