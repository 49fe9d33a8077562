"""One `run` of the pipeline from files to an output folder: read, embed (with the cache), analyse, write."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from cluster.cache import open_cache
from cluster.contradictions import NLIScorer, load_nli
from cluster.distributed import EngineOptions, open_engine
from cluster.embed import Encoder, cache_name, encoder_dim, load_encoder
from cluster.ingest import Columns
from cluster.pipeline import Result, Settings, run
from cluster.report import Summary, embedding_info, manifest, summarise
from cluster.store import vectors_path, write_run

log = logging.getLogger(__name__)
_DEFAULTS = Settings()


@dataclass(frozen=True, slots=True)
class RunOptions:
    paths: list[Path]
    out: Path
    fmt: str = "parquet"
    model: str | None = None
    backend: str | None = None  # onnx, torch or auto (None): see cluster.embed
    columns: tuple[str, str, str, str, str, str] = ("text", "id", "title", "source", "url", "published")
    strict: bool = False
    passage_threshold: float = _DEFAULTS.passage_threshold
    min_share: float = _DEFAULTS.min_share
    story_resolution: float | None = None  # None: the settings' (StoryParams.resolution)
    use_cache: bool = True
    nli_model: str | None = None  # a folder or a name; None: the shipped model (an error if it is missing)
    use_nli: bool = True
    all_flags: bool = False  # keep the low-confidence contradictions too (ContradictionParams.all_flags)
    max_contradiction_pairs: int | None = None  # None: the settings' (ContradictionParams.max_paragraph_pairs)
    settings: Settings | None = field(default=None)
    engine: EngineOptions | None = None  # None: local; EngineOptions("ray", ...) embeds and searches on Ray

    def resolved_settings(self) -> Settings:
        base = self.settings or Settings()
        if self.story_resolution is not None:
            base = replace(base, stories=replace(base.stories, resolution=self.story_resolution))
        if self.all_flags:
            base = replace(base, contradictions=replace(base.contradictions, all_flags=True))
        if self.max_contradiction_pairs is not None:
            pairs = self.max_contradiction_pairs
            base = replace(base, contradictions=replace(base.contradictions, max_paragraph_pairs=pairs))
        return replace(
            base,
            passage_threshold=self.passage_threshold,
            paraphrase_threshold=min(base.paraphrase_threshold, self.passage_threshold),
            pair_threshold=min(base.pair_threshold, self.passage_threshold),
            min_share=self.min_share,
        )


def choose_nli(nli_model: str | None = None, use_nli: bool = True) -> NLIScorer | None:
    """The NLI layer to use: the one asked for, else the shipped one; an error if it cannot load (the layers
    never change quietly: ``use_nli=False``, the CLI's ``--no-nli``, judges with the detail layer alone)."""
    if not use_nli:
        return None
    return load_nli(nli_model)


def run_corpus(
    options: RunOptions,
    progress: Callable[[str, int, int], None] | None = None,
    encoder: Encoder | None = None,
) -> Summary:
    """Read ``options.paths``, run every stage and write the tables; nothing is written if a stage fails."""
    from cluster.store import FORMATS

    if options.fmt not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}, got '{options.fmt}'")
    settings = options.resolved_settings()
    with open_engine(options.engine, load_encoder) as engine:
        corpus = engine.read(
            options.paths, Columns(*options.columns), options.strict,
            (lambda d, t: progress("read", d, t)) if progress else None,
        )  # fmt: skip
        embedding = (lambda d, t: progress("embed", d, t)) if progress else None
        encoder = encoder or engine.encoder(options.model, options.backend, embedding)
        dim = encoder_dim(encoder)
        embedder = engine.embedder(encoder, options.out, reuse=options.use_cache)  # None: the pipeline's embed
        local_cache = options.use_cache and embedder is None  # the same shards as Ray's (cluster/cache.py)
        cache = open_cache(options.out, cache_name(encoder), dim) if local_cache else None
        result: Result = run(
            corpus.documents, encoder, settings, cache, progress, nli=choose_nli(options.nli_model, options.use_nli),
            vectors_path=vectors_path(options.out, encoder.name, dim), search=engine.search, embedder=embedder,
        )
    if cache is not None and result.stats.get("embedded", 0):
        cache.save()
    data = manifest(
        result, settings, model=encoder.name, dim=dim, inputs=corpus.files, problems=corpus.problems, fmt=options.fmt,
        columns=asdict(Columns(*options.columns)), reencoded=corpus.reencoded, outcomes=corpus.outcomes,
        cache=cache_name(encoder),
    )
    summary = summarise(result, corpus.problems, model=encoder.name, reencoded=corpus.reencoded,
                        outcomes=corpus.outcomes, embedding=embedding_info(result, encoder))
    data["languages"] = summary.languages
    data["embedding"] = summary.embedding
    write_run(options.out, result.tables(), data, options.fmt)
    return summary
