"""Does an article back or refute a statement (a headline, a claim)? With the evidence sentence.

:func:`stance_features` compares the statement with the article's lead and with the sentences most
on-topic with it: NLI contradiction/entailment (when a scorer is given), detail conflicts
(:func:`cluster.contradictions.detail_conflicts`) and a negation-aware refutation lexicon
("hoax", "fake", "debunked", "denied", "not true" ...) on both sides — the statement's own
polarity matters: a body calling a story a hoax AGREES with the headline "Story is a hoax".

:func:`score_stance` turns the features into ``P(disagree)`` with a small logistic head
(:class:`StanceHead`; the shipped one is fitted by ``benchmarks/train_stance.py`` on the FNC-1 train pairs)
and returns the strongest evidence sentence. With no head it falls back to a transparent rule.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np

from cluster.contradictions.conflict import Conflict
from cluster.contradictions.detail import detail_conflicts
from cluster.contradictions.lexicon import alternation
from cluster.contradictions.nli import NLIScorer, default_nli_path
from cluster.contradictions.sentences import split_sentences, topic_overlap
from cluster.errors import ModelNotFoundError

logger = logging.getLogger(__name__)

#: Refutation and hedge cues: the alternatives are word lists (``words/stance_refute.txt``, ``stance_hedge.txt``).
_REFUTE = re.compile(r"\b(" + alternation("stance_refute") + r")\b", re.I)
_HEDGE = re.compile(r"\b(" + alternation("stance_hedge") + r")\b", re.I)
#: Verbs that say the following claim is false; denying a hoax affirms the story.
_DENIAL = re.compile(r"\b(den(?:y|ies|ied|ying))\b", re.I)
#: Refutation cues too weak to be what a denial denies ("denies layoff rumours" refutes the layoffs).
_WEAK_CUE = re.compile(r"rumou?r(?:s|ed)?|claims?", re.I)
_NEGATION = re.compile(r"\b(not|no|never|n't|isn't|wasn't|aren't|didn't|doesn't|don't|nor|without)\b|n't\b", re.I)

FEATURES_LEXICON = (
    "body_refute",
    "body_refute_lead",
    "body_affirm",
    "body_hedge",
    "head_refutes",
    "body_refute_x_head",
    "body_refute_z",
    "polarity_xor",
    "head_sign",
    "head_refutes_parity",
    "polarity_xor_parity",
    "ontopic_refute",
    "ontopic_xor",
    "refute_density_xor",
    "hedge_xor",
)
FEATURES_NLI = (
    "nli_c_max",
    "nli_c_mean",
    "nli_e_max",
    "nli_lead_c",
    "nli_lead_e",
    "nli_lead_diff",
    "nli_c_max_x_head",
)
FEATURES_DETAIL = ("detail_n", "detail_max", "detail_number", "detail_negation")
FEATURES_ALL = FEATURES_LEXICON + FEATURES_NLI + FEATURES_DETAIL
#: Candidate feature sets per layer. ``benchmarks/bench_contradictions.py`` picks one per layer (and
#: the logistic's C and threshold) by story-grouped cross-validation inside the train half only;
#: the "combined" layer is the chosen lexicon set plus each NLI candidate.
LAYER_CANDIDATES: dict[str, tuple[tuple[str, ...], ...]] = {
    "lexicon": (
        ("polarity_xor_parity",),
        ("polarity_xor",),
        ("polarity_xor", "head_sign"),
        ("ontopic_xor", "head_sign"),
        ("polarity_xor", "ontopic_xor", "head_sign"),
        ("polarity_xor", "hedge_xor", "head_sign"),
        ("polarity_xor", "refute_density_xor", "head_sign"),
        ("polarity_xor", "ontopic_xor", "hedge_xor", "head_sign"),
        ("polarity_xor", "ontopic_xor", "refute_density_xor", "head_sign"),
    ),
    "detail": (FEATURES_DETAIL,),
    "nli": (
        ("nli_lead_diff",),
        ("nli_lead_diff", "nli_c_max"),
        ("nli_lead_c", "nli_lead_e", "nli_c_max", "nli_e_max"),
    ),
}
#: Refutation level of a typical article when no story context is given (log1p of cue count).
DEFAULT_STORY_STATS = (0.7, 0.6)


@dataclass(frozen=True)
class Evidence:
    """One article sentence compared with the statement."""

    index: int
    sentence: str
    contradiction: float
    entailment: float
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True)
class StanceResult:
    """``score`` is P(the article disagrees with the statement); ``evidence`` is the sentence that
    most supports that verdict (the most contradicting one when disagreeing, else the most entailing)."""

    label: str
    score: float
    evidence: Evidence | None
    features: dict[str, float] = field(default_factory=dict)


def refutation_counts(text: str) -> tuple[int, int]:
    """(refuting, affirming) cue counts: "a hoax" refutes, "not a hoax" / "no hoax" affirms."""
    refute = affirm = 0
    for m in _REFUTE.finditer(text):
        if _governing_negation(text, m.start()) is not None:
            affirm += 1
        else:
            refute += 1
    return refute, affirm


def _governing_negation(text: str, cue_start: int, window: int = 25) -> int | None:
    """Start offset of the last negation in the ``window`` characters before a cue, when no
    punctuation separates the two ("not fake" yes; "Not funny: fake" no)."""
    lo = max(0, cue_start - window)
    found = list(_NEGATION.finditer(text, lo, cue_start))
    if not found or re.search(r"[,;.:!?]", text[found[-1].end() : cue_start]):
        return None
    return found[-1].start()


def statement_refutes_parity(statement: str) -> bool:
    """The first polarity rule, kept for the benchmark's ablation: odd parity of refutation cues and
    negations. It fails on headlines with two refuting signals ("Did NOT accuse ... it's a HOAX")."""
    cues = len(_REFUTE.findall(statement)) + len(_NEGATION.findall(statement))
    return cues % 2 == 1


def statement_polarity(statement: str) -> int:
    """Refuting minus affirming signals of a statement (a headline): > 0 means it says the story is false.

    Signals, each counted once per occurrence:

    * a refutation cue ("hoax", "fake", "rumours", "not true") refutes; negated ("not fake",
      "no hoax") it affirms;
    * a denial verb ("denies", "denied") refutes what follows ("IBM denies layoff rumours"), but
      denying a hoax affirms ("denies surgery hoax claims"): the cue it governs counts as affirming;
    * a negation that does not govern a cue negates the claim itself ("Did NOT accuse",
      "Hefner is not dead", "No, ...") and refutes.

    Why not parity (:func:`statement_refutes_parity`): signals pointing the same way must add up,
    not cancel ("Raven-Symone did NOT accuse Cosby -- it's a HOAX").
    """
    if not isinstance(statement, str):
        raise ValueError("statement must be str")
    score = 0
    governed: set[int] = set()  # start offsets of negations that govern a refutation cue
    denied: set[int] = set()  # start offsets of cues governed by a denial verb
    for m in _DENIAL.finditer(statement):
        after = statement[m.end() : m.end() + 30]
        cue = _REFUTE.search(after)
        if cue and not re.search(r"[,;.:!?]", after[: cue.start()]) and not _WEAK_CUE.fullmatch(cue.group(0)):
            denied.add(m.end() + cue.start())
    for m in _REFUTE.finditer(statement):
        if _DENIAL.fullmatch(m.group(0)):
            score += 1  # the denial itself; what it governs is scored below as its own cue
            continue
        negation = _governing_negation(statement, m.start())
        if negation is not None:
            governed.add(negation)
        score += -1 if (negation is not None or m.start() in denied) else 1
    for m in _NEGATION.finditer(statement):
        if m.start() not in governed:
            score += 1
    return score


def statement_refutes(statement: str) -> bool:
    """Whether the statement itself says something is false ("X is a hoax", "X didn't happen",
    "X denies Y"); "not fake" and "denies hoax claims" affirm. See :func:`statement_polarity`."""
    return statement_polarity(statement) > 0


def on_topic_refutation(
    statement: str, sentences: list[str], min_overlap: float = 0.25, min_shared: int = 2
) -> tuple[int, int]:
    """(refuting cues, on-topic sentences) over the sentences about the statement's topic.

    A sentence is on-topic when it shares at least ``min_shared`` content words and ``min_overlap``
    of the smaller content-word set with the statement (:func:`cluster.contradictions.topic_overlap`).
    Why: "hoax" in an aside about another story, or in a sidebar, says nothing about this claim;
    a refutation next to the headline's own words does.
    """
    if not 0.0 <= min_overlap <= 1.0 or min_shared < 1:
        raise ValueError("min_overlap must be in [0, 1] and min_shared >= 1")
    refute = n = 0
    for sentence in sentences:
        overlap, shared = topic_overlap(statement, sentence)
        if overlap >= min_overlap and shared >= min_shared:
            n += 1
            refute += refutation_counts(sentence)[0]
    return refute, n


def story_refute_stats(articles: list[str]) -> tuple[float, float]:
    """Mean and spread of the refutation level (log1p of refuting cues) over a story's articles.

    A story about a hoax is full of "hoax"; what tells one article's stance is how much MORE it
    refutes than its story's typical article.
    """
    if not articles:
        raise ValueError("articles must not be empty")
    levels = np.log1p([refutation_counts(text)[0] for text in articles])
    return float(levels.mean()), float(levels.std())


def candidate_indices(statement: str, sentences: list[str], top_k: int = 8, lead: int = 2) -> list[int]:
    """The lead sentences and the ``top_k`` sentences sharing most content words with the statement."""
    if top_k < 0 or lead < 0:
        raise ValueError("top_k and lead must be >= 0")
    scored = sorted(range(len(sentences)), key=lambda i: (-topic_overlap(statement, sentences[i])[0], i))
    return sorted(set(range(min(lead, len(sentences)))) | set(scored[:top_k]))


def _nli_columns(nli: NLIScorer, pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """(contradiction, entailment) probabilities; entailment is 0 when the scorer only gives the former."""
    probabilities = getattr(nli, "probabilities", None)
    id2label: dict[int, str] = getattr(nli, "id2label", {})
    if probabilities is None or not id2label:
        return nli.contradiction(pairs), np.zeros(len(pairs), dtype=np.float32)
    probs = probabilities(pairs)
    index = {label.lower()[:6]: i for i, label in id2label.items()}
    entail = probs[:, index["entail"]] if "entail" in index else np.zeros(len(pairs), dtype=np.float32)
    return probs[:, index["contra"]], entail


def lead_text(sentences: list[str], max_words: int = 90) -> str:
    """The first sentences of an article up to about ``max_words`` words."""
    out: list[str] = []
    n = 0
    for s in sentences:
        out.append(s)
        n += len(s.split())
        if n >= max_words:
            break
    return " ".join(out)


def stance_features(
    statement: str,
    article: str,
    nli: NLIScorer | None = None,
    top_k: int = 8,
    story_stats: tuple[float, float] | None = None,
) -> tuple[dict[str, float], list[Evidence]]:
    """Features of (statement, article) named as in :data:`FEATURES_ALL`, and per-sentence evidence.

    NLI is scored with the article sentence (and the lead) as premise, the statement as hypothesis.
    ``story_stats`` (from :func:`story_refute_stats` over the article's story) centres the
    refutation level; ``polarity_xor`` is that centred level, sign-flipped when the statement itself
    refutes: a debunking article disagrees with "X happened" and agrees with "X is a hoax".
    """
    if not isinstance(statement, str) or not isinstance(article, str):
        raise ValueError("statement and article must be str")
    sentences = split_sentences(article)
    head = float(statement_refutes(statement))
    refute, affirm = refutation_counts(article)
    lead_refute, _ = refutation_counts(" ".join(sentences[:3]))
    words = max(1, len(article.split()))
    f: dict[str, float] = {
        "body_refute": math.log1p(refute),
        "body_refute_lead": math.log1p(lead_refute),
        "body_affirm": math.log1p(affirm),
        "body_hedge": len(_HEDGE.findall(article)) / words * 100,
        "head_refutes": head,
    }
    f["body_refute_x_head"] = f["body_refute"] * head
    mean, spread = story_stats if story_stats is not None else DEFAULT_STORY_STATS
    f["body_refute_z"] = (f["body_refute"] - mean) / (spread + 0.3)
    sign = 1.0 - 2.0 * head
    f["polarity_xor"] = f["body_refute_z"] * sign
    # Signed body levels: with ``head_sign`` beside them a linear head learns P = s(s * (w.x + c) + b),
    # i.e. stance = body polarity XOR statement polarity, with the body's threshold c fitted.
    parity = float(statement_refutes_parity(statement))
    f |= {"head_sign": sign, "head_refutes_parity": parity}
    f["polarity_xor_parity"] = f["body_refute_z"] * (1.0 - 2.0 * parity)
    on_topic_refute, _ = on_topic_refutation(statement, sentences)
    f["ontopic_refute"] = math.log1p(on_topic_refute)
    f["ontopic_xor"] = f["ontopic_refute"] * sign
    f["refute_density_xor"] = refute / words * 100 * sign
    f["hedge_xor"] = f["body_hedge"] * sign
    idx = candidate_indices(statement, sentences, top_k)
    conflicts = [tuple(detail_conflicts(sentences[i], statement)) for i in idx]
    flat = [c for cs in conflicts for c in cs]
    f["detail_n"] = float(sum(1 for cs in conflicts if cs))
    f["detail_max"] = max((c.score for c in flat), default=0.0)
    f["detail_number"] = float(any(c.kind in {"number", "date"} for c in flat))
    f["detail_negation"] = float(any(c.kind == "negation" for c in flat))
    contra = entail = np.zeros(len(idx), dtype=np.float32)
    if nli is not None and idx:
        pairs = [(sentences[i], statement) for i in idx] + [(lead_text(sentences), statement)]
        c, e = _nli_columns(nli, pairs)
        contra, entail = c[:-1], e[:-1]
        f |= {"nli_lead_c": float(c[-1]), "nli_lead_e": float(e[-1])}
        f |= {"nli_c_max": float(contra.max()), "nli_c_mean": float(contra.mean()), "nli_e_max": float(entail.max())}
    else:
        f |= dict.fromkeys(("nli_lead_c", "nli_lead_e", "nli_c_max", "nli_c_mean", "nli_e_max"), 0.0)
    f["nli_c_max_x_head"] = f["nli_c_max"] * head
    f["nli_lead_diff"] = f["nli_lead_c"] - f["nli_lead_e"]
    evidence = [Evidence(i, sentences[i], float(contra[k]), float(entail[k]), conflicts[k]) for k, i in enumerate(idx)]
    return f, evidence


_TERM = re.compile(r"[a-z][a-z']*")


def stance_terms(statement: str, focus: list[str], sign: float) -> dict[str, float]:
    """Word features of a (statement, article) pair for a head with term weights.

    ``b:word``: a word of the article's focus sentences (the lead and the sentences most on-topic with the
    statement, :func:`candidate_indices`), valued ``sign`` (``head_sign``: -1 when the statement itself
    refutes) over the square root of the number of distinct words, so "hoax" in the body counts against
    "X happened" and for "X is a hoax"; ``h:word``: a word of the statement, valued one over the square root
    of their number. Word pairs (``b:not_true``) are kept beside single words.
    """
    out: dict[str, float] = {}
    for prefix, texts, value in (("b:", focus, sign), ("h:", [statement], 1.0)):
        keys: set[str] = set()
        for text in texts:
            words = _TERM.findall(text.lower().replace("\u2019", "'"))
            keys.update(prefix + w for w in words)
            keys.update(f"{prefix}{a}_{b}" for a, b in zip(words, words[1:], strict=False))
        for key in keys:
            out[key] = value / math.sqrt(len(keys))
    return out


@dataclass(frozen=True)
class StanceHead:
    """A logistic head over named features (standardised with ``mean``/``scale``)."""

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    threshold: float = 0.5
    #: Weights of word features (:func:`stance_terms`); empty for a head over named features only.
    terms: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.features)
        if not (len(self.weights) == len(self.mean) == len(self.scale) == n):
            raise ValueError("features, weights, mean and scale must have the same length")

    def probability(self, features: dict[str, float], terms: dict[str, float] | None = None) -> float:
        """P(disagree) for one feature dict (and its :func:`stance_terms`, used when the head has term weights)."""
        missing = [name for name in self.features if name not in features]
        if missing:
            raise ValueError(f"missing features: {missing}")
        z = self.bias + sum(
            w * (features[n] - m) / (s or 1.0)
            for n, w, m, s in zip(self.features, self.weights, self.mean, self.scale, strict=True)
        )
        if self.terms and terms:
            z += sum(self.terms.get(t, 0.0) * v for t, v in terms.items())
        z = max(-50.0, min(50.0, z))
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self, path: Path) -> None:
        raw = dict(self.__dict__)
        if not self.terms:
            raw.pop("terms")
        path.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, path: str | Path | Traversable) -> StanceHead:
        raw: dict[str, Any] = json.loads((Path(path) if isinstance(path, str) else path).read_text(encoding="utf-8"))
        try:
            return cls(
                features=tuple(str(f) for f in raw["features"]),
                weights=tuple(float(w) for w in raw["weights"]),
                bias=float(raw["bias"]),
                mean=tuple(float(m) for m in raw["mean"]),
                scale=tuple(float(s) for s in raw["scale"]),
                threshold=float(raw.get("threshold", 0.5)),
                terms={str(t): float(w) for t, w in raw.get("terms", {}).items()},
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path} is not a stance head: {exc}") from exc


def _rule_score(f: dict[str, float]) -> float:
    """Fallback without a fitted head: the sign-flipped refutation level and the lead's NLI verdict."""
    lexical = 1.0 / (1.0 + math.exp(-2.0 * f["polarity_xor"]))
    return float(0.5 * lexical + 0.5 * (0.5 + 0.5 * f["nli_lead_diff"]))


def score_stance(
    statement: str,
    article: str,
    nli: NLIScorer | None = None,
    head: StanceHead | None = None,
    story_stats: tuple[float, float] | None = None,
) -> StanceResult:
    """Whether ``article`` disagrees with ``statement``: label, P(disagree) and the evidence sentence.

    ``story_stats``: :func:`story_refute_stats` of the article's story, when known.
    """
    features, evidence = stance_features(statement, article, nli, story_stats=story_stats)
    terms = None
    if head is not None and head.terms:
        terms = stance_terms(statement, [e.sentence for e in evidence], features["head_sign"])
    score = head.probability(features, terms) if head is not None else _rule_score(features)
    threshold = head.threshold if head is not None else 0.5
    label = "disagree" if score >= threshold else "agree"
    best: Evidence | None = None
    if evidence:
        if label == "disagree":  # the sentence that contradicts most; without NLI or conflicts, the most refuting
            best = max(
                evidence,
                key=lambda e: (
                    e.contradiction + max((c.score for c in e.conflicts), default=0),
                    refutation_counts(e.sentence)[0],
                    topic_overlap(statement, e.sentence)[0],
                ),
            )
        else:
            best = max(evidence, key=lambda e: e.entailment)
    return StanceResult(label, round(float(score), 4), best, features)


def shipped_head() -> StanceHead:
    """The lexicon stance head shipped beside the NLI model (``stance_head_lexicon.json``).

    It needs no model (refutation cues overall, in the lead and in sentences on-topic with the statement,
    hedges, detail conflicts, each signed by the statement's own polarity, plus word features of the focus
    sentences, :func:`stance_terms`), so it serves any NLI choice. Fitted on the FNC-1 TRAIN pairs by
    ``benchmarks/train_stance.py`` (design, C and threshold by story-grouped CV inside train); one statement
    and one article at a time it scores macro F1 0.746 / disagree F1 0.631 on the 1,543 FNC-1 dev pairs
    at its threshold (benchmarks/README.md). Raises :class:`~cluster.errors.ModelNotFoundError` when the
    installation lacks it.
    """
    path = default_nli_path().joinpath("stance_head_lexicon.json")
    if not path.is_file():  # pragma: no cover - default_nli_path checks it first
        raise ModelNotFoundError(f"the shipped stance head {path} is missing: reinstall newsdedup")
    return StanceHead.from_json(path)
