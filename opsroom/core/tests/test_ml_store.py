"""The model store: versions, the rule that a model must beat its baseline, loading and pruning."""

import numpy as np
import pytest
from django.db import IntegrityError

from opsroom.core.errors import Conflict, Forbidden, InvalidInput
from opsroom.core.ml.cache import model_cache_clear
from opsroom.core.ml.selectors import model_active_load, model_summaries
from opsroom.core.ml.serialization import ArtifactUnreadable, artifact_dump, artifact_load
from opsroom.core.ml.services import (
    TrainingRun,
    model_artifact_activate,
    model_artifact_deactivate,
    model_artifact_save,
    model_artifacts_prune,
)
from opsroom.core.models import AuditEntry, ModelArtifact
from opsroom.core.services.audit import AuditContext
from opsroom.core.tests.ml_data import small_model, stored

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_model_cache():
    model_cache_clear()
    yield
    model_cache_clear()


def _admin(user):
    return AuditContext(actor=user, label=user.get_username())


def test_each_save_is_the_next_version_with_its_facts():
    first = stored()
    second = stored(seed=1)
    assert (first.version, second.version) == (1, 2)
    assert second.train_rows == 320
    assert second.test_rows == 80
    assert second.metrics["macro_f1"] == 0.9
    assert second.artifact_size == len(bytes(ModelArtifact.objects.get(pk=second.pk).artifact))
    assert AuditEntry.objects.filter(action="model.train").count() == 2


def test_a_model_that_beats_its_baseline_is_activated_and_replaces_the_last():
    first = stored()
    second = stored(seed=1)
    first.refresh_from_db()
    assert second.is_active
    assert not first.is_active
    assert "0.900" in second.decision
    assert "0.600" in second.decision
    assert first.decision.startswith("Replaced by v2")
    assert ModelArtifact.objects.filter(is_active=True).count() == 1


def test_a_model_that_does_not_beat_its_baseline_stays_off():
    artifact = stored(score=0.55, baseline=0.6)
    assert not artifact.is_active
    assert artifact.decision.startswith("Not active")
    assert model_active_load(name=artifact.name) is None


def test_an_equal_score_does_not_beat_the_baseline():
    assert not stored(score=0.6, baseline=0.6).is_active


def test_one_active_version_per_name_is_enforced_by_the_database():
    first = stored()
    second = stored(seed=1, activate=False)
    assert first.is_active
    with pytest.raises(IntegrityError):
        ModelArtifact.objects.filter(pk=second.pk).update(is_active=True)


def test_names_are_independent():
    triage = stored(name="support.triage.category")
    churn = stored(name="revenue.churn")
    assert triage.is_active
    assert churn.is_active
    assert churn.version == 1


@pytest.mark.parametrize(
    ("score", "baseline", "beats"),
    [(0.03, 0.2, True), (0.2, 0.03, False), (0.05, 0.05, False)],
    ids=["lower", "higher", "equal"],
)
def test_an_error_metric_beats_its_baseline_by_being_lower(score, baseline, beats):
    run = TrainingRun(
        name="support.triage.severity",
        method="binned calibration",
        primary_metric="ece",
        metrics={"ece": score},
        baseline_metrics={"ece": baseline},
        train_rows=200,
        test_rows=80,
    )
    artifact = model_artifact_save(model=small_model(), run=run, audit=AuditContext.system())
    assert artifact.beats_baseline is beats
    assert artifact.is_active is beats


def test_saving_needs_the_primary_metric():
    run = TrainingRun(
        name="x",
        method="m",
        primary_metric="macro_f1",
        metrics={},
        baseline_metrics={},
        train_rows=1,
        test_rows=1,
    )
    with pytest.raises(InvalidInput):
        model_artifact_save(model=small_model(), run=run, audit=AuditContext.system())


def test_activating_a_version_that_beats_its_baseline(staff_admin):
    first = stored()
    second = stored(seed=1, activate=False)
    assert first.is_active
    assert not second.is_active
    model_artifact_activate(artifact=second, audit=_admin(staff_admin))
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_active
    assert not first.is_active
    assert second.activated_by == staff_admin
    entry = AuditEntry.objects.get(action="model.activate")
    assert entry.target_id == str(second.pk)
    assert entry.params["forced"] is False


def test_a_worse_version_needs_a_reason_to_be_forced(staff_admin):
    worse = stored(score=0.5, baseline=0.6)
    with pytest.raises(Conflict, match="does not beat"):
        model_artifact_activate(artifact=worse, audit=_admin(staff_admin))
    worse.refresh_from_db()
    assert not worse.is_active
    model_artifact_activate(
        artifact=worse, audit=_admin(staff_admin), force_reason="The rules misroute refunds."
    )
    worse.refresh_from_db()
    assert worse.is_active
    assert worse.is_forced
    assert "The rules misroute refunds." in worse.decision
    entry = AuditEntry.objects.get(action="model.activate")
    assert entry.params["forced"] is True
    assert entry.params["reason"] == "The rules misroute refunds."


def test_only_a_model_manager_may_force(staff_support):
    worse = stored(score=0.5, baseline=0.6)
    with pytest.raises(Forbidden):
        model_artifact_activate(artifact=worse, audit=_admin(staff_support), force_reason="why not")
    with pytest.raises(Forbidden):
        model_artifact_activate(artifact=worse, audit=AuditContext.system(), force_reason="cron")


def test_activating_the_active_version_is_a_conflict(staff_admin):
    artifact = stored()
    with pytest.raises(Conflict):
        model_artifact_activate(artifact=artifact, audit=_admin(staff_admin))


def test_deactivating_falls_back_to_the_rules(staff_admin):
    artifact = stored()
    assert model_active_load(name=artifact.name) is not None
    model_artifact_deactivate(artifact=artifact, audit=_admin(staff_admin), reason="drifting")
    artifact.refresh_from_db()
    assert not artifact.is_active
    assert "drifting" in artifact.decision
    assert model_active_load(name=artifact.name) is None
    assert AuditEntry.objects.get(action="model.deactivate").params == {"reason": "drifting"}
    with pytest.raises(Conflict):
        model_artifact_deactivate(artifact=artifact, audit=_admin(staff_admin))


def test_the_active_model_loads_and_predicts_like_the_one_saved():
    artifact = stored()
    loaded = model_active_load(name=artifact.name)
    X = np.array([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])
    assert loaded.artifact_id == artifact.pk
    assert loaded.version == 1
    assert loaded.model.predict(X).tolist() == small_model().predict(X).tolist()


def test_the_loaded_model_is_cached_until_another_version_is_activated(staff_admin):
    first = stored()
    loaded = model_active_load(name=first.name)
    assert model_active_load(name=first.name) is loaded  # same object: not unpickled again
    second = stored(seed=1, activate=False)
    model_artifact_activate(artifact=second, audit=_admin(staff_admin))
    assert model_active_load(name=first.name).artifact_id == second.pk


def test_a_version_activated_elsewhere_is_seen_without_clearing_the_cache():
    first = stored()
    assert model_active_load(name=first.name).artifact_id == first.pk
    second = stored(seed=1, activate=False)
    # Another machine switched versions: this process's cache was not told.
    ModelArtifact.objects.filter(pk=first.pk).update(is_active=False)
    ModelArtifact.objects.filter(pk=second.pk).update(is_active=True)
    assert model_active_load(name=first.name).artifact_id == second.pk


def test_damaged_bytes_are_refused_not_unpickled():
    artifact = stored()
    ModelArtifact.objects.filter(pk=artifact.pk).update(artifact=b"not a model")
    with pytest.raises(ArtifactUnreadable, match="checksum"):
        model_active_load(name=artifact.name)


def test_bytes_that_match_their_checksum_but_do_not_load_are_refused():
    import hashlib

    junk = b"\x80\x05junk"
    with pytest.raises(ArtifactUnreadable, match="retrain"):
        artifact_load(junk, sha256=hashlib.sha256(junk).hexdigest())


def test_round_trip_of_the_serialization():
    model = small_model(3)
    data = artifact_dump(model)
    import hashlib

    again = artifact_load(data, sha256=hashlib.sha256(data).hexdigest())
    assert again.coef_.tolist() == model.coef_.tolist()


def test_pruning_keeps_the_newest_and_the_active(staff_admin):
    for seed in range(5):
        stored(seed=seed, activate=seed == 0)  # v1 active, v2..v5 inactive
    removed = model_artifacts_prune(
        name="support.triage.category", keep=2, audit=_admin(staff_admin)
    )
    assert removed == 2
    versions = sorted(ModelArtifact.objects.values_list("version", flat=True))
    assert versions == [1, 4, 5]
    assert AuditEntry.objects.get(action="model.prune").params["versions"] == [2, 3]
    with pytest.raises(InvalidInput):
        model_artifacts_prune(name="support.triage.category", keep=0, audit=_admin(staff_admin))


def test_summaries_name_the_active_and_the_latest_version():
    stored()
    stored(seed=1, score=0.5)
    stored(name="revenue.churn", score=0.5)
    summaries = {s.name: s for s in model_summaries()}
    triage = summaries["support.triage.category"]
    assert (triage.versions, triage.latest.version, triage.active.version) == (2, 2, 1)
    assert summaries["revenue.churn"].active is None
