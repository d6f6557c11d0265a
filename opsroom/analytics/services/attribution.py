"""Attribution: which channels, campaigns and landing pages (blog posts...) bring the people
who sign up, start trials and pay, against what each channel and campaign cost.

A person's touches are the ones the host app sent with them (`touches`, docs/integrating.md)
up to their signup; a person with none has one touch, their acquisition channel (no campaign,
no page) at signup, and "(none)" without a channel either. First touch: the earliest of them;
last touch: the latest; "any": every distinct channel, campaign or page among them (a person
counts once for each). Outcomes are as of now (revenue's definitions: trial started, customer
= has paid at some point, paying and MRR now, in the headline currency).

`attribution_refresh` (hourly) keeps the figures per signup month in AttributionCell; the page
and the API sum the months of the period asked and add the spend entered for those months
(Revenue's marketing spend, the input of its CAC). CAC = spend / customers under the chosen
model (first or last touch).
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from django.db import transaction

from opsroom.analytics.models import AttributionCell
from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.people.selectors import people_profiles, people_signed_up_between, touches_for_people
from opsroom.revenue.selectors import (
    AcquisitionOutcome,
    acquisition_outcomes_for_people,
    marketing_spend_totals,
)

MONTHS_KEPT = 13  # the current month and the 12 before it
MAX_PERIOD_MONTHS = 24
NONE = "(none)"
Model = Literal["first", "last"]
By = Literal["channel", "campaign", "content"]
CREDITS = ("first", "last", "any")
FIGURES = ("signups", "trials", "customers", "paying", "mrr")
Key = tuple[str, str, str]  # (channel, campaign, landing page)
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_back(day: date, count: int) -> date:
    """The first day of the month `count` months before `day`'s."""
    index = day.year * 12 + day.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def _at(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def _touches_up_to_signup(
    signed_up_at: datetime, channel: str, touches: list[tuple[datetime, str, str, str]]
) -> list[tuple[str, str, str]]:
    kept = [(c, campaign, page) for at, c, campaign, page in touches if at <= signed_up_at]
    return kept or [(channel or NONE, "", "")]


def _empty() -> dict[str, dict[str, int]]:
    return {credit: dict.fromkeys(FIGURES, 0) for credit in CREDITS}


def _add(cell: dict[str, dict[str, int]], credit: str, outcome: AcquisitionOutcome | None) -> None:
    figures = cell[credit]
    figures["signups"] += 1
    if outcome is not None:
        figures["trials"] += outcome.had_trial
        figures["customers"] += outcome.is_customer
        figures["paying"] += outcome.mrr > 0
        figures["mrr"] += outcome.mrr


def _keys(by: str, touch: tuple[str, str, str]) -> Key | None:
    channel, campaign, page = touch
    if by == "channel":
        return (channel, "", "")
    if by == "campaign":
        return (channel, campaign, "")
    return ("", "", page) if page else None


@transaction.atomic
def attribution_refresh(*, now: datetime | None = None) -> int:
    """Recompute the attribution of the people who signed up in the months kept; returns how
    many people were attributed."""
    now = now or clock.now()
    first_month = months_back(now.date(), MONTHS_KEPT - 1)
    ids = people_signed_up_between(since=_at(first_month), until=now)
    profiles = people_profiles(ids=ids)
    touches = touches_for_people(ids=ids)
    outcomes = acquisition_outcomes_for_people(person_ids=ids)
    cells: dict[tuple[str, date, Key], dict[str, dict[str, int]]] = defaultdict(_empty)
    for pk in ids:
        signed_up_at, channel, _ = profiles[pk]
        if signed_up_at is None:
            continue
        month = month_start(signed_up_at.date())
        path = _touches_up_to_signup(signed_up_at, channel, touches.get(pk, []))
        outcome = outcomes.get(pk)
        for by in AttributionCell.Dimension.values:
            first, last = _keys(by, path[0]), _keys(by, path[-1])
            if first is not None:
                _add(cells[(by, month, first)], "first", outcome)
            if last is not None:
                _add(cells[(by, month, last)], "last", outcome)
            for key in {k for k in (_keys(by, touch) for touch in path) if k is not None}:
                _add(cells[(by, month, key)], "any", outcome)
    AttributionCell.objects.filter(month__gte=first_month).delete()
    AttributionCell.objects.bulk_create(
        [
            AttributionCell(
                dimension=by,
                month=month,
                channel=channel,
                campaign=campaign,
                landing_page=page,
                figures=figures,
                computed_at=now,
            )
            for (by, month, (channel, campaign, page)), figures in cells.items()
        ],
        batch_size=1000,
    )
    return len(ids)


@dataclass
class AttributionRow:
    channel: str
    campaign: str
    landing_page: str
    first: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    last: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    any: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    spend: int | None = None  # minor units of the headline currency; None: none entered
    model: str = "last"

    @property
    def credited(self) -> dict[str, int]:
        """The figures under the chosen model."""
        return self.first if self.model == "first" else self.last

    @property
    def conversion_rate(self) -> float | None:
        signups = self.credited["signups"]
        return self.credited["customers"] / signups if signups else None

    @property
    def cac(self) -> float | None:
        customers = self.credited["customers"]
        return self.spend / customers if self.spend and customers else None


@dataclass(frozen=True)
class AttributionReport:
    start: date  # first month
    end: date  # last month (its first day)
    by: str
    model: str
    rows: list[AttributionRow]
    computed_at: datetime | None
    unconverted_spend: int  # spend without an exchange rate, left out of CAC


def attribution_period(*, start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """The months of a period given as YYYY-MM (default: the last 3 months, this one included)."""

    def parse(text: str, what: str) -> date:
        found = MONTH.fullmatch(text)
        if found is None or not 1 <= int(found[2]) <= 12:
            raise InvalidInput(f"{what} is a month as YYYY-MM, not {text[:20]!r}.")
        if not 1970 <= int(found[1]) <= 9000:
            raise InvalidInput(f"{what} is a month between 1970 and 9000.")
        return date(int(found[1]), int(found[2]), 1)

    last = parse(end, "end") if end else month_start(today)
    first = parse(start, "start") if start else months_back(last, 2)
    if first > last:
        raise InvalidInput("start is a month before end (or the same).")
    if (last.year * 12 + last.month) - (first.year * 12 + first.month) >= MAX_PERIOD_MONTHS:
        raise InvalidInput(f"A period covers at most {MAX_PERIOD_MONTHS} months.")
    return first, last


def attribution_report(*, start: date, end: date, by: str, model: str) -> AttributionReport:
    """The figures of the signup months from `start` to `end`, by channel, campaign or landing
    page, with the spend entered for those months (channels and campaigns only)."""
    if by not in AttributionCell.Dimension.values:
        raise InvalidInput("by is one of: channel, campaign, content.")
    if model not in ("first", "last"):
        raise InvalidInput("model is first or last.")
    cells = AttributionCell.objects.filter(dimension=by, month__gte=start, month__lte=end)
    rows: dict[Key, AttributionRow] = {}
    computed_at = None
    for cell in cells.order_by("month"):
        key = (cell.channel, cell.campaign, cell.landing_page)
        row = rows.setdefault(key, AttributionRow(*key, model=model))
        for credit in CREDITS:
            held: dict[str, int] = getattr(row, credit)
            for name, value in cell.figures.get(credit, {}).items():
                held[name] = held.get(name, 0) + int(value)
        computed_at = max(computed_at or cell.computed_at, cell.computed_at)
    unconverted = 0
    if by != "content":
        for spent in marketing_spend_totals(start=start, end=end):
            unconverted += spent.unconverted
            key = (spent.channel, spent.campaign if by == "campaign" else "", "")
            row = rows.setdefault(key, AttributionRow(*key, model=model))
            row.spend = (row.spend or 0) + spent.amount
    ordered = sorted(
        rows.values(),
        key=lambda r: (-r.credited["signups"], -r.any["signups"], r.channel, r.campaign),
    )
    return AttributionReport(
        start=start,
        end=end,
        by=by,
        model=model,
        rows=ordered,
        computed_at=computed_at,
        unconverted_spend=unconverted,
    )


def attribution_totals(rows: list[AttributionRow]) -> dict[str, Any]:
    """Signups, customers, MRR and spend over every row (first-touch credit: each person once)."""
    return {name: sum(row.first[name] for row in rows) for name in FIGURES} | {
        "spend": sum(row.spend or 0 for row in rows)
    }
