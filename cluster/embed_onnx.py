"""The int8 ONNX backend of a sentence-transformers model: tokenizers + onnxruntime, no torch at run time.

The packaged all-MiniLM-L6-v2 ships its int8 graph in ``cluster/models/minilm-l6-int8/`` (built by
``benchmarks/export_embed.py`` from the packaged weights). Any other model is exported on first use into the
user cache folder (``$NEWSDEDUP_CACHE`` or ``~/.cache/newsdedup``), which needs torch and the ``onnx``
package. The graph is the bare transformer; mean pooling over the attention mask and L2 normalisation run in
numpy, as the model's ``1_Pooling`` and ``2_Normalize`` modules do.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from cluster.errors import ModelNotFoundError
from cluster.token_windows import (
    Window,
    mean_over_windows,
    padded,
    token_counts,
    token_windows,
    window_batches,
)

log = logging.getLogger(__name__)

SHIPPED = Path(__file__).parent / "models" / "minilm-l6-int8"


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def user_cache() -> Path:
    """Where built ONNX graphs are kept: ``$NEWSDEDUP_CACHE`` or ``~/.cache/newsdedup``."""
    return Path(os.environ.get("NEWSDEDUP_CACHE") or Path.home() / ".cache" / "newsdedup")


def _max_seq_length(folder: Path, default: int = 256) -> int:
    try:
        return int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return default


def _check_pooling(folder: Path) -> None:
    """Only mean pooling is reproduced here; refuse a model that pools another way rather than differ quietly."""
    config = folder / "1_Pooling" / "config.json"
    if not config.is_file():
        return
    pooling = json.loads(config.read_text())
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v and k != "pooling_mode_mean_tokens"]
    if others or not pooling.get("pooling_mode_mean_tokens", False):
        raise ModelNotFoundError(
            f"the ONNX backend reproduces mean pooling only; {folder} uses {', '.join(others) or 'no mean'}: "
            "use --backend torch"
        )


def export_int8(folder: Path, target: Path, per_channel: bool = True, opset: int = 17) -> Path:
    """Export the transformer of the sentence-transformers model in ``folder`` to ONNX and quantise its weights
    to int8 (dynamic quantisation, QInt8 weights), writing ``target`` atomically. Needs torch, transformers, onnx.

    The graph takes ``input_ids`` alone (token types zero, as the tokenizer gives one segment) and has no
    attention mask: the encoder runs one unpadded text per call, where a mask of ones changes nothing. Traced
    with eager attention, not torch's fused kernel, whose export adds mask arithmetic (Where, IsNaN) to every
    layer. Both cut ≈ 10 % of the CPU time of a text, same cosine to fp32 (benchmarks/README.md, "Mask-free
    graph"). Per-channel weights by default: on 300 FNC-1 paragraphs the mean cosine to fp32 is 0.993 with them
    and 0.959 per tensor (benchmarks/README.md, speed section)."""
    try:
        import onnx  # noqa: F401  (quantize_dynamic needs it; fail here with a clear message)
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise ModelNotFoundError(
            f"building the ONNX graph of {folder} needs torch and onnx ({exc.name} is missing): "
            "pip install onnx, or use --backend torch"
        ) from None
    transformer = AutoModel.from_pretrained(str(folder), local_files_only=True, attn_implementation="eager").eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    sample = tokenizer(["a sample sentence to trace"], return_tensors="pt")
    token_types = "token_type_ids" in sample

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
            extra = {"token_type_ids": torch.zeros_like(input_ids)} if token_types else {}
            return self.inner(input_ids=input_ids, **extra).last_hidden_state

    axes = {"input_ids": {0: "batch", 1: "sequence"}, "last_hidden_state": {0: "batch", 1: "sequence"}}
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        with torch.no_grad():
            torch.onnx.export(
                Hidden().eval(), (sample["input_ids"],), str(fp32), input_names=["input_ids"],
                output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=opset, dynamo=False,
            )  # fmt: skip
        int8 = Path(tmp) / "model.onnx"
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=per_channel)
        os.replace(int8, target)
    log.info("built int8 ONNX graph of %s at %s (%.1f MB)", folder, target, target.stat().st_size / 1e6)
    return target


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def graph_for(folder: Path, shipped: bool) -> Path:
    """The int8 graph of the model in ``folder``: the shipped one for the packaged model, else one built once
    into the user cache (keyed by the model's weights file)."""
    if shipped and (SHIPPED / "model.onnx").is_file():
        return SHIPPED / "model.onnx"
    weights = next((folder / n for n in ("model.safetensors", "pytorch_model.bin") if (folder / n).is_file()), None)
    if weights is None:
        raise ModelNotFoundError(f"no model.safetensors or pytorch_model.bin in {folder}: use --backend torch")
    stat = weights.stat()
    key = hashlib.sha256(f"{folder.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    target = user_cache() / "onnx" / f"{folder.name[-40:]}-{key}" / "model.onnx"
    if not target.is_file():
        log.info("building the int8 ONNX graph of %s once into %s", folder, target.parent)
        export_int8(folder, target)
    return target


class OnnxEncoder:
    """A sentence-transformers model (mean pooling) run by onnxruntime from an int8 graph; L2-normalised float32
    rows.

    One text per call by default: dynamic quantisation scales the activations of a whole batch (padding
    included), so in a batch a text's vector would depend on its neighbours. Alone, a text always gets the
    same vector (an index grown by ``add`` equals one build), it is closer to fp32 (mean cosine 0.9934 vs
    0.9926 at 64 on 600 FNC-1 paragraphs) and no slower on a CPU (no padding; benchmarks/README.md). A graph
    without an ``attention_mask`` input (:func:`export_int8`'s) runs one text per call only.

    ``graph_id`` (the graph file's digest) tells vectors of two graphs apart: an embedding cache is keyed by it
    (:func:`cluster.embed.cache_name`), so vectors of an earlier graph are never mixed with this one's.
    """

    def __init__(
        self, graph: Path, folder: Path, name: str, batch_size: int = 1, max_tokens: int | None = None,
        threads: int | None = None,
    ) -> None:  # fmt: skip
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        _check_pooling(folder)
        self.name = name
        self.batch_size = batch_size
        self.max_tokens = max_tokens or _max_seq_length(folder)
        self.threads = threads or cpu_count()
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One thread per run, ``threads`` runs at once (one session; its run is thread-safe): a single short
        # text gives a second intra-op thread too little work, so 2 runs of 1 thread out-embed 1 run of 2
        # (benchmarks/README.md, "Embedding threads").
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        if batch_size > 1 and "attention_mask" not in self.inputs:
            raise ValueError(f"the graph {graph} has no attention mask: it runs one text per call (batch_size 1)")
        self.graph_id = _digest(graph)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.device = "cpu"
        self.backend = "onnx-int8"
        self.dim = 0  # until the probe below: mean_over_windows then sizes its sums from the graph
        self.dim = int(self.encode(["dimension probe"]).shape[1])

    def token_counts(self, texts: Sequence[str]) -> np.ndarray:
        """Tokens of each text before truncation (special tokens included)."""
        return token_counts(self.tokenizer, texts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Mean of the token vectors of each text, L2-normalised. A text longer than ``max_tokens`` is not cut
        short: it is run in consecutive windows of ``max_tokens`` (the tokenizer's overflow) and its vector is
        the mean over the tokens of all its windows (``cluster.token_windows``)."""
        windows = token_windows(self.tokenizer, texts, self.max_tokens)
        lengths, batches = window_batches(windows, self.batch_size)
        return mean_over_windows(len(texts), windows, self._run_batches(batches, windows, lengths), self.dim)

    def _run_one(
        self, rows: np.ndarray, windows: list[Window], lengths: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ids, mask = padded(windows, rows, lengths)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:  # graphs built before the mask-free export
            feed["token_type_ids"] = np.zeros_like(ids)
        return rows, self.session.run(None, {k: feed[k] for k in self.inputs})[0], mask

    def _run_batches(
        self, batches: list[np.ndarray], windows: list[Window], lengths: np.ndarray
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Each batch through the graph, ``threads`` at a time, results in the batches' order (so the sums
        are added in the same order whatever the thread count)."""
        if self.threads == 1 or len(batches) < 2:
            yield from (self._run_one(rows, windows, lengths) for rows in batches)
            return
        with ThreadPoolExecutor(self.threads) as pool:
            yield from pool.map(lambda rows: self._run_one(rows, windows, lengths), batches)
