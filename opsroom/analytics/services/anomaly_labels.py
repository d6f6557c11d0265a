"""Labelled anomalies: windows of the watched series in which a detector should raise an alarm,
stored (the demo world plants and labels its own) or read from a `metric,start,end` file."""

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.db import transaction

from opsroom.analytics.models import AnomalyLabel
from opsroom.core.errors import InvalidInput


@dataclass(frozen=True)
class LabelWindow:
    metric: str  # a watched series' key
    start: datetime
    end: datetime  # exclusive
    description: str = ""


@transaction.atomic
def anomaly_labels_replace(*, source: str, labels: Sequence[LabelWindow]) -> int:
    """Replace the labels of one source (e.g. "demo") with these; return how many."""
    AnomalyLabel.objects.filter(source=source).delete()
    unique = {(label.metric, label.start): label for label in labels}
    AnomalyLabel.objects.bulk_create(
        AnomalyLabel(
            metric=label.metric[:300],
            start=label.start,
            end=label.end,
            source=source[:32],
            description=label.description[:300],
        )
        for label in unique.values()
    )
    return len(unique)


def anomaly_labels_stored() -> list[LabelWindow]:
    """Every stored label, oldest first."""
    return [
        LabelWindow(label.metric, label.start, label.end, label.description)
        for label in AnomalyLabel.objects.order_by("start", "metric")
    ]


def _moment(text: str, *, line: int) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"Line {line}: {text!r} is not an ISO 8601 time.") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def anomaly_labels_file_read(path: Path) -> list[LabelWindow]:
    """Rows of `metric,start,end[,description]` (a header line is optional; times ISO 8601,
    UTC when no zone is given; the end is exclusive and after the start)."""
    labels: list[LabelWindow] = []
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror}.") from exc
    with handle:
        try:
            rows = list(csv.reader(handle))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{path} is not a CSV file: {exc}.") from None
    for number, row in enumerate(rows, start=1):
        if not row or not "".join(row).strip():
            continue
        if number == 1 and row[0].strip().lower() == "metric":
            continue
        if len(row) < 3 or not row[0].strip():
            raise InvalidInput(f"Line {number}: expected 'metric,start,end', got {row!r}.")
        start, end = _moment(row[1], line=number), _moment(row[2], line=number)
        if end <= start:
            raise InvalidInput(f"Line {number}: the end must be after the start.")
        description = row[3].strip() if len(row) > 3 else ""
        labels.append(LabelWindow(row[0].strip(), start, end, description))
    if not labels:
        raise InvalidInput(f"{path} holds no 'metric,start,end' rows.")
    return labels
