"""Calibrating the severity, feature and blocking confidences on reviewed tickets: the labels,
the time split, the fallback to rule strengths, the model store's rule, and where they show."""

import html
import random
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.template.defaultfilters import floatformat

from conftest import signed_in
from opsroom.core import clock
from opsroom.core.ml.cache import model_cache_clear
from opsroom.core.models import ModelArtifact
from opsroom.core.services.audit import AuditContext, audit_record
from opsroom.people.tests.factories import PersonFactory
from opsroom.support.ml.confidence import (
    MIN_LABELS,
    MODEL_NAMES,
    RuleOutcome,
    confidence_calibration_run,
)
from opsroom.support.models import AnalysisCorrection, Ticket, TicketAnalysis, TicketMessage
from opsroom.support.selectors.calibration import triage_confidence, triage_rule_outcomes
from opsroom.support.services import ticket_analyse, ticket_create, triage_confidences_calibrate
from opsroom.support.tasks import triage_model_train

pytestmark = pytest.mark.django_db
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _empty_model_cache():
    model_cache_clear()
    yield
    model_cache_clear()


def _history(levels, *, n=400, seed=3, start=START):
    """Outcomes of a rule, one an hour: `levels` maps a strength to its share of right answers;
    the levels alternate, so every stretch of time holds each of them."""
    rng = random.Random(seed)
    rows = []
    strengths = list(levels)
    for i in range(n):
        strength = strengths[i % len(strengths)]
        rows.append(
            RuleOutcome(
                strength=strength,
                is_right=rng.random() < levels[strength],
                at=start + timedelta(hours=i),
            )
        )
    return rows


# The calibration itself (pure).


def test_a_rule_right_80_and_30_percent_at_two_levels_gets_those_confidences():
    training = confidence_calibration_run(field="severity", outcomes=_history({0.6: 0.8, 0.9: 0.3}))
    calibrator = training.calibrator
    assert calibrator is not None
    assert training.run is not None
    assert calibrator.confidence(0.6) == pytest.approx(0.8, abs=0.07)
    assert calibrator.confidence(0.9) == pytest.approx(0.3, abs=0.07)
    # Isotonic regression cannot fall as the strength rises: the binned one wins by measurement
    # (isotonic pools both levels into the overall rate, well calibrated and telling nothing).
    assert calibrator.method == "binned"
    scores = training.run.metrics["method_brier"]
    assert scores["binned"] < scores["isotonic"]
    # Far better calibrated than the strengths themselves on the newest tickets.
    assert training.run.metrics["ece"] < 0.1 < training.run.baseline_metrics["ece"]
    assert training.run.primary_metric == "ece"


def test_a_level_never_seen_takes_the_nearest_levels_confidence():
    calibrator = confidence_calibration_run(
        field="is_blocking", outcomes=_history({0.6: 0.8, 0.9: 0.3})
    ).calibrator
    assert calibrator is not None
    assert calibrator.confidence(0.65) == calibrator.confidence(0.6)
    assert calibrator.confidence(0.95) == calibrator.confidence(0.9)


def test_a_rising_rule_may_be_calibrated_isotonically_and_stays_within_bounds():
    levels = {0.5: 0.2, 0.6: 0.35, 0.7: 0.5, 0.8: 0.7, 0.9: 0.95}
    training = confidence_calibration_run(field="feature", outcomes=_history(levels, n=1000))
    calibrator = training.calibrator
    assert calibrator is not None
    assert training.run is not None
    values = [calibrator.confidence(level) for level in levels]
    assert values == sorted(values)
    assert all(0.01 <= v <= 0.99 for v in values)
    assert training.run.params["method"] in ("binned", "isotonic")


def test_too_few_labels_give_no_calibration_and_say_why():
    training = confidence_calibration_run(
        field="severity", outcomes=_history({0.6: 0.8}, n=MIN_LABELS - 1)
    )
    assert training.calibrator is None
    assert training.run is None
    assert training.labels == MIN_LABELS - 1
    assert training.reason.startswith("Too little history")
    assert "rule strengths stay in use" in training.reason


def test_it_fits_on_older_tickets_and_is_judged_on_the_newer_ones():
    # The rule was right 90% of the time for the first 300 tickets, 50% for the last 100.
    older = _history({0.7: 0.9}, n=300, seed=1)
    newer = _history({0.7: 0.5}, n=100, seed=2, start=START + timedelta(hours=300))
    training = confidence_calibration_run(field="severity", outcomes=newer + older)
    assert training.calibrator is not None
    assert training.run is not None
    run = training.run
    assert (run.train_rows, run.test_rows) == (280, 120)
    assert run.data_end is not None
    assert run.data_end < datetime.fromisoformat(run.params["test_from"])
    # Fitted on the older tickets only, so it says about 90%...
    assert training.calibrator.confidence(0.7) == pytest.approx(0.9, abs=0.06)
    (level,) = run.metrics["levels"]
    assert level["train_observed"] == pytest.approx(0.9, abs=0.06)
    # ...and the newer tickets, where it was right less often, show it.
    assert level["test_observed"] < 0.7


# Labels from the operator's history.


def _reviewed_ticket(*, agent, created_at, severity="high", strength=0.65, is_right=True):
    """A solved ticket an agent answered, analysed on arrival; corrected when not right."""
    ticket = Ticket.objects.create(
        requester=PersonFactory(),
        subject="It crashes",
        body="The app crashes when I save.",
        status="closed",
        priority=severity,
        category="bug",
        assignee=agent,
        created_at=created_at,
        updated_at=created_at + timedelta(hours=3),
        first_response_at=created_at + timedelta(hours=1),
        resolved_at=created_at + timedelta(hours=3),
    )
    TicketAnalysis.objects.create(
        ticket=ticket,
        category="bug",
        category_confidence=0.8,
        source="rules",
        severity=severity,
        severity_confidence=strength,
        feature="POST /api/recipes",
        feature_confidence=strength,
        is_blocking=True,
        blocking_confidence=strength,
        signals={},
        analysed_at=created_at + timedelta(seconds=30),
    )
    TicketMessage.objects.create(
        ticket=ticket,
        author_kind="agent",
        author_user=agent,
        body="Fixed.",
        created_at=created_at + timedelta(hours=1),
    )
    if not is_right:
        for field, value in (("severity", "low"), ("feature", "login"), ("is_blocking", "false")):
            AnalysisCorrection.objects.create(
                ticket=ticket,
                field=field,
                predicted="",
                corrected=value,
                corrected_by=agent,
                corrected_at=created_at + timedelta(hours=1),
            )
    return ticket


def _outcomes(field="severity"):
    return {o.at: o.is_right for o in triage_rule_outcomes()[field]}


def test_corrections_and_agent_priority_changes_say_wrong_and_silence_says_right(
    staff_support,
):
    right = _reviewed_ticket(agent=staff_support, created_at=START)
    wrong = _reviewed_ticket(
        agent=staff_support, created_at=START + timedelta(days=1), is_right=False
    )
    reprioritised = _reviewed_ticket(agent=staff_support, created_at=START + timedelta(days=2))
    audit_record(
        AuditContext(actor=staff_support, label="support"),
        action="ticket.update",
        target=reprioritised,
        params={"from": {"priority": "high"}, "to": {"priority": "urgent"}},
    )
    confirmed = _reviewed_ticket(agent=staff_support, created_at=START + timedelta(days=3))
    AnalysisCorrection.objects.create(
        ticket=confirmed, field="severity", predicted="high", corrected="high"
    )
    triaged = _reviewed_ticket(agent=staff_support, created_at=START + timedelta(days=4))
    audit_record(  # triage's own priority change, and a system one, are no agent's verdict
        AuditContext.system("triage"),
        action="ticket.update",
        target=triaged,
        params={"from": {"priority": "normal"}, "to": {"priority": "low"}},
    )
    severity = _outcomes("severity")
    assert severity == {
        right.created_at: True,
        wrong.created_at: False,
        reprioritised.created_at: False,
        confirmed.created_at: True,
        triaged.created_at: True,
    }
    # A priority change speaks only for severity.
    assert _outcomes("is_blocking")[reprioritised.created_at] is True
    assert _outcomes("feature")[wrong.created_at] is False


def test_tickets_no_agent_worked_or_analysed_after_solving_are_not_labels(staff_support):
    kept = _reviewed_ticket(agent=staff_support, created_at=START)
    untouched = _reviewed_ticket(agent=staff_support, created_at=START + timedelta(days=1))
    TicketMessage.objects.filter(ticket=untouched).update(author_user=None)  # e.g. automation
    late = _reviewed_ticket(agent=staff_support, created_at=START + timedelta(days=2))
    TicketAnalysis.objects.filter(ticket=late).update(analysed_at=START + timedelta(days=9))
    still_open = _reviewed_ticket(agent=staff_support, created_at=START + timedelta(days=3))
    Ticket.objects.filter(pk=still_open.pk).update(status="open")
    assert list(_outcomes()) == [kept.created_at]


def test_the_strength_behind_a_calibrated_answer_is_what_is_relearnt(staff_support):
    ticket = _reviewed_ticket(agent=staff_support, created_at=START, strength=0.5)
    TicketAnalysis.objects.filter(ticket=ticket).update(
        severity_confidence=0.93,
        signals={"confidence": {"severity": {"rule": 0.75, "source": "calibrated", "version": 1}}},
    )
    (outcome,) = triage_rule_outcomes()["severity"]
    assert outcome.strength == 0.75
    (blocking,) = triage_rule_outcomes()["is_blocking"]
    assert blocking.strength == 0.5  # stored before calibration: the confidence is the strength


# Training, the store, and where the confidences show.


def _reviewed_history(agent, *, n=300):
    """Strength 0.65 answers right 80% of the time, 0.85 ones 30%, alternating, one a day."""
    rng = random.Random(7)
    for i in range(n):
        strength, share = (0.65, 0.8) if i % 2 == 0 else (0.85, 0.3)
        _reviewed_ticket(
            agent=agent,
            created_at=clock.now() - timedelta(days=n + 5 - i),
            strength=strength,
            is_right=rng.random() < share,
        )


def test_calibrations_are_stored_used_and_shown(staff_support, staff_analyst):
    _reviewed_history(staff_support)
    outcomes = triage_confidences_calibrate(audit=AuditContext.system("test"))
    assert [o.field for o in outcomes] == ["severity", "feature", "is_blocking"]
    for outcome in outcomes:
        artifact = outcome.artifact
        assert artifact is not None
        assert artifact.is_active, outcome.reason
        assert artifact.metrics["ece"] < artifact.baseline_metrics["ece"]
        assert (artifact.train_rows, artifact.test_rows) == (210, 90)
    # A new ticket's analysis carries the calibrated confidences and the strengths behind them.
    ticket = ticket_create(
        requester=PersonFactory(),
        subject="Export",
        body="The PDF export is broken.",
        channel="web",
    )
    analysis = ticket_analyse(ticket=ticket)
    expected = triage_confidence(field="is_blocking", strength=0.65)
    assert analysis.signals["confidence"]["is_blocking"] == {
        "rule": 0.65,
        "source": "calibrated",
        "version": 1,
    }
    assert analysis.blocking_confidence == expected.value == pytest.approx(0.8, abs=0.1)
    # The API says so.
    client = signed_in(staff_analyst)
    body = client.get(f"/api/v1/support/tickets/{ticket.pk}/analysis").json()
    assert body["blocking_confidence"] == analysis.blocking_confidence
    assert body["blocking_confidence_source"] == {
        "source": "calibrated",
        "version": 1,
        "rule_strength": 0.65,
    }
    # The ticket page says it is calibrated, not a rule strength.
    page = html.unescape(client.get(f"/support/tickets/{ticket.pk}/copilot/").content.decode())
    assert 'data-confidence-source="calibrated"' in page
    # The model page shows each field's figures.
    page = html.unescape(client.get("/support/models/").content.decode())
    severity = ModelArtifact.objects.get(name=MODEL_NAMES["severity"])
    assert 'data-calibration="severity"' in page
    before, after = severity.baseline_metrics["ece"], severity.metrics["ece"]
    assert f'data-figure="ece-before">{floatformat(before, 3)}<' in page
    assert f'data-figure="ece-after">{floatformat(after, 3)}<' in page
    assert "210 older to fit, 90 newest held back" in page
    assert severity.trained_at.strftime("%Y-%m-%d %H:%M") in page
    assert 'data-reliability="before"' in page
    assert 'data-reliability="after"' in page
    assert 'data-status="fallback"' not in page


def test_a_calibration_that_does_not_beat_the_rule_strengths_is_not_used(staff_support):
    # The rule strengths are already right: answers at 0.8 are right 4 times in 5.
    for i in range(300):
        _reviewed_ticket(
            agent=staff_support,
            created_at=clock.now() - timedelta(days=305 - i),
            strength=0.8,
            is_right=i % 5 != 0,
        )
    outcomes = {o.field: o for o in triage_confidences_calibrate(audit=AuditContext.system("t"))}
    severity = outcomes["severity"].artifact
    assert severity is not None
    assert severity.metrics["ece"] == severity.baseline_metrics["ece"] == 0.0
    assert not severity.is_active
    assert "the rules stay in use" in severity.decision
    assert triage_confidence(field="severity", strength=0.8).source == "rule"


def test_with_too_few_reviewed_tickets_the_rule_strengths_stay_and_the_page_says_so(
    staff_support, staff_analyst
):
    _reviewed_history(staff_support, n=20)
    outcomes = triage_confidences_calibrate(audit=AuditContext.system("test"))
    assert all(o.artifact is None and o.labels == 20 for o in outcomes)
    assert not ModelArtifact.objects.exists()
    assert triage_confidence(field="severity", strength=0.65).value == 0.65
    ticket = ticket_create(
        requester=PersonFactory(), subject="Help", body="It doesn't work.", channel="web"
    )
    analysis = ticket_analyse(ticket=ticket)
    assert analysis.signals["confidence"]["severity"]["source"] == "rule"
    client = signed_in(staff_analyst)
    body = client.get(f"/api/v1/support/tickets/{ticket.pk}/analysis").json()
    assert body["severity_confidence_source"]["source"] == "rule"
    assert body["severity_confidence"] == body["severity_confidence_source"]["rule_strength"]
    page = html.unescape(client.get("/support/models/").content.decode())
    assert page.count('data-status="fallback"') == 3
    assert "20 reviewed tickets; 200 needed" in page
    partial = html.unescape(client.get(f"/support/tickets/{ticket.pk}/copilot/").content.decode())
    assert 'data-confidence-source="rule"' in partial


def test_the_command_and_the_weekly_task_calibrate(staff_support):
    _reviewed_history(staff_support)
    out = StringIO()
    call_command("support_triage_train", "--confidences-only", stdout=out)
    text = out.getvalue()
    assert "Severity: support.triage.severity v1 (binned calibration" in text
    assert "expected calibration error" in text
    result = triage_model_train.call()
    assert result["confidences"]["severity"]["version"] == 2
    assert result["confidences"]["is_blocking"]["labels"] == 300


def test_every_role_reads_the_model_page_and_strangers_do_not(
    client, staff_support, staff_analyst, staff_billing, staff_admin
):
    for user in (staff_support, staff_analyst, staff_billing, staff_admin):
        assert signed_in(user).get("/support/models/").status_code == 200
    response = client.get("/support/models/")
    assert response.status_code == 302
    assert "/login" in response["Location"]
    assert signed_in(staff_admin).post("/support/models/").status_code == 405
