"""How far a flag of the contradictions table can be trusted: ``high`` or ``low``, from its evidence.

The default table holds the ``high`` flags only (``--all-flags`` keeps the ``low`` ones too, marked). Learnt
from hand audits of real news by the written rubric (``benchmarks/contradiction_rubric.md``), on FNC-1 dev
(``benchmarks/results/contradiction_audit.csv``, ``contradiction_dev_flags.csv``); measured on the train
stories (``contradiction_precision_train_confidence.csv``, ``benchmarks/README.md``):

* **high** — a concrete detail said two incompatible ways: a number or a date of the same event, a role
  held by two different people ("Brightwell's chief executive"), opposite predicates ("confirmed" /
  "denied", "exceeded its authority" / "acted within its authority"), an attributed dispute;
* **low** — evidence that is right too rarely to be shown by default:

  - an NLI-only ``claim``: the model fires on paraphrases and quote renderings (3 of 3 false on dev);
  - an entity "in the same place" that is no role: two names of one thing are the usual case ("Israel" /
    "Tel Aviv", "U.S." / "American"; 0 of 32 true on dev);
  - a bare negation flip ("employ" / "not employ"): the two sentences mostly say the same thing of two
    different objects, or one is a hedge (2 of 11 true on dev, 2 of 39 in the earlier dev audit), unless the
    NLI layer agrees (layer ``both``) or the two sentences are the same words but for the negation (content-word
    Jaccard ≥ ``MIN_FLIP_JACCARD``: "A man is playing a guitar" / "A man is not playing a guitar");
  - a date that hangs off no event words on one side (``unanchored date``: "released on Tuesday, August 19"
    vs "disappeared on November 22, 2012"): nothing says the two dates are of one event (a rule added after
    the train census, see ``benchmarks/README.md``);
  - a number that is a guess, a plan or a condition on one side (``speculative number``: "may start at $349",
    "Gruber predicts $5,000", "if the watch weighs two ounces"; a rule added after the fresh train sample);
  - a number in one unit of two different things (``different things``: a name by one number that the other
    sentence never mentions, "the Edition costs $10,000" / "the Sport starts at $349"; a sum described on
    each side by a word the other lacks, "stainless steel model at $500" / "entry-level model at $350"; see
    :func:`cluster.contradictions.numbers.different_things`; a rule added after the second fresh train sample);
  - an attributed dispute whose two sentences both deny (``same side``: "DHS denied Hunter's claim" /
    "a DHS spokesman said Hunter's claim was categorically false"): two refutations of one claim agree;
  - an antonym when either sentence reports a claim, a hoax or a rumour outside the two opposite words
    (``reported claim``: "he is still very much alive" / "a fake story claiming he was found dead" agree);
  - a number when either sentence marks a figure of another time ("earlier", "initially", "now", "has
    risen to", "so far", "as of"): a count that changes is an update, not a conflict (the rubric);
  - the "same thing" tests of :mod:`cluster.contradictions.same_thing` (rules added after the third fresh train
    sample, see ``benchmarks/README.md``): a number that is not the same quantity of the same thing
    (:func:`~cluster.contradictions.same_thing.same_quantity`), two dates that are not of one event
    (:func:`~cluster.contradictions.same_thing.same_event`), opposite words not said of one subject or in a
    headline fragment (:func:`~cluster.contradictions.same_thing.same_subject`), a dispute whose sides do not
    oppose (a negated claim against a denial, one party on both sides, an open question, a caption:
    :func:`~cluster.contradictions.same_thing.opposed`).
"""

from __future__ import annotations

import re
from typing import Literal

from cluster.contradictions.lexicon import word_set
from cluster.contradictions.same_thing import opposed, same_event, same_quantity, same_subject
from cluster.contradictions.sentences import content_words

Confidence = Literal["high", "low"]
CONFIDENCES: tuple[str, ...] = ("high", "low")

_UPDATE = re.compile(
    r"\b(?:earlier|previously|initially|originally|at\s+first|first\s+reported|now|later|updated|revised|so\s+far|"
    r"as\s+of|"
    r"(?:has|have|had)\s+(?:risen|climbed|grown|increased|fallen|dropped)|(?:rose|climbed|jumped|fell)\s+to)\b",
    re.I,
)
_LOW_EVIDENCE = frozenset({"same place", "negation flip", "unanchored date", "speculative number", "different things"})
_DENIAL = re.compile(
    r"\b(?:"
    + "|".join(sorted(word_set("denial_verbs")))
    + r"|false|falsely|untrue|nonsense|hoax\w*|baseless|unfounded|incorrect|no\s+truth|not\s+true)\b",
    re.I,
)
_REPORTED = re.compile(
    r"\b(?:hoax\w*|fake|faked|false|falsely|untrue|rumou?r\w*|spoof\w*|satir\w*|prank\w*|claim|claims|claimed|"
    r"claiming|alleged|allegedly|purported\w*|reports?\s+(?:that|of)|reportedly)\b",
    re.I,
)
MIN_FLIP_JACCARD = 0.75  # a negation flip between sentences this alike is about the same thing


def marks_update(sentence: str) -> bool:
    """The sentence places its figure at another time than now ("Earlier ... had claimed six miles")."""
    return bool(_UPDATE.search(sentence))


def alike(a: str, b: str, min_jaccard: float = MIN_FLIP_JACCARD) -> bool:
    """The two sentences say the same words but for the negation: content-word Jaccard at least
    ``min_jaccard`` ("A man is playing a guitar" / "A man is not playing a guitar")."""
    wa, wb = content_words(a), content_words(b)
    return bool(wa | wb) and len(wa & wb) / len(wa | wb) >= min_jaccard


def denies(sentence: str) -> bool:
    """The sentence refutes something: a denial verb ("denied", "rejects", "refuted") or a word that calls a
    claim false ("categorically false", "a hoax", "nonsense", "no truth", "unfounded")."""
    return bool(_DENIAL.search(sentence))


def same_side(a: str, b: str) -> bool:
    """Two sentences of an attributed dispute both refute (:func:`denies`): two denials of one claim agree."""
    return a != b and denies(a) and denies(b)


def reports_claim(sentence: str, word: str | None = None) -> bool:
    """The sentence reports a claim, a hoax or a rumour ("a fake story claiming he was found dead", "rumours
    that", "reportedly") outside the word ``word`` (the antonym found there): it relays, it does not state."""
    text = sentence.replace(word, " ", 1) if word else sentence
    return bool(_REPORTED.search(text))


def confidence(
    kind: str,
    evidence: str | None,
    layer: str | None,
    a: str,
    b: str,
    span_a: str | None = None,
    span_b: str | None = None,
) -> Confidence:
    """``high`` or ``low`` for a flag of ``kind`` found by ``evidence`` (a :class:`Conflict`'s, the kind when
    None) in ``layer`` between sentences ``a`` and ``b`` (spans ``span_a``/``span_b`` where found); see the
    module's rules."""
    evidence = evidence or kind
    if layer == "nli":
        return "low"  # an NLI-only claim
    if evidence in _LOW_EVIDENCE and layer != "both" and not (evidence == "negation flip" and alike(a, b)):
        return "low"
    if kind == "number" and (marks_update(a) or marks_update(b)):
        return "low"
    if evidence == "number" and layer != "both" and not same_quantity(a, b, span_a, span_b):
        return "low"
    if evidence == "date" and layer != "both" and not same_event(a, b, span_a, span_b):
        return "low"
    if evidence == "antonym" and layer != "both" and not same_subject(a, b, span_a, span_b):
        return "low"
    if evidence == "dispute" and layer != "both" and (same_side(a, b) or not opposed(a, b, denies, span_a, span_b)):
        return "low"
    if evidence == "antonym" and layer != "both" and (reports_claim(a, span_a) or reports_claim(b, span_b)):
        return "low"
    return "high"
