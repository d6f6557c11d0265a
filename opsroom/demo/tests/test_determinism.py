from datetime import date

import pytest
from django.db import transaction

from opsroom.demo.services import demo_world_build
from opsroom.demo.tests.fingerprint import world_digest

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
