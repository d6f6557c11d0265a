"""Reads of the cohort tables: the heat-map rows for a basis, channel and plan."""

from dataclasses import dataclass
from datetime import date

from opsroom.core.errors import InvalidInput
from opsroom.revenue.cohorts.build import MAX_AGE
from opsroom.revenue.models import CohortCell


@dataclass(frozen=True)
class CohortRow:
    cohort: date
    size: int
    start_mrr: int
    customers: list[float | None]  # retention by customer count, M0..M12 (None: not yet)
    mrr: list[float | None]  # MRR retention, M0..M12
    retained: list[int | None]  # customers still paying, M0..M12
    ltv: int  # paid so far per customer (minor units)


def cohort_filters() -> tuple[list[str], list[str]]:
    """The channels and plans the cohorts can be filtered by."""
    cells = CohortCell.objects.filter(age=0)
    channels = list(
        cells.exclude(channel="").order_by("channel").values_list("channel", flat=True).distinct()
    )
    plans = list(cells.exclude(plan="").order_by("plan").values_list("plan", flat=True).distinct())
    return channels, plans


def cohort_table(*, basis: str, channel: str = "", plan: str = "") -> list[CohortRow]:
    """One row per cohort (oldest first): retention by customers and by MRR at M0..M12."""
    if basis not in CohortCell.Basis.values:
        raise InvalidInput(f"basis must be one of {', '.join(CohortCell.Basis.values)}.")
    cells = CohortCell.objects.filter(basis=basis, channel=channel, plan=plan).order_by(
        "cohort", "age"
    )
    rows: dict[date, dict[int, CohortCell]] = {}
    for cell in cells:
        rows.setdefault(cell.cohort, {})[cell.age] = cell
    table = []
    for cohort, ages in rows.items():
        first = ages[min(ages)]
        last = ages[max(ages)]
        table.append(
            CohortRow(
                cohort=cohort,
                size=first.size,
                start_mrr=first.start_mrr,
                customers=[
                    ages[a].customers / first.size if a in ages and first.size else None
                    for a in range(MAX_AGE + 1)
                ],
                mrr=[
                    ages[a].mrr / first.start_mrr if a in ages and first.start_mrr else None
                    for a in range(MAX_AGE + 1)
                ],
                retained=[ages[a].customers if a in ages else None for a in range(MAX_AGE + 1)],
                ltv=round(last.paid / first.size) if first.size else 0,
            )
        )
    return table
