"""The advanced filter language: conditions over person fields, attributes and metrics.

A condition is {"field", "op", "value", "days", "key"}; conditions combine with AND. This
module parses and checks them (pure, no database); selectors/filters.py turns them into a
query. Every mistake raises FilterError with a message an operator can act on.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.template.defaultfilters import pluralize

from opsroom.core.errors import InvalidInput
from opsroom.core.lookups import COMPARISONS
from opsroom.revenue.selectors import SUBSCRIPTION_STATUSES

COMPARE = COMPARISONS
OP_LABELS = {
    "eq": "=",
    "neq": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "contains": "contains",
    "startswith": "starts with",
    "endswith": "ends with",
    "has": "has",
    "has_not": "has not",
    "exists": "is set",
    "not_exists": "is not set",
    "within_days": "in the last N days",
    "over_days": "more than N days ago",
    "after": "after (date)",
    "before": "before (date)",
    "never": "never",
    "is": "is",
}
MAX_DAYS = 3650
MAX_CONDITIONS = 20
_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_ID = re.compile(r"[0-9]{1,19}")


class FilterError(InvalidInput):
    """A filter an operator wrote cannot be used; the message says why."""


@dataclass(frozen=True)
class FieldSpec:
    label: str
    kind: str  # text, choice, bool, date, number, money, count, tag, attribute
    ops: tuple[str, ...]
    needs_days: bool = False
    needs_key: bool = False
    help: str = ""


FIELDS: dict[str, FieldSpec] = {
    "email": FieldSpec("Email", "text", ("eq", "contains", "startswith", "endswith")),
    "name": FieldSpec("Name", "text", ("eq", "contains", "startswith")),
    "external_id": FieldSpec("User id", "text", ("eq", "startswith")),
    "status": FieldSpec("Account status", "choice", ("eq", "neq"), help="active, banned, deleted"),
    "acquisition_channel": FieldSpec("Acquisition channel", "text", ("eq", "neq")),
    "vip": FieldSpec("VIP", "bool", ("is",), help="yes or no"),
    "signed_up": FieldSpec(
        "Signed up", "date", ("within_days", "over_days", "after", "before"), help="days or date"
    ),
    "last_seen": FieldSpec(
        "Last seen", "date", ("within_days", "over_days", "after", "before", "never")
    ),
    "tag": FieldSpec("Tag", "tag", ("has", "has_not")),
    "attribute": FieldSpec(
        "Profile attribute",
        "attribute",
        ("eq", "neq", "contains", "gt", "gte", "lt", "lte", "exists", "not_exists"),
        needs_key=True,
        help="attribute name in 'key'",
    ),
    "plan": FieldSpec("Plan (code)", "choice", ("eq", "neq")),
    "subscription_status": FieldSpec(
        "Subscription status",
        "choice",
        ("eq", "neq"),
        help="trialing, active, past_due, unpaid, canceled, paused...",
    ),
    "mrr": FieldSpec("MRR", "money", COMPARE, help="in major units, e.g. 29 or 29.99"),
    "health_score": FieldSpec("Health score", "number", COMPARE, help="0-100"),
    "health_band": FieldSpec(
        "Health band",
        "choice",
        ("eq", "neq"),
        help="healthy, at_risk, critical, new, lapsed",
    ),
    "logins": FieldSpec("Logins", "count", COMPARE, needs_days=True),
    "active_days": FieldSpec("Active days", "count", COMPARE, needs_days=True),
    "event": FieldSpec(
        "Event count", "count", COMPARE, needs_days=True, needs_key=True, help="event name in 'key'"
    ),
    "tickets": FieldSpec("Tickets opened", "count", COMPARE, needs_days=True),
    "open_tickets": FieldSpec("Open tickets", "count", COMPARE),
    "errors": FieldSpec("Errors", "count", COMPARE, needs_days=True),
    "churned": FieldSpec("Churned (subscription canceled)", "date", ("within_days",)),
    "funnel_dropped": FieldSpec(
        "Dropped at a funnel step",
        "funnel_step",
        ("eq",),
        needs_key=True,
        help="funnel id in 'key', step number (1 = the first) in 'value'",
    ),
}
CHOICES = {
    "status": ("active", "banned", "deleted"),
    "subscription_status": SUBSCRIPTION_STATUSES,
    "health_band": ("healthy", "at_risk", "critical", "new", "lapsed"),
}


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None
    days: int | None = None
    key: str = ""

    def as_dict(self) -> dict[str, Any]:
        value = self.value.isoformat() if isinstance(self.value, date) else self.value
        if isinstance(value, Decimal):
            value = str(value)
        row: dict[str, Any] = {"field": self.field, "op": self.op, "value": value}
        if self.days is not None:
            row["days"] = self.days
        if self.key:
            row["key"] = self.key
        return row

    def describe(self) -> str:
        spec = FIELDS[self.field]
        if self.field == "funnel_dropped":
            return f"Dropped after step {self.value} of funnel {self.key}"
        subject = f"{spec.label} '{self.key}'" if self.key else spec.label
        if self.op in ("exists", "not_exists", "never"):
            return f"{subject} {OP_LABELS[self.op]}"
        value = self.value
        if self.op in ("within_days", "over_days"):
            words = "in the last" if self.op == "within_days" else "more than"
            suffix = "" if self.op == "within_days" else " ago"
            return f"{subject} {words} {value} day{pluralize(value)}{suffix}"
        if isinstance(value, bool):
            value = "yes" if value else "no"
        window = f" in the last {self.days} day{pluralize(self.days)}" if self.days else ""
        return f"{subject}{window} {OP_LABELS[self.op]} {value}"


def _integer(text: str, what: str, *, low: int, high: int) -> int:
    try:
        number = int(str(text).strip())
    except ValueError:
        raise FilterError(f"{what}: '{text}' is not a whole number.") from None
    if not low <= number <= high:
        raise FilterError(f"{what}: {number} is outside {low}-{high}.")
    return number


def _value(spec: FieldSpec, field: str, op: str, raw: Any, where: str) -> Any:
    if op in ("exists", "not_exists", "never"):
        return None
    if not (raw is None or isinstance(raw, str | int | float | bool)):
        raise FilterError(f"{where}: the value must be text or a number, not a list or object.")
    text = "" if raw is None else str(raw).strip()
    if text == "":
        raise FilterError(f"{where}: give a value.")
    if not text.isprintable():
        raise FilterError(f"{where}: the value contains control characters.")
    if spec.kind == "bool":
        if text.lower() in ("yes", "true", "1"):
            return True
        if text.lower() in ("no", "false", "0"):
            return False
        raise FilterError(f"{where}: answer yes or no, not '{text}'.")
    if spec.kind == "date":
        if op in ("within_days", "over_days"):
            return _integer(text, where, low=0, high=MAX_DAYS)
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise FilterError(f"{where}: '{text}' is not a date (YYYY-MM-DD).") from None
    if spec.kind in ("count",):
        return _integer(text, where, low=0, high=10_000_000)
    if spec.kind == "funnel_step":
        return _integer(text, where + " step", low=1, high=7)
    if spec.kind == "number":
        return _integer(text, where, low=0, high=100)
    if spec.kind == "money":
        try:
            amount = Decimal(text.replace(",", "").lstrip("$€£"))
        except InvalidOperation:
            raise FilterError(f"{where}: '{text}' is not an amount.") from None
        if not amount.is_finite() or amount < 0:
            raise FilterError(f"{where}: an amount is a number of 0 or more.")
        return amount
    if spec.kind == "choice" and field in CHOICES and text not in CHOICES[field]:
        raise FilterError(f"{where}: '{text}' is not one of {', '.join(CHOICES[field])}.")
    if spec.kind == "attribute" and op in ("gt", "gte", "lt", "lte"):
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            raise FilterError(f"{where}: '{text}' is not a number to compare with.") from None
    if spec.kind == "attribute" and op in ("eq", "neq"):
        return _json_scalar(text)
    if len(text) > 200:
        raise FilterError(f"{where}: the value is longer than 200 characters.")
    return text.lower() if field in ("email", "tag") else text


def _json_scalar(text: str) -> Any:
    """An attribute value as typed: numbers and true/false compare as such."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def condition_parse(row: dict[str, Any], *, position: int = 1) -> Condition:
    """Check one condition and return it with its value typed."""
    raw_field, raw_op = row.get("field") or "", row.get("op") or ""
    if not isinstance(raw_field, str) or not isinstance(raw_op, str):
        raise FilterError(f"Condition {position}: 'field' and 'op' must be text.")
    field = raw_field.strip()
    if field not in FIELDS:
        known = ", ".join(FIELDS)
        raise FilterError(f"Condition {position}: unknown field '{field}'. Known fields: {known}.")
    spec = FIELDS[field]
    where = f"Condition {position} ({spec.label})"
    op = raw_op.strip()
    if op not in spec.ops:
        allowed = ", ".join(f"{o} ({OP_LABELS[o]})" for o in spec.ops)
        raise FilterError(f"{where}: '{op}' cannot be used here; use one of {allowed}.")
    key = row.get("key") or ""
    if not isinstance(key, str):
        raise FilterError(f"{where}: 'key' must be text.")
    key = key.strip()
    if spec.kind == "funnel_step" and not (_ID.fullmatch(key) and 0 < int(key) < 2**63):
        raise FilterError(f"{where}: give the funnel's id (a number) in 'key'.")
    if spec.needs_key and not _KEY.fullmatch(key):
        raise FilterError(
            f"{where}: name the {spec.help.split(' in ')[0]} in 'key' (letters, digits, _ . -)."
        )
    days = None
    if spec.needs_days:
        raw_days = row.get("days")
        if not isinstance(raw_days, str | int | None) or isinstance(raw_days, bool):
            raise FilterError(f"{where}: 'days' must be a whole number.")
        days = (
            30
            if raw_days in (None, "")
            else _integer(str(raw_days), where + " days", low=1, high=MAX_DAYS)
        )
    value = _value(spec, field, op, row.get("value"), where)
    return Condition(field=field, op=op, value=value, days=days, key=key if spec.needs_key else "")


def conditions_parse(rows: list[dict[str, Any]]) -> list[Condition]:
    """Check a list of conditions (rows without a field are skipped)."""
    if not isinstance(rows, list):
        raise FilterError("Conditions must be a list.")
    if len(rows) > MAX_CONDITIONS * 5:
        raise FilterError(f"At most {MAX_CONDITIONS} conditions.")
    filled = [row for row in rows if isinstance(row, dict) and str(row.get("field") or "").strip()]
    if len(rows) != len([row for row in rows if isinstance(row, dict)]):
        raise FilterError("Each condition must be an object with field, op and value.")
    if len(filled) > MAX_CONDITIONS:
        raise FilterError(f"At most {MAX_CONDITIONS} conditions.")
    return [condition_parse(row, position=index) for index, row in enumerate(filled, start=1)]


def conditions_from_query(query: Any) -> list[Condition]:
    """Conditions from repeated form fields (field, op, value, days, key), in order."""
    columns = {name: query.getlist(name) for name in ("field", "op", "value", "days", "key")}
    count = len(columns["field"])
    rows = [
        {name: (values[index] if index < len(values) else "") for name, values in columns.items()}
        for index in range(count)
    ]
    return conditions_parse(rows)


QUICK_FILTERS: dict[str, tuple[str, str]] = {
    "at_risk": (
        "At risk",
        "Churn risk high or medium (once predicted); before that, health band At risk or "
        "Critical, with a live subscription",
    ),
    "payment_failed": (
        "Payment failed",
        "Last payment in 30 days failed with none since, or past due / unpaid now",
    ),
    "open_tickets": ("Open tickets", "At least one ticket not yet solved or closed"),
    "churned_30d": ("Churned (30d)", "Subscription canceled in the last 30 days, none live now"),
    "vip": ("VIP", "Marked VIP by the host app"),
    "new": ("New", "Signed up in the last day"),
    "active": ("Active", "Seen in the last 30 days"),
    "slipping": ("Slipping away", "Seen in the last 60 days, but not the last 30"),
}
SORTS = {
    "last_seen": "Last seen",
    "signed_up": "Newest signups",
    "health": "Lowest health first",
    "name": "Name",
}


@dataclass(frozen=True)
class PeopleQuery:
    """What the people list shows: search text, a quick filter, conditions and an order."""

    text: str = ""
    quick: str = ""
    conditions: tuple[Condition, ...] = ()
    sort: str = "last_seen"

    def as_dict(self) -> dict[str, Any]:
        return {
            "q": self.text,
            "quick": self.quick,
            "conditions": [condition.as_dict() for condition in self.conditions],
            "sort": self.sort,
        }

    def describe(self) -> str:
        parts = []
        if self.text:
            parts.append(f"matching '{self.text}'")
        if self.quick:
            parts.append(QUICK_FILTERS[self.quick][0])
        parts.extend(condition.describe() for condition in self.conditions)
        return " · ".join(parts) or "everyone"


def people_query_build(
    *, text: str = "", quick: str = "", conditions: list[Condition] | None = None, sort: str = ""
) -> PeopleQuery:
    """Check the parts of a people query."""
    text = "".join(char for char in text if char.isprintable()).strip()
    if len(text) > 200:
        raise FilterError("The search text is longer than 200 characters.")
    if quick and quick not in QUICK_FILTERS:
        raise FilterError(f"Unknown quick filter '{quick}'; use one of {', '.join(QUICK_FILTERS)}.")
    if sort and sort not in SORTS:
        raise FilterError(f"Unknown order '{sort}'; use one of {', '.join(SORTS)}.")
    return PeopleQuery(
        text=text, quick=quick, conditions=tuple(conditions or ()), sort=sort or "last_seen"
    )
