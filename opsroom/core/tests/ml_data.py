"""Trained models and stored versions for the model-store tests."""

import numpy as np
from sklearn.linear_model import LogisticRegression

from opsroom.core.ml.services import TrainingRun, model_artifact_save
from opsroom.core.services.audit import AuditContext


def small_model(seed: int = 0) -> LogisticRegression:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    return LogisticRegression().fit(X, y)


def stored(
    *,
    name: str = "support.triage.category",
    score: float = 0.9,
    baseline: float = 0.6,
    activate: bool = True,
    seed: int = 0,
    audit: AuditContext | None = None,
):
    run = TrainingRun(
        name=name,
        method="logistic regression",
        primary_metric="macro_f1",
        metrics={
            "macro_f1": score,
            "accuracy": score + 0.02,
            "ece": 0.04,
            "labels": ["billing", "bug"],
            "confusion": [[40, 2], [3, 35]],
            "per_class": [
                {"label": "billing", "precision": 0.93, "recall": 0.95, "f1": 0.94, "support": 42},
                {"label": "bug", "precision": 0.95, "recall": 0.92, "f1": 0.93, "support": 38},
            ],
            "reliability": [
                {"lower": 0.8, "upper": 0.9, "count": 30, "mean_predicted": 0.85, "observed": 0.83}
            ],
        },
        baseline_metrics={"macro_f1": baseline, "accuracy": baseline + 0.01},
        train_rows=320,
        test_rows=80,
        train_seconds=1.5,
        params={"C": 1.0},
    )
    return model_artifact_save(
        model=small_model(seed), run=run, audit=audit or AuditContext.system(), activate=activate
    )
