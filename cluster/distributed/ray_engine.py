"""The Ray engine: reading in Ray Data tasks, embedding in a Ray Data actor pool into vector shards, neighbour
search in Ray tasks; the rest on the driver.

What runs where (the pipeline's stage functions, only the heavy work moved):

- Ray Data tasks: each input file parsed by the local reader (:mod:`cluster.distributed.ray_read`); the
  driver replays what they read in file order (ids, duplicates, problems judged as locally);
- driver: split and flag paragraphs, hash them (exact duplicates share one ``text_id``);
- Ray Data: the distinct texts no shard holds yet, in blocks of ``batch_size`` rows, go through
  ``map_batches`` with a callable class (:class:`_Embed`): a fixed pool of actors, each loading the model
  once, with explicit onnxruntime/torch thread counts (Ray sets ``OMP_NUM_THREADS``, onnxruntime would take
  every core); each actor writes each batch as a shard of the embedding cache (:mod:`cluster.cache`, the local
  engine's too) and returns its name; the driver fills the run's memory-mapped vectors file from the
  memory-mapped shards (:func:`embed_in_shards`);
- driver: the FAISS index is built exactly as locally (flat, or IVF trained on the same seeded sample) from
  the memory-mapped vectors and written beside them; Ray tasks map the index and the vectors files and
  search them in shards of rows (aligned on ``IndexParams.batch``); every pair keeps its exact cosine
  (:func:`cluster.index.exact_scores`), so the edges (``left < right``, cosine) are the local ones whatever
  the threads, batches or shards;
- driver: passages, copies, stories and contradictions from the edges (:func:`cluster.pipeline.group`).

With the int8 ONNX backend (the CPU default) a text is embedded alone, so its vector does not depend on the
batch it came in: Ray's vectors equal the local ones bit for bit and so do the tables (tests/test_ray_engine.py).
Every node must have newsdedup (and the model package) installed, as the driver has, and see the input files
and the output folder at the same paths.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import polars as pl
import ray

from cluster.cache import open_cache, run_name, write_shard
from cluster.distributed import EngineError, EngineOptions
from cluster.distributed.ray_read import read_corpus_ray
from cluster.embed import DEFAULT_MODEL, Encoder, cache_name, encoder_dim, load_encoder, normalise_rows
from cluster.embed_onnx import cpu_count
from cluster.errors import NewsDedupError
from cluster.exact import distinct_hashes, distinct_texts
from cluster.index import IndexParams, build_index, ivf_probes, neighbour_pairs, unique_pairs
from cluster.ingest import Columns, Corpus
from cluster.pipeline import Embedder, Neighbours, Progress, Settings, find_neighbours, search_floor
from cluster.store import release_pages, trim_heap, vector_file, vectors_path, writing

log = logging.getLogger(__name__)

BATCH_CPU = 256  # texts per Ray Data batch on CPU actors (benchmarks/README.md, Ray: 64–1024 within noise)
BATCH_GPU = 1024  # on a GPU actor the model batches 512 texts per call
HEADROOM_CPUS = 1  # CPUs no embedding actor may reserve, for Ray Data's other operators (and the driver)
WORKER_ENV = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}

EncoderFactory = Callable[[], Encoder]


class _Embed:
    """A Ray Data actor: the model loaded once, then ``{row, text}`` batches in, ``{row, vector}`` out; with a
    shard folder, ``{row, text, hash}`` in, each batch written there as one shard, ``{shard, rows}`` out."""

    def __init__(self, factory: EncoderFactory, folder: str | None = None, run: str = "") -> None:
        self.encoder = factory()
        self.folder, self.run = (Path(folder) if folder else None), run

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = np.asarray(self.encoder.encode([str(t) for t in batch["text"]]), dtype=np.float32)
        if self.folder is None:
            return {"row": batch["row"], "vector": vectors}
        name = f"part-{self.run}-{int(batch['row'][0]):012d}"
        write_shard(self.folder, name, [str(h) for h in batch["hash"]], normalise_rows(vectors))
        return {"shard": np.array([name]), "rows": np.array([len(vectors)], dtype=np.int64)}


def _describe(factory: EncoderFactory) -> tuple[str, int, str, str, str | None]:
    """(name, dim, device, backend, graph id) of the encoder an actor would load: run once as a task, before the
    pool starts."""
    encoder = factory()
    device, backend = str(getattr(encoder, "device", "cpu")), str(getattr(encoder, "backend", "torch-fp32"))
    return encoder.name, encoder_dim(encoder), device, backend, getattr(encoder, "graph_id", None)


def _search_shard(
    index_from: np.ndarray | str, vectors_from: np.ndarray | str, threshold: float, params: IndexParams,
    lo: int, hi: int,
) -> Neighbours:  # fmt: skip
    """Rows ``lo:hi`` searched against the whole index (a Ray task, one thread). The index and the vectors
    are files the task maps itself (a run's ``OUT/cache``), or arrays from the object store."""
    faiss.omp_set_num_threads(1)
    if isinstance(index_from, str):
        index = faiss.read_index(index_from, faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    else:
        index = faiss.deserialize_index(index_from)
    vectors = np.load(vectors_from, mmap_mode="r") if isinstance(vectors_from, str) else vectors_from
    if isinstance(index, faiss.IndexIVF):
        index.nprobe = ivf_probes(index.ntotal, index.nlist, params)  # as build_index set it
    return neighbour_pairs(index, vectors, threshold, params, rows=np.arange(lo, hi, dtype=np.int64))


def shard_ranges(n: int, batch: int, shards: int) -> list[tuple[int, int]]:
    """About ``shards`` row ranges covering ``0..n``, each starting on a multiple of ``batch``."""
    batches = math.ceil(n / batch)
    per = math.ceil(batches / max(1, min(shards, batches))) * batch
    return [(lo, min(lo + per, n)) for lo in range(0, n, per)]


def _unwrapped(exc: BaseException) -> BaseException:
    """The project's own error inside a Ray task error (a missing model: one line, not a remote traceback)."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, NewsDedupError) else exc


class RayEncoder:
    """An :class:`cluster.embed.Encoder` whose ``encode`` runs on a Ray Data actor pool; one call per run
    (``chunk``), since each call starts the pool and loads the model in every actor."""

    chunk = 1 << 40

    def __init__(
        self, factory: EncoderFactory, name: str, dim: int, device: str, backend: str, *, actors: int, threads: int,
        gpus: float, batch_size: int, progress: Callable[[int, int], None] | None = None,
        graph_id: str | None = None,
    ) -> None:  # fmt: skip
        self.factory = factory
        self.graph_id = graph_id  # the actors' ONNX graph: keys the shared embedding cache (cache_name)
        self.name = name
        self.dim = dim
        self.device = device
        self.backend = backend
        self.actors = actors
        self.threads = threads
        self.gpus = gpus
        self.batch_size = batch_size
        self.progress = progress
        self.engine = {"name": "ray", "actors": actors, "threads_per_actor": threads, "gpus_per_actor": gpus,
                       "batch_size": batch_size}  # fmt: skip

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import pyarrow as pa

        n = len(texts)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = pa.array(np.arange(n, dtype=np.int64))
        table = pa.table({"row": rows, "text": pa.array(list(texts), pa.large_string())})
        size = self.batch_size
        blocks = [table.slice(lo, size) for lo in range(0, n, size)]
        dataset = ray.data.from_arrow(blocks).map_batches(
            _Embed,
            fn_constructor_args=(self.factory,),
            batch_size=size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=min(self.actors, len(blocks))),
            num_cpus=self.threads,
            num_gpus=self.gpus or None,
        )
        out = np.zeros((n, self.dim), dtype=np.float32)
        seen = np.zeros(n, dtype=bool)
        done = 0
        try:
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                rows = np.asarray(batch["row"], dtype=np.int64)
                out[rows] = batch["vector"]
                seen[rows] = True
                done += len(rows)
                if self.progress:
                    self.progress(done, n)
        except ray.exceptions.RayError as exc:
            raise _unwrapped(exc) from None
        if not seen.all():  # pragma: no cover - Ray Data returns every row or raises
            raise EngineError(f"the Ray embedding returned {int(seen.sum())} of {n} vectors")
        return out

    def write_shards(self, texts: Sequence[str], hashes: Sequence[str], folder: Path) -> list[str]:
        """Embed ``texts`` (L2-normalised, as :func:`cluster.embed.encode_in_order` leaves them); each actor
        writes each batch as a shard into ``folder`` (:mod:`cluster.cache`). The shards' names."""
        import pyarrow as pa

        n = len(texts)
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.table({
            "row": pa.array(np.arange(n, dtype=np.int64)), "text": pa.array(list(texts), pa.large_string()),
            "hash": pa.array(list(hashes), pa.string()),
        })  # fmt: skip
        size = self.batch_size
        blocks = [table.slice(lo, size) for lo in range(0, n, size)]
        run = run_name()
        dataset = ray.data.from_arrow(blocks).map_batches(
            _Embed,
            fn_constructor_args=(self.factory, str(folder), run),
            batch_size=size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=min(self.actors, len(blocks))),
            num_cpus=self.threads,
            num_gpus=self.gpus or None,
        )
        names: list[str] = []
        done = 0
        try:
            if self.progress:
                self.progress(0, n)
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                names.extend(str(name) for name in batch["shard"])
                done += int(np.sum(batch["rows"]))
                if self.progress:
                    self.progress(done, n)
        except ray.exceptions.RayError as exc:
            raise _unwrapped(exc) from None
        return names


class RayEngine:
    """A connected Ray cluster: its encoder (an actor pool) and its sharded neighbour search."""

    def __init__(self, options: EngineOptions) -> None:
        resources = ray.cluster_resources()
        self.options = options
        self.cpus = max(1, int(resources.get("CPU", 1)))
        self.gpus = float(resources.get("GPU", 0.0))
        threads = options.threads_per_actor
        if options.gpus_per_actor and not self.gpus:  # refused here: Ray would wait for a GPU forever
            raise EngineError(f"--gpus-per-actor {options.gpus_per_actor:g} needs GPUs; the Ray cluster has none")
        if options.gpus_per_actor > self.gpus:
            raise EngineError(
                f"--gpus-per-actor {options.gpus_per_actor:g} asks for more GPUs than the Ray cluster has "
                f"({self.gpus:g}): an actor needs its GPUs on one node"
            )
        if options.embed_actors is not None:
            self.actors = options.embed_actors
        elif options.gpus_per_actor:
            self.actors = max(1, int(self.gpus // options.gpus_per_actor))
        else:
            self.actors = max(1, (self.cpus - HEADROOM_CPUS) // threads)
        if self.actors * threads > self.cpus:
            raise EngineError(
                f"--embed-actors {self.actors} x {threads} CPU each needs {self.actors * threads} CPUs; the Ray "
                f"cluster has {self.cpus} (leave one free for Ray Data's other operators)"
            )
        if self.actors * threads > self.cpus - HEADROOM_CPUS:
            log.warning("the embedding actors reserve every CPU of the cluster; Ray Data may stall")

    @classmethod
    @contextmanager
    def session(cls, options: EngineOptions) -> Iterator[RayEngine]:
        """Connect to ``options.address``, or start a local cluster on this machine's CPUs and stop it after.
        A Ray already initialised in this process (a notebook, the tests) is used as it is and left running."""
        started = False
        if not ray.is_initialized():
            os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")  # the driver's C++ notes are not the user's
            common: dict[str, Any] = {
                "include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR,
                "runtime_env": {"env_vars": WORKER_ENV},
            }  # fmt: skip
            try:
                if options.address:
                    ray.init(address=options.address, **common)
                else:
                    ray.init(num_cpus=cpu_count() or 2, **common)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = options.address or "a local cluster"
                raise EngineError(f"cannot start Ray on {where}: {str(exc).splitlines()[0]}") from None
            started = True
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        context.enable_auto_log_stats = False
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        try:
            yield cls(options)
        finally:
            if started:
                ray.shutdown()

    def read(self, paths: list[Path], columns: Columns, strict: bool, progress: Callable[[int, int], None] | None
             ) -> Corpus:  # fmt: skip
        """The corpus, each file parsed in a Ray Data task (:mod:`cluster.distributed.ray_read`)."""
        try:
            return read_corpus_ray(paths, columns, strict=strict, progress=progress)
        except ray.exceptions.RayError as exc:
            raise _unwrapped(exc) from None

    def embedder(self, encoder: Encoder, out: Path, reuse: bool = True) -> Embedder | None:
        """How a run's distinct texts get their vectors: by ``encoder`` (a :class:`RayEncoder`) into shards
        under ``out``/cache, reused by the next run (``reuse``); None for another encoder (the pipeline's
        own :func:`cluster.pipeline.embed`)."""
        if not isinstance(encoder, RayEncoder):
            return None
        return functools.partial(embed_in_shards, encoder, out, reuse)

    def encoder(
        self, model: str | None, backend: str | None, progress: Callable[[int, int], None] | None = None,
        factory: EncoderFactory | None = None,
    ) -> RayEncoder:  # fmt: skip
        """An encoder of ``model`` on ``backend`` run by the actor pool (``factory``: how an actor loads it;
        default :func:`cluster.embed.load_encoder` with the actor's thread count). With GPUs per actor the
        actors run torch fp16 on CUDA, as ``--backend auto`` does on a GPU machine."""
        options = self.options
        if options.gpus_per_actor:
            backend = "torch"
        elif backend in (None, "auto"):
            backend = "onnx"  # CPU actors: the CPU default (an actor sees no GPU it did not reserve)
        factory = factory or functools.partial(
            load_encoder, model, backend=backend, threads=options.threads_per_actor
        )
        probe = ray.remote(_describe).options(num_cpus=options.threads_per_actor, num_gpus=options.gpus_per_actor)
        try:
            name, dim, device, backend, graph_id = ray.get(probe.remote(factory))
        except ray.exceptions.RayError as exc:
            raise _unwrapped(exc) from None
        log.info("Ray encoder %s (dim %d, %s): %d actors", name or DEFAULT_MODEL, dim, device, self.actors)
        size = options.batch_size or (BATCH_GPU if options.gpus_per_actor else BATCH_CPU)
        return RayEncoder(
            factory, name, dim, device, backend, actors=self.actors, threads=options.threads_per_actor,
            gpus=options.gpus_per_actor, batch_size=size, progress=progress, graph_id=graph_id,
        )  # fmt: skip

    def search(self, vectors: np.ndarray, settings: Settings, progress: Progress | None = None) -> Neighbours:
        """:func:`cluster.pipeline.find_neighbours`, the rows searched in Ray tasks: the same pairs, the same
    exact cosines (the index is built here as there, each task rescores what it finds)."""
        params = settings.index
        n = vectors.shape[0]
        shards = shard_ranges(n, params.batch, self.cpus)
        if n < 2 or len(shards) == 1:
            return find_neighbours(vectors, settings, progress)
        on_disk = getattr(vectors, "filename", None)  # a run's memory-mapped vectors file (OUT/cache)
        index = build_index(vectors, params)
        release_pages(vectors)
        with contextlib.ExitStack() as stack:
            index_from: Any
            vectors_from: Any
            if on_disk:  # the tasks map the vectors and the index themselves: nothing of them in the object store
                vectors_from = str(on_disk)
                index_path = Path(on_disk).with_suffix(".faiss")
                with writing(index_path) as tmp:
                    faiss.write_index(index, str(tmp))
                stack.callback(index_path.unlink, missing_ok=True)
                index_from = str(index_path)
            else:
                index_from = ray.put(faiss.serialize_index(index))
                vectors_from = ray.put(np.ascontiguousarray(vectors, dtype=np.float32))
            del index
            trim_heap()
            return self._search_tasks(index_from, vectors_from, n, shards, settings, progress)

    def _search_tasks(
        self, index_from: Any, vectors_from: Any, n: int, shards: list[tuple[int, int]], settings: Settings,
        progress: Progress | None,
    ) -> Neighbours:  # fmt: skip
        params = settings.index
        task = ray.remote(_search_shard).options(num_cpus=1)
        floor = search_floor(settings)
        refs = [task.remote(index_from, vectors_from, floor, params, lo, hi) for lo, hi in shards]
        rows = {ref: hi - lo for ref, (lo, hi) in zip(refs, shards, strict=True)}
        pending, done = list(refs), 0
        try:
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                done += rows[ready[0]]
                if progress:
                    progress("neighbours", done, n)
            parts = ray.get(refs)
        except ray.exceptions.RayError as exc:
            raise _unwrapped(exc) from None
        left, right, score = (np.concatenate([p[i] for p in parts]) for i in range(3))
        return unique_pairs(left, right, score)


def embed_in_shards(
    encoder: RayEncoder, out: Path, reuse: bool, paragraphs: pl.DataFrame,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, int]:  # fmt: skip
    """:func:`cluster.pipeline.embed` on Ray: the distinct texts no shard holds yet are embedded by the actor
    pool, which writes them as shards under ``out``/cache; the run's vectors file (row = ``text_id``) is then
    filled from the memory-mapped shards and returned memory-mapped. (vectors, how many were embedded)."""
    texts = distinct_texts(paragraphs)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32), 0
    hashes, dim = distinct_hashes(paragraphs), encoder.dim
    store = open_cache(out, cache_name(encoder), dim, reuse)  # the local engine's cache too
    shard, row = store.locate(hashes)
    missing = np.flatnonzero(shard < 0)
    if len(missing):
        order = missing[np.argsort([-len(texts[i]) for i in missing], kind="stable")]  # longest first, as locally
        if progress:
            encoder.progress = progress
        store.register(encoder.write_shards([texts[i] for i in order], [hashes[i] for i in order], store.folder))
        store.save()
        shard, row = store.locate(hashes)
        if (shard < 0).any():  # pragma: no cover - every batch is written or the run raised
            raise EngineError(f"the Ray embedding wrote {int((shard >= 0).sum())} of {len(texts)} vectors")
    log.info("vectors: %d embedded on Ray, %d from shards", len(missing), len(texts) - len(missing))

    def fill(array: np.ndarray) -> None:
        if len(failed := store.fill(array, shard, row)):  # a shard removed or damaged while this run read it
            raise EngineError(f"{len(failed)} vectors could not be read back from {store.folder}; run again")

    return vector_file(vectors_path(out, encoder.name, dim), len(texts), dim, fill), len(missing)
