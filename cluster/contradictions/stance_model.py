"""The stance cross-encoder: does an article call a statement false? Read from the statement and the article's focus.

A MiniLM cross-encoder (fine-tuned from the packaged all-MiniLM-L6-v2 weights on the FNC-1 train pairs by
``benchmarks/train_stance_ce.py``, exported as int8 ONNX to ``models/stance-minilm-int8``) reads
(statement, focus text) and gives P(disagree). The focus text (:func:`focus_text`) is the article's first
sentence and the sentences sharing most content words with the statement, in article order, up to a word
budget: what fits in the model's 128 tokens.

:class:`StackedStance` is the shipped stance judge: a two-weight logistic over the cross-encoder's logit and
the lexicon head's logit (:class:`~cluster.contradictions.StanceHead`), fitted on train scores neither model
was fitted on, with its threshold chosen there too.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np

from cluster.contradictions.nli import OnnxNLI
from cluster.contradictions.sentences import split_sentences, topic_overlap
from cluster.contradictions.stance import (
    StanceHead,
    StanceResult,
    score_stance,
    shipped_head,
    stance_features,
    stance_result,
    stance_terms,
)
from cluster.errors import ModelNotFoundError

SHIPPED_STANCE = ("models", "stance-minilm-int8")
STANCE_FILES = ("model.onnx", "tokenizer.json", "config.json", "stacker.json")
#: Words of article text given to the cross-encoder (with a ~20-token statement this fills ~128 tokens).
FOCUS_WORDS = 90


def focus_text(statement: str, article: str, max_words: int = FOCUS_WORDS) -> str:
    """The article's first sentence and its sentences most on-topic with ``statement`` (shared content words,
    :func:`cluster.contradictions.topic_overlap`; ties to the earlier one), in article order, until
    ``max_words`` words are taken. The last sentence taken may overrun the budget (the tokenizer truncates)."""
    if not isinstance(statement, str) or not isinstance(article, str):
        raise ValueError("statement and article must be str")
    if max_words < 1:
        raise ValueError("max_words must be >= 1")
    sentences = split_sentences(article) or [article]
    order = sorted(range(1, len(sentences)), key=lambda i: (-topic_overlap(statement, sentences[i])[0], i))
    keep: list[int] = []
    words = 0
    for i in [0, *order]:
        keep.append(i)
        words += len(sentences[i].split())
        if words >= max_words:
            break
    return " ".join(sentences[i] for i in sorted(keep))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


class StanceModel:
    """The stance cross-encoder: an ONNX folder (``model.onnx``, ``tokenizer.json``, ``config.json`` with the
    labels ``other`` and ``contradiction`` = the article disagrees), run with onnxruntime like the NLI model."""

    def __init__(self, folder: str | Path | Traversable, max_length: int = 128, batch_size: int = 16) -> None:
        self._scorer = OnnxNLI(folder, max_length, batch_size)

    def probabilities(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """P(disagree) of each (statement, article) pair, the article read through :func:`focus_text`."""
        return self._scorer.contradiction([(s, focus_text(s, a)) for s, a in pairs])


@dataclass(frozen=True)
class Stacker:
    """P(disagree) = s(bias + w_model * logit(cross-encoder) + w_lexicon * logit(lexicon head))."""

    w_model: float
    w_lexicon: float
    bias: float
    threshold: float

    def probability(self, p_model: float, p_lexicon: float) -> float:
        z = self.bias + self.w_model * _logit(p_model) + self.w_lexicon * _logit(p_lexicon)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    @classmethod
    def from_json(cls, path: Path | Traversable) -> Stacker:
        raw = json.loads(path.read_text(encoding="utf-8"))
        try:
            return cls(float(raw["w_model"]), float(raw["w_lexicon"]), float(raw["bias"]), float(raw["threshold"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path} is not a stance stacker: {exc}") from exc

    def to_json(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.__dict__, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)


def default_stance_path() -> Traversable:
    """The shipped stance cross-encoder folder inside the installed package (``models/stance-minilm-int8``)."""
    folder = files("cluster.contradictions").joinpath(*SHIPPED_STANCE)
    missing = [name for name in STANCE_FILES if not folder.joinpath(name).is_file()]
    if missing:
        raise ModelNotFoundError(
            f"the shipped stance model in {folder} lacks {', '.join(missing)}: this installation of newsdedup is "
            "incomplete (reinstall it; benchmarks/train_stance_ce.py rebuilds the model)"
        )
    return folder


@dataclass(frozen=True)
class StackedStance:
    """The cross-encoder and the lexicon head, joined by a :class:`Stacker`: the shipped stance judge."""

    lexicon: StanceHead
    model: StanceModel
    stacker: Stacker

    @property
    def threshold(self) -> float:
        return self.stacker.threshold

    def score(self, statement: str, article: str) -> StanceResult:
        """Label, P(disagree) and evidence; the features hold both inputs (``p_lexicon``, ``p_model``)."""
        features, evidence = stance_features(statement, article)
        terms = None
        if self.lexicon.terms:
            terms = stance_terms(statement, [e.sentence for e in evidence], features["head_sign"])
        p_lexicon = self.lexicon.probability(features, terms)
        p_model = float(self.model.probabilities([(statement, article)])[0])
        features = features | {"p_lexicon": p_lexicon, "p_model": p_model}
        score = self.stacker.probability(p_model, p_lexicon)
        return stance_result(statement, score, self.threshold, evidence, features)


def judge_stance(statement: str, article: str, judge: StanceHead | StackedStance) -> StanceResult:
    """Whether ``article`` disagrees with ``statement``, by a stacked judge or a lexicon head alone."""
    if isinstance(judge, StackedStance):
        return judge.score(statement, article)
    return score_stance(statement, article, None, judge)


@lru_cache(maxsize=1)
def shipped_stance() -> StackedStance:
    """The shipped stance judge: ``models/stance-minilm-int8`` (cross-encoder + ``stacker.json``) over the
    lexicon head :func:`~cluster.contradictions.shipped_head`. Loaded once per process (an ONNX session).
    Raises :class:`~cluster.errors.ModelNotFoundError` when the installation lacks it."""
    folder = default_stance_path()
    return StackedStance(shipped_head(), StanceModel(folder), Stacker.from_json(folder.joinpath("stacker.json")))
