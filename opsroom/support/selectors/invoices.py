"""Which invoice an invoice request asks for: the month it names, if any."""

import re
from dataclasses import dataclass
from datetime import datetime

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_NAMED = re.compile(
    r"\b(?P<before>for|of|in|from)?\s*"
    r"(?P<month>january|february|march|april|may|june|july|august|september|october|november"
    r"|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\b\.?"
    r"(?:,?\s+(?:of\s+)?(?P<year>20\d\d))?",
    re.I,
)
_ISO = re.compile(r"\b(?P<year>20\d\d)[-/](?P<month>0?[1-9]|1[0-2])\b")
_SHORT_OR_WORD = {"may", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
                  "nov", "dec"}  # fmt: skip


@dataclass(frozen=True)
class MonthAsked:
    month: int
    year: int | None  # None: the most recent such month


def invoice_month_asked(*, text: str) -> MonthAsked | None:
    """The month an invoice request names ("the invoice for March", "2026-03"), or None.

    "May" and short names count only beside a year or after for/of/in/from ("may I have...")."""
    iso = _ISO.search(text)
    if iso:
        return MonthAsked(int(iso["month"]), int(iso["year"]))
    for match in _NAMED.finditer(text):
        word = match["month"].lower()
        if word in _SHORT_OR_WORD and not (match["year"] or match["before"]):
            continue
        year = int(match["year"]) if match["year"] else None
        return MonthAsked(_MONTHS[word[:3]], year)
    return None


def invoices_for_request(
    invoices: list[dict[str, str]], *, asked: MonthAsked | None
) -> list[dict[str, str]]:
    """The invoices to send (newest first, each with an ISO `created`): those dated in the
    month asked (its latest year when none is named), else the latest one."""
    dated = sorted(invoices, key=lambda i: i["created"], reverse=True)
    if asked is None:
        return dated[:1]
    matching = []
    for invoice in dated:
        created = datetime.fromisoformat(invoice["created"])
        if created.month == asked.month and (asked.year is None or created.year == asked.year):
            matching.append((created.year, invoice))
    if not matching:
        return []
    year = matching[0][0]
    return [invoice for y, invoice in matching if y == year][:3]
