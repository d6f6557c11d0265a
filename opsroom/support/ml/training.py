"""Training the ticket category classifier on the operator's own labelled tickets.

The latest slice of tickets (by creation time) is held back: the classifier learns from the
older ones and is judged, beside the keyword rules, on tickets that came after everything it
saw. The model store switches it on only if it beats the rules there. With too little
history (fewer than MIN_TICKETS labelled tickets, or fewer than 2 categories with
MIN_PER_CLASS tickets each) nothing is trained and the rules stay in use.
"""

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from opsroom.core.ml.evaluation import multiclass_evaluate
from opsroom.core.ml.services import TrainingRun
from opsroom.core.ml.splits import time_split
from opsroom.core.ml.thresholds import precision_at
from opsroom.support.ml.model import TriageClassifier
from opsroom.support.ml.rules import category_by_rules

MODEL_NAME = "support.triage.category"
MIN_TICKETS = 300
MIN_PER_CLASS = 10
TEST_FRACTION = 0.2
PRIMARY_METRIC = "macro_f1"


@dataclass(frozen=True)
class LabelledTicket:
    text: str
    category: str
    created_at: datetime


@dataclass(frozen=True)
class TriageTraining:
    """A trained classifier with what the store records about it, or why none was trained."""

    classifier: TriageClassifier | None
    run: TrainingRun | None
    reason: str


def triage_training_run(
    *, tickets: Sequence[LabelledTicket], embeddings: bool | None = None
) -> TriageTraining:
    """Train on all but the latest tickets and measure the model and the rules on those."""
    started = time.perf_counter()
    counts = Counter(ticket.category for ticket in tickets)
    kept = sorted(category for category, n in counts.items() if n >= MIN_PER_CLASS)
    left_out = sorted(set(counts) - set(kept))
    rows = [ticket for ticket in tickets if ticket.category in kept]
    if len(rows) < MIN_TICKETS or len(kept) < 2:
        return TriageTraining(
            classifier=None,
            run=None,
            reason=(
                f"Too little history to learn from: {len(rows)} labelled tickets in "
                f"{len(kept)} categories with at least {MIN_PER_CLASS} each (needs "
                f"{MIN_TICKETS} tickets and 2 categories); the rules stay in use."
            ),
        )
    split = time_split(timestamps=[t.created_at for t in rows], test_fraction=TEST_FRACTION)
    train = [rows[i] for i in split.train]
    test = [rows[i] for i in split.test]
    classifier = TriageClassifier(embeddings=embeddings).fit(
        [t.text for t in train], [t.category for t in train], times=[t.created_at for t in train]
    )
    train_seconds = time.perf_counter() - started

    truth = [t.category for t in test]
    predictions = classifier.predict([t.text for t in test])
    model_report = multiclass_evaluate(
        y_true=truth,
        y_pred=[p.best_label for p in predictions],
        confidence=[p.confidence for p in predictions],
        labels=kept,
    )
    guesses = [category_by_rules(t.text) for t in test]
    rules_report = multiclass_evaluate(
        y_true=truth,
        y_pred=[g.label for g in guesses],
        confidence=[g.confidence for g in guesses],
        labels=sorted(set(kept) | {g.label for g in guesses}),
    )
    choice = classifier.threshold
    accepted = np.array([p.label is not None for p in predictions])
    confidence = np.array([p.confidence for p in predictions])
    at = precision_at(
        confidence=np.where(accepted, confidence, -1.0),
        correct=np.array([p.best_label for p in predictions], dtype=object) == np.array(truth),
        threshold=choice.threshold if choice is not None else None,
    )
    metrics: dict[str, Any] = {
        **model_report.as_dict(),
        "threshold": choice.as_dict() if choice is not None else None,
        "precision": at.precision,
        "precision_lower": at.precision_lower,
        "coverage": at.coverage,
    }
    run = TrainingRun(
        name=MODEL_NAME,
        method=classifier.method,
        primary_metric=PRIMARY_METRIC,
        metrics=metrics,
        baseline_metrics={**rules_report.as_dict(), "method": "keyword rules"},
        train_rows=len(train),
        test_rows=len(test),
        data_start=min(t.created_at for t in train),
        data_end=max(t.created_at for t in train),
        train_seconds=train_seconds,
        params={
            "c": classifier.c,
            "embeddings": classifier.embedding_model,
            "embedding_weight": classifier.embedding_weight,
            "temperature": round(classifier.scaler.temperature, 4),
            "target_precision": classifier.target_precision,
            "threshold_claim": classifier.threshold_claim,
            "test_from": split.cut.isoformat(),
            "categories_left_out": left_out,
        },
    )
    return TriageTraining(classifier=classifier, run=run, reason="")
