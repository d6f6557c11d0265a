"""Writes of the cohort tables (by the daily `revenue_cohorts` job and `revenue_refresh`)."""

import time
from datetime import date

from django.db import transaction

from opsroom.core import clock
from opsroom.revenue.cohorts.build import cohort_cells
from opsroom.revenue.cohorts.insights import context_of, insight_cohorts
from opsroom.revenue.cohorts.selectors import cohort_table
from opsroom.revenue.models import CohortCell, CohortContext


@transaction.atomic
def cohorts_refresh(*, today: date) -> tuple[int, float]:
    """Recompute every cohort cell from the ledger, and the context of every cohort an insight
    names under any basis, channel or plan; return (cells, seconds)."""
    started = time.monotonic()
    cells = cohort_cells(today=today)
    CohortCell.objects.all().delete()
    CohortCell.objects.bulk_create(cells, batch_size=2000)
    named: set[date] = set()
    for basis, channel, plan in sorted({(c.basis, c.channel, c.plan) for c in cells}):
        rows = cohort_table(basis=basis, channel=channel, plan=plan)
        named |= insight_cohorts(rows=rows)
    now = clock.now()
    CohortContext.objects.all().delete()
    CohortContext.objects.bulk_create(
        [
            CohortContext(cohort=cohort, notes=context_of(cohort), computed_at=now)
            for cohort in sorted(named)
        ]
    )
    return len(cells), time.monotonic() - started
