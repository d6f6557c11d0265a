"""The demo world's feature-availability questions: each names one catalog feature and asks
whether it is on the plan; they come from their own random stream, so the rest of the world
is the same with or without them."""

from datetime import date

import pytest
from django.db import transaction

from opsroom.demo.services import demo_world_build
from opsroom.demo.tests.fingerprint import world_digest
from opsroom.demo.world import catalog, feature_questions
from opsroom.support.models import Ticket
from opsroom.support.selectors.features import asks_about_availability, features_named
from opsroom.support.services.automations import feature_catalog_load

END = date(2026, 3, 31)


@pytest.mark.django_db
@pytest.mark.parametrize("body", feature_questions.BODIES)
def test_every_question_names_one_feature_and_asks_about_the_plan(body):
    feature_catalog_load(rows=list(catalog.FEATURES))
    for feature in catalog.FEATURES:
        for called in feature_questions.CALLED[feature["key"]]:
            text = body.format(feature=called, plan="Premium monthly")
            assert asks_about_availability(text=text), text
            assert [f.key for f in features_named(text=text)] == [feature["key"]], text


def _digest(*, without_questions: bool, monkeypatch) -> tuple[dict, int]:
    with transaction.atomic(), monkeypatch.context() as patch:
        if without_questions:
            patch.setattr(feature_questions, "weekly", lambda world, person, at: None)
        demo_world_build(progress=False, end=END, people=70, months=3, seed=11)
        questions = Ticket.objects.filter(external_id__startswith="zd-fq-")
        count = questions.count()
        questions.delete()
        digest = world_digest()
        transaction.set_rollback(True)
    return digest, count


@pytest.mark.django_db
def test_the_questions_leave_the_rest_of_the_world_unchanged(monkeypatch):
    with_questions, asked = _digest(without_questions=False, monkeypatch=monkeypatch)
    without, none = _digest(without_questions=True, monkeypatch=monkeypatch)
    assert (asked, none) == (2, 0)
    assert with_questions == without
