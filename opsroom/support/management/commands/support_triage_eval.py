"""Train the product's triage pipeline on one labelled CSV and judge it on another."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.core.errors import InvalidInput
from opsroom.core.ml.embeddings import embeddings_available
from opsroom.support.ml.data import labelled_csv_read
from opsroom.support.ml.evaluation import triage_evaluate
from opsroom.support.ml.model import TriageClassifier


def _figure(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


class Command(BaseCommand):
    help = (
        "Train the triage classifier the product uses on TRAIN.csv and evaluate it on "
        "TEST.csv. Both need a 'text' column and a 'label' (or 'category') column; an empty "
        "label marks an out-of-scope row, which must be abstained on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--train", required=True, help="labelled CSV to learn from")
        parser.add_argument("--test", required=True, help="labelled CSV to judge on")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--target-precision",
            type=float,
            default=0.99,
            help="precision the auto-resolution threshold must keep on held-back rows",
        )
        parser.add_argument(
            "--no-embeddings",
            action="store_true",
            help="text features only, even when the embeddings extra is installed",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["target_precision"]
        if not 0 < target < 1:
            raise CommandError("--target-precision must be between 0 and 1.")
        try:
            train = labelled_csv_read(options["train"])
            test = labelled_csv_read(options["test"])
            if len(train.in_scope_labels) < 2:
                raise InvalidInput(
                    f"{options['train']}: needs at least 2 different labels to learn from "
                    f"(found {len(train.in_scope_labels)})."
                )
            classifier = TriageClassifier(
                embeddings=False if options["no_embeddings"] else embeddings_available(),
                target_precision=target,
            )
            evaluation, _ = triage_evaluate(train=train, test=test, classifier=classifier)
        except InvalidInput as exc:
            raise CommandError(exc.message) from exc
        result = evaluation.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        lines = [
            f"method                {evaluation.method}",
            f"rows                  {evaluation.train_rows} train, {evaluation.test_rows} test, "
            f"{evaluation.labels} labels",
            f"accuracy              {_figure(evaluation.accuracy)}",
            f"macro_f1              {_figure(evaluation.macro_f1)}",
            f"ece                   {_figure(evaluation.ece)}",
            f"threshold             {_figure(evaluation.threshold)}"
            f"  (target precision {target}, {evaluation.threshold_outcome})",
            f"precision             {_figure(evaluation.precision)}"
            f"  (95% lower bound {_figure(evaluation.precision_lower)})",
            f"coverage              {_figure(evaluation.coverage)}"
            f"  ({evaluation.accepted} of {evaluation.test_rows} test rows labelled)",
            f"out_of_scope_accepted {evaluation.out_of_scope_accepted}"
            f" of {evaluation.out_of_scope_rows}",
            f"train_seconds         {evaluation.train_seconds:.1f}",
        ]
        self.stdout.write("\n".join(lines))
