"""The living index: cost of `add` next to a full rebuild, `find` latency, recall of IVF after many adds.

(a) add vs rebuild, side by side in one run, on a synthetic syndicated corpus of about 100k paragraphs
    (``--quick``: 20k): index the first 99% of its articles, then time ``add`` of the last 1% against
    ``build`` of all of them in a fresh folder. Vectors come from a lookup encoder (each synthetic text has a
    known vector), so the measured times are everything but embedding. Embedding is then priced honestly:
    all-MiniLM-L6-v2's throughput on a sample of these paragraphs (texts/s, this machine) times the texts
    each side embeds, added to each side's measured time. Requirement: add < 5% of a full rebuild.
    Also reported: agreement of the grown index with the full build (pairs, passages, copies, stories).
(b) find: load the 100k index once (timed apart), then 50 one-paragraph queries (25 paragraphs of copied
    articles, which match several passages and articles, and 25 unseen ones); each query is embedded by the
    real model (its cost) and answered with its synthetic vector (so it has matches); median and p95.
    Requirement: < 200 ms.
(c) IVF recall after 10 successive adds: the index maintenance ``add`` uses (``_grow_index`` adds rows,
    retrains when the index doubled or its lists got unbalanced; ``cluster.index.neighbour_pairs`` searches
    the new rows), on vectors only, starting from an IVF index of 40% of the vectors and adding 6% ten
    times, with new topics arriving (drift). Recall = share of the exact pairs (flat index, cosine >= 0.75)
    found. Requirement: >= 0.99.

    python benchmarks/bench_living.py [--quick] [--no-model] [--out FILE.json]

Results: benchmarks/results/living.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import write_result  # noqa: E402

NAME = "living"
DIM = 384
REQUIRED_ADD_SHARE = 0.05
REQUIRED_FIND_MS = 200.0
REQUIRED_RECALL = 0.99

_WORDS = """officials said the council would review plans after residents raised concerns about costs delays safety
schools roads budget police court hospital election minister company market prices shares workers union strike
weather storm flood fire rescue team season match league river bridge harbour airport railway farmers energy grid
water supply tax reform vote parliament mayor governor report inquiry health""".split()  # noqa: SIM905


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _near(base: np.ndarray, cos: float, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(base.shape)
    noise = _unit(noise - noise @ base * base)
    return _unit(cos * base + math.sqrt(1 - cos * cos) * noise)


def synthetic(n_paragraphs: int, seed: int = 0) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """Articles (id, source, published, text) in random reading order and the vector of every paragraph text.

    Stories of 6-14 paragraphs in topics; each has an origin and 0-4 copies that keep most paragraphs, exactly
    (40%), lightly edited (cosine 0.90-0.99) or paraphrased (0.80-0.90), plus paragraphs of their own, adverts
    and outlet footers (boilerplate).
    """
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    topics = _unit(rng.standard_normal((max(4, n_paragraphs // 1000), DIM)))
    outlets = [f"Outlet {i}" for i in range(40)]
    footers = {o: f"Follow {o} on every platform for the latest news and updates from our newsroom" for o in outlets}
    vec: dict[str, np.ndarray] = {}
    rows: list[dict[str, Any]] = []
    total = story = 0

    def filler() -> str:
        return " ".join(pick.choices(_WORDS, k=pick.randint(14, 30)))

    while total < n_paragraphs:
        centre = _unit(0.6 * topics[rng.integers(len(topics))] + 0.8 * _unit(rng.standard_normal(DIM)))
        n_par = pick.randint(6, 14)
        own = _unit(0.6 * centre + 0.8 * _unit(rng.standard_normal((n_par + 12, DIM))))
        originals = []
        for p in range(n_par):
            text = f"Story {story} paragraph {p} original: {filler()}."
            vec[text] = own[p]
            originals.append((text, own[p]))
        day = pick.randrange(365)
        n_copies = pick.choices(range(5), weights=[45, 25, 15, 10, 5])[0]
        for copy in range(n_copies + 1):
            outlet = pick.choice(outlets)
            paras: list[str] = []
            for p, (text, v) in enumerate(originals):
                if copy and pick.random() > 0.8:
                    continue
                kind = pick.random()
                if copy == 0 or kind < 0.4:
                    paras.append(text)
                    continue
                cos = pick.uniform(0.90, 0.99) if kind < 0.85 else pick.uniform(0.80, 0.90)
                edited = f"Story {story} paragraph {p} copy {copy} edited: {filler()}."
                vec[edited] = _near(v, cos, rng)
                paras.append(edited)
            if copy:
                for extra in range(pick.randint(0, 2)):
                    text = f"Story {story} copy {copy} own paragraph {extra}: {filler()}."
                    vec[text] = own[n_par + 2 * copy + extra]
                    paras.insert(pick.randint(0, len(paras)), text)
            if pick.random() < 0.3:
                paras.insert(pick.randint(0, len(paras)), "Advertisement")
            if pick.random() < 0.5:
                paras.append(footers[outlet])
            rows.append(
                {
                    "id": f"s{story}-c{copy}",
                    "source": outlet,
                    "text": "\n\n".join(paras),
                    "published": _date(day, copy),
                }
            )
            total += len(paras)
        story += 1
    for text in ["Advertisement", *footers.values()]:
        vec[text] = _unit(rng.standard_normal(DIM))
    pick.shuffle(rows)
    return rows, vec


def _date(day: int, copy: int) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=day, minutes=30 * copy)).isoformat()


class LookupEncoder:
    """The vector each synthetic text was generated with; an unknown text gets a hash-seeded random one."""

    name = "synthetic-384"
    dim = DIM

    def __init__(self, vec: dict[str, np.ndarray]) -> None:
        self.vec = vec
        self.encoded = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded += len(texts)
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            v = self.vec.get(t)
            if v is None:
                v = _unit(np.random.default_rng(abs(hash(t)) % 2**32).standard_normal(DIM))
            out[i] = v
        return out


class ModelCostLookup(LookupEncoder):
    """Pays the real model's cost (embeds the query with all-MiniLM-L6-v2) but answers with the synthetic
    vector, so `find` is timed with the model's latency and with matches to look up. Only for timing."""

    def __init__(self, vec: dict[str, np.ndarray], model: Any) -> None:
        super().__init__(vec)
        self.model = model

    def encode(self, texts: list[str]) -> np.ndarray:
        self.model.encode(texts)
        return super().encode(texts)


def _previous(name: str, part: str) -> dict[str, Any] | None:
    """A part's figures from the last result file, kept when this run skips that part."""
    from benchmarks.common import RESULTS_DIR

    try:
        record = json.loads((RESULTS_DIR / f"{name}.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None
    figures = record.get("figures", {}).get(part)
    if figures is None:
        return None
    return {**figures, "from_run_of": record.get("date")}


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _partitions(folder: Path) -> dict[str, Any]:
    import polars as pl

    from cluster import living

    gen = living.current(folder)
    paragraphs = gen.table("paragraphs").with_columns(
        pl.concat_str("id", pl.lit("#"), pl.col("position").cast(pl.String)).alias("key")
    )
    docs = gen.table("documents")
    where = dict(zip(paragraphs["para_id"].to_list(), paragraphs["key"].to_list(), strict=True))

    def groups(frame: pl.DataFrame, key: str, label: str) -> set[frozenset[Any]]:
        return {frozenset(v) for v in frame.group_by(label).agg(pl.col(key))[key].to_list()}

    pairs = gen.table("pairs").filter(pl.col("relation") != "exact")
    return {
        "pairs": {(where[a], where[b]) for a, b in pairs.select("para_left", "para_right").iter_rows()},
        "passages": groups(paragraphs, "key", "passage_id"),
        "copies": set(gen.table("copies").select("id_a", "id_b").iter_rows()),
        "stories": groups(docs, "id", "story_id"),
    }


def _agreement(a: set[Any], b: set[Any]) -> float:
    return round(len(a & b) / max(1, len(a | b)), 5)


def real_throughput(texts: list[str], model: Any) -> dict[str, Any]:
    from cluster.embed import encode_in_order

    encode_in_order(model, texts[:64])  # warm-up
    start = time.perf_counter()
    encode_in_order(model, texts)
    seconds = time.perf_counter() - start
    return {"texts": len(texts), "seconds": round(seconds, 2), "texts_per_s": round(len(texts) / seconds, 1)}


# ------------------------------------------------------------------------------------------- (a) add vs build


def bench_add(n_paragraphs: int, work: Path, model: Any | None, sample: int) -> tuple[dict[str, Any], dict]:
    from cluster import living
    from cluster.runner import RunOptions

    start = time.perf_counter()
    rows, vec = synthetic(n_paragraphs)
    generated = time.perf_counter() - start
    cut = int(round(len(rows) * 0.99))
    old = write_jsonl(work / "old.jsonl", rows[:cut])
    new = write_jsonl(work / "new.jsonl", rows[cut:])
    print(f"  corpus: {len(rows)} articles ({len(rows) - cut} new), generated in {generated:.1f}s", flush=True)

    encoder = LookupEncoder(vec)
    start = time.perf_counter()
    base = living.build(RunOptions(paths=[old], out=work), work / "grown.idx", encoder=encoder)
    base_seconds = time.perf_counter() - start
    print(f"  build of the old 99%: {base_seconds:.1f}s", flush=True)

    # side by side: add of the new 1% to the grown index, and a full rebuild of everything
    full_encoder, add_encoder = LookupEncoder(vec), LookupEncoder(vec)
    start = time.perf_counter()
    added = living.add(work / "grown.idx", [new], encoder=add_encoder)
    add_seconds = time.perf_counter() - start
    start = time.perf_counter()
    full = living.build(RunOptions(paths=[old, new], out=work), work / "full.idx", encoder=full_encoder)
    full_seconds = time.perf_counter() - start
    assert added.summary is not None and full.summary is not None
    print(
        f"  add of the new 1%: {add_seconds:.2f}s; full rebuild: {full_seconds:.1f}s "
        f"({add_seconds / full_seconds:.1%})",
        flush=True,
    )

    figures: dict[str, Any] = {
        "paragraphs": full.summary.counts["paragraphs"],
        "distinct_texts": full.summary.counts["distinct_texts"],
        "articles": full.summary.counts["documents"],
        "new_articles": len(added.added),
        "new_paragraphs": full.summary.counts["paragraphs"] - base.summary.counts["paragraphs"],  # type: ignore[union-attr]
        "faiss_index": living.current(work / "full.idx").manifest["index"],
        "build_old_seconds": round(base_seconds, 2),
        "measured_without_model": {
            "add_seconds": round(add_seconds, 2),
            "full_rebuild_seconds": round(full_seconds, 2),
            "add_over_rebuild": round(add_seconds / full_seconds, 4),
            "add_stage_seconds": added.summary.timings,
            "full_stage_seconds": full.summary.timings,
            "texts_embedded_add": add_encoder.encoded,
            "texts_embedded_full": full_encoder.encoded,
        },
    }
    grown, once = _partitions(work / "grown.idx"), _partitions(work / "full.idx")
    figures["grown_vs_full_build_agreement_jaccard"] = {k: _agreement(grown[k], once[k]) for k in once}
    if model is not None:
        texts = [t for t in vec if len(t) > 30]
        random.Random(0).shuffle(texts)
        rate = real_throughput(texts[:sample], model)
        per_text = 1.0 / rate["texts_per_s"]
        add_real = add_seconds + add_encoder.encoded * per_text
        full_real = full_seconds + full_encoder.encoded * per_text
        figures["real_model_throughput"] = rate
        figures["with_real_model_embedding"] = {
            "add_seconds": round(add_real, 2),
            "full_rebuild_seconds": round(full_real, 2),
            "add_over_rebuild": round(add_real / full_real, 4),
            "how": "measured seconds + texts embedded by that side / real-model texts per second",
        }
        figures["add_meets_requirement"] = add_real / full_real < REQUIRED_ADD_SHARE
        print(
            f"  real model: {rate['texts_per_s']} texts/s -> add {add_real:.1f}s vs rebuild {full_real:.1f}s "
            f"({add_real / full_real:.1%})",
            flush=True,
        )
    return figures, {"rows": rows, "vec": vec}


# ------------------------------------------------------------------------------------------------- (b) find


def bench_find(index: Path, corpus: dict[str, Any], model: Any | None, n_queries: int = 50) -> dict[str, Any]:
    from cluster import living

    start = time.perf_counter()
    opened = living.LivingIndex(index)
    load_seconds = time.perf_counter() - start
    pick = random.Random(1)
    copied = [r for r in corpus["rows"] if not r["id"].endswith("-c0")]  # paragraphs held by several articles
    queries = []
    for i in range(n_queries):
        if i % 2 == 0:
            queries.append(pick.choice([p for p in pick.choice(copied)["text"].split("\n\n") if len(p) > 60]))
        else:
            queries.append("Unseen " + " ".join(pick.choices(_WORDS, k=25)) + ".")
    out: dict[str, Any] = {"load_seconds": round(load_seconds, 3), "queries": n_queries}
    encoders: list[tuple[str, Any]] = [("lookup_encoder", LookupEncoder(corpus["vec"]))]
    if model is not None:
        encoders.append(("real_model", ModelCostLookup(corpus["vec"], model)))
    for label, encoder in encoders:
        opened.find(queries[0], encoder)  # warm-up
        times, matched, articles = [], 0, 0
        for q in queries:
            t = time.perf_counter()
            found = opened.find(q, encoder)
            times.append((time.perf_counter() - t) * 1000)
            matched += bool(found.paragraphs[0].matches)
            articles += sum(m.n_docs for m in found.paragraphs[0].matches)
        times.sort()
        out[label] = {
            "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
            "max_ms": round(times[-1], 2),
            "queries_with_a_match": matched,
            "articles_listed": articles,
        }
        print(f"  find ({label}): median {out[label]['median_ms']} ms, p95 {out[label]['p95_ms']} ms", flush=True)
    worst = out.get("real_model", out["lookup_encoder"])["p95_ms"]
    out["meets_requirement"] = worst < REQUIRED_FIND_MS
    return out


# ------------------------------------------------------------------------------------------------- (c) recall


def bench_recall(n_vectors: int, adds: int = 10, seed: int = 2) -> dict[str, Any]:
    import faiss

    from cluster.index import IndexParams, build_index, neighbour_pairs
    from cluster.living import update_pairs

    rng = np.random.default_rng(seed)
    params = IndexParams()
    threshold = 0.75

    def batch(n: int, topics: np.ndarray) -> np.ndarray:
        """Vectors in topic clusters with near-duplicate groups (cosine 0.8-0.99) inside each story."""
        out = []
        while sum(len(x) for x in out) < n:
            centre = _unit(0.6 * topics[rng.integers(len(topics))] + 0.8 * _unit(rng.standard_normal(DIM)))
            base = _unit(0.6 * centre + 0.8 * _unit(rng.standard_normal((10, DIM))))
            copies = [_near(b, rng.uniform(0.8, 0.99), rng) for b in base for _ in range(rng.integers(0, 4))]
            out.append(np.vstack([base, *copies]) if copies else base)
        return np.vstack(out)[:n].astype(np.float32)

    topics = _unit(rng.standard_normal((max(4, n_vectors // 1000), DIM)))
    first = batch(int(n_vectors * 0.4), topics)
    parts = [first]
    params = IndexParams(exact_max=min(params.exact_max, len(first) - 1))  # IVF from the start
    none = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, np.float32), np.zeros(0, np.float32)
    index, meta, pairs, _ = update_pairs(None, {}, first, none, 0, threshold, params)
    history = []
    for step in range(adds):
        topics = np.vstack([topics, _unit(rng.standard_normal((max(1, len(topics) // 10), DIM)))])  # drift
        parts.append(batch(int(n_vectors * 0.06), topics))
        vectors = np.vstack(parts)
        start = time.perf_counter()
        index, meta, pairs, note = update_pairs(index, meta, vectors, pairs, index.ntotal, threshold, params)
        history.append(
            {
                "step": step + 1,
                "vectors": len(vectors),
                "seconds": round(time.perf_counter() - start, 2),
                "retrained": note,
            }
        )
    vectors = np.vstack(parts)
    flat = faiss.IndexFlatIP(DIM)
    flat.add(vectors)
    exact = neighbour_pairs(flat, vectors, threshold, IndexParams())
    exact_set = set(zip(exact[0].tolist(), exact[1].tolist(), strict=True))
    got_set = set(zip(pairs[0].tolist(), pairs[1].tolist(), strict=True))
    near = exact[2] >= 0.90
    near_set = set(zip(exact[0][near].tolist(), exact[1][near].tolist(), strict=True))
    single = build_index(vectors, params)  # one IVF build over everything, for comparison
    single_pairs = neighbour_pairs(single, vectors, threshold, params)
    single_set = set(zip(single_pairs[0].tolist(), single_pairs[1].tolist(), strict=True))
    recall = len(exact_set & got_set) / max(1, len(exact_set))
    out = {
        "vectors": len(vectors),
        "adds": adds,
        "exact_pairs": len(exact_set),
        "recall_after_adds": round(recall, 5),
        "recall_near_duplicates_after_adds": round(len(near_set & got_set) / max(1, len(near_set)), 5),
        "recall_single_ivf_build": round(len(exact_set & single_set) / max(1, len(exact_set)), 5),
        "false_pairs": len(got_set - exact_set),
        "index": meta,
        "history": history,
        "meets_requirement": recall >= REQUIRED_RECALL,
    }
    print(
        f"  IVF after {adds} adds: recall {recall:.4f} of {len(exact_set)} exact pairs "
        f"(single build {out['recall_single_ivf_build']}); retrained at "
        f"{[h['step'] for h in history if h['retrained']]}",
        flush=True,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k paragraphs instead of 100k")
    parser.add_argument("--paragraphs", type=int, default=None, help="corpus size (default 100k, quick 20k)")
    parser.add_argument("--no-model", action="store_true", help="skip the real model (no extrapolation)")
    parser.add_argument("--sample", type=int, default=512, help="texts embedded to measure the model's speed")
    parser.add_argument("--no-recall", action="store_true", help="skip (c), keeping its last figures")
    parser.add_argument("--out", type=Path, default=None, help="result file (default benchmarks/results/living*.json)")
    args = parser.parse_args(argv)
    n = args.paragraphs or (20_000 if args.quick else 100_000)
    model = None
    if not args.no_model:
        from cluster.embed import load_encoder

        model = load_encoder()
    figures: dict[str, Any] = {
        "requirements": {
            "add_over_rebuild": f"< {REQUIRED_ADD_SHARE} (1% new articles, 100k paragraphs)",
            "find_p95_ms": f"< {REQUIRED_FIND_MS} (one paragraph, 100k paragraphs, model loaded)",
            "ivf_recall_after_10_adds": f">= {REQUIRED_RECALL}",
        },
        "settings": {
            "paragraphs": n,
            "quick": args.quick,
            "model": getattr(model, "name", None),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
    }
    work = Path(tempfile.mkdtemp(prefix="bench_living."))
    try:
        print(f"(a) add of 1% vs full rebuild, {n} paragraphs")
        figures["add_vs_rebuild"], corpus = bench_add(n, work, model, args.sample)
        print("(b) find latency")
        figures["find"] = bench_find(work / "grown.idx", corpus, model)
        if args.no_recall:
            figures["ivf_recall"] = _previous(NAME, "ivf_recall")
        else:
            print("(c) IVF recall after 10 adds")
            figures["ivf_recall"] = bench_recall(n)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    if args.out is not None:
        path = write_result(args.out.stem, figures, args.out.parent)
    else:
        path = write_result(f"{NAME}_quick" if args.quick else NAME, figures)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
