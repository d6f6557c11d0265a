from datetime import date

import pytest
from django.db import transaction

from opsroom.demo.services import demo_world_build
from opsroom.demo.tests.fingerprint import world_digest
from opsroom.demo.world.ai_usage import AiUsage

END = date(2026, 3, 31)


def _digest_of_world(**options):
    """Build a world, digest it, and roll it back so the next build starts empty."""
    with transaction.atomic():
        demo_world_build(progress=False, end=END, **options)
        digest = world_digest()
        transaction.set_rollback(True)
    return digest


@pytest.mark.django_db
def test_the_same_seed_builds_the_same_world():
    first = _digest_of_world(people=70, months=3, seed=11)
    second = _digest_of_world(people=70, months=3, seed=11)

    assert first == second
    assert first["people.Person"][0] == 70
    assert first["people.Event"][0] > 1000


@pytest.mark.django_db
def test_another_seed_builds_another_world():
    first = _digest_of_world(people=70, months=3, seed=11)
    other = _digest_of_world(people=70, months=3, seed=12)

    differing = [table for table in first if first[table] != other[table]]
    assert {"people.Person", "people.Event", "revenue.Subscription"} <= set(differing)


@pytest.mark.django_db
def test_ai_usage_leaves_the_rest_of_the_world_unchanged(monkeypatch):
    with_ai = _digest_of_world(people=70, months=3, seed=11)
    monkeypatch.setattr(AiUsage, "rows", lambda self, events: [])
    without_ai = _digest_of_world(people=70, months=3, seed=11)

    assert with_ai["telemetry.AiUsage"][0] > 100
    assert without_ai["telemetry.AiUsage"][0] == 0
    del with_ai["telemetry.AiUsage"], without_ai["telemetry.AiUsage"]
    assert with_ai == without_ai
