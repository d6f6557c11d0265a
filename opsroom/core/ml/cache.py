"""The per-process cache of loaded active models.

Each web or worker process keeps the models it has loaded. Before using one it asks the
database which version is active (one indexed row), so a version activated on another machine
is picked up on the next prediction; activating in this process also drops the entry at once.
"""

import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LoadedModel:
    artifact_id: int
    name: str
    version: int
    sha256: str
    model: Any


_LOCK = threading.Lock()
_LOADED: dict[str, LoadedModel] = {}


def model_cache_get(*, name: str, artifact_id: int, sha256: str) -> LoadedModel | None:
    with _LOCK:
        loaded = _LOADED.get(name)
    if loaded is not None and (loaded.artifact_id, loaded.sha256) == (artifact_id, sha256):
        return loaded
    return None


def model_cache_put(loaded: LoadedModel) -> None:
    with _LOCK:
        _LOADED[loaded.name] = loaded


def model_cache_clear(*, name: str | None = None) -> None:
    """Forget loaded models (one name, or all)."""
    with _LOCK:
        if name is None:
            _LOADED.clear()
        else:
            _LOADED.pop(name, None)
