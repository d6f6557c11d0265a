"""The forecast's flow model by hand, its backtest against a naive forecast, and its pages:
live recompute, CSV, print, and signed read-only links that expire."""

from datetime import date

import pytest
from django.test import Client

from conftest import signed_in
from opsroom.core.models import AuditEntry
from opsroom.revenue.cohorts.build import month_add
from opsroom.revenue.forecast.model import (
    Assumptions,
    MonthFlow,
    assumptions_measure,
    forecast_backtest,
    forecast_run,
)
from opsroom.revenue.models import ForecastBasis


def _assumptions(**values):
    base = dict.fromkeys(
        (
            "mrr_churn",
            "contraction",
            "expansion",
            "customer_churn",
            "trials",
            "trial_growth",
            "conversion",
            "direct_new",
            "new_arpa",
            "reactivation",
            "reactivated_customers",
        ),
        0.0,
    )
    return Assumptions(**{**base, **values})


def test_one_month_of_the_flow_model_by_hand():
    # 10000 MRR, 100 customers; 5% MRR churn, 1% contraction, 2% expansion; 20 trials at 50%
    # conversion (growing 10%: 22 trials next month, 11 converted) plus 4 direct, at 500 each.
    a = _assumptions(
        mrr_churn=0.05,
        contraction=0.01,
        expansion=0.02,
        customer_churn=0.04,
        trials=20,
        trial_growth=0.10,
        conversion=0.5,
        direct_new=4,
        new_arpa=500,
        reactivation=100,
        reactivated_customers=1,
    )
    (first,) = forecast_run(
        start=date(2026, 6, 1), mrr=10000, customers=100, assumptions=a, months=1
    )
    # 10000 x 0.96 + 15 x 500 + 100 = 17200; 100 x 0.96 + 15 + 1 = 112.
    assert (first.month, first.mrr, first.customers, first.new_customers) == (
        date(2026, 7, 1),
        17200,
        112,
        15,
    )


def _flows(months: int, *, growth: float) -> list[MonthFlow]:
    """A business that adds 10 customers at 1000 a month and loses 2% of MRR and customers."""
    flows, mrr, customers = [], 50000, 50
    for i in range(months):
        start_mrr, start_customers = mrr, customers
        churn = round(start_mrr * 0.02)
        new = round(10 * 1000 * (1 + growth) ** i)
        mrr = start_mrr - churn + new
        customers = start_customers - 1 + round(10 * (1 + growth) ** i)
        flows.append(
            MonthFlow(
                month=month_add(date(2024, 1, 1), i),
                mrr_start=start_mrr,
                mrr_end=mrr,
                customers_start=start_customers,
                customers_end=customers,
                new=new,
                expansion=0,
                contraction=0,
                churn=-churn,
                reactivation=0,
                new_customers=round(10 * (1 + growth) ** i),
                churned_customers=1,
                reactivated_customers=0,
                trials=round(20 * (1 + growth) ** i),
                conversions=round(10 * (1 + growth) ** i),
            )
        )
    return flows


def test_the_measured_assumptions_are_the_trailing_means():
    base = assumptions_measure(_flows(12, growth=0.0))["base"]
    assert base.mrr_churn == pytest.approx(0.02, abs=1e-4)
    assert base.conversion == pytest.approx(0.5)
    assert base.new_arpa == pytest.approx(1000)
    assert base.trials == pytest.approx(20)


def test_on_a_steady_business_the_backtest_beats_the_naive_forecast():
    result = forecast_backtest(flows=_flows(18, growth=0.0), horizon=3)
    assert result.origins == 12
    assert result.model_mape < 0.01
    assert result.naive_mape > 0.03
    assert [ahead for ahead, _, _ in result.by_horizon] == [1, 2, 3]


def _basis():
    flows = _flows(12, growth=0.02)
    return ForecastBasis.objects.create(
        day=date(2025, 1, 5),
        currency="usd",
        flows=[{**f.__dict__, "month": f.month.isoformat()} for f in flows],
        backtest=forecast_backtest(flows=flows).__dict__,
        levers={"annual_price_ratio": 0.8, "monthly_share": 0.9, "monthly_mrr": 50000.0,
                "churn_month": 0.03, "churn_year": 0.01},
    )  # fmt: skip


@pytest.mark.django_db
def test_the_page_recomputes_with_the_operator_s_assumptions(staff_analyst):
    _basis()
    client = signed_in(staff_analyst)
    page = client.get("/revenue/forecast/")
    assert page.status_code == 200
    html = page.content.decode()
    for lever in ("churn", "conversion", "trials", "annual"):
        assert f'data-lever="{lever}"' in html
    partial = client.get("/revenue/forecast/?customer_churn=1&mrr_churn=1", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert 'class="narrow changed"' in partial.content.decode()
    bad = client.get("/revenue/forecast/?conversion=250", HTTP_HX_REQUEST="true")
    assert bad.status_code == 400
    assert "conversion must be between 0 and 1" in bad.content.decode()


@pytest.mark.django_db
def test_the_csv_has_three_scenarios_for_twelve_months(staff_analyst):
    _basis()
    answer = signed_in(staff_analyst).get("/revenue/forecast/export.csv")
    lines = answer.content.decode().splitlines()
    assert answer["Content-Type"] == "text/csv"
    assert lines[0] == "month,conservative_mrr,base_mrr,optimistic_mrr,base_customers"
    assert [line.split(",")[0] for line in lines[1:13]] == [
        f"{month_add(date(2025, 1, 1), i):%Y-%m}" for i in range(12)
    ]


@pytest.mark.django_db
def test_a_share_link_shows_the_forecast_without_sign_in_until_it_expires(staff_billing, settings):
    _basis()
    created = signed_in(staff_billing).post("/revenue/forecast/share/", {"conversion": "60"})
    assert created.status_code == 200
    link = created.content.decode().split('<pre class="secret">')[1].split("</pre>")[0]
    path = link.replace("http://testserver", "")
    anonymous = Client()
    shown = anonymous.get(path)
    assert shown.status_code == 200
    assert "A read-only copy shared from Opsroom" in shown.content.decode()
    assert "set by hand" in shown.content.decode()
    assert AuditEntry.objects.filter(action="revenue.forecast_share").count() == 1
    assert anonymous.get(path[:-5] + "xxxx/").status_code == 404
    settings.OPSROOM_REVENUE_SHARE_DAYS = 0  # every link is now older than allowed
    assert anonymous.get(path).status_code == 404


@pytest.mark.django_db
def test_an_analyst_may_not_share_the_forecast(staff_analyst):
    _basis()
    assert signed_in(staff_analyst).post("/revenue/forecast/share/").status_code == 403


@pytest.mark.django_db
def test_the_forecast_api_takes_overrides_and_refuses_bad_ones(staff_analyst):
    _basis()
    client = signed_in(staff_analyst)
    body = client.get("/api/v1/revenue/forecast?conversion=60").json()
    assert len(body["months"]) == 12
    assert body["assumptions"]["base"]["conversion"] == 0.6
    assert body["overridden"] == ["conversion"]
    assert client.get("/api/v1/revenue/forecast?trials=lots").status_code == 400


@pytest.mark.django_db
def test_the_daily_task_prepares_the_forecast_for_the_day():
    from datetime import UTC, datetime

    from opsroom.core import clock
    from opsroom.revenue.tasks import revenue_forecast_prepare

    old = _basis()
    with clock.clock_frozen_at(datetime(2026, 6, 30, 4, tzinfo=UTC)):
        outcome = revenue_forecast_prepare.call()
    assert outcome["day"] == "2026-06-30"
    assert list(ForecastBasis.objects.values_list("day", flat=True)) == [date(2026, 6, 30)]
    assert not ForecastBasis.objects.filter(pk=old.pk).exists()
