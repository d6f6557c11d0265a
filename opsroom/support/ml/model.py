"""The ticket category classifier: learns an operator's own taxonomy from labelled tickets.

Pipeline (chosen by measurement, see docs/support.md): word and character n-gram TF-IDF,
plus all-MiniLM-L6-v2 sentence embeddings when the embeddings extra is installed, into a
linear SVM; its scores become probabilities by temperature scaling on held-back rows, and the
same held-back rows set the confidence threshold at which a prediction is trusted for
automatic action: by default the lowest one whose 95% lower bound on precision reaches
`target_precision`, so that new tickets keep that precision. When the held-back slice is too
small to ever show that (fewer rows than `min_accepted`), the rows are scored out of fold
instead (rolling-origin folds by time, or stratified folds), so a history of a few hundred
tickets can still earn a threshold. Below the threshold it abstains:
`label` is None, while `best_label` and the alternatives still guide a human.

Rows labelled "" are out of scope: they are never a right answer. When the training rows hold
enough of them they form a class of their own, which takes probability away from the real
categories for texts like them.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from sklearn.svm import LinearSVC

from opsroom.core.errors import InvalidInput
from opsroom.core.ml.calibration import TemperatureScaler
from opsroom.core.ml.embeddings import (
    MODEL_ID,
    SentenceEncoder,
    embeddings_available,
    sentence_encoder,
)
from opsroom.core.ml.splits import rolling_origin_folds, time_split
from opsroom.core.ml.thresholds import (
    Claim,
    ThresholdChoice,
    min_accepted,
    threshold_for_precision,
)
from opsroom.support.ml.features import char_vectorizer, word_vectorizer

OUT_OF_SCOPE = "__out_of_scope__"
MIN_HELD_BACK_ROWS = 20
MIN_OUT_OF_SCOPE_CLASS = 5
# When the held-back slice is too small to claim the precision target, thresholds come from
# out-of-fold scores instead: CROSS_FOLDS folds (by time when rows have times, the first
# CROSS_MIN_TRAIN of them only ever training).
CROSS_FOLDS = 4
CROSS_MIN_TRAIN = 0.2

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Alternative:
    label: str
    confidence: float


@dataclass(frozen=True)
class TriagePrediction:
    """What the classifier says about one text."""

    label: str | None  # the category, or None: not sure enough (or out of scope)
    best_label: str  # the most likely category, even when abstaining
    confidence: float  # calibrated probability of best_label
    alternatives: tuple[Alternative, ...]  # the most likely categories, best first


@dataclass(frozen=True)
class FitSummary:
    """What training measured on the rows it held back."""

    rows: int
    held_back_rows: int
    classes: int
    out_of_scope_rows: int
    embeddings: bool
    temperature: float
    threshold: ThresholdChoice | None
    held_back_accuracy: float | None
    seconds: float


class TriageClassifier:
    """Text in, category with a calibrated confidence out (see the module docstring)."""

    def __init__(
        self,
        *,
        embeddings: bool | None = None,
        target_precision: float = 0.99,
        threshold_claim: Claim = "lower_bound",
        held_back: float = 0.15,
        c: float = 0.5,
        embedding_weight: float = 2.0,
        refit: bool = True,
        seed: int = 0,
    ) -> None:
        self.embeddings = embeddings
        self.target_precision = target_precision
        self.threshold_claim = threshold_claim
        self.held_back = held_back
        self.c = c
        self.embedding_weight = embedding_weight
        self.refit = refit
        self.seed = seed
        self.embedding_model: str | None = None
        self.classes_: list[str] = []
        self.scaler = TemperatureScaler()
        self.threshold: ThresholdChoice | None = None
        self.summary: FitSummary | None = None
        self._word: Any = None
        self._char: Any = None
        # The SVM's weights as one (features x classes) matrix: scoring a single ticket is then
        # one sparse-dense product, without scikit-learn's per-call checks and copies.
        self._weights: npt.NDArray[np.float32] | None = None
        self._bias: npt.NDArray[np.float32] | None = None

    @property
    def method(self) -> str:
        features = "word+char TF-IDF"
        if self.embedding_model:
            features += f" + {self.embedding_model} embeddings"
        return f"{features}, linear SVM, temperature-scaled"

    @property
    def labels(self) -> list[str]:
        """The categories it can answer (out of scope is not one)."""
        return [label for label in self.classes_ if label != OUT_OF_SCOPE]

    # Training

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str | None],
        *,
        times: Sequence[datetime] | None = None,
    ) -> "TriageClassifier":
        """Learn from labelled texts ("" or None: out of scope); with `times`, hold back the
        latest rows rather than a random sample."""
        started = time.perf_counter()
        y = np.array([label or OUT_OF_SCOPE for label in labels], dtype=object)
        if len(texts) != len(y):
            raise InvalidInput("Give one label per text.")
        if len(set(y) - {OUT_OF_SCOPE}) < 2:
            raise InvalidInput("Training needs at least 2 different labels.")
        use_embeddings = embeddings_available() if self.embeddings is None else self.embeddings
        self.embedding_model = MODEL_ID if use_embeddings else None
        text_list = [text or "" for text in texts]
        vectors = self._encoder().encode(text_list) if use_embeddings else None

        held_rows, scores, classes, fitted_on_all = self._held_back_scores(
            text_list, y, vectors, times
        )
        threshold = None
        accuracy = None
        if len(held_rows):
            known = np.isin(y[held_rows], classes)
            if known.any():
                index = {label: i for i, label in enumerate(classes)}
                truth = np.array([index[label] for label in y[held_rows][known]])
                self.scaler.fit(scores[known], truth)
            best, confidence = _best(self.scaler.transform(scores), classes)
            correct = (best == y[held_rows]) & (y[held_rows] != OUT_OF_SCOPE)
            in_scope = y[held_rows] != OUT_OF_SCOPE
            accuracy = float(correct[in_scope].mean()) if in_scope.any() else None
            threshold = threshold_for_precision(
                confidence=confidence,
                correct=correct,
                target=self.target_precision,
                claim=self.threshold_claim,
            )
        if not fitted_on_all and (self.refit or not len(held_rows)):
            self._fit_rows(text_list, y, vectors, np.arange(len(y)))
        self.threshold = threshold
        self.summary = FitSummary(
            rows=len(y),
            held_back_rows=len(held_rows),
            classes=len(self.labels),
            out_of_scope_rows=int((y == OUT_OF_SCOPE).sum()),
            embeddings=use_embeddings,
            temperature=self.scaler.temperature,
            threshold=threshold,
            held_back_accuracy=accuracy,
            seconds=time.perf_counter() - started,
        )
        return self

    def _held_back_scores(
        self,
        texts: list[str],
        y: npt.NDArray[Any],
        vectors: npt.NDArray[np.float32] | None,
        times: Sequence[datetime] | None,
    ) -> tuple[npt.NDArray[np.intp], Matrix, list[str], bool]:
        """Scores of rows the scoring model never saw: the held-back slice, or (when that slice is
        too small to claim the precision target) out-of-fold scores of most rows."""
        fit_rows, held_rows = self._held_back_split(y, times)
        if not len(held_rows):
            return held_rows, np.zeros((0, 0)), [], False
        if len(held_rows) < min_accepted(self.target_precision) <= len(y):
            try:
                return self._cross_fitted_scores(texts, y, vectors, times)
            except InvalidInput:  # a fold with a single label: use the slice after all
                pass
        self._fit_rows(texts, y, vectors, fit_rows)
        scores = self._scores([texts[i] for i in held_rows], _rows(vectors, held_rows))
        return held_rows, scores, list(self.classes_), False

    def _cross_fitted_scores(
        self,
        texts: list[str],
        y: npt.NDArray[Any],
        vectors: npt.NDArray[np.float32] | None,
        times: Sequence[datetime] | None,
    ) -> tuple[npt.NDArray[np.intp], Matrix, list[str], bool]:
        if times is not None:  # each fold trains on earlier rows only
            folds = [
                (fold.train, fold.test)
                for fold in rolling_origin_folds(
                    timestamps=times, folds=CROSS_FOLDS, min_train_fraction=CROSS_MIN_TRAIN
                )
            ]
        else:
            _, counts = np.unique(y, return_counts=True)
            splitter = (
                StratifiedKFold(CROSS_FOLDS, shuffle=True, random_state=self.seed)
                if counts.min() >= CROSS_FOLDS
                else KFold(CROSS_FOLDS, shuffle=True, random_state=self.seed)
            )
            folds = list(splitter.split(np.zeros(len(y)), y))
        out_of_scope_is_class = (y == OUT_OF_SCOPE).sum() >= MIN_OUT_OF_SCOPE_CLASS
        classes = sorted(
            {str(label) for label in y if out_of_scope_is_class or label != OUT_OF_SCOPE}
        )
        held_parts, score_parts = [], []
        for train, test in folds:
            self._fit_rows(texts, y, vectors, np.asarray(train))
            fold_scores = self._scores([texts[i] for i in test], _rows(vectors, np.asarray(test)))
            # A class absent from this fold's training rows gets a score far below the others.
            aligned = np.full((len(test), len(classes)), fold_scores.min() - 10.0)
            for column, label in enumerate(self.classes_):
                aligned[:, classes.index(label)] = fold_scores[:, column]
            held_parts.append(np.asarray(test))
            score_parts.append(aligned)
        self._fit_rows(texts, y, vectors, np.arange(len(y)))
        return np.concatenate(held_parts), np.vstack(score_parts), classes, True

    def _held_back_split(
        self, y: npt.NDArray[Any], times: Sequence[datetime] | None
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        everything = np.arange(len(y))
        if len(y) * self.held_back < MIN_HELD_BACK_ROWS:
            return everything, everything[:0]
        if times is not None:
            split = time_split(timestamps=times, test_fraction=self.held_back)
            return split.train, split.test
        _, counts = np.unique(y, return_counts=True)
        fit_rows, held_rows = train_test_split(
            everything,
            test_size=self.held_back,
            random_state=self.seed,
            stratify=y if counts.min() >= 2 else None,
        )
        return np.sort(fit_rows), np.sort(held_rows)

    def _fit_rows(
        self,
        texts: list[str],
        y: npt.NDArray[Any],
        vectors: npt.NDArray[np.float32] | None,
        rows: npt.NDArray[np.intp],
    ) -> None:
        y_fit = y[rows]
        if (y_fit == OUT_OF_SCOPE).sum() < MIN_OUT_OF_SCOPE_CLASS:
            rows = rows[y_fit != OUT_OF_SCOPE]
            y_fit = y[rows]
        if len(set(y_fit)) < 2:
            raise InvalidInput("Training needs at least 2 different labels among its rows.")
        fit_texts = [texts[i] for i in rows]
        self._word = word_vectorizer()
        self._char = char_vectorizer()
        try:
            word = self._word.fit_transform(fit_texts)
            char = self._char.fit_transform(fit_texts)
        except ValueError as exc:  # every text empty, or no n-gram seen twice
            raise InvalidInput("The texts hold too few words to learn from.") from exc
        # The pruned n-grams are kept only for inspection; they would bloat the stored model.
        self._word.stop_words_ = None
        self._char.stop_words_ = None
        svm = LinearSVC(C=self.c, random_state=self.seed)
        svm.fit(self._stack(word, char, _rows(vectors, rows)), y_fit)
        self._weights = np.ascontiguousarray(svm.coef_.T, dtype=np.float32)
        self._bias = svm.intercept_.astype(np.float32)
        self.classes_ = [str(label) for label in svm.classes_]

    # Prediction

    def _encoder(self) -> SentenceEncoder:
        return sentence_encoder()

    def _stack(self, word: Any, char: Any, vectors: npt.NDArray[np.float32] | None) -> Any:
        blocks = [word, char]
        if vectors is not None:
            blocks.append(sp.csr_matrix(vectors * self.embedding_weight))
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def _scores(self, texts: list[str], vectors: npt.NDArray[np.float32] | None) -> Matrix:
        if self._weights is None or self._bias is None:
            raise InvalidInput("The classifier has not been trained.")
        if self.embedding_model and vectors is None:
            vectors = self._encoder().encode(texts)
        X = self._stack(self._word.transform(texts), self._char.transform(texts), vectors)
        scores = np.asarray(X @ self._weights + self._bias, dtype=float)
        if scores.shape[1] == 1:  # two classes: one margin, for the second class
            scores = np.c_[-scores / 2, scores / 2]
        return scores

    def predict_proba(self, texts: Sequence[str]) -> Matrix:
        """Calibrated probabilities, one column per entry of `classes_`."""
        if not len(texts):
            return np.zeros((0, len(self.classes_)))
        return self.scaler.transform(self._scores([text or "" for text in texts], None))

    def predict(self, texts: Sequence[str], *, k: int = 3) -> list[TriagePrediction]:
        """A prediction per text; `label` is None below the threshold."""
        probabilities = self.predict_proba(texts)
        in_scope = [i for i, label in enumerate(self.classes_) if label != OUT_OF_SCOPE]
        threshold = self.threshold.threshold if self.threshold is not None else None
        predictions = []
        for row in probabilities:
            ranked = sorted(in_scope, key=lambda i: -row[i])
            best = ranked[0]
            confidence = float(row[best])
            predictions.append(
                TriagePrediction(
                    label=self.classes_[best]
                    if threshold is not None and confidence >= threshold
                    else None,
                    best_label=self.classes_[best],
                    confidence=confidence,
                    alternatives=tuple(
                        Alternative(label=self.classes_[i], confidence=float(row[i]))
                        for i in ranked[:k]
                    ),
                )
            )
        return predictions


def _best(probabilities: Matrix, classes: list[str]) -> tuple[npt.NDArray[Any], Matrix]:
    """The most likely in-scope class of each row, and its probability."""
    in_scope = [i for i, label in enumerate(classes) if label != OUT_OF_SCOPE]
    columns = probabilities[:, in_scope]
    best = columns.argmax(axis=1)
    labels = np.array([classes[in_scope[i]] for i in best], dtype=object)
    return labels, columns[np.arange(len(best)), best]


def _rows(
    vectors: npt.NDArray[np.float32] | None, rows: npt.NDArray[np.intp]
) -> npt.NDArray[np.float32] | None:
    return vectors[rows] if vectors is not None else None
