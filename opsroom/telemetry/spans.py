"""Per-query spans of a recorded API request: their fingerprints, and the N+1 rule.

The host app may send, per request, the database queries it ran (normalised SQL or its own
fingerprint, and each one's duration). Similar queries share a fingerprint: the SQL with its
literals, numbers, placeholders and IN lists replaced, case and spacing ignored. A request
with N_PLUS_ONE_MIN or more queries of one fingerprint is an N+1 suspect (the same query run
once per row of an earlier one).
"""

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

N_PLUS_ONE_MIN = 10
SPANS_MAX = 200  # per request
SQL_STORED = 500  # characters of normalised SQL kept per span

_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w$.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\$\d+|%\(\w+\)s|%s|(?<!:):[A-Za-z_]\w*|\?")
_IN_LIST = re.compile(r"\bIN\s*\(\s*\?(?:\s*,\s*\?)*\s*\)", re.IGNORECASE)
_VALUES_LIST = re.compile(r"\(\s*\?(?:\s*,\s*\?)*\s*\)(?:\s*,\s*\(\s*\?(?:\s*,\s*\?)*\s*\))+")
_SPACE = re.compile(r"\s+")


def sql_normalise(sql: str) -> str:
    """SQL with every value replaced by ?, IN lists and multi-row VALUES collapsed, one space."""
    text = sql.replace("\x00", "")
    text = _STRING.sub("?", text)
    text = _PLACEHOLDER.sub("?", text)
    text = _NUMBER.sub("?", text)
    text = _IN_LIST.sub("IN (...)", text)
    text = _VALUES_LIST.sub("(...)", text)
    return _SPACE.sub(" ", text).strip()


def sql_fingerprint(normalised: str) -> str:
    """A short stable id of a normalised query (case-insensitive)."""
    return hashlib.sha1(normalised.lower().encode(), usedforsecurity=False).hexdigest()[:16]


@dataclass(frozen=True)
class SpanSummary:
    spans: list[dict[str, Any]]  # {"fp", "sql", "ms"}, in the order sent
    repeated_queries: int | None  # the most queries sharing one fingerprint (None: no spans)
    repeated_fingerprint: str


def spans_prepare(spans: Sequence[dict[str, Any]]) -> SpanSummary:
    """Spans as stored (fingerprinted, SQL normalised and cut), with the largest repeat."""
    stored = []
    for span in spans[:SPANS_MAX]:
        sql = sql_normalise(str(span.get("sql") or ""))
        fingerprint = str(span.get("fingerprint") or "").replace("\x00", "")[:64]
        stored.append(
            {
                "fp": fingerprint or sql_fingerprint(sql),
                "sql": sql[:SQL_STORED],
                "ms": float(span.get("duration_ms") or 0.0),
            }
        )
    if not stored:
        return SpanSummary(spans=[], repeated_queries=None, repeated_fingerprint="")
    most, count = Counter(str(span["fp"]) for span in stored).most_common(1)[0]
    return SpanSummary(spans=stored, repeated_queries=count, repeated_fingerprint=most)


@dataclass(frozen=True)
class SpanGroup:
    fingerprint: str
    sql: str
    count: int
    total_ms: float
    is_n_plus_one: bool


def span_groups(spans: Iterable[dict[str, Any]]) -> list[SpanGroup]:
    """A request's spans by fingerprint, most repeated first (then slowest)."""
    counts: Counter[str] = Counter()
    totals: dict[str, float] = {}
    sql: dict[str, str] = {}
    for span in spans:
        if not isinstance(span, dict):
            continue
        fingerprint = str(span.get("fp", ""))
        counts[fingerprint] += 1
        totals[fingerprint] = totals.get(fingerprint, 0.0) + float(span.get("ms") or 0.0)
        sql.setdefault(fingerprint, str(span.get("sql", "")))
    groups = [
        SpanGroup(fp, sql[fp], count, totals[fp], count >= N_PLUS_ONE_MIN)
        for fp, count in counts.items()
    ]
    return sorted(groups, key=lambda g: (-g.count, -g.total_ms, g.fingerprint))


def is_n_plus_one(repeated_queries: int | None) -> bool:
    """Whether a request with this many queries of one fingerprint is an N+1 suspect."""
    return repeated_queries is not None and repeated_queries >= N_PLUS_ONE_MIN
