"""Training and backtesting the churn model on the operator's own history, split by time.

As of a day D with a horizon H: the model learns from snapshots of paying customers taken
every `step_days` before D whose H-day windows had closed by D (so nothing it learns from
happened after D), its probabilities are calibrated on the latest of them, and it is judged,
beside the rule score, on the customers paying at the start of D against who churned in
[D, D + H). Any history imported in the documented formats works: churn is the MRR ledger's
churn, the inputs are the point-in-time signals.
"""

import contextvars
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

import numpy as np
from django.db import connection, connections

from opsroom.core.errors import InvalidInput
from opsroom.core.ml.evaluation import BinaryReport, binary_evaluate
from opsroom.core.ml.services import TrainingRun
from opsroom.people.signals import signal_catalogue
from opsroom.revenue.churn.dataset import Snapshot, labelled_days, snapshot_build
from opsroom.revenue.churn.features import feature_names
from opsroom.revenue.churn.model import METHOD, ChurnModel
from opsroom.revenue.churn.rule import rule_probabilities
from opsroom.revenue.models import MrrMovement

MODEL_NAME = "revenue.churn.30d"
PRIMARY_METRIC = "roc_auc"
MIN_CHURNED = 20  # churned customers the training snapshots need between them
SNAPSHOT_THREADS = 4  # at most; never more than the machine's cores


@dataclass(frozen=True)
class ChurnBacktest:
    as_of: date
    horizon_days: int
    train_days: list[date]
    calibration_day: date
    train_rows: int
    train_churned: int
    model: BinaryReport
    rule: BinaryReport
    churn_model: ChurnModel
    seconds: float

    @property
    def model_beats_rule(self) -> bool:
        m, r = self.model.roc_auc, self.rule.roc_auc
        return m is not None and (r is None or m > r)

    def summary(self) -> dict[str, Any]:
        def figures(report: BinaryReport) -> dict[str, Any]:
            return {
                "roc_auc": report.roc_auc,
                "brier": report.brier,
                "top_decile_lift": report.top_decile_lift,
            }

        return {
            "model_auc": self.model.roc_auc,
            "rule_auc": self.rule.roc_auc,
            "model_lift": self.model.top_decile_lift,
            "rule_lift": self.rule.top_decile_lift,
            "model_brier": self.model.brier,
            "rule_brier": self.rule.brier,
            "people": self.model.n,
            "churned": self.model.positives,
            "as_of": self.as_of.isoformat(),
            "horizon_days": self.horizon_days,
            "train_days": [d.isoformat() for d in self.train_days],
            "calibration_day": self.calibration_day.isoformat(),
            "train_rows": self.train_rows,
            "train_churned": self.train_churned,
            "test_rows": self.model.n,
            "test_churned": self.model.positives,
            "model": figures(self.model),
            "rule": figures(self.rule),
            "model_calibration": [asdict(b) for b in self.model.calibration],
            "rule_calibration": [asdict(b) for b in self.rule.calibration],
            "model_beats_rule": self.model_beats_rule,
            "seconds": round(self.seconds, 1),
        }


def history_end() -> date | None:
    """The last day of the MRR ledger."""
    return MrrMovement.objects.order_by("-day").values_list("day", flat=True).first()


def churn_backtest_run(
    *, as_of: date, horizon_days: int = 30, snapshots: int = 6, step_days: int = 14
) -> ChurnBacktest:
    """Train as of a day on what was known then; judge the model and the rule on what followed."""
    started = time.perf_counter()
    if not 7 <= horizon_days <= 180:
        raise InvalidInput("The horizon must be 7 to 180 days.")
    end = history_end()
    if end is None:
        raise InvalidInput("No revenue history: import subscriptions and build the MRR ledger.")
    if as_of + timedelta(days=horizon_days) > end + timedelta(days=1):
        raise InvalidInput(
            f"The {horizon_days} days after {as_of} go past the history (it ends {end}); "
            f"choose a day on or before {end + timedelta(days=1 - horizon_days)}."
        )
    days = labelled_days(
        until=as_of, horizon_days=horizon_days, count=snapshots + 1, step_days=step_days
    )
    if len(days) < 2:
        raise InvalidInput(
            f"Too little history before {as_of}: it needs at least two snapshots "
            f"{step_days} days apart whose {horizon_days}-day windows closed by then."
        )
    built = snapshots_build(days=[*days, as_of], horizon_days=horizon_days)
    train, calibration, test = built[:-2], built[-2], built[-1]
    y_train = np.concatenate([_labels(s) for s in train])
    if int(y_train.sum()) < MIN_CHURNED or int(_labels(calibration).sum()) < 2:
        raise InvalidInput(
            f"Too few churned customers before {as_of} to learn from: {int(y_train.sum())} in "
            f"the training snapshots (needs {MIN_CHURNED}) and "
            f"{int(_labels(calibration).sum())} in the calibration one (needs 2)."
        )
    if not test.person_ids:
        raise InvalidInput(f"Nobody was paying at the start of {as_of}.")
    model = ChurnModel(names=feature_names(sorted(signal_catalogue()))).fit(
        [row for s in train for row in s.signals],
        y_train,
        calibration.signals,
        _labels(calibration),
    )
    y_test = _labels(test)
    return ChurnBacktest(
        as_of=as_of,
        horizon_days=horizon_days,
        train_days=[s.day for s in train],
        calibration_day=calibration.day,
        train_rows=len(y_train),
        train_churned=int(y_train.sum()),
        model=binary_evaluate(y_true=y_test, scores=model.probabilities(test.signals)),
        rule=binary_evaluate(y_true=y_test, scores=rule_probabilities(test.signals)),
        churn_model=model,
        seconds=time.perf_counter() - started,
    )


def _snapshot_alone(day: date, horizon_days: int) -> Snapshot:
    try:
        return snapshot_build(day=day, horizon_days=horizon_days, labelled=True)
    finally:
        connections.close_all()  # this thread's connections only


def snapshots_build(*, days: list[date], horizon_days: int) -> list[Snapshot]:
    """The labelled snapshots of these days, in order. Building one is nearly all database
    reads, so outside a transaction they are built by a few threads at once (one connection
    each; the database works while Python waits). Inside a transaction (a test, a caller's
    atomic block) other connections could not see its rows: one at a time."""
    workers = min(SNAPSHOT_THREADS, os.cpu_count() or 1, len(days))
    if workers <= 1 or connection.in_atomic_block:
        return [snapshot_build(day=d, horizon_days=horizon_days, labelled=True) for d in days]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # Each task runs in a copy of this context, so a frozen clock holds in the threads too.
        futures = [
            pool.submit(contextvars.copy_context().run, _snapshot_alone, d, horizon_days)
            for d in days
        ]
        return [future.result() for future in futures]


def _labels(snapshot: Snapshot) -> np.ndarray:
    assert snapshot.churned is not None
    return snapshot.churned


def churn_training_run(*, horizon_days: int = 30) -> tuple[ChurnModel, TrainingRun]:
    """The latest backtest (its test window the last complete one), as a model-store run."""
    end = history_end()
    if end is None:
        raise InvalidInput("No revenue history: import subscriptions and build the MRR ledger.")
    backtest = churn_backtest_run(
        as_of=end + timedelta(days=1 - horizon_days), horizon_days=horizon_days
    )
    first = backtest.train_days[0]
    return backtest.churn_model, TrainingRun(
        name=MODEL_NAME,
        method=METHOD,
        primary_metric=PRIMARY_METRIC,
        metrics={**backtest.model.as_dict(), "horizon_days": horizon_days},
        baseline_metrics={**backtest.rule.as_dict(), "method": "the brief's rule score"},
        train_rows=backtest.train_rows,
        test_rows=backtest.model.n,
        data_start=datetime.combine(first, dtime.min, tzinfo=UTC),
        data_end=datetime.combine(backtest.calibration_day, dtime.min, tzinfo=UTC),
        train_seconds=backtest.seconds,
        params={
            "c": backtest.churn_model.c,
            "features": backtest.churn_model.names,
            "train_days": [d.isoformat() for d in backtest.train_days],
            "calibration_day": backtest.calibration_day.isoformat(),
            "test_day": backtest.as_of.isoformat(),
        },
    )
