"""Score a series with the product's anomaly detector: one score in [0, 1] per row."""

import csv
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.analytics.anomaly.detectors import DETECTOR, DETECTORS, anomaly_scores
from opsroom.analytics.anomaly.series_file import series_file_read
from opsroom.core.errors import InvalidInput


class Command(BaseCommand):
    help = (
        "Read FILE (timestamp,value rows), run the anomaly detector Opsroom uses, learning as "
        "it goes (a row's score uses only earlier rows), and write timestamp,value,score."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", help="a JSON list instead of CSV")
        parser.add_argument(
            "--detector",
            choices=sorted(DETECTORS),
            default=DETECTOR,
            help=f"the detector (default {DETECTOR}, the one the product runs)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            series = series_file_read(options["file"])
        except InvalidInput as exc:
            raise CommandError(exc.message) from exc
        scores, _z = anomaly_scores(series.timestamps, series.values, detector=options["detector"])
        rows = zip(series.labels, series.values, scores, strict=True)
        if options["json"]:
            payload = [
                {"timestamp": label, "value": float(value), "score": round(float(score), 6)}
                for label, value, score in rows
            ]
            self.stdout.write(json.dumps(payload))
            return
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["timestamp", "value", "score"])
        for label, value, score in rows:
            writer.writerow([label, repr(float(value)), f"{float(score):.6f}"])
