"""Is the health score right? Its bands' churn, its AUC, and weights fitted to churn.

Pure functions of samples: one per paying customer per past day, with that day's component
scores and whether they stopped paying in the 30 days after (services/health_validation.py
gathers them from the history, or reads them from a CSV file). Statistics come from
scikit-learn (logistic regression, ROC AUC) and scipy (a bootstrap over customers, since each
customer appears on many days); nothing is computed by hand.
"""

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
from scipy.stats import DegenerateDataWarning, bootstrap
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from opsroom.core.errors import InvalidInput
from opsroom.user360.health import (
    COMPONENTS,
    SCORED_BANDS,
    HealthSettings,
    band_for,
    is_new,
    score_combine,
    weights_normalise,
)

REPORT_BANDS = (*SCORED_BANDS, "new")
# The later share of the days the fitted weights are tested on (fitted on the earlier rest).
TEST_SHARE = 1 / 3
# Fewer churned customers than this in either slice: no weights are fitted.
MIN_CHURNED_TO_FIT = 10
BOOTSTRAP_RESAMPLES = 300
CONFIDENCE = 0.95


@dataclass(frozen=True)
class HealthSample:
    """A paying customer on a past day: the day's component scores and what came next."""

    day: date
    person_id: int
    scores: Mapping[str, int | None]  # component key -> 0-100, None: not applicable
    account_age_days: int | None
    churned: bool  # stopped paying within 30 days


@dataclass(frozen=True)
class BandChurn:
    band: str
    samples: int
    churned: int
    rate: float
    low: float | None = None  # the 95% interval (bootstrap over customers)
    high: float | None = None


@dataclass(frozen=True)
class FittedWeights:
    """Weights fitted on the earlier days, tested against the hand-set ones on the later."""

    weights: dict[str, int]  # percent of the score, adding up to 100
    coefficients: dict[str, float]  # the logistic regression's, per component on a 0-1 scale
    fit_first_day: date
    fit_last_day: date
    fit_samples: int
    test_first_day: date
    test_last_day: date
    test_samples: int
    test_churned: int
    auc_fitted: float
    auc_hand_set: float

    @property
    def is_better(self) -> bool:
        return self.auc_fitted > self.auc_hand_set


@dataclass(frozen=True)
class HealthReport:
    first_day: date
    last_day: date
    days: int
    samples: int
    customers: int
    churned: int
    weights: dict[str, float]  # the hand-set weights evaluated, normalised
    bands: list[BandChurn]
    auc: float | None  # the score against churn, New people left out
    auc_low: float | None = None
    auc_high: float | None = None
    fit: FittedWeights | None = None
    fit_refused: str = ""  # why no weights were fitted
    notes: list[str] = field(default_factory=list)

    @property
    def is_ordered(self) -> bool:
        """Whether churn rises from Healthy to At risk to Critical."""
        rates = {band.band: band.rate for band in self.bands}
        if not all(band in rates for band in SCORED_BANDS):
            return False
        return rates["healthy"] < rates["at_risk"] < rates["critical"]

    def band(self, key: str) -> BandChurn | None:
        return next((band for band in self.bands if band.band == key), None)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _jsonable(asdict(self))
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "HealthReport":
        values = dict(data)
        for name in ("first_day", "last_day"):
            values[name] = date.fromisoformat(values[name])
        values["bands"] = [BandChurn(**band) for band in values["bands"]]
        if values.get("fit"):
            fit = dict(values["fit"])
            for name in ("fit_first_day", "fit_last_day", "test_first_day", "test_last_day"):
                fit[name] = date.fromisoformat(fit[name])
            values["fit"] = FittedWeights(**fit)
        return cls(**values)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.floating | np.integer):
        return value.item()
    return value


@dataclass(frozen=True)
class _Scored:
    """Samples as arrays: the score and band under some weights, and the outcome."""

    scores: np.ndarray
    bands: np.ndarray
    churned: np.ndarray
    people: np.ndarray
    days: np.ndarray


def _score(samples: Sequence[HealthSample], settings: HealthSettings) -> _Scored:
    weights = weights_normalise(settings.weights)
    scores, bands = [], []
    for sample in samples:
        score, _uncapped = score_combine(dict(sample.scores), weights, settings)
        scores.append(score)
        bands.append(band_for(score, settings, is_new=is_new(sample.account_age_days, settings)))
    return _Scored(
        scores=np.array(scores, dtype=float),
        bands=np.array(bands, dtype=object),
        churned=np.array([sample.churned for sample in samples], dtype=bool),
        people=np.array([sample.person_id for sample in samples]),
        days=np.array([sample.day for sample in samples], dtype=object),
    )


def _auc(churned: np.ndarray, scores: np.ndarray) -> float | None:
    """The chance a churned customer scored below one who stayed (ties count half)."""
    if churned.all() or not churned.any():
        return None
    return float(roc_auc_score(churned, -scores))


def _statistics(scored: _Scored, indices: np.ndarray, bands: Sequence[str]) -> np.ndarray:
    """[AUC of the scored bands, churn rate of each band] over some samples (nan: none)."""
    churned, held = scored.churned[indices], scored.bands[indices]
    judged = held != "new"
    auc = _auc(churned[judged], scored.scores[indices][judged])
    rates = [churned[held == band].mean() if (held == band).any() else np.nan for band in bands]
    return np.array([np.nan if auc is None else auc, *rates])


def _intervals(scored: _Scored, bands: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """95% intervals of _statistics from a bootstrap that resamples customers, not days."""
    people, inverse = np.unique(scored.people, return_inverse=True)
    if len(people) < 2:
        return None
    rows_of = [np.flatnonzero(inverse == index) for index in range(len(people))]

    def statistic(chosen: np.ndarray) -> np.ndarray:
        indices = np.concatenate([rows_of[int(index)] for index in chosen])
        return _statistics(scored, indices, bands)

    with warnings.catch_warnings():
        # A resample without churn in a small band has no rate: its interval is left out.
        warnings.simplefilter("ignore", DegenerateDataWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        result = bootstrap(
            (np.arange(len(people)),),
            statistic,
            vectorized=False,
            n_resamples=BOOTSTRAP_RESAMPLES,
            confidence_level=CONFIDENCE,
            method="percentile",
            rng=np.random.default_rng(0),  # the same samples give the same report
        )
    return result.confidence_interval.low, result.confidence_interval.high


def _finite(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def health_report(
    samples: Sequence[HealthSample], settings: HealthSettings, *, intervals: bool = True
) -> HealthReport:
    """Churn per band, the AUC and fitted weights for samples, scored with `settings`."""
    if not samples:
        raise InvalidInput("There are no samples to evaluate: no paying customers on those days.")
    scored = _score(samples, settings)
    present = [band for band in REPORT_BANDS if (scored.bands == band).any()]
    point = _statistics(scored, np.arange(len(samples)), present)
    bounds = _intervals(scored, present) if intervals else None
    bands = []
    for offset, band in enumerate(present, start=1):
        in_band = scored.bands == band
        bands.append(
            BandChurn(
                band=band,
                samples=int(in_band.sum()),
                churned=int(scored.churned[in_band].sum()),
                rate=round(float(point[offset]), 4),
                low=_finite(bounds[0][offset]) if bounds else None,
                high=_finite(bounds[1][offset]) if bounds else None,
            )
        )
    fit, refused = weights_fit(samples, settings)
    days = sorted({sample.day for sample in samples})
    return HealthReport(
        first_day=days[0],
        last_day=days[-1],
        days=len(days),
        samples=len(samples),
        customers=len({sample.person_id for sample in samples}),
        churned=int(scored.churned.sum()),
        weights={
            key: round(value, 4) for key, value in weights_normalise(settings.weights).items()
        },
        bands=bands,
        auc=_finite(point[0]),
        auc_low=_finite(bounds[0][0]) if bounds else None,
        auc_high=_finite(bounds[1][0]) if bounds else None,
        fit=fit,
        fit_refused=refused,
    )


def _percentages(shares: np.ndarray) -> list[int]:
    """Shares as whole percents adding up to 100 (largest remainders get the rounding)."""
    raw = shares / shares.sum() * 100
    whole = np.floor(raw).astype(int)
    for index in np.argsort(-(raw - whole))[: 100 - int(whole.sum())]:
        whole[index] += 1
    return [int(value) for value in whole]


def weights_fit(
    samples: Sequence[HealthSample], settings: HealthSettings
) -> tuple[FittedWeights | None, str]:
    """Weights from a logistic regression of churn on the component scores, fitted on the
    earlier days and compared with the hand-set weights on the later ones; or why not."""
    keys = [key for key, _label in COMPONENTS]
    judged = [s for s in samples if not is_new(s.account_age_days, settings)]
    days = sorted({sample.day for sample in judged})
    if len(days) < 3:
        return None, "Fewer than 3 past days with paying customers to learn from."
    split = days[len(days) - max(1, round(len(days) * TEST_SHARE))]
    train = [sample for sample in judged if sample.day < split]
    test = [sample for sample in judged if sample.day >= split]
    train_churned = sum(sample.churned for sample in train)
    test_churned = sum(sample.churned for sample in test)
    if min(train_churned, test_churned) < MIN_CHURNED_TO_FIT:
        return None, (
            f"Too few customers stopped paying to fit weights ({train_churned} in the earlier "
            f"days, {test_churned} in the later; {MIN_CHURNED_TO_FIT} needed in each)."
        )
    matrix = np.array(
        [
            [np.nan if (score := s.scores.get(key)) is None else score / 100 for key in keys]
            for s in train
        ]
    )
    # A component that does not apply counts as the average of those it applies to (1.0 when
    # it applies to no one: a constant, which the regression gives no weight).
    known = ~np.isnan(matrix)
    counts = known.sum(axis=0)
    sums = np.where(known, matrix, 0.0).sum(axis=0)
    means = np.divide(sums, counts, out=np.ones_like(sums), where=counts > 0)
    matrix = np.where(known, matrix, means)
    model = LogisticRegression().fit(matrix, [sample.churned for sample in train])
    # A higher component should mean less churn: its weight is how much less (negative ones
    # go to 0). Components share one 0-1 scale, so the score ranks as the model does.
    protective = np.maximum(-model.coef_[0], 0.0)
    if protective.sum() <= 0:
        return None, "No component goes with customers staying: nothing to weigh."
    weights = dict(zip(keys, _percentages(protective), strict=True))
    if not any(weights.values()):
        return None, "No component goes with customers staying: nothing to weigh."
    fitted = replace(settings, weights=dict(weights))
    test_hand, test_fitted = _score(test, settings), _score(test, fitted)
    auc_hand = _auc(test_hand.churned, test_hand.scores)
    auc_fitted = _auc(test_fitted.churned, test_fitted.scores)
    if auc_hand is None or auc_fitted is None:
        return None, "The later days hold only one outcome: nothing to test on."
    return (
        FittedWeights(
            weights=weights,
            coefficients={k: round(float(c), 4) for k, c in zip(keys, model.coef_[0], strict=True)},
            fit_first_day=days[0],
            fit_last_day=max(sample.day for sample in train),
            fit_samples=len(train),
            test_first_day=split,
            test_last_day=days[-1],
            test_samples=len(test),
            test_churned=test_churned,
            auc_fitted=round(auc_fitted, 4),
            auc_hand_set=round(auc_hand, 4),
        ),
        "",
    )
