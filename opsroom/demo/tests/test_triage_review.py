"""The demo team's review of the copilot's analyses: every answered solved ticket analysed as
of its arrival, wrong answers corrected by its agent from the simulation's truth, on a random
stream of its own (the rest of the world is the same with or without it)."""

from datetime import date

import pytest
from django.db import transaction

from opsroom.demo import services
from opsroom.demo.services import demo_world_build
from opsroom.demo.tests.fingerprint import world_digest
from opsroom.support.models import AnalysisCorrection, Ticket, TicketAnalysis

pytestmark = pytest.mark.django_db
END = date(2026, 3, 31)
COPILOT = {"support.TicketAnalysis", "support.AnalysisCorrection"}


def _digest_of_world(check=None):
    with transaction.atomic():
        summary = demo_world_build(people=150, months=4, seed=11, end=END, progress=False)
        digest = world_digest()
        if check is not None:
            check(summary)
        transaction.set_rollback(True)
    return digest


def _reviewed(summary):
    answered = Ticket.objects.filter(
        status__in=["solved", "closed"], assignee__isnull=False, first_response_at__isnull=False
    )
    analyses = TicketAnalysis.objects.select_related("ticket")
    assert analyses.count() == answered.count() == summary.rows["ticket_analyses"] > 0
    assert all(a.analysed_at < a.ticket.first_response_at for a in analyses)
    corrections = AnalysisCorrection.objects.select_related("ticket")
    assert corrections.count() == summary.rows["analysis_corrections"] > 0
    assert {c.field for c in corrections} <= {"severity", "feature", "is_blocking"}
    for correction in corrections:
        assert correction.corrected_by == correction.ticket.assignee
        assert correction.corrected_at == correction.ticket.first_response_at
        if correction.field == "severity":  # the help desk's priority is the truth
            assert correction.corrected == correction.ticket.priority


def test_the_review_is_deterministic_and_leaves_the_rest_of_the_world_alone(
    staff_support, staff_billing, monkeypatch
):
    first = _digest_of_world(check=_reviewed)
    assert first == _digest_of_world()
    monkeypatch.setattr(
        services, "triage_history_review", lambda **kwargs: {"analysed": 0, "corrections": 0}
    )
    without = _digest_of_world()
    assert without["support.TicketAnalysis"][0] == 0
    assert {t: d for t, d in first.items() if t not in COPILOT} == {
        t: d for t, d in without.items() if t not in COPILOT
    }
