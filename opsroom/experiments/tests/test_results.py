"""An experiment's stored sums, its report, its pages and its API, from real rows."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy import stats

from conftest import signed_in
from opsroom.core.clock import clock_frozen_at
from opsroom.experiments.models import Experiment
from opsroom.experiments.results import experiment_report, experiment_result_refresh
from opsroom.experiments.services import exposure_record_many, flag_upsert_many
from opsroom.experiments.tasks import experiment_results_hourly
from opsroom.people.models import Person
from opsroom.people.services import EventData, event_record_many

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)
START = NOW - timedelta(days=20)


def _experiment(control_units, test_units, control_rate, test_rate, seed=1) -> Experiment:
    """People exposed over 20 days; converters add a recipe a day after their exposure."""
    rng = np.random.default_rng(seed)
    flag = flag_upsert_many(
        rows=[
            {
                "key": "new_recipe_ui",
                "variants": [{"key": "control", "weight": 50}, {"key": "test", "weight": 50}],
                "rollout_percent": 100,
            }
        ]
    ).by_key["new_recipe_ui"]
    experiment = Experiment.objects.create(
        key="recipe-page",
        name="Recipe page",
        flag=flag,
        primary_metric="recipe_added",
        status="running",
        started_at=START,
    )
    exposures, events = [], []
    for variant, units, rate in (
        ("control", control_units, control_rate),
        ("test", test_units, test_rate),
    ):
        people = Person.objects.bulk_create(
            [Person(external_id=f"{variant}-{i}") for i in range(units)]
        )
        for i, person in enumerate(people):
            exposed = START + timedelta(hours=int(rng.integers(0, 20 * 24 - 30)))
            exposures.append((person.pk, flag.pk, variant, exposed))
            # Before the exposure: never counts.
            events.append(
                EventData(person.external_id, "recipe_added", exposed - timedelta(hours=1))
            )
            if rng.random() < rate:
                for k in range(int(rng.integers(1, 4))):
                    at = exposed + timedelta(hours=2 + k)
                    events.append(
                        EventData(
                            person.external_id,
                            "recipe_added",
                            at,
                            idempotency_key=f"{variant}{i}-{k}",
                        )
                    )
    exposure_record_many(rows=exposures)
    event_record_many(events=events)
    return experiment


@pytest.mark.django_db
def test_the_sums_count_people_who_converted_after_their_exposure():
    experiment = _experiment(400, 420, 0.20, 0.30)

    with clock_frozen_at(NOW):
        result = experiment_result_refresh(experiment=experiment)

    by_key = {row["key"]: row for row in result.variants}
    assert by_key["control"]["units"] == 400
    assert by_key["test"]["units"] == 420
    assert 0.14 < by_key["control"]["conversions"] / 400 < 0.26
    assert 0.24 < by_key["test"]["conversions"] / 420 < 0.36
    assert by_key["test"]["total"] >= by_key["test"]["conversions"]
    last = result.daily[-1]
    assert last["units"] == {"control": 400, "test": 420}
    assert last["conversions"]["test"] == by_key["test"]["conversions"]


@pytest.mark.django_db
def test_the_report_agrees_with_scipy_on_the_stored_sums():
    experiment = _experiment(500, 500, 0.20, 0.28)
    with clock_frozen_at(NOW):
        experiment_result_refresh(experiment=experiment)
    experiment = Experiment.objects.select_related("flag", "result").get()

    report = experiment_report(experiment=experiment)

    control, test = report.variants
    assert (control.key, test.key) == ("control", "test")
    a = np.r_[np.ones(control.conversions), np.zeros(control.units - control.conversions)]
    b = np.r_[np.ones(test.conversions), np.zeros(test.units - test.conversions)]
    assert round(test.conversion_vs_control.p_value, 4) == round(
        stats.ttest_ind(b, a, equal_var=False).pvalue, 4
    )
    assert report.sample_ratio.p_value == pytest.approx(1.0)
    assert report.units_per_day > 0


@pytest.mark.django_db
def test_a_skewed_split_is_flagged_as_a_sample_ratio_mismatch():
    experiment = _experiment(300, 450, 0.2, 0.2)
    with clock_frozen_at(NOW):
        experiment_results_hourly.call()
    experiment = Experiment.objects.select_related("flag", "result").get()

    report = experiment_report(experiment=experiment)

    assert report.sample_ratio.is_mismatch


@pytest.mark.django_db
def test_people_served_two_variants_are_left_out():
    experiment = _experiment(60, 60, 0.5, 0.5)
    person = Person.objects.get(external_id="control-0")
    exposure_record_many(rows=[(person.pk, experiment.flag_id, "test", START + timedelta(days=3))])

    with clock_frozen_at(NOW):
        result = experiment_result_refresh(experiment=experiment)

    assert result.multiple_exposures == 1
    assert sum(row["units"] for row in result.variants) == 119


@pytest.mark.django_db
def test_the_dashboard_shows_the_lift_the_interval_and_the_srm_check(staff_analyst):
    experiment = _experiment(500, 500, 0.20, 0.30)
    with clock_frozen_at(NOW):
        experiment_result_refresh(experiment=experiment)

    page = signed_in(staff_analyst).get(f"/analytics/experiments/{experiment.key}/")

    assert page.status_code == 200
    body = page.content.decode()
    assert "Relative lift" in body
    assert "Anytime-valid interval" in body
    assert "data-srm-p" in body
    listing = signed_in(staff_analyst).get("/analytics/experiments/")
    assert "Recipe page" in listing.content.decode()


@pytest.mark.django_db
def test_an_unknown_experiment_is_a_404(staff_analyst):
    assert signed_in(staff_analyst).get("/analytics/experiments/nope/").status_code == 404


@pytest.mark.django_db
def test_the_sample_size_page_answers_and_refuses_nonsense(staff_analyst):
    client = signed_in(staff_analyst)

    page = client.get(
        "/analytics/experiments/sample-size/",
        {"metric": "conversion", "baseline": 20, "effect": 25, "alpha": 0.05, "power": 0.8,
         "variants": 2, "units_per_day": 100},
    )  # fmt: skip
    bad = client.get(
        "/analytics/experiments/sample-size/",
        {"metric": "conversion", "baseline": 98, "effect": 25, "alpha": 0.05, "power": 0.8,
         "variants": 2},
    )  # fmt: skip

    assert page.status_code == 200
    assert "data-per-arm>1031<" in page.content.decode()
    assert bad.status_code == 400
    assert "between 0 and 1" in bad.content.decode()


@pytest.mark.django_db
def test_the_api_gives_results_and_sample_sizes(staff_analyst):
    experiment = _experiment(300, 300, 0.2, 0.3)
    with clock_frozen_at(NOW):
        experiment_result_refresh(experiment=experiment)
    client = signed_in(staff_analyst)

    answer = client.get(f"/api/v1/experiments/{experiment.key}").json()
    size = client.get(
        "/api/v1/experiments/sample-size", {"baseline": 0.2, "effect": 0.25, "units_per_day": 200}
    ).json()
    refused = client.get("/api/v1/experiments/sample-size", {"baseline": 0.2, "effect": 9})
    missing = client.get("/api/v1/experiments/missing")

    assert [v["key"] for v in answer["variants"]] == ["control", "test"]
    assert answer["variants"][1]["conversion"]["lift"] > 0
    assert size == {"per_variant": 1031, "total": 2062, "days": 11}
    assert refused.status_code == 400
    assert missing.status_code == 404
