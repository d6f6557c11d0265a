"""Score the product's anomaly detector on this database's watched series against labelled
anomalies: precision and recall per metric and overall."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.analytics.anomaly.detectors import THRESHOLDS
from opsroom.analytics.services.anomaly_eval import EvalReport, anomaly_eval
from opsroom.analytics.services.anomaly_labels import (
    anomaly_labels_file_read,
    anomaly_labels_stored,
)
from opsroom.core.errors import InvalidInput


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"{text!r} is not an ISO 8601 date or time.") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _as_dict(report: EvalReport) -> dict[str, Any]:
    def figures(tally: Any) -> dict[str, Any]:
        return {
            "anomalies": tally.anomalies,
            "found": tally.found,
            "alarms": tally.alarms,
            "true_alarms": tally.true_alarms,
            "precision": round(tally.precision, 4),
            "recall": round(tally.recall, 4),
        }

    return {
        "sensitivity": report.sensitivity,
        "threshold": report.threshold,
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "metrics": [
            {
                "metric": metric.key,
                "label": metric.label,
                **figures(metric.tally),
                "alarms_at": [at.isoformat() for at in metric.alarms_at],
            }
            for metric in report.metrics
        ],
        "overall": figures(report.overall),
        "unwatched_labels": [
            {"metric": label.metric, "start": label.start.isoformat(), "end": label.end.isoformat()}
            for label in report.unwatched
        ],
        "warm_up_labels": [
            {"metric": label.metric, "start": label.start.isoformat(), "end": label.end.isoformat()}
            for label in report.warm_up
        ],
    }


class Command(BaseCommand):
    help = (
        "Run the product's anomaly detector over the watched metric series of this database "
        "and score its alarms against labelled anomalies (the demo world's, or --labels FILE): "
        "precision and recall per metric and overall."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--labels",
            type=Path,
            help="a CSV of metric,start,end[,description] rows (default: the stored labels, "
            "which a demo world writes)",
        )
        parser.add_argument("--json", action="store_true", help="JSON instead of a table")
        parser.add_argument("--sensitivity", choices=list(THRESHOLDS), default="default")
        parser.add_argument(
            "--since", help="score from this time (default: 35 days before the first label)"
        )
        parser.add_argument("--until", help="score up to this time (default: the end of the data)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["labels"] is not None:
                labels = anomaly_labels_file_read(options["labels"])
            else:
                labels = anomaly_labels_stored()
                if not labels:
                    raise CommandError(
                        "No labelled anomalies in this database: build a demo world "
                        "(manage.py opsroom_demo) or pass --labels FILE.csv."
                    )
            report = anomaly_eval(
                labels=labels,
                sensitivity=options["sensitivity"],
                since=_moment(options["since"]) if options["since"] else None,
                until=_moment(options["until"]) if options["until"] else None,
            )
        except InvalidInput as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(json.dumps(_as_dict(report)))
            return
        self._print(report)

    def _print(self, report: EvalReport) -> None:
        write = self.stdout.write
        write(
            f"Detector at sensitivity {report.sensitivity} (threshold {report.threshold}), "
            f"{report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC"
        )
        write(f"{'metric':<52} {'labelled':>8} {'found':>5} {'alarms':>6} {'precision':>9} "
              f"{'recall':>6}")  # fmt: skip
        for metric in report.metrics:
            tally = metric.tally
            if not tally.anomalies and not tally.alarms:
                continue
            write(
                f"{metric.key[:52]:<52} {tally.anomalies:>8} {tally.found:>5} {tally.alarms:>6} "
                f"{tally.precision:>9.3f} {tally.recall:>6.3f}"
            )
        total = report.overall
        quiet = sum(1 for m in report.metrics if not m.tally.anomalies and not m.tally.alarms)
        write(
            f"{'overall':<52} {total.anomalies:>8} {total.found:>5} {total.alarms:>6} "
            f"{total.precision:>9.3f} {total.recall:>6.3f}"
        )
        write(f"{len(report.metrics)} series scored ({quiet} without labels or alarms).")
        for label in report.unwatched:
            write(f"Left out, not watched: {label.metric} {label.start:%Y-%m-%d %H:%M}")
        for label in report.warm_up:
            write(
                f"Left out, in the series' first 8 days: {label.metric} "
                f"{label.start:%Y-%m-%d %H:%M}"
            )
