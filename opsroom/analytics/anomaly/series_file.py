"""Reading a `timestamp,value` series file (the anomaly evaluation command's input)."""

import csv
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from opsroom.core.errors import InvalidInput


@dataclass(frozen=True)
class SeriesFile:
    labels: list[str]  # the timestamps as written
    timestamps: np.ndarray  # seconds since the epoch
    values: np.ndarray


def _seconds(text: str) -> float:
    try:
        return float(text)  # a Unix time
    except ValueError:
        pass
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # a time without a zone is taken as UTC
    return moment.timestamp()


def series_file_read(path: Path) -> SeriesFile:
    """Rows of `timestamp,value` (a header line is optional), timestamps in increasing order:
    ISO 8601 (UTC when no zone is given) or Unix seconds."""
    labels: list[str] = []
    stamps: list[float] = []
    values: list[float] = []
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror}.") from exc
    with handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or not "".join(row).strip():
                continue
            if len(row) < 2:
                raise InvalidInput(f"Line {number}: expected 'timestamp,value', got {row!r}.")
            stamp, raw = row[0].strip(), row[1].strip()
            if number == 1 and stamp.lower() == "timestamp":
                continue
            try:
                seconds = _seconds(stamp)
            except ValueError:
                raise InvalidInput(f"Line {number}: {stamp!r} is not a timestamp.") from None
            try:
                value = float(raw)
            except ValueError:
                raise InvalidInput(f"Line {number}: {raw!r} is not a number.") from None
            if not math.isfinite(value):
                raise InvalidInput(f"Line {number}: the value must be a finite number.")
            if stamps and seconds < stamps[-1]:
                raise InvalidInput(f"Line {number}: timestamps must not go back in time.")
            labels.append(stamp)
            stamps.append(seconds)
            values.append(value)
    if not values:
        raise InvalidInput(f"{path} holds no 'timestamp,value' rows.")
    return SeriesFile(labels, np.array(stamps), np.array(values))
