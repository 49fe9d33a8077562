"""Where a run's heavy stages execute: ``local`` (this process) or ``ray`` (a Ray cluster).

An engine supplies four things to a run, and nothing else changes: the reading of the input files, the
encoder and the embedding of the distinct texts (where the vectors go), and the search that finds their
neighbour pairs. Paragraphs, exact duplicates (the text hash), passages, copies, stories and contradictions
are the same stage functions on the driver, and the engines run the same reader and encoders, so both
engines write the same tables. Ray is an optional extra (``pip install 'newsdedup[ray]'``) imported only
when ``ray`` is asked for; :mod:`cluster.distributed.ray_engine` holds that engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cluster.embed import Encoder, load_encoder
from cluster.errors import NewsDedupError
from cluster.ingest import Columns, Corpus, read_corpus
from cluster.pipeline import Embedder, Search

ENGINES = ("local", "ray")
RAY_MISSING = "--engine ray needs Ray, which is not installed: pip install 'newsdedup[ray]'"


class EngineError(NewsDedupError):
    """An engine cannot start: Ray missing, or a cluster that cannot be reached."""


@dataclass(frozen=True, slots=True)
class EngineOptions:
    name: str = "local"
    address: str | None = None  # a running cluster ("auto", "ray://head:10001"); None: start one, stop it after
    embed_actors: int | None = None  # None: one per CPU of the cluster, one CPU left free for other work
    gpus_per_actor: float = 0.0  # > 0: actors embed with torch fp16 on CUDA
    threads_per_actor: int = 1  # CPU threads of each actor's onnxruntime/torch (and the CPUs it reserves)
    batch_size: int | None = None  # texts per Ray Data batch; None: the measured default

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise ValueError(f"--engine must be one of {', '.join(ENGINES)}, got '{self.name}'")
        if self.embed_actors is not None and self.embed_actors < 1:
            raise ValueError(f"--embed-actors must be >= 1, got {self.embed_actors}")
        if self.gpus_per_actor < 0 or self.threads_per_actor < 1:
            raise ValueError("--gpus-per-actor must be >= 0 and threads per actor >= 1")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch size must be >= 1, got {self.batch_size}")
        if self.name == "local" and (self.address or self.embed_actors or self.gpus_per_actor):
            raise ValueError("--address, --embed-actors and --gpus-per-actor need --engine ray")


class Engine(Protocol):
    @property
    def search(self) -> Search | None: ...  # None: the pipeline's own find_neighbours

    def read(
        self, paths: list[Path], columns: Columns, strict: bool, progress: Callable[[int, int], None] | None
    ) -> Corpus: ...

    def encoder(
        self, model: str | None, backend: str | None, progress: Callable[[int, int], None] | None = None
    ) -> Encoder: ...

    def embedder(self, encoder: Encoder, out: Path, reuse: bool = True) -> Embedder | None: ...  # None: local


Loader = Callable[..., Encoder]  # load_encoder's signature: (model, backend=...) -> Encoder


class LocalEngine:
    """This process: the local reader, the encoder on every core, the pipeline's own embedding and search."""

    search: Search | None = None

    def __init__(self, load: Loader = load_encoder) -> None:
        self.load = load

    def read(
        self, paths: list[Path], columns: Columns, strict: bool, progress: Callable[[int, int], None] | None
    ) -> Corpus:
        return read_corpus(paths, columns, strict=strict, progress=progress)

    def encoder(
        self, model: str | None, backend: str | None, progress: Callable[[int, int], None] | None = None
    ) -> Encoder:
        return self.load(model, backend=backend)

    def embedder(self, encoder: Encoder, out: Path, reuse: bool = True) -> Embedder | None:
        return None  # the pipeline's embed, with the .npz embedding cache


@contextmanager
def open_engine(options: EngineOptions | None = None, load: Loader = load_encoder) -> Iterator[Engine]:
    """The engine of ``options`` for the time of a run (a Ray cluster started here is stopped after);
    ``load`` loads the local engine's encoder."""
    if options is None or options.name == "local":
        yield LocalEngine(load)
        return
    try:
        import ray  # noqa: F401
    except ImportError:
        raise EngineError(RAY_MISSING) from None
    from cluster.distributed.ray_engine import RayEngine

    with RayEngine.session(options) as engine:
        yield engine
