"""Contradictions between statements about the same thing, and inside the stories of a corpus.

One module per section:

* :mod:`.sentences` — sentence splitting, tokens, content words and topic overlap;
* :mod:`.conflict` — the :class:`Conflict` record (two spans that cannot both be true);
* :mod:`.numbers`, :mod:`.dates`, :mod:`.negation`, :mod:`.entities` — the detectors, one kind of conflict
  each, with their guards (learnt from a hand audit of real news, ``benchmarks/results/contradiction_audit.csv``);
* :mod:`.detail` — :func:`detail_conflicts`, the detail layer (no model) combining the detectors;
* :mod:`.nli` — the NLI layer: the :class:`NLIScorer` protocol, :class:`OnnxNLI`, :class:`CrossEncoderNLI`,
  :class:`AegisNLI`, :func:`load_nli` and the shipped model (``models/nli-minilm-int8``, package data);
* :mod:`.stance` — does an article back or refute a statement (a logistic head over lexicon/NLI/detail features);
* :mod:`.confidence` — ``high`` or ``low``: which flags the default table trusts, from their evidence;
* :mod:`.verdict` — the ONE rule combining the detail and NLI layers (:func:`judge`), and the ``contradict``
  command (:func:`contradiction_verdict`, :func:`contradiction_score`);
* :mod:`.stage` — the pipeline stage: candidate sentence pairs inside a story, :func:`find_contradictions`;
* :mod:`.lexicon` — the word lists, read from the data files in ``words/``.
"""

from __future__ import annotations

from cluster.contradictions.conflict import KINDS, Conflict, ConflictKind, Span, explain
from cluster.contradictions.detail import detail_conflicts
from cluster.contradictions.entities import same_name
from cluster.contradictions.nli import (
    AEGIS_CAVEAT,
    AEGIS_INSTALL,
    AEGIS_NLI,
    AegisNLI,
    CrossEncoderNLI,
    NLIScorer,
    OnnxNLI,
    aegis_nli_path,
    bidirectional_contradiction,
    default_nli_path,
    load_nli,
)
from cluster.contradictions.numbers import Quantity, quantities
from cluster.contradictions.sentences import content_words, same_topic, split_sentences, topic_overlap
from cluster.contradictions.stage import (
    ContradictionParams,
    candidate_paragraphs,
    find_contradictions,
    story_text_pairs,
)
from cluster.contradictions.stance import (
    DEFAULT_STORY_STATS,
    FEATURES_ALL,
    FEATURES_DETAIL,
    FEATURES_LEXICON,
    FEATURES_NLI,
    LAYER_CANDIDATES,
    Evidence,
    StanceHead,
    StanceResult,
    candidate_indices,
    lead_text,
    on_topic_refutation,
    refutation_counts,
    score_stance,
    shipped_head,
    stance_features,
    stance_terms,
    statement_polarity,
    statement_refutes,
    statement_refutes_parity,
    story_refute_stats,
)
from cluster.contradictions.verdict import (
    ARTICLE_SENTENCES,
    PairVerdict,
    VerdictRule,
    contradiction_score,
    contradiction_scores,
    contradiction_verdict,
    judge,
    score_statement_pair,
)

__all__ = [
    "AEGIS_CAVEAT",
    "AEGIS_INSTALL",
    "AEGIS_NLI",
    "ARTICLE_SENTENCES",
    "DEFAULT_STORY_STATS",
    "FEATURES_ALL",
    "FEATURES_DETAIL",
    "FEATURES_LEXICON",
    "FEATURES_NLI",
    "KINDS",
    "LAYER_CANDIDATES",
    "AegisNLI",
    "Conflict",
    "ConflictKind",
    "ContradictionParams",
    "CrossEncoderNLI",
    "Evidence",
    "NLIScorer",
    "OnnxNLI",
    "PairVerdict",
    "Quantity",
    "Span",
    "StanceHead",
    "StanceResult",
    "VerdictRule",
    "aegis_nli_path",
    "bidirectional_contradiction",
    "candidate_indices",
    "candidate_paragraphs",
    "content_words",
    "contradiction_score",
    "contradiction_scores",
    "contradiction_verdict",
    "default_nli_path",
    "detail_conflicts",
    "explain",
    "find_contradictions",
    "judge",
    "lead_text",
    "load_nli",
    "on_topic_refutation",
    "quantities",
    "refutation_counts",
    "same_name",
    "same_topic",
    "score_stance",
    "score_statement_pair",
    "shipped_head",
    "stance_terms",
    "split_sentences",
    "stance_features",
    "statement_polarity",
    "statement_refutes",
    "statement_refutes_parity",
    "story_refute_stats",
    "story_text_pairs",
    "topic_overlap",
]
