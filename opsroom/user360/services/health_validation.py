"""Validating the health score on past days: samples from the history, the report, CSV files.

A sample is a paying customer (MRR above 0 in the subscription change log) on a past day,
scored from the inputs as they stood that day (activity rollups up to the day before; tickets,
errors and payments before midnight; subscription statuses from the change log), and whether
they stopped paying in the 30 days after (MRR 0 thirty days later). Days run every week back
from the last day whose 30 days are over.
"""

import csv
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import IO

from opsroom.core import clock
from opsroom.core.errors import InvalidInput
from opsroom.revenue.selectors import billing_states_as_of
from opsroom.user360.health import COMPONENTS, HealthInputs, HealthSettings, health_compute
from opsroom.user360.health_fit import HealthReport, HealthSample, health_report
from opsroom.user360.models import HealthValidation
from opsroom.user360.services.health import health_inputs, health_settings_get

CHURN_DAYS = 30
EVERY_DAYS = 7
DEFAULT_MONTHS = 12
KEPT_RUNS = 20
CHUNK = 2000
CSV_FIELDS = (
    "day",
    "person_id",
    *(key for key, _label in COMPONENTS),
    "account_age_days",
    "churned",
)


def validation_days(*, today: date, months: int, every_days: int = EVERY_DAYS) -> list[date]:
    """Past days to sample, oldest first: every `every_days` back from the last day whose
    30 days of outcome are over, for `months` months."""
    if not 1 <= months <= 60:
        raise InvalidInput("Validate over 1 to 60 months.")
    if not 1 <= every_days <= 31:
        raise InvalidInput("Sample every 1 to 31 days.")
    last = today - timedelta(days=CHURN_DAYS + 1)
    first = last - timedelta(days=round(months * 30.44))
    days = []
    day = last
    while day >= first:
        days.append(day)
        day -= timedelta(days=every_days)
    return days[::-1]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def health_samples_gather(*, days: Sequence[date], settings_: HealthSettings) -> list[HealthSample]:
    """The paying customers of each day, scored as of that day, with their outcome."""
    samples: list[HealthSample] = []
    for day in days:
        at = _midnight(day)
        paying = sorted(p for p, state in billing_states_as_of(at=at).items() if state.mrr > 0)
        if not paying:
            continue
        later = billing_states_as_of(at=at + timedelta(days=CHURN_DAYS))
        inputs: dict[int, HealthInputs] = {}
        for start in range(0, len(paying), CHUNK):  # bounded IN lists, whatever the size
            chunk = paying[start : start + CHUNK]
            inputs.update(health_inputs(on=day, settings_=settings_, person_ids=chunk, at=at))
        for person_id in paying:
            if person_id not in inputs:
                continue  # a placeholder person, or one removed since
            result = health_compute(inputs[person_id], settings_)
            state = later.get(person_id)
            samples.append(
                HealthSample(
                    day=day,
                    person_id=person_id,
                    scores={c.key: c.score for c in result.components},
                    account_age_days=inputs[person_id].account_age_days,
                    churned=state is None or state.mrr <= 0,
                )
            )
    return samples


@dataclass(frozen=True)
class ValidationRun:
    validation: HealthValidation
    report: HealthReport
    seconds: float


def health_validation_run(
    *, months: int = DEFAULT_MONTHS, every_days: int = EVERY_DAYS
) -> ValidationRun:
    """Validate the health score on the past months and keep the report (the latest 20)."""
    started = time.monotonic()
    settings_ = health_settings_get()
    days = validation_days(today=clock.now().date(), months=months, every_days=every_days)
    samples = health_samples_gather(days=days, settings_=settings_)
    report = health_report(samples, settings_)
    validation = HealthValidation.objects.create(
        computed_at=clock.now(),
        first_day=report.first_day,
        last_day=report.last_day,
        samples=report.samples,
        report=report.as_dict(),
    )
    stale = HealthValidation.objects.order_by("-computed_at", "-id").values_list("id", flat=True)
    HealthValidation.objects.filter(id__in=list(stale[KEPT_RUNS:])).delete()
    return ValidationRun(validation, report, round(time.monotonic() - started, 2))


def health_validation_latest() -> tuple[HealthValidation, HealthReport] | None:
    """The latest validation and its report, if one was run."""
    latest = HealthValidation.objects.order_by("-computed_at", "-id").first()
    if latest is None:
        return None
    return latest, HealthReport.from_dict(latest.report)


def health_samples_write(samples: Iterable[HealthSample], out: IO[str]) -> int:
    """Write samples as CSV (the format health_samples_read reads); return how many."""
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    count = 0
    for sample in samples:
        scores = [sample.scores.get(key) for key, _label in COMPONENTS]
        writer.writerow(
            [
                sample.day.isoformat(),
                sample.person_id,
                *("" if score is None else score for score in scores),
                "" if sample.account_age_days is None else sample.account_age_days,
                int(sample.churned),
            ]
        )
        count += 1
    return count


def _whole(text: str, *, name: str, line: int, low: int, high: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InvalidInput(f"Line {line}: {name} must be a whole number, not {text!r}.") from None
    if value < low or (high is not None and value > high):
        limit = f"{low} to {high}" if high is not None else f"at least {low}"
        raise InvalidInput(f"Line {line}: {name} must be {limit}, not {value}.")
    return value


def health_samples_read(source: IO[str]) -> list[HealthSample]:
    """Samples from a CSV file with the columns of CSV_FIELDS (a component left empty does not
    apply; churned is 0 or 1). InvalidInput names the first line that is wrong."""
    reader = csv.DictReader(source)
    missing = [name for name in CSV_FIELDS if name not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"The file lacks the column(s) {', '.join(missing)}.")
    samples = []
    for line, row in enumerate(reader, start=2):
        try:
            day = date.fromisoformat(row["day"])
        except ValueError:
            raise InvalidInput(
                f"Line {line}: day must be YYYY-MM-DD, not {row['day']!r}."
            ) from None
        scores: dict[str, int | None] = {}
        for key, _label in COMPONENTS:
            text = (row[key] or "").strip()
            scores[key] = None if not text else _whole(text, name=key, line=line, low=0, high=100)
        age_text = (row["account_age_days"] or "").strip()
        samples.append(
            HealthSample(
                day=day,
                person_id=_whole(row["person_id"], name="person_id", line=line, low=0),
                scores=scores,
                account_age_days=None
                if not age_text
                else _whole(age_text, name="account_age_days", line=line, low=0),
                churned=bool(_whole(row["churned"], name="churned", line=line, low=0, high=1)),
            )
        )
    if not samples:
        raise InvalidInput("The file holds no samples.")
    return samples
