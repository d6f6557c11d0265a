"""Reads of the model store: versions for the model cards, and the active model of a name."""

from dataclasses import dataclass

from django.db.models import QuerySet

from opsroom.core.errors import NotFound
from opsroom.core.ml.cache import LoadedModel, model_cache_get, model_cache_put
from opsroom.core.ml.serialization import artifact_load
from opsroom.core.models import ModelArtifact


def model_artifact_list(*, name: str | None = None) -> QuerySet[ModelArtifact]:
    """Stored versions (without their bytes), by name then newest first."""
    artifacts = ModelArtifact.objects.defer("artifact").select_related("activated_by")
    if name is not None:
        artifacts = artifacts.filter(name=name)
    return artifacts.order_by("name", "-version")


def model_artifact_get(*, artifact_id: int) -> ModelArtifact:
    """One stored version (without its bytes), or NotFound."""
    artifact = model_artifact_list().filter(pk=artifact_id).first()
    if artifact is None:
        raise NotFound(f"There is no stored model {artifact_id}.")
    return artifact


@dataclass(frozen=True)
class ModelSummary:
    name: str
    versions: int
    latest: ModelArtifact
    active: ModelArtifact | None


def model_summaries() -> list[ModelSummary]:
    """Each model name with its number of versions, its latest and its active version."""
    by_name: dict[str, list[ModelArtifact]] = {}
    for artifact in model_artifact_list():
        by_name.setdefault(artifact.name, []).append(artifact)
    return [
        ModelSummary(
            name=name,
            versions=len(versions),
            latest=versions[0],
            active=next((v for v in versions if v.is_active), None),
        )
        for name, versions in sorted(by_name.items())
    ]


def model_active_load(*, name: str) -> LoadedModel | None:
    """The active version of a model, loaded (cached per process), or None when none is active.

    Raises ArtifactUnreadable when the stored bytes cannot be loaded; callers fall back to
    their rule baseline.
    """
    row = (
        ModelArtifact.objects.filter(name=name, is_active=True)
        .values_list("pk", "version", "artifact_sha256")
        .first()
    )
    if row is None:
        return None
    artifact_id, version, sha256 = row
    loaded = model_cache_get(name=name, artifact_id=artifact_id, sha256=sha256)
    if loaded is not None:
        return loaded
    data = ModelArtifact.objects.filter(pk=artifact_id).values_list("artifact", flat=True).first()
    if data is None:  # deactivated and pruned between the two reads
        return None
    loaded = LoadedModel(
        artifact_id=artifact_id,
        name=name,
        version=version,
        sha256=sha256,
        model=artifact_load(bytes(data), sha256=sha256),
    )
    model_cache_put(loaded)
    return loaded
