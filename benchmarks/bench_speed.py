"""Speed: embedding throughput, and the cost of everything after embedding as the corpus grows.

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

    python benchmarks/bench_speed.py [--data DIR] [--quick]     # --quick: 1k and 10k only (make bench)

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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import data_dir, meminfo_ram_gb, write_result  # noqa: E402

NAME = "bench_speed"
EMBED_FILE = "fnc1_stories_dev.jsonl"
SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
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


def worker(n_paragraphs: int) -> dict[str, Any]:
    """One size, in this (fresh) process: generate, prepare, substitute vectors, analyse."""
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
    try:  # reset the high-water mark so VmHWM below is the peak during analyse
        Path("/proc/self/clear_refs").write_text("5")
        hwm_reset = True
    except OSError:
        hwm_reset = False
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
        "rss_before_analyse_mb": round(rss_before / 1024, 1) if rss_before else None,
        "peak_rss_during_analyse_mb": round(_vm("VmHWM") / 1024, 1) if hwm_reset and _vm("VmHWM") else None,
        "peak_rss_process_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "stats": result.stats,
    }


def bench_analyse(sizes: tuple[int, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in sizes:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            target = Path(handle.name)
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--worker", str(n), "--worker-out", str(target)],
                cwd=ROOT,
                check=False,
            )
            if done.returncode != 0:
                raise SystemExit(f"worker for {n} paragraphs failed with exit code {done.returncode}")
            row = json.loads(target.read_text())
        finally:
            target.unlink(missing_ok=True)
        out[str(n)] = row
        stages = ", ".join(f"{k} {v:.2f}s" for k, v in row["stage_seconds"].items())
        print(
            f"  analyse {row['paragraphs']:>7d} paragraphs ({row['distinct_texts']} texts): "
            f"{row['analyse_seconds']:.2f}s [{stages}], peak RSS {row['peak_rss_process_mb']:.0f} MB",
            flush=True,
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="benchmark data folder (default ../shared/data)")
    parser.add_argument("--quick", action="store_true", help="after-embedding sizes 1k and 10k only")
    parser.add_argument("--embed-texts", type=int, default=2500, help="distinct paragraphs to embed in (a)")
    parser.add_argument("--model", default=None, help="sentence-transformers model (default all-MiniLM-L6-v2)")
    parser.add_argument("--no-embed", action="store_true", help="skip (a)")
    parser.add_argument("--no-analyse", action="store_true", help="skip (b)")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        Path(args.worker_out).write_text(json.dumps(worker(args.worker)))
        return 0

    # (a) needs the data and is skipped (with a message) without it; (b) is synthetic and always runs.
    data = None
    if not args.no_embed:
        data = data_dir(args.data, (EMBED_FILE,))
        if data is None:
            print("SKIP: (a) embedding throughput needs the benchmark data")
            if args.no_analyse:
                return 0
    from cluster.index import IndexParams
    from cluster.pipeline import Settings

    sizes = QUICK_SIZES if args.quick else SIZES
    figures: dict[str, Any] = {
        "requirements": {
            "embed_pipeline_over_bare": f">= {REQUIRED_EMBED_RATIO}",
            "analyse_100k_seconds": f"< {REQUIRED_100K_SECONDS} (2-core machine)",
            "growth_exponent_10k_100k": f"<= {REQUIRED_EXPONENT}",
        },
        "settings": {
            "quick": args.quick,
            "sizes": list(sizes),
            "embed_texts": args.embed_texts,
            "pipeline_settings": Settings().as_dict(),
            "index_defaults": str(IndexParams()),
            "ram_gb_meminfo": meminfo_ram_gb(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        },
    }
    if not args.no_analyse:
        print("(b) after embedding (analyse) on synthetic corpora")
        runs = bench_analyse(sizes)
        figures["analyse"] = runs
        if "10000" in runs and "100000" in runs:
            t10, t100 = runs["10000"]["analyse_seconds"], runs["100000"]["analyse_seconds"]
            exponent = math.log(t100 / t10) / math.log(10)
            figures["analyse_100k_seconds"] = t100
            figures["growth_exponent_10k_100k"] = round(exponent, 3)
            figures["analyse_meets_requirement"] = t100 < REQUIRED_100K_SECONDS and exponent <= REQUIRED_EXPONENT
            print(f"  100k: {t100:.1f}s, growth exponent 10k->100k: {exponent:.2f}")
    if data is not None:
        print("(a) embedding throughput")
        figures["embed"] = bench_embed(data, args.embed_texts, args.model)
    figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]  # a shared machine skews timings
    path = write_result(NAME, figures)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
