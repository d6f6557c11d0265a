"""The health score checked against churn: samples from the history, the report, the fitted
weights, the CSV format, and the bands' order on a demo world."""

import io
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.people.tests.factories import PersonFactory
from opsroom.revenue.tests.factories import SubscriptionFactory
from opsroom.user360.health import HealthSettings
from opsroom.user360.health_fit import HealthSample, health_report, weights_fit
from opsroom.user360.models import HealthValidation
from opsroom.user360.services.health_validation import (
    health_samples_gather,
    health_samples_read,
    health_samples_write,
    health_validation_latest,
    validation_days,
)
from opsroom.user360.tests.world import events

SETTINGS = HealthSettings(
    weights={"engagement": 30, "frequency": 25, "adoption": 20, "support": 10, "payment": 15},
    core_features=[f"feature_{i}" for i in range(10)],
)
KEYS = ("engagement", "frequency", "adoption", "support", "payment")


def _synthetic(customers=400, weeks=12, seed=7):
    """Customers whose churn follows their adoption score only; the rest is noise."""
    rng = np.random.default_rng(seed)
    samples = []
    start = date(2026, 1, 5)
    for person in range(customers):
        level = rng.uniform(0, 100)
        for week in range(weeks):
            adoption = int(np.clip(level + rng.normal(0, 10), 0, 100))
            scores = {key: int(rng.uniform(0, 100)) for key in KEYS}
            scores["adoption"] = adoption
            churned = rng.random() < 1 / (1 + np.exp(-(-0.5 - adoption / 20)))
            samples.append(
                HealthSample(
                    day=start + timedelta(days=7 * week),
                    person_id=person,
                    scores=scores,
                    account_age_days=200,
                    churned=bool(churned),
                )
            )
    return samples


def test_weights_are_fitted_on_the_earlier_days_and_beat_the_hand_set_ones_on_the_later():
    samples = _synthetic()
    fit, refused = weights_fit(samples, SETTINGS)
    assert refused == ""
    assert max(fit.weights, key=fit.weights.get) == "adoption"
    assert fit.weights["adoption"] >= 70
    assert sum(fit.weights.values()) == 100
    assert fit.fit_last_day < fit.test_first_day  # tested on days it never saw
    assert fit.test_samples == 400 * 4  # the later third of 12 weeks
    assert fit.auc_fitted > fit.auc_hand_set
    assert fit.is_better


def test_the_report_gives_churn_per_band_with_intervals_and_the_auc():
    samples = _synthetic(customers=150, weeks=6)
    report = health_report(samples, SETTINGS)
    assert (report.samples, report.customers) == (900, 150)
    assert report.churned == sum(sample.churned for sample in samples)
    assert sum(band.samples for band in report.bands) == 900
    for band in report.bands:
        assert band.rate == pytest.approx(band.churned / band.samples, abs=1e-4)
        assert band.low <= band.rate <= band.high
    assert report.auc_low <= report.auc <= report.auc_high
    # The same samples give the same report (the bootstrap is seeded).
    assert health_report(samples, SETTINGS).as_dict() == report.as_dict()


def test_new_customers_have_their_own_row_and_stay_out_of_the_auc():
    samples = _synthetic(customers=60, weeks=4)
    young = [HealthSample(s.day, s.person_id + 1000, s.scores, 3, s.churned) for s in samples[:40]]
    report = health_report(samples + young, SETTINGS)
    assert report.band("new").samples == 40
    assert report.auc == health_report(samples, SETTINGS).auc


def test_too_few_churned_customers_fit_no_weights():
    samples = [
        HealthSample(
            date(2026, 1, 5) + timedelta(days=7 * w), p, dict.fromkeys(KEYS, 50), 99, False
        )
        for p in range(20)
        for w in range(6)
    ]
    fit, refused = weights_fit(samples, SETTINGS)
    assert fit is None
    assert refused.startswith("Too few customers stopped paying")
    with pytest.raises(InvalidInput, match="no samples"):
        health_report([], SETTINGS)


def test_samples_round_trip_through_csv_and_a_bad_file_is_refused_with_its_line():
    samples = _synthetic(customers=5, weeks=2)
    samples[0] = HealthSample(samples[0].day, 0, {**samples[0].scores, "payment": None}, None, True)
    buffer = io.StringIO()
    assert health_samples_write(samples, buffer) == 10
    assert health_samples_read(io.StringIO(buffer.getvalue())) == samples
    header = buffer.getvalue().splitlines()[0]
    bad = f"{header}\n2026-01-05,1,50,50,50,50,50,90,0\n2026-01-05,2,50,50,150,50,50,90,0\n"
    with pytest.raises(InvalidInput, match="Line 3: adoption must be 0 to 100, not 150"):
        health_samples_read(io.StringIO(bad))
    with pytest.raises(InvalidInput, match="lacks the column"):
        health_samples_read(io.StringIO("day,person_id\n2026-01-05,1\n"))


def test_validation_days_end_where_the_30_day_outcome_is_known():
    days = validation_days(today=date(2026, 11, 28), months=3)
    assert days[-1] == date(2026, 10, 28)
    assert all((later - earlier).days == 7 for earlier, later in pairwise(days))
    assert days[0] >= date(2026, 7, 28)
    with pytest.raises(InvalidInput):
        validation_days(today=date(2026, 11, 28), months=0)


@pytest.mark.django_db
def test_samples_are_the_paying_customers_of_each_day_and_whether_they_stopped():
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    with clock.clock_frozen_at(now - timedelta(days=90)):
        stays, leaves = PersonFactory(), PersonFactory()
        SubscriptionFactory(person=stays, provider_subscription_id="sub_stays")
        SubscriptionFactory(person=leaves, provider_subscription_id="sub_leaves")
        free = PersonFactory()
        events(free, [1, 2], ["login"], clock.now())
    with clock.clock_frozen_at(now - timedelta(days=40)):
        SubscriptionFactory(
            person=leaves,
            provider_subscription_id="sub_leaves",
            status="canceled",
            ended_at=clock.now(),
            source_updated_at=clock.now(),
        )
    samples = health_samples_gather(days=[date(2026, 4, 1), date(2026, 4, 8)], settings_=SETTINGS)
    by_day = {(s.day, s.person_id): s for s in samples}
    # On Apr 1 both paid; the one who cancelled on Apr 22 churned within 30 days.
    assert by_day[(date(2026, 4, 1), leaves.pk)].churned is True
    assert by_day[(date(2026, 4, 1), stays.pk)].churned is False
    assert (date(2026, 4, 1), free.pk) not in by_day  # not paying: not a sample
    assert by_day[(date(2026, 4, 8), stays.pk)].account_age_days == 90 + 120 - 54


@pytest.mark.django_db(transaction=True)
def test_on_a_demo_world_the_bands_are_ordered_by_churn():
    end = date(2026, 9, 30)
    call_command("opsroom_demo", people=400, months=12, seed=1, end=end.isoformat(), verbosity=0)
    with clock.clock_frozen_at(datetime.combine(end, time(23, 0), tzinfo=UTC)):
        call_command("people_refresh", stdout=io.StringIO())
        out = io.StringIO()
        call_command("people_health_validate", stdout=out, stderr=io.StringIO())
    validation, report = health_validation_latest()
    rates = {band.band: band.rate for band in report.bands}
    assert rates["critical"] > rates["at_risk"] > rates["healthy"]
    assert report.is_ordered
    assert report.auc > 0.6
    assert HealthValidation.objects.count() == 1
    assert validation.samples == report.samples > 500
    assert "Bands ordered by churn (Critical most): yes" in out.getvalue()


@pytest.mark.django_db
def test_the_command_evaluates_a_file_and_refuses_a_bad_one(tmp_path):
    path = tmp_path / "samples.csv"
    with path.open("w", newline="") as handle:
        health_samples_write(_synthetic(customers=120, weeks=6), handle)
    out = io.StringIO()
    call_command("people_health_validate", from_file=path, stdout=out)
    assert "AUC of the score against churn" in out.getvalue()
    assert not HealthValidation.objects.exists()  # a file's report is not kept
    (tmp_path / "bad.csv").write_text("day,person_id\n")
    with pytest.raises(CommandError, match="lacks the column"):
        call_command("people_health_validate", from_file=tmp_path / "bad.csv")


@pytest.mark.django_db
def test_admins_queue_a_check_and_use_the_fitted_weights(staff_admin, staff_analyst):
    from django_tasks_db.models import DBTaskResult

    from conftest import signed_in
    from opsroom.core.models import AuditEntry
    from opsroom.user360.models import HealthConfig
    from opsroom.user360.services.health import health_settings_get

    report = health_report(_synthetic(), health_settings_get())
    HealthValidation.objects.create(
        first_day=report.first_day,
        last_day=report.last_day,
        samples=report.samples,
        report=report.as_dict(),
    )
    page = signed_in(staff_analyst).get("/people/health/").content.decode()
    assert "Use the fitted weights" not in page  # analysts read it, admins act on it
    assert "data-band-churn" in page
    assert f'data-auc="{report.auc}"' in page
    assert signed_in(staff_analyst).post("/people/health/fitted/").status_code == 403
    assert signed_in(staff_analyst).post("/people/health/validate/").status_code == 403
    admin = signed_in(staff_admin)
    assert "Use the fitted weights" in admin.get("/people/health/").content.decode()
    assert admin.post("/people/health/fitted/").status_code == 302
    assert HealthConfig.objects.get().weights == report.fit.weights
    assert AuditEntry.objects.filter(action="people.health_settings_change").exists()
    assert admin.post("/people/health/validate/").status_code == 302
    assert DBTaskResult.objects.filter(
        task_path="opsroom.user360.tasks.health_validation_weekly"
    ).exists()
