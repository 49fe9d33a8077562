"""The Ray engine writes the same tables as the local one (`--engine ray`); without Ray, one clear error.

The Ray tests share one local cluster (``ray.init(num_cpus=2)``, shut down after the module) and each runs
under a timeout; they skip when Ray is not installed (``pip install 'newsdedup[ray]'``).
"""

from __future__ import annotations

import faulthandler
import gzip
import hashlib
import itertools
import json
import signal
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from living_corpus import corpus, write_jsonl
from typer.testing import CliRunner

from cli.app import app
from cluster.distributed import EngineOptions, open_engine
from cluster.distributed.ray_engine import shard_ranges
from cluster.exact import normalise
from cluster.index import IndexParams
from cluster.ingest import read_corpus
from cluster.pipeline import Settings
from cluster.runner import RunOptions, run_corpus

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
FNC_DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "fnc1_stories_dev.jsonl"
TABLES = ("documents", "paragraphs", "passages", "pairs", "copies", "stories", "contradictions")
TIMEOUT_S = 120  # per Ray test: a failing assertion then, a dump of every thread and exit at twice that


class GramEncoder:
    """Hashed character 5-grams (dim 2048): near copies get a high cosine, unrelated texts a low one, in
    microseconds — the real paragraphs' neighbours and passages without a model."""

    name = "char-5-grams"
    dim = 2048

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            folded = normalise(text)
            for i in range(len(folded) - 4):
                key = hashlib.blake2b(folded[i : i + 5].encode(), digest_size=4).digest()
                out[row, int.from_bytes(key, "little") % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


def _assert_same_tables(local: dict[str, pl.DataFrame], ray: dict[str, pl.DataFrame]) -> None:
    for name in TABLES:
        assert local[name].schema == ray[name].schema, name
        assert local[name].equals(ray[name]), name  # same rows, same ids: passages and stories partitions equal


def _read(folder: Path) -> dict[str, pl.DataFrame]:
    return {name: pl.read_parquet(folder / f"{name}.parquet") for name in TABLES}


# ------------------------------------------------------------------------------------ without Ray


def test_engine_ray_without_ray_is_one_line_naming_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError, as on a base install
    result = CliRunner().invoke(app, ["run", str(SEEDS), "--out", str(tmp_path / "out"), "--engine", "ray", "-q"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: --engine ray needs Ray, which is not installed: pip install 'newsdedup[ray]'"
    ]
    assert not (tmp_path / "out").exists()


def test_ray_options_without_engine_ray_are_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(SEEDS), "--out", str(tmp_path), "--embed-actors", "2"])
    assert result.exit_code == 1
    assert "need --engine ray" in result.output
    with pytest.raises(ValueError, match="--engine must be one of local, ray"):
        EngineOptions("spark")


def test_shards_start_on_search_batches_and_cover_every_row() -> None:
    assert shard_ranges(10, 4, 8) == [(0, 4), (4, 8), (8, 10)]
    assert shard_ranges(1000, 64, 2) == [(0, 512), (512, 1000)]
    assert shard_ranges(5, 64, 4) == [(0, 5)]


def test_ray_read_replays_blocks_that_arrive_out_of_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver's replay of the read tasks' blocks (no cluster): blocks of several files, several per file,
    handed over last first, still give the local documents and problems."""
    pytest.importorskip("ray")
    from cluster.distributed import ray_read
    from cluster.ingest.records import Sink

    monkeypatch.setattr(ray_read, "EVENTS_PER_BLOCK", 2)
    rows = [{"id": f"{n}", "text": f"Article number {n}. It says {n * 7}."} for n in range(5)]
    write_jsonl(tmp_path / "in" / "a.jsonl", rows[:3])
    (tmp_path / "in" / "b.jsonl").write_text(json.dumps(rows[3]) + "\nnot json\n" + json.dumps(rows[4]) + "\n")

    def shuffled(files: list[tuple[Path, Path]], columns: Any, sink: Sink) -> Any:
        blocks = [block for index, (file, root) in enumerate(files)
                  for block in ray_read._parse_file(index, file, root, columns, False)]  # fmt: skip
        assert len(blocks) == 4  # a.jsonl: 2 records | 1 record, END; b.jsonl: record, problem, record | END
        return ray_read._replay(reversed(blocks), [1] * len(files), sink)

    local, replayed = read_corpus([tmp_path / "in"]), read_corpus([tmp_path / "in"], files_reader=shuffled)
    assert replayed.documents.equals(local.documents) and local.documents["id"].to_list() == list("01234")
    assert replayed.problems == local.problems and len(local.problems) == 1


def test_vector_shards_are_found_by_hash_filled_by_row_and_dropped_without_reuse(tmp_path: Path) -> None:
    from cluster.cache import EmbeddingCache, write_shard
    from cluster.store import cache_path

    folder = cache_path(tmp_path, "m+onnx-int8", 3)
    vectors = np.arange(15, dtype=np.float32).reshape(5, 3)
    write_shard(folder, "part-a-000", ["h0", "h1"], vectors[:2])
    write_shard(folder, "part-a-002", ["h2", "h3", "h4"], vectors[2:])
    (folder / "part-b-000.npy").write_bytes(b"half a shard")  # a run killed before its hashes: not complete
    store = EmbeddingCache(folder, "m+onnx-int8", 3)
    store.save()
    shard, row = store.locate(["h4", "x", "h0", "h3"])
    assert shard.tolist() == [1, -1, 0, 1] and row.tolist() == [2, -1, 0, 1]
    out = np.full((4, 3), -1.0, dtype=np.float32)
    store.fill(out, shard, row)
    assert np.array_equal(out, np.stack([vectors[4], np.full(3, -1.0), vectors[0], vectors[3]]))
    assert json.loads((folder / "index.json").read_text())["shards"] == [
        {"name": "part-a-000", "rows": 2}, {"name": "part-a-002", "rows": 3}
    ]  # fmt: skip
    assert len(EmbeddingCache(folder, "other+onnx-int8", 3)) == 0  # the index names another model: nothing read
    assert len(EmbeddingCache(folder, "m+onnx-int8", 3, reuse=False)) == 0
    assert sorted(p.name for p in folder.iterdir()) == []  # --no-cache: the earlier shards are gone


# ------------------------------------------------------------------------------------ on a local cluster


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    ray = pytest.importorskip("ray")
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # GramEncoder travels to the actors
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}})  # fmt: skip
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture
def timeout() -> Iterator[None]:
    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"Ray test ran past {TIMEOUT_S} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TIMEOUT_S)
    faulthandler.dump_traceback_later(2 * TIMEOUT_S, exit=True)  # a hang inside Ray's C++ ends the run too
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.model
def test_cli_engine_ray_writes_the_local_tables_on_the_demo_corpus(
    ray_cluster: Any, timeout: None, tmp_path: Path
) -> None:
    run_corpus(RunOptions([SEEDS], tmp_path / "local", use_nli=False, use_cache=False))
    result = CliRunner().invoke(
        app, ["run", str(SEEDS), "--out", str(tmp_path / "ray"), "--engine", "ray", "--no-nli", "-q"]
    )
    assert result.exit_code == 0, result.output
    local, ray = _read(tmp_path / "local"), _read(tmp_path / "ray")
    _assert_same_tables(local, ray)
    assert ray["copies"].height > 0 and ray["passages"].filter(pl.col("n_docs") > 1).height > 0
    embedding = json.loads((tmp_path / "ray" / "manifest.json").read_text())["embedding"]
    assert embedding["backend"] == "onnx-int8"
    assert embedding["engine"] == {
        "name": "ray", "actors": 1, "threads_per_actor": 1, "gpus_per_actor": 0.0, "batch_size": 256
    }  # fmt: skip


def _real_corpus(folder: Path, articles: int = 300) -> list[Path]:
    """The first FNC-1 dev articles in three files (one gzipped), so the Ray read has files to order."""
    if not FNC_DEV.is_file():
        pytest.skip(f"{FNC_DEV} is absent")
    with FNC_DEV.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in itertools.islice(lines, articles)]
    third = len(rows) // 3
    first = write_jsonl(folder / "a.jsonl", rows[:third])
    second = folder / "b" / "b.jsonl.gz"
    second.parent.mkdir(parents=True)
    second.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in rows[third : 2 * third]).encode()))
    return [first, second, write_jsonl(folder / "c.ndjson", rows[2 * third :])]


def test_ray_run_equals_local_on_real_paragraphs_read_embedded_and_searched_on_ray(
    ray_cluster: Any, timeout: None, tmp_path: Path
) -> None:
    """Read in Ray Data tasks, embedded into shards, an IVF index searched in 2 Ray tasks reading the vectors
    file themselves: every table equal to the local run's; a rerun embeds nothing (the shards are reused)."""
    files = _real_corpus(tmp_path / "in")
    # IVF from 1,000 texts and search batches of 256: several shards of an IVF index, searched as Ray tasks
    settings = Settings(index=IndexParams(exact_max=1000, batch=256))
    local = run_corpus(RunOptions(files, tmp_path / "local", use_nli=False, settings=settings), encoder=GramEncoder())
    with open_engine(EngineOptions("ray", batch_size=512)) as engine:
        encoder = engine.encoder(None, None, factory=GramEncoder)
        cpus = engine.cpus
    options = RunOptions(files, tmp_path / "ray", use_nli=False, settings=settings, engine=EngineOptions("ray"))
    first = run_corpus(options, encoder=encoder)
    tables = _read(tmp_path / "local")
    assert tables["paragraphs"].height > 3000 and local.counts["distinct_texts"] > 1000
    assert local.counts["neighbour_pairs"] > 100 and tables["copies"].height > 0
    assert len(shard_ranges(local.counts["distinct_texts"], 256, cpus)) == 2  # searched as two Ray tasks
    _assert_same_tables(tables, _read(tmp_path / "ray"))
    assert first.counts == local.counts
    (shards,) = (tmp_path / "ray" / "cache").glob("shards-char-5-grams-2048")
    index = json.loads((shards / "index.json").read_text())
    assert index["model"] == "char-5-grams" and index["dim"] == 2048
    assert sum(s["rows"] for s in index["shards"]) == local.counts["distinct_texts"]
    assert len(index["shards"]) == -(-local.counts["distinct_texts"] // 512)  # one shard per batch of 512
    assert not list(shards.glob("*.tmp")) and not list((tmp_path / "ray" / "cache").glob("*.faiss"))
    vectors = {side: np.load(next((tmp_path / side / "cache").glob("vectors-*.npy"))) for side in ("local", "ray")}
    assert np.array_equal(vectors["local"], vectors["ray"])

    again = run_corpus(options, encoder=encoder)  # the shards are reused: nothing embedded
    assert again.counts["embedded"] == 0 and again.counts["embeddings_from_cache"] == local.counts["distinct_texts"]
    _assert_same_tables(tables, _read(tmp_path / "ray"))
    assert json.loads((shards / "index.json").read_text()) == index

    # one cache for both engines: a local run reuses the vectors Ray embedded, and Ray those a local run embedded
    local_again = run_corpus(RunOptions(files, tmp_path / "ray", use_nli=False, settings=settings),
                             encoder=GramEncoder())  # fmt: skip
    assert local_again.counts == again.counts  # nothing embedded
    _assert_same_tables(tables, _read(tmp_path / "ray"))
    ray_on_local = run_corpus(replace(options, out=tmp_path / "local"), encoder=encoder)
    assert ray_on_local.counts == again.counts
    _assert_same_tables(tables, _read(tmp_path / "local"))


def test_ray_read_reports_bad_records_as_the_local_read(
    ray_cluster: Any, timeout: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Skipped records, re-encoded lines and duplicate ids come back in the same order with the same text; with
    --strict the first is the one-line error, naming file and line, as locally."""
    from cluster.distributed.ray_read import read_corpus_ray

    folder = tmp_path / "in"
    write_jsonl(folder / "a.jsonl", [{"id": "x", "text": "First article. It has text."}])
    (folder / "b.jsonl").write_bytes(
        b'{"id": "y", "text": "Fine."}\n{"id": "z", "text": oops}\n'
        + '{"id": "w", "text": "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, d\u00e9j\u00e0 vu."}\n'.encode("latin-1")
        + b'{"id": "x", "text": "A duplicate id."}\n{"id": "v", "text": ""}\n'
    )
    monkeypatch.chdir(tmp_path)  # a path relative to the driver's folder, not the workers'
    local, distributed = read_corpus([Path("in")]), read_corpus_ray([Path("in")])
    folder = Path("in")
    assert local.documents.equals(distributed.documents) and local.documents["file"][0] == "in/a.jsonl"
    assert [str(p) for p in local.problems] == [
        f"{folder / 'b.jsonl'}:2: malformed JSON: Expecting value (column 21)",
        f"{folder / 'b.jsonl'}:4: duplicate id 'x' (first in {folder / 'a.jsonl'}:1)",
        f"{folder / 'b.jsonl'}:5: empty text",
    ]
    assert distributed.problems == local.problems and distributed.reencoded == local.reencoded
    assert len(local.reencoded) == 1 and distributed.files == local.files

    for engine in ("local", "ray"):
        result = CliRunner().invoke(
            app, ["run", str(folder), "--out", str(tmp_path / engine), "--engine", engine, "--strict", "-q"]
        )
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [
            f"Error: {folder / 'b.jsonl'}:2: malformed JSON: Expecting value (column 21)"
        ], engine
        assert not (tmp_path / engine).exists()


def test_a_big_jsonl_file_read_in_parts_on_ray_equals_the_local_read(
    ray_cluster: Any, timeout: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts cut after a newline, line numbers counted before each: the same records, default ids (which
    carry the line), blank lines, bad lines and duplicates as the local read of the whole file."""
    from cluster.distributed import ray_read

    lines = []
    for n in range(40):
        row: dict[str, Any] = {"text": f"Paragraph {n} of the big file. It reports figure {n * 13}."}
        if n % 3:
            row["id"] = f"id-{n % 17}"  # duplicates come back across parts
        lines.append(json.dumps(row) if n % 11 else "{broken json")
        if n % 7 == 0:
            lines.append("")
    big = tmp_path / "big.jsonl"
    big.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(ray_read, "SPLIT_BYTES", 600)
    spans = ray_read._spans(big)
    assert len(spans) >= 4 and spans[0][0] == 0 and spans[-1][1] == big.stat().st_size
    assert all(big.read_bytes()[lo - 1 : lo] == b"\n" for lo, _, _ in spans[1:])  # each part starts a line
    local, distributed = read_corpus([big]), ray_read.read_corpus_ray([big])
    assert distributed.documents.equals(local.documents) and distributed.problems == local.problems
    assert "big.jsonl:5" in local.documents["id"].to_list() and local.documents["line"][-1] == 46
    assert len(local.problems) > 10  # the broken lines and the duplicate ids, with their line numbers


def test_index_build_on_ray_equals_the_local_build(ray_cluster: Any, timeout: None, tmp_path: Path) -> None:
    from cluster import living

    source = write_jsonl(tmp_path / "in" / "all.jsonl", corpus())
    options = RunOptions([source], tmp_path / "unused", use_nli=False)
    living.build(options, tmp_path / "local.idx", encoder=GramEncoder())
    with open_engine(EngineOptions("ray", batch_size=8)) as engine:
        encoder = engine.encoder(None, None, factory=GramEncoder)
        living.build(options, tmp_path / "ray.idx", encoder=encoder)
    living.export(tmp_path / "local.idx", tmp_path / "local", "parquet")
    living.export(tmp_path / "ray.idx", tmp_path / "ray", "parquet")
    for name in living.TABLES:
        local, ray = (pl.read_parquet(tmp_path / side / f"{name}.parquet") for side in ("local", "ray"))
        assert local.equals(ray), name
    assert pl.read_parquet(tmp_path / "ray" / "copies.parquet").height > 0


def test_more_actors_than_cpus_is_refused(ray_cluster: Any, timeout: None) -> None:
    from cluster.distributed import EngineError

    with pytest.raises(EngineError, match="needs 3 CPUs; the Ray cluster has 2"), open_engine(
        EngineOptions("ray", embed_actors=3)
    ):
        pass


def test_gpus_per_actor_on_a_cluster_without_gpus_is_one_line(ray_cluster: Any, timeout: None, tmp_path: Path) -> None:
    from cluster.distributed import EngineError

    with pytest.raises(EngineError, match="^--gpus-per-actor 1 needs GPUs; the Ray cluster has none$"), open_engine(
        EngineOptions("ray", gpus_per_actor=1)
    ):
        pass
    result = CliRunner().invoke(
        app, ["run", str(SEEDS), "--out", str(tmp_path / "out"), "--engine", "ray", "--gpus-per-actor", "0.5", "-q"]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: --gpus-per-actor 0.5 needs GPUs; the Ray cluster has none"]


def test_a_model_the_workers_cannot_load_is_one_line(ray_cluster: Any, timeout: None, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    result = CliRunner().invoke(
        app, ["run", str(SEEDS), "--out", str(tmp_path / "out"), "--engine", "ray", "--model", str(missing), "-q"]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: model folder not found: {missing}"]
