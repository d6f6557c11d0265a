"""How trained models become bytes in the model store, and back.

Format: joblib (pickle with efficient numpy arrays), zlib-compressed, of objects that
Opsroom's own training code built (scikit-learn estimators and our own classes).

Trust boundary: unpickling runs code named inside the bytes, so a pickle from a stranger is a
remote-code-execution hole. Opsroom therefore loads only bytes that it wrote itself:
`model_artifact_save` is the only writer, called by our training services; nothing (API,
admin, import) accepts an uploaded artifact; and loading reads only from our own database.
The SHA-256 written beside the bytes is checked before loading; it catches truncation and
corruption, not an attacker, since anyone who can write that table can already change the
application's data. Treat database write access like code deployment access.

Pickles also pin library versions: a model saved with one scikit-learn may not load with
another. `artifact_load` turns any failure into `ArtifactUnreadable`, and the caller falls
back to the rule baseline until the model is retrained.
"""

import hashlib
import io
from typing import Any

import joblib

from opsroom.core.errors import DomainError

COMPRESSION = ("zlib", 3)


class ArtifactUnreadable(DomainError):
    """Stored model bytes that cannot be turned back into a model (corrupt or incompatible)."""

    status = 409


def artifact_dump(obj: Any) -> bytes:
    """The bytes of a trained object."""
    buffer = io.BytesIO()
    joblib.dump(obj, buffer, compress=COMPRESSION)
    return buffer.getvalue()


def artifact_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def artifact_load(data: bytes, *, sha256: str) -> Any:
    """The trained object back from bytes that Opsroom wrote itself (checked against its hash)."""
    if artifact_digest(data) != sha256:
        raise ArtifactUnreadable("The stored model's bytes do not match their checksum.")
    try:
        # Loading is safe only because these bytes come from our own model store (see above).
        return joblib.load(io.BytesIO(data))
    except Exception as exc:
        raise ArtifactUnreadable(
            f"The stored model cannot be loaded ({type(exc).__name__}); retrain it."
        ) from exc
