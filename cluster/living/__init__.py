"""A living index: a corpus kept in a folder, so new articles are deduplicated against it without embedding
the old ones again, and any passage can be looked up ("where else was this published?").

The folder's layout is described in :mod:`cluster.store`. A writer builds a complete new generation in a fresh
folder, fsyncs it, then replaces CURRENT atomically (temporary file, fsync, rename): a process killed at any
point leaves the old generation or the new one. The previous generation is kept (a reader may still be
loading it); older and half-written ones are removed by the next writer. ``add`` embeds only texts whose hash
no segment holds, searches only the new vector rows against the whole FAISS index and merges their pairs with
the kept ones, then calls the pipeline's stages with what the generation kept (paragraphs of unchanged
articles, passage scores of known pairs, story work of unchanged articles). With an exact index the pairs are
the ones a single build over all articles finds, so passages, copies and stories are the same.

- :mod:`cluster.living.storage`  the lock, vector segments, generations and CURRENT, kept state
- :mod:`cluster.living.maintain` embed missing texts, grow the FAISS index, update neighbour pairs
- :mod:`cluster.living.update`   ``build`` and ``add``
- :mod:`cluster.living.lookup`   ``LivingIndex.find``
- :mod:`cluster.living.exporting` ``info`` and ``export``
"""

from cluster.living.exporting import IndexInfo, contradictions, export, info
from cluster.living.lookup import FindParams, Found, FoundCopy, FoundParagraph, FoundStory, LivingIndex, PassageMatch
from cluster.living.maintain import update_pairs
from cluster.living.storage import TABLES, Checkpoint, Generation, VectorStore, current, locked
from cluster.living.update import UpdateReport, add, build, encoder_for

__all__ = [
    "TABLES",
    "Checkpoint",
    "FindParams",
    "Found",
    "FoundCopy",
    "FoundParagraph",
    "FoundStory",
    "Generation",
    "IndexInfo",
    "LivingIndex",
    "PassageMatch",
    "UpdateReport",
    "VectorStore",
    "add",
    "build",
    "contradictions",
    "current",
    "encoder_for",
    "export",
    "info",
    "locked",
    "update_pairs",
]
