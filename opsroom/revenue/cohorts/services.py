"""Writes of the cohort tables (by the ledger's daily refresh)."""

import time
from datetime import date

from django.db import transaction

from opsroom.revenue.cohorts.build import cohort_cells
from opsroom.revenue.models import CohortCell


@transaction.atomic
def cohorts_refresh(*, today: date) -> tuple[int, float]:
    """Recompute every cohort cell from the ledger; return (cells, seconds)."""
    started = time.monotonic()
    cells = cohort_cells(today=today)
    CohortCell.objects.all().delete()
    CohortCell.objects.bulk_create(cells, batch_size=2000)
    return len(cells), time.monotonic() - started
