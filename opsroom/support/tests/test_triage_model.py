"""The triage classifier, its text features and its keyword rules."""

import hashlib

import numpy as np
import pytest

from opsroom.core.errors import InvalidInput
from opsroom.core.ml.embeddings import embeddings_available, sentence_encoder
from opsroom.core.ml.serialization import artifact_dump, artifact_load
from opsroom.support.ml.features import reply_strip_quoted, text_normalize, ticket_text
from opsroom.support.ml.model import OUT_OF_SCOPE, TriageClassifier
from opsroom.support.ml.rules import category_by_rules
from opsroom.support.tests.triage_data import labelled_rows

needs_embeddings = pytest.mark.skipif(
    not embeddings_available(), reason='the embeddings extra is not installed (".[embeddings]")'
)


@pytest.fixture(scope="module")
def trained():
    rows = labelled_rows(600, out_of_scope=300, seed=1)
    texts, labels = zip(*rows, strict=True)
    return TriageClassifier(embeddings=False).fit(texts, labels)


def test_a_prediction_has_a_label_a_confidence_and_ranked_alternatives(trained):
    [prediction] = trained.predict(["I was charged twice for my Premium plan, refund please"])
    assert prediction.label == "billing"
    assert prediction.best_label == "billing"
    assert prediction.confidence >= trained.threshold.threshold
    assert next(a.label for a in prediction.alternatives) == "billing"
    confidences = [a.confidence for a in prediction.alternatives]
    assert confidences == sorted(confidences, reverse=True)
    assert len(prediction.alternatives) == 3


def test_probabilities_are_a_distribution_over_its_classes(trained):
    probabilities = trained.predict_proba(["The grocery list crashes", "cancel my plan"])
    assert probabilities.shape == (2, len(trained.classes_))
    assert probabilities.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert OUT_OF_SCOPE in trained.classes_
    assert sorted(trained.labels) == ["account_access", "billing", "bug", "cancellation"]


def test_it_abstains_on_out_of_scope_text(trained):
    [prediction] = trained.predict(["Tell me a joke about an owl in Lima"])
    assert prediction.label is None
    assert prediction.best_label in trained.labels  # still a best guess for a human


def test_the_threshold_keeps_the_precision_target_on_held_back_rows(trained):
    choice = trained.threshold
    assert choice.outcome == "met"
    assert choice.claim == "lower_bound"
    assert choice.precision_lower >= 0.99
    assert trained.summary.held_back_rows == round(2700 * 0.15)
    assert trained.summary.out_of_scope_rows == 300


def test_no_threshold_when_too_few_rows_are_held_back():
    texts, labels = zip(*labelled_rows(40, seed=2), strict=True)
    model = TriageClassifier(embeddings=False).fit(texts, labels)
    assert model.threshold.outcome == "too_few_rows"
    assert all(p.label is None for p in model.predict(["cancel my plan"]))


def _timed(per_class, seed):
    from datetime import UTC, datetime, timedelta

    rows = labelled_rows(per_class, seed=seed)
    texts, labels = zip(*rows, strict=True)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return texts, labels, [start + timedelta(hours=i) for i in range(len(rows))]


def test_held_back_rows_are_the_latest_when_times_are_given():
    texts, labels, times = _timed(525, seed=3)
    model = TriageClassifier(embeddings=False).fit(texts, labels, times=times)
    assert model.summary.held_back_rows == 315  # the latest 15% of 2,100: enough to claim 99%
    assert model.threshold.outcome == "met"


def test_a_small_history_is_judged_out_of_fold_to_reach_enough_rows():
    # 400 rows: a 15% slice (60) could never show 99%; rolling-origin folds score the 80%
    # after the first 20%, each by a model trained on earlier rows only.
    texts, labels, times = _timed(100, seed=3)
    model = TriageClassifier(embeddings=False).fit(texts, labels, times=times)
    assert model.summary.held_back_rows == 320
    assert model.threshold.rows == 320
    assert model.threshold.outcome == "met"
    assert sorted(model.labels) == ["account_access", "billing", "bug", "cancellation"]
    assert model.predict(["Please cancel my Basic subscription"])[0].label == "cancellation"


def test_without_times_a_small_set_is_judged_by_stratified_folds():
    texts, labels = zip(*labelled_rows(100, out_of_scope=40, seed=13), strict=True)
    model = TriageClassifier(embeddings=False).fit(texts, labels)
    assert model.summary.held_back_rows == 440  # every row, once
    assert model.threshold.outcome == "met"
    assert model.predict(["Tell me a joke about a horse"])[0].label is None


def test_training_refuses_what_it_cannot_learn_from():
    with pytest.raises(InvalidInput, match="at least 2 different labels"):
        TriageClassifier(embeddings=False).fit(["a", "b"], ["x", "x"])
    with pytest.raises(InvalidInput, match="one label per text"):
        TriageClassifier(embeddings=False).fit(["a", "b"], ["x"])
    with pytest.raises(InvalidInput, match="too few words"):
        TriageClassifier(embeddings=False).fit(["", "", "", ""], ["x", "y", "x", "y"])


def test_a_stored_classifier_predicts_the_same(trained):
    data = artifact_dump(trained)
    again = artifact_load(data, sha256=hashlib.sha256(data).hexdigest())
    texts = ["cancel my Premium plan", "Tell me a joke about a cat"]
    assert again.predict(texts) == trained.predict(texts)
    assert len(data) < 2_000_000


def test_the_light_path_names_its_method(trained):
    assert trained.embedding_model is None
    assert trained.method == "word+char TF-IDF, linear SVM, temperature-scaled"


@needs_embeddings
def test_with_the_extra_sentence_embeddings_join_the_features():
    texts, labels = zip(*labelled_rows(60, seed=4), strict=True)
    model = TriageClassifier(embeddings=True, target_precision=0.9).fit(texts, labels)
    assert "all-MiniLM-L6-v2" in model.method
    [prediction] = model.predict(["Refund the $29 you charged to my card"])
    assert prediction.best_label == "billing"


@needs_embeddings
def test_sentence_vectors_place_similar_texts_together():
    vectors = sentence_encoder().encode(
        ["My card was charged twice", "I was billed two times", "The app crashes on start"]
    )
    assert vectors.shape == (3, 384)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_ticket_text_reads_the_subject_then_the_new_words():
    body = "It is broken again.\n\nOn Tue, 3 Mar 2026, Support wrote:\n> Try again\n> thanks"
    assert ticket_text(subject="Export fails", body=body) == "Export fails. It is broken again."
    assert reply_strip_quoted("new words\n> old words") == "new words"
    assert text_normalize("Mail  me at jo@example.com or https://x.io/a\n") == (
        "Mail me at email or link"
    )


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I forgot my password", "account_access"),
        ("Please cancel my subscription", "cancellation"),
        ("Can I get an invoice for March?", "invoice_request"),
        ("You charged my card twice, refund please", "billing"),
        ("The app crashes with an error", "bug"),
        ("Good morning", "other"),
    ],
)
def test_the_rules_read_keywords(text, label):
    assert category_by_rules(text).label == label


def test_the_rules_need_whole_words():
    assert category_by_rules("cardinal numbers").label == "other"
