"""Speed: embedding throughput, everything after embedding as the corpus grows, real text end to end, and
datasketch MinHash LSH on the same paragraphs.

(a) Embedding: texts/s of the pipeline's path (``cluster.pipeline.embed`` with no cache: distinct texts,
    longest first, in chunks) against a bare ``SentenceTransformer.encode(texts, batch_size=64,
    normalize_embeddings=True)`` on the same distinct paragraphs of fnc1_stories_dev.jsonl. Each runs twice
    in alternating order (bare, pipeline, pipeline, bare); the best of each counts.
    Requirement: pipeline >= 90% of bare.

(b) After embedding: ``cluster.pipeline.analyse`` (neighbours, passages, copies, stories) on a synthetic
    syndicated corpus of 1k, 10k and 100k paragraphs (about 10 per article) with synthetic vectors, each
    size in a fresh subprocess so its peak RSS is its own. Reports wall time per stage, total, peak RSS and
    the growth exponent log(t100k / t10k) / log(10).
    Requirements: 100k under 60 s on a 2-core machine; exponent <= 1.2.

(c) Real text end to end: ``read_corpus`` of a JSONL file, ``load_encoder`` (all-MiniLM-L6-v2, offline) and
    ``cluster.pipeline.run`` with no embedding cache, per stage, with the process's peak RSS, at 1k and 10k
    paragraphs of real FNC-1 articles (fnc1_unlabelled_articles.jsonl) plus syndicated copies made by
    ``benchmarks/syndicate.py`` (noise medium, seeded). 100k paragraphs would take about half an hour of
    embedding on 2 cores, so 100k (and, as a check of the stand-in, 1k and 10k too) also runs the same path
    with the model replaced by synthetic vectors keyed by the generator's truth (a copy's paragraph lies at
    cosine 0.90-0.99 to its original, a rewritten lead at 0.80-0.95): everything but the embedding is
    measured on real text, and the embedding is priced as distinct texts / the texts/s measured at the
    largest real run. Above 10k the corpus repeats the 1683 source articles (several generator runs with
    different seeds), so it holds more cross-run duplicates than a real stream would.

(d) datasketch MinHash LSH (char 5-shingles, 128 permutations, seed 1, LSH threshold 0.5 and candidates
    verified by estimated Jaccard >= 0.5, union-find: ``baselines.minhash_lsh_clusters``, the paragraph
    baseline of bench_syndication.py at its best threshold) on the same paragraph rows as ours, the
    synthetic corpus of (b) and the real-text corpus of (c), at 1k, 10k and 100k, each in its own
    subprocess. Stages: shingling, signatures (``MinHash.bulk``), LSH insert, query + verify + union-find.

    python benchmarks/bench_speed.py [--data DIR] [--quick]
    # --quick (make bench, ~2 min): (a) on 300 texts, (b) 1k and 10k, (c) 1k with the model, (d) 1k and 10k

Without the data, (a) and (c) and the real-text part of (d) are skipped with a message. Every worker
records the load average (``os.getloadavg``) at its start and end, since timings on a shared machine vary.

The synthetic corpus: stories grouped in topics; each story has an original article and 0-4 copies that
take most of its paragraphs, each copied exactly (same text), lightly edited (cosine 0.90-0.99 to the
original paragraph) or paraphrased (0.80-0.90), plus a few paragraphs of their own. Some articles carry an
"Advertisement" line and an outlet footer (boilerplate). Paragraph texts are short unique sentences, so
``prepare`` (splitting, hashing, boilerplate, text ids) runs on them as on real text; the vectors indexed by
``text_id`` come from the generator instead of the model.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import data_dir, load_jsonl, meminfo_ram_gb, run_worker, write_result  # noqa: E402

NAME = "bench_speed"
EMBED_FILE = "fnc1_stories_dev.jsonl"
ARTICLES_FILE = "fnc1_unlabelled_articles.jsonl"  # = benchmarks.syndicate.ARTICLES_FILE
SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
REAL_MODEL_SIZES = (1_000, 10_000)  # real text with the real model; larger sizes get synthetic vectors
QUICK_REAL_MODEL_SIZES = (1_000,)
QUICK_EMBED_TEXTS = 300
MINHASH_THRESHOLD = 0.5  # the best paragraph threshold of bench_syndication (0.5 / 0.7 / 0.8)
NUM_PERM = 128
SHINGLE = 5
MINHASH_SEED = 1
REAL_SEED = 0
ORIGINS_PER_RUN = 600  # of the ~785 independent articles syndicate.generate can pick from 1683
DIM = 384
REQUIRED_EMBED_RATIO = 0.90
REQUIRED_100K_SECONDS = 60.0
REQUIRED_EXPONENT = 1.2


# ---------------------------------------------------------------- (a) embedding throughput


def bench_embed(data: Path, n_texts: int, model: str | None) -> dict[str, Any]:
    import polars as pl

    from cluster.embed import load_encoder
    from cluster.exact import distinct_texts
    from cluster.ingest import read_corpus
    from cluster.pipeline import embed, prepare

    documents = read_corpus([data / EMBED_FILE]).documents
    paragraphs = prepare(documents)
    paragraphs = paragraphs.filter(pl.col("text_id") < n_texts)  # boilerplate rows (null text_id) go too
    texts = distinct_texts(paragraphs)
    encoder = load_encoder(model)
    st_model: Any = encoder.model
    st_model.encode(texts[:64], batch_size=64, normalize_embeddings=True, show_progress_bar=False)  # warm-up

    def bare() -> tuple[float, np.ndarray]:
        start = time.perf_counter()
        out = st_model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return time.perf_counter() - start, np.asarray(out, dtype=np.float32)

    def pipeline() -> tuple[float, np.ndarray]:
        start = time.perf_counter()
        out, computed = embed(paragraphs, encoder, cache=None)
        assert computed == len(texts)
        return time.perf_counter() - start, out

    runs: dict[str, list[float]] = {"bare": [], "pipeline": []}
    vectors: dict[str, np.ndarray] = {}
    for name in ("bare", "pipeline", "pipeline", "bare"):
        seconds, out = (bare if name == "bare" else pipeline)()
        runs[name].append(round(seconds, 2))
        vectors[name] = out
        rate = len(texts) / seconds
        print(f"  embed {name:8s}: {len(texts)} texts in {seconds:.1f}s = {rate:.1f} texts/s", flush=True)
    bare_rate = len(texts) / min(runs["bare"])
    pipe_rate = len(texts) / min(runs["pipeline"])
    ratio = pipe_rate / bare_rate
    return {
        "texts": len(texts),
        "mean_chars": round(float(np.mean([len(t) for t in texts])), 1),
        "file": EMBED_FILE,
        "model": encoder.name,
        "batch_size": 64,
        "torch_threads": _torch_threads(),
        "runs_seconds": runs,
        "bare_texts_per_s": round(bare_rate, 1),
        "pipeline_texts_per_s": round(pipe_rate, 1),
        "pipeline_over_bare": round(ratio, 3),
        "max_abs_vector_difference": float(np.abs(vectors["bare"] - vectors["pipeline"]).max()),
        "meets_requirement": ratio >= REQUIRED_EMBED_RATIO,
    }


def _torch_threads() -> int | None:
    try:
        import torch

        return int(torch.get_num_threads())
    except ImportError:
        return None


# ---------------------------------------------------------------- (b) synthetic corpus


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _near(base: np.ndarray, cos: float, rng: np.random.Generator) -> np.ndarray:
    """A unit vector at exactly cosine ``cos`` to the unit vector ``base``."""
    noise = rng.standard_normal(base.shape)
    noise = _unit(noise - noise @ base * base)
    return cos * base + math.sqrt(1 - cos * cos) * noise


_WORDS = (
    "officials", "said", "the", "council", "would", "review", "plans", "after", "residents", "raised",
    "concerns", "about", "costs", "delays", "safety", "schools", "roads", "budget", "police", "court",
    "hospital", "election", "minister", "company", "market", "prices", "shares", "workers", "union", "strike",
    "weather", "storm", "flood", "fire", "rescue", "team", "season", "match", "league",
)


def synthetic_corpus(n_paragraphs: int, seed: int = 0) -> tuple[Any, dict[str, np.ndarray], dict[str, Any]]:
    """(documents frame, vector of each paragraph text, description) of about ``n_paragraphs`` paragraphs."""
    import polars as pl

    from cluster.schemas import DOCUMENTS

    rng = np.random.default_rng(seed)
    n_topics = max(4, n_paragraphs // 1000)
    topics = _unit(rng.standard_normal((n_topics, DIM)))
    outlets = [f"Outlet {i}" for i in range(40)]
    footers = {o: f"Follow {o} on every platform for the latest news and updates from our newsroom" for o in outlets}
    start_date = datetime(2024, 1, 1, tzinfo=UTC)
    vec: dict[str, np.ndarray] = {}
    rows: list[dict[str, Any]] = []
    total = 0
    story = 0

    def filler(k: int) -> str:
        return " ".join(rng.choice(_WORDS, size=k))

    while total < n_paragraphs:
        topic = topics[rng.integers(n_topics)]
        centre = _unit(0.6 * topic + 0.8 * _unit(rng.standard_normal(DIM)))
        n_par = int(rng.integers(6, 15))
        originals: list[tuple[str, np.ndarray]] = []
        for p in range(n_par):
            text = f"Story {story} paragraph {p} original: {filler(int(rng.integers(14, 30)))}."
            v = _unit(0.6 * centre + 0.8 * _unit(rng.standard_normal(DIM)))
            vec[text] = v
            originals.append((text, v))
        when = start_date + timedelta(hours=int(rng.integers(0, 24 * 365)))
        n_copies = int(rng.choice(5, p=[0.45, 0.25, 0.15, 0.1, 0.05]))
        for copy in range(n_copies + 1):
            outlet = outlets[rng.integers(len(outlets))]
            paras: list[str] = []
            for p, (text, v) in enumerate(originals):
                if copy == 0:
                    paras.append(text)
                    continue
                if rng.random() > 0.8:
                    continue
                kind = rng.random()
                if kind < 0.4:
                    paras.append(text)  # exact copy: same text, same text_id
                    continue
                cos = rng.uniform(0.90, 0.99) if kind < 0.85 else rng.uniform(0.80, 0.90)
                edited = f"Story {story} paragraph {p} copy {copy} edited: {filler(int(rng.integers(14, 30)))}."
                vec[edited] = _unit(_near(v, cos, rng))
                paras.append(edited)
            if copy:
                for own in range(int(rng.integers(0, 3))):
                    text = f"Story {story} copy {copy} own paragraph {own}: {filler(int(rng.integers(14, 30)))}."
                    vec[text] = _unit(0.6 * centre + 0.8 * _unit(rng.standard_normal(DIM)))
                    paras.insert(int(rng.integers(0, len(paras) + 1)), text)
            if rng.random() < 0.3:
                paras.insert(int(rng.integers(0, len(paras) + 1)), "Advertisement")
            if rng.random() < 0.5:
                paras.append(footers[outlet])
            published = when + timedelta(minutes=int(30 * copy + rng.integers(0, 30)))
            rows.append(
                {
                    "id": f"s{story}-c{copy}",
                    "source": outlet,
                    "published_at": published,
                    "published": published.isoformat(),
                    "text": "\n\n".join(paras),
                }
            )
            total += len(paras)
        story += 1
    for text in ["Advertisement", *footers.values()]:  # vectors for boilerplate too, in case one is not flagged
        vec[text] = _unit(rng.standard_normal(DIM))
    order = rng.permutation(len(rows))  # copies are not read right after their original
    rows = [rows[i] for i in order]
    documents = pl.DataFrame(
        {
            "doc_id": np.arange(len(rows), dtype=np.int64),
            "id": [r["id"] for r in rows],
            "file": ["synthetic.jsonl"] * len(rows),
            "line": np.arange(1, len(rows) + 1, dtype=np.int64),
            "title": [None] * len(rows),
            "source": [r["source"] for r in rows],
            "url": [None] * len(rows),
            "published": [r["published"] for r in rows],
            "published_at": [r["published_at"] for r in rows],
            "text": [r["text"] for r in rows],
            "language": ["en"] * len(rows),  # DOCUMENTS has a detected language since the inputs merge
        },
        schema=DOCUMENTS,
    )
    meta = {"articles": len(rows), "stories": story, "topics": n_topics, "paragraphs_generated": total, "seed": seed}
    return documents, vec, meta


def _vm(field: str) -> int | None:
    """A VmRSS/VmHWM-style field of /proc/self/status, in KiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _mb(kib: int | None) -> float | None:
    return round(kib / 1024, 1) if kib else None


def _reset_hwm() -> bool:
    """Reset this process's VmHWM so that a later VmHWM is the peak from here on (Linux only)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_since_reset(reset: bool) -> float | None:
    return _mb(_vm("VmHWM")) if reset else None


def _process_peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def worker_analyse(n_paragraphs: int) -> dict[str, Any]:
    """(b) One size, in this (fresh) process: generate, prepare, substitute vectors, analyse."""
    from cluster.exact import distinct_texts
    from cluster.pipeline import Settings, analyse, prepare

    start = time.perf_counter()
    documents, vec, meta = synthetic_corpus(n_paragraphs)
    generate_seconds = time.perf_counter() - start
    settings = Settings()
    start = time.perf_counter()
    paragraphs = prepare(documents, settings)
    prepare_seconds = time.perf_counter() - start
    texts = distinct_texts(paragraphs)
    vectors = np.ascontiguousarray(np.stack([vec[t] for t in texts]), dtype=np.float32)
    del vec, texts
    rss_before = _vm("VmRSS")
    hwm_reset = _reset_hwm()  # VmHWM below is the peak during analyse
    start = time.perf_counter()
    result = analyse(documents, paragraphs, vectors, settings)
    total = time.perf_counter() - start
    return {
        "paragraphs": paragraphs.height,
        "distinct_texts": int(vectors.shape[0]),
        "corpus": meta,
        "generate_seconds": round(generate_seconds, 2),
        "prepare_seconds": round(prepare_seconds, 2),
        "stage_seconds": result.timings,
        "analyse_seconds": round(total, 2),
        "rss_before_analyse_mb": _mb(rss_before),
        "peak_rss_during_analyse_mb": _peak_since_reset(hwm_reset),
        "peak_rss_process_mb": _process_peak_mb(),
        "stats": result.stats,
    }


# ---------------------------------------------------------------- (c) real text: FNC-1 articles and syndicated copies


def real_corpus(
    articles: list[dict[str, Any]], n_paragraphs: int, seed: int = REAL_SEED
) -> tuple[list[dict[str, Any]], list[tuple[str, dict[str, Any]]], dict[str, Any]]:
    """About ``n_paragraphs`` paragraphs of real articles with syndicated copies (noise medium).

    ``syndicate.generate`` runs with seeds seed, seed+1, ... (at most ``ORIGINS_PER_RUN`` origins a run)
    until there are enough paragraphs, then the corpus is cut after the article that reaches
    ``n_paragraphs`` (paragraphs counted as the generator writes them: blank-line separated). Ids get a
    ``r<run>-`` prefix. Returns (records, [(id prefix, truth)] of every run, description).
    """
    from benchmarks.syndicate import generate

    records: list[dict[str, Any]] = []
    truths: list[tuple[str, dict[str, Any]]] = []
    total = 0
    run_seed = seed
    while total < n_paragraphs:
        # ~40 paragraphs per origin (origin, 0-5 copies, 0.2 distractors, boilerplate); ask for 30% more
        n_origins = max(5, min(ORIGINS_PER_RUN, math.ceil(1.3 * (n_paragraphs - total) / 40)))
        corpus, truth = generate(articles, n_origins, "medium", run_seed, 0.2)
        prefix = f"r{run_seed - seed}-"
        truths.append((prefix, truth))
        for record in corpus:
            records.append({**record, "id": prefix + record["id"]})
            total += record["text"].count("\n\n") + 1
            if total >= n_paragraphs:
                break
        run_seed += 1
    roles: dict[str, int] = {}
    for record in records:
        prefix, _, aid = record["id"].partition("-")
        truth = truths[int(prefix[1:])][1]
        role = truth["articles"][aid]["role"]
        roles[role] = roles.get(role, 0) + 1
    meta = {
        "source_file": ARTICLES_FILE,
        "generator": "benchmarks/syndicate.py noise=medium distractors=0.2",
        "generator_runs": len(truths),
        "seeds": list(range(seed, run_seed)),
        "articles": len(records),
        "roles": roles,
        "paragraphs_generated": total,
    }
    return records, truths, meta


class TruthVectors:
    """An ``Encoder`` stand-in for corpora too large to embed here: a vector per paragraph text, from the
    generator's truth. Each source paragraph (source article, index) gets a base vector near its article's
    centre (articles grouped in topics); its original text gets the base vector, a copy's edited text one at
    cosine 0.90-0.99 (0.80-0.95 for the lead, which the generator may paraphrase). Texts the truth does not
    know (boilerplate, windows of over-long paragraphs) get a random vector."""

    name = "synthetic-truth-vectors"

    def __init__(self, records: list[dict[str, Any]], truths: list[tuple[str, dict[str, Any]]], seed: int = 0):
        rng = np.random.default_rng(seed)
        self._rng = rng
        kept = {record["id"] for record in records}
        base: dict[tuple[str, int], np.ndarray] = {}
        centre: dict[str, np.ndarray] = {}
        topics = _unit(rng.standard_normal((40, DIM)))
        original: dict[tuple[str, int], str] = {}
        text_of = {record["id"]: record["text"] for record in records}
        plans: list[tuple[str, tuple[str, int]]] = []
        for prefix, truth in truths:
            source_of = {aid: info["source_article"] for aid, info in truth["articles"].items()}
            for aid, info in truth["articles"].items():
                if prefix + aid not in kept:
                    continue
                for text, key in zip(text_of[prefix + aid].split("\n\n"), info["paragraphs"], strict=True):
                    if key is None:
                        continue
                    owner, _, index = key.rpartition("#")
                    global_key = (source_of[owner], int(index))
                    if info["role"] != "copy":  # origins and distractors hold original paragraphs
                        original.setdefault(global_key, text)
                    plans.append((text, global_key))
        self.vectors: dict[str, np.ndarray] = {}
        self.edited = 0
        for text, global_key in plans:
            if text in self.vectors:
                continue
            source, index = global_key
            if source not in centre:
                centre[source] = _unit(0.6 * topics[rng.integers(len(topics))] + 0.8 * _unit(rng.standard_normal(DIM)))
            if global_key not in base:
                base[global_key] = _unit(0.6 * centre[source] + 0.8 * _unit(rng.standard_normal(DIM)))
            if original.get(global_key) == text:
                self.vectors[text] = base[global_key].astype(np.float32)
            else:
                cos = rng.uniform(0.80, 0.95) if index == 0 else rng.uniform(0.90, 0.99)
                self.vectors[text] = _unit(_near(base[global_key], cos, rng)).astype(np.float32)
                self.edited += 1
        self.unknown = 0

    def encode(self, texts: Any) -> np.ndarray:
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            vector = self.vectors.get(text)
            if vector is None:
                self.unknown += 1
                vector = _unit(self._rng.standard_normal(DIM)).astype(np.float32)
            out[row] = vector
        return out


@contextmanager
def stage_cpu() -> Iterator[dict[str, float]]:
    """CPU seconds of this process (all its threads) in each stage of the pipeline runs inside the block: the
    steadier figure on a shared machine, where wall seconds move with the load."""
    from cluster import pipeline

    seconds: dict[str, float] = {}
    plain = pipeline.Clock

    class CpuClock(pipeline.Clock):
        @contextmanager
        def stage(self, name: str) -> Iterator[None]:
            cpu = time.process_time()
            with super().stage(name):
                yield
            seconds[name] = round(seconds.get(name, 0.0) + time.process_time() - cpu, 2)

    setattr(pipeline, "Clock", CpuClock)  # noqa: B010  (run() builds its Clock from the module)
    try:
        yield seconds
    finally:
        setattr(pipeline, "Clock", plain)  # noqa: B010


def worker_real(n_paragraphs: int, data: str, vectors: str, model: str | None) -> dict[str, Any]:
    """(c) One size in this (fresh) process: build the corpus, write it as JSONL, then read + load the model +
    ``run`` (no cache). ``vectors`` is "model" (the real encoder) or "synthetic" (``TruthVectors``)."""
    from cluster.embed import load_encoder
    from cluster.ingest import read_corpus
    from cluster.pipeline import Settings, run

    load_start = _load()
    start = time.perf_counter()
    articles = load_jsonl(Path(data) / ARTICLES_FILE)
    records, truths, meta = real_corpus(articles, n_paragraphs)
    del articles
    generate_seconds = time.perf_counter() - start
    out: dict[str, Any] = {"vectors": vectors, "corpus": meta, "generate_seconds": round(generate_seconds, 2)}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        out["corpus_mb"] = round(path.stat().st_size / 2**20, 1)
        encoder: Any
        if vectors == "synthetic":
            start = time.perf_counter()
            encoder = TruthVectors(records, truths)
            out["truth_vectors_seconds"] = round(time.perf_counter() - start, 2)
            out["truth_vectors_mb"] = round(len(encoder.vectors) * DIM * 4 / 2**20, 1)
        del records, truths
        out["rss_before_mb"] = _mb(_vm("VmRSS"))
        hwm_reset = _reset_hwm()  # the peak below covers model load, read and run
        start = time.perf_counter()
        if vectors == "model":
            encoder = load_encoder(model)
        load_seconds = time.perf_counter() - start
        out["rss_after_model_mb"] = _mb(_vm("VmRSS"))
        start = time.perf_counter()
        documents = read_corpus([path], strict=True).documents
        read_seconds = time.perf_counter() - start
    start, cpu_start = time.perf_counter(), time.process_time()
    with stage_cpu() as cpu_seconds:
        result = run(documents, encoder, Settings(), cache=None)
    run_seconds, run_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    timings = dict(result.timings)
    after = sum(timings.get(k, 0.0) for k in ("neighbours", "passages", "copies", "stories", "tables"))
    embedded = int(result.stats.get("embedded", 0))
    out.update(
        {
            "model": encoder.name,
            "paragraphs": result.paragraphs.height,
            "distinct_texts": int(result.stats["distinct_texts"]),
            "embedded": embedded,
            "load_model_seconds": round(load_seconds, 2),
            "read_seconds": round(read_seconds, 2),
            "stage_seconds": timings,
            "stage_cpu_seconds": cpu_seconds,  # this process's CPU time (every thread) in each stage
            "run_cpu_seconds": round(run_cpu, 2),
            "analyse_seconds": round(after, 2),  # the stages of (b): neighbours .. tables
            "run_seconds": round(run_seconds, 2),
            "end_to_end_seconds": round(load_seconds + read_seconds + run_seconds, 2),
            "embed_texts_per_s": round(embedded / timings["embed"], 1) if vectors == "model" else None,
            "peak_rss_read_and_run_mb": _peak_since_reset(hwm_reset),
            "peak_rss_process_mb": _process_peak_mb(),
            "stats": result.stats,
            "load_average_start_end": [load_start, _load()],
        }
    )
    if vectors == "synthetic":
        out["texts_without_truth_vector"] = encoder.unknown
        out["texts_edited_vectors"] = encoder.edited
    return out


# ---------------------------------------------------------------- (d) datasketch MinHash LSH on the same paragraphs


def worker_minhash(corpus: str, n_paragraphs: int, data: str | None, threshold: float) -> dict[str, Any]:
    """(d) MinHash LSH clusters of the paragraph rows ``prepare`` makes of the (b) or (c) corpus of this size,
    timed by stage through wrappers around the helpers ``baselines.minhash_lsh_clusters`` calls.

    ``real_dedup``: the (c) corpus with exact duplicates removed first (one row per normalised text, as our
    pipeline embeds each distinct text once) — how a careful user would run MinHash."""
    import datasketch

    from benchmarks import baselines
    from cluster.pipeline import Settings, prepare

    load_start = _load()
    start = time.perf_counter()
    if corpus == "synthetic":
        documents, vec, meta = synthetic_corpus(n_paragraphs)
        del vec
    else:
        from cluster.ingest import read_corpus

        assert data is not None
        records, _, meta = real_corpus(load_jsonl(Path(data) / ARTICLES_FILE), n_paragraphs)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "corpus.jsonl"
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
            documents = read_corpus([path], strict=True).documents
        del records
    paragraphs = prepare(documents, Settings()).sort("para_id")
    if corpus == "real_dedup":
        paragraphs = paragraphs.unique("hash", keep="first", maintain_order=True)
    texts = paragraphs["text"].to_list()
    n_distinct = paragraphs["hash"].n_unique()
    generate_seconds = time.perf_counter() - start
    del documents, paragraphs

    spent = {"shingles": 0.0, "signatures": 0.0, "lsh_insert": 0.0}
    originals = (baselines.shingles, baselines._minhashes, datasketch.MinHashLSH.insert)

    def timed(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            begin = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - begin

        return wrapper

    rss_before = _vm("VmRSS")
    hwm_reset = _reset_hwm()
    baselines.shingles = timed("shingles", originals[0])  # type: ignore[assignment]
    baselines._minhashes = timed("signatures", originals[1])  # type: ignore[assignment]
    datasketch.MinHashLSH.insert = timed("lsh_insert", originals[2])  # type: ignore[method-assign]
    try:
        start = time.perf_counter()
        labels = baselines.minhash_lsh_clusters(
            texts, threshold=threshold, num_perm=NUM_PERM, shingle=SHINGLE, unit="char", seed=MINHASH_SEED
        )
        total = time.perf_counter() - start
    finally:
        baselines.shingles, baselines._minhashes, datasketch.MinHashLSH.insert = originals  # type: ignore[method-assign]
    sizes = np.bincount(labels)
    stages = {k: round(v, 4) for k, v in spent.items()}
    stages["query_verify_union"] = round(total - sum(spent.values()), 4)
    return {
        "corpus": corpus,
        "corpus_meta": meta,
        "paragraphs": len(texts),
        "distinct_paragraph_texts": int(n_distinct),
        "method": f"datasketch MinHash LSH, char {SHINGLE}-shingles, {NUM_PERM} perms, threshold {threshold}, "
        "candidates verified by estimated Jaccard, union-find (benchmarks.baselines.minhash_lsh_clusters)",
        "generate_and_prepare_seconds": round(generate_seconds, 2),
        "stage_seconds": stages,
        "seconds": round(total, 2),
        "clusters": int(sizes.size),
        "clusters_with_2_or_more": int((sizes > 1).sum()),
        "paragraphs_in_clusters_of_2_or_more": int(sizes[sizes > 1].sum()),
        "rss_before_mb": _mb(rss_before),
        "peak_rss_during_minhash_mb": _peak_since_reset(hwm_reset),
        "peak_rss_process_mb": _process_peak_mb(),
        "load_average_start_end": [load_start, _load()],
    }


# ---------------------------------------------------------------- drivers: one subprocess per measurement


def _spawn(spec: dict[str, Any]) -> dict[str, Any]:
    return run_worker(__file__, ["--worker", json.dumps(spec)], ROOT)


def _worker(spec: dict[str, Any]) -> dict[str, Any]:
    kind = spec["kind"]
    if kind == "analyse":
        load_start = _load()
        row = worker_analyse(spec["n"])
        row["load_average_start_end"] = [load_start, _load()]
        return row
    if kind == "real":
        return worker_real(spec["n"], spec["data"], spec["vectors"], spec.get("model"))
    if kind == "minhash":
        return worker_minhash(spec["corpus"], spec["n"], spec.get("data"), spec["threshold"])
    raise ValueError(f"unknown worker kind {kind!r}")


def _stages(row: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:.2f}s" for k, v in row["stage_seconds"].items())


def bench_analyse(sizes: tuple[int, ...], repeat: int = 1) -> dict[str, Any]:
    """Each size ``repeat`` times, each in a fresh process; the run with the median time is the row (on a
    shared 2-core machine one run of ~1 s at 10k moves the 10k->100k exponent by +-0.05)."""
    out: dict[str, Any] = {}
    for n in sizes:
        runs = sorted((_spawn({"kind": "analyse", "n": n}) for _ in range(repeat)), key=lambda r: r["analyse_seconds"])
        row = runs[len(runs) // 2]
        row["analyse_seconds_runs"] = [r["analyse_seconds"] for r in runs]
        out[str(n)] = row
        print(
            f"  analyse {row['paragraphs']:>7d} paragraphs ({row['distinct_texts']} texts): "
            f"{row['analyse_seconds']:.2f}s [{_stages(row)}], peak RSS {row['peak_rss_process_mb']:.0f} MB",
            flush=True,
        )
    return out


def bench_real(data: Path, model_sizes: tuple[int, ...], synthetic_sizes: tuple[int, ...],
               model: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"model": {}, "synthetic_vectors": {}}
    for vectors, sizes in (("model", model_sizes), ("synthetic", synthetic_sizes)):
        for n in sizes:
            row = _spawn({"kind": "real", "n": n, "data": str(data), "vectors": vectors, "model": model})
            out["model" if vectors == "model" else "synthetic_vectors"][str(n)] = row
            rate = f", {row['embed_texts_per_s']:.1f} texts/s" if row["embed_texts_per_s"] else ""
            print(
                f"  real text, {vectors} vectors, {row['paragraphs']:>7d} paragraphs ({row['distinct_texts']} texts): "
                f"end to end {row['end_to_end_seconds']:.1f}s (model load {row['load_model_seconds']:.1f}s, "
                f"read {row['read_seconds']:.1f}s) [{_stages(row)}]{rate}, "
                f"peak RSS {row['peak_rss_read_and_run_mb'] or row['peak_rss_process_mb']:.0f} MB",
                flush=True,
            )
    return out


def bench_minhash(corpora: tuple[str, ...], sizes: tuple[int, ...], data: Path | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for corpus in corpora:
        out[corpus] = {}
        for n in sizes:
            row = _spawn({"kind": "minhash", "corpus": corpus, "n": n, "threshold": MINHASH_THRESHOLD,
                          "data": str(data) if data else None})
            out[corpus][str(n)] = row
            print(
                f"  MinHash LSH on {corpus} corpus, {row['paragraphs']:>7d} paragraphs: {row['seconds']:.2f}s "
                f"[{_stages(row)}], peak RSS {row['peak_rss_process_mb']:.0f} MB, "
                f"{row['clusters_with_2_or_more']} clusters of 2+",
                flush=True,
            )
    return out


def _uncommitted() -> list[str] | None:
    """Files of the library that differ from the recorded commit (timings belong to the working tree)."""
    try:
        done = subprocess.run(["git", "status", "--porcelain", "--", "cluster", "cli"], cwd=ROOT,
                              capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return [line[3:] for line in done.stdout.splitlines()] if done.returncode == 0 else None


def _exponent(rows: dict[str, Any], key: str) -> float | None:
    if "10000" in rows and "100000" in rows and rows["10000"][key] and rows["100000"][key]:
        return round(math.log(rows["100000"][key] / rows["10000"][key]) / math.log(10), 3)
    return None


def comparison(figures: dict[str, Any]) -> dict[str, Any]:
    """Per size: ours (after embedding; end to end, measured or with the embedding priced) and MinHash LSH,
    on the synthetic corpus of (b) and on the real-text corpus of (c)."""
    real = figures.get("real_text", {})
    measured = real.get("model", {})
    rate, rate_from = None, None
    if measured:
        largest = max(measured, key=int)
        rate, rate_from = measured[largest]["embed_texts_per_s"], f"(c) real text, {largest} paragraphs, model"
    elif "embed" in figures:
        rate, rate_from = figures["embed"]["pipeline_texts_per_s"], "(a) pipeline throughput"
    out: dict[str, Any] = {"embed_texts_per_s_for_pricing": rate, "priced_from": rate_from, "synthetic": {},
                           "real_text": {}}
    model_load = next(iter(measured.values()))["load_model_seconds"] if measured else 0.0

    def priced(seconds: float, texts: int) -> float | None:
        return round(seconds + texts / rate, 1) if rate else None

    for n, row in figures.get("analyse", {}).items():
        mh = figures.get("minhash", {}).get("synthetic", {}).get(n)
        out["synthetic"][n] = {
            "paragraphs": row["paragraphs"], "distinct_texts": row["distinct_texts"],
            "ours_after_embedding_s": row["analyse_seconds"],
            "ours_after_embedding_peak_rss_mb": row["peak_rss_process_mb"],
            "ours_after_embedding_plus_priced_embed_s": priced(row["analyse_seconds"], row["distinct_texts"]),
            "minhash_s": mh and mh["seconds"], "minhash_peak_rss_mb": mh and mh["peak_rss_process_mb"],
        }
    sizes = sorted({*measured, *real.get("synthetic_vectors", {}), *figures.get("minhash", {}).get("real", {})},
                   key=int)
    for n in sizes:
        model_row = measured.get(n)
        synth_row = real.get("synthetic_vectors", {}).get(n)
        mh = figures.get("minhash", {}).get("real", {}).get(n)
        entry: dict[str, Any] = {}
        base = model_row or synth_row
        if base:
            entry.update({"paragraphs": base["paragraphs"], "distinct_texts": base["distinct_texts"]})
        if model_row:
            entry.update({
                "ours_end_to_end_measured_s": model_row["end_to_end_seconds"],
                "ours_end_to_end_peak_rss_mb": model_row["peak_rss_process_mb"],
                "ours_embed_s": model_row["stage_seconds"]["embed"],
                "ours_after_embedding_real_vectors_s": model_row["analyse_seconds"],
            })
        if synth_row:
            not_embed = synth_row["end_to_end_seconds"] - synth_row["stage_seconds"]["embed"]
            entry.update({
                "ours_after_embedding_synthetic_vectors_s": synth_row["analyse_seconds"],
                "ours_end_to_end_priced_s": priced(not_embed + model_load, synth_row["distinct_texts"]),
                "ours_without_embedding_peak_rss_mb": synth_row["peak_rss_process_mb"],
            })
        if mh:
            entry.update({"minhash_s": mh["seconds"], "minhash_peak_rss_mb": mh["peak_rss_process_mb"]})
        dedup = figures.get("minhash", {}).get("real_dedup", {}).get(n)
        if dedup:
            entry.update({"minhash_distinct_texts_s": dedup["seconds"],
                          "minhash_distinct_texts_peak_rss_mb": dedup["peak_rss_process_mb"]})
        out["real_text"][n] = entry
    exponents: dict[str, Any] = {}
    for name, rows, key in (
        ("ours_after_embedding_synthetic_corpus", out["synthetic"], "ours_after_embedding_s"),
        ("minhash_synthetic_corpus", out["synthetic"], "minhash_s"),
        ("ours_after_embedding_real_text", out["real_text"], "ours_after_embedding_synthetic_vectors_s"),
        ("ours_end_to_end_priced_real_text", out["real_text"], "ours_end_to_end_priced_s"),
        ("minhash_real_text", out["real_text"], "minhash_s"),
        ("minhash_distinct_texts_real_text", out["real_text"], "minhash_distinct_texts_s"),
    ):
        if rows and all(key in r for r in rows.values()):
            exponents[name] = _exponent(rows, key)
    out["growth_exponent_10k_100k"] = exponents
    return out


def print_comparison(table: dict[str, Any]) -> None:
    def cell(value: Any, unit: str = "s") -> str:
        return "-" if value is None else f"{value:.1f}{unit}" if unit == "s" else f"{value:.0f}"

    print(f"\nsummary (embedding priced at {table['embed_texts_per_s_for_pricing']} texts/s, {table['priced_from']})")
    print(f"{'corpus':<10} {'size':>7} {'ours after emb':>15} {'ours e2e meas.':>15} {'ours e2e priced':>16} "
          f"{'MinHash LSH':>12} {'RSS ours/MH MB':>16}")
    for corpus in ("synthetic", "real_text"):
        for n, row in table[corpus].items():
            after = next((row[k] for k in ("ours_after_embedding_s", "ours_after_embedding_synthetic_vectors_s",
                                           "ours_after_embedding_real_vectors_s") if k in row), None)
            priced = row.get("ours_after_embedding_plus_priced_embed_s", row.get("ours_end_to_end_priced_s"))
            rss = row.get("ours_after_embedding_peak_rss_mb", row.get("ours_end_to_end_peak_rss_mb",
                                                                        row.get("ours_without_embedding_peak_rss_mb")))
            print(f"{corpus:<10} {n:>7} {cell(after):>15} {cell(row.get('ours_end_to_end_measured_s')):>15} "
                  f"{cell(priced):>16} {cell(row.get('minhash_s')):>12} "
                  f"{cell(rss, 'mb'):>7}/{cell(row.get('minhash_peak_rss_mb'), 'mb'):<8}")
    print(f"growth exponents 10k->100k: {table['growth_exponent_10k_100k']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="benchmark data folder (default ../shared/data)")
    parser.add_argument("--quick", action="store_true",
                        help="(a) on 300 texts, (b) and (d) at 1k and 10k, (c) 1k with the model only")
    parser.add_argument("--embed-texts", type=int, default=None,
                        help="distinct paragraphs to embed in (a) (default 2500, 300 with --quick)")
    parser.add_argument("--model", default=None, help="sentence-transformers model (default all-MiniLM-L6-v2)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs of each size in (b); the median counts (default 3, 1 with --quick)")
    parser.add_argument("--no-embed", action="store_true", help="skip (a)")
    parser.add_argument("--no-analyse", action="store_true", help="skip (b)")
    parser.add_argument("--no-real", action="store_true", help="skip (c)")
    parser.add_argument("--no-minhash", action="store_true", help="skip (d)")
    parser.add_argument("--sizes", default=None, help="comma-separated sizes for (b), (c) synthetic vectors, (d)")
    parser.add_argument("--real-sizes", default=None, help="comma-separated sizes for (c) with the real model")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        Path(args.worker_out).write_text(json.dumps(_worker(json.loads(args.worker))))
        return 0

    def parse_sizes(text: str | None, default: tuple[int, ...]) -> tuple[int, ...]:
        return default if text is None else tuple(int(x) for x in text.split(",") if x)

    sizes = parse_sizes(args.sizes, QUICK_SIZES if args.quick else SIZES)
    model_sizes = parse_sizes(args.real_sizes, QUICK_REAL_MODEL_SIZES if args.quick else REAL_MODEL_SIZES)
    synthetic_sizes = () if args.quick else sizes
    embed_texts = args.embed_texts or (QUICK_EMBED_TEXTS if args.quick else 2500)
    started = time.perf_counter()

    # (a), (c) and the real-text part of (d) need the data and are skipped (with a message) without it.
    data = data_dir(args.data, (EMBED_FILE, ARTICLES_FILE))
    if data is None:
        print("SKIP: (a) embedding throughput, (c) real text and (d) MinHash on real text need the benchmark data; "
              "(b) and (d) on the synthetic corpus run")
    from cluster.index import IndexParams
    from cluster.pipeline import Settings

    figures: dict[str, Any] = {
        "requirements": {
            "embed_pipeline_over_bare": f">= {REQUIRED_EMBED_RATIO}",
            "analyse_100k_seconds": f"< {REQUIRED_100K_SECONDS} (2-core machine)",
            "growth_exponent_10k_100k": f"<= {REQUIRED_EXPONENT}",
        },
        "settings": {
            "quick": args.quick,
            "sizes": list(sizes),
            "real_text_model_sizes": list(model_sizes),
            "real_text_synthetic_vector_sizes": list(synthetic_sizes),
            "embed_texts": embed_texts,
            "minhash": {"threshold": MINHASH_THRESHOLD, "num_perm": NUM_PERM, "shingle": f"char {SHINGLE}",
                        "seed": MINHASH_SEED},
            "data": str(data) if data else None,
            "pipeline_settings": Settings().as_dict(),
            "index_defaults": str(IndexParams()),
            "ram_gb_meminfo": meminfo_ram_gb(),
            "load_average_at_start": _load(),
            "uncommitted_library_files": _uncommitted(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        },
    }
    if not args.no_analyse:
        print("(b) after embedding (analyse) on synthetic corpora")
        runs = bench_analyse(sizes, args.repeat or (1 if args.quick else 3))
        figures["analyse"] = runs
        if "10000" in runs and "100000" in runs:
            t10, t100 = runs["10000"]["analyse_seconds"], runs["100000"]["analyse_seconds"]
            exponent = math.log(t100 / t10) / math.log(10)
            figures["analyse_100k_seconds"] = t100
            figures["growth_exponent_10k_100k"] = round(exponent, 3)
            figures["analyse_meets_requirement"] = t100 < REQUIRED_100K_SECONDS and exponent <= REQUIRED_EXPONENT
            print(f"  100k: {t100:.1f}s, growth exponent 10k->100k: {exponent:.2f}")
    if not args.no_minhash:
        print(f"(d) datasketch MinHash LSH (char {SHINGLE}, {NUM_PERM} perms, threshold {MINHASH_THRESHOLD}) "
              "on the same paragraphs")
        figures["minhash"] = bench_minhash(("synthetic", "real", "real_dedup") if data else ("synthetic",), sizes, data)
    if data is not None and not args.no_real:
        print("(c) real text end to end (read, model load, run with no cache); synthetic vectors where marked")
        figures["real_text"] = bench_real(data, model_sizes, synthetic_sizes, args.model)
    if data is not None and not args.no_embed:
        print("(a) embedding throughput")
        figures["embed"] = bench_embed(data, embed_texts, args.model)
    figures["comparison"] = comparison(figures)
    print_comparison(figures["comparison"])
    figures["load_average_at_end"] = _load()  # a shared machine skews timings
    figures["benchmark_wall_seconds"] = round(time.perf_counter() - started, 1)
    path = write_result(f"{NAME}_quick" if args.quick else NAME, figures)
    print(f"wrote {path} ({figures['benchmark_wall_seconds']:.0f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
