"""Seeded generator of syndicated copies of real articles, with ground truth down to the paragraph.

For each chosen origin article it makes 0-5 copies the way outlets republish wire copy: outlet boilerplate
(byline, share bar, advert, newsletter pitch, copyright line), the tail cut, paragraphs dropped, swapped and
shortened, the lead lightly paraphrased (clause reordering, synonym swaps), typos and OCR-like noise
(swapped or dropped characters, rn<->m, l<->1, O<->0) and a changed headline. ``noise`` (clean, light,
medium, heavy) sets the rates; ``clean`` copies are verbatim. It also adds distractors: unrelated real
articles that quote exactly one paragraph of an origin and are not copies.

Guarantees (checked by tests/test_syndicate.py):

- a copy keeps at least half of its origin's paragraphs (always the lead), so by the definition "a pair is
  a copy when at least half of the shorter article's non-boilerplate paragraphs are found in the other"
  every (copy, origin) pair is a copy; a distractor shares one paragraph with an origin of 5+ paragraphs,
  so it is a copy of nothing;
- origins are published before their copies and distractors;
- ids are opaque (``a00000`` ... in shuffled order), so nothing about the truth leaks through them;
- each text is its paragraphs joined by one blank line, each paragraph a single line, and
  ``truth["articles"][id]["paragraphs"][i]`` is the key of paragraph i of ``text.split("\\n\\n")``:
  ``"<origin id>#<index>"`` or None for added boilerplate (a distractor's own paragraphs are keyed by its id);
- origins and distractor bases are drawn only from articles that share no paragraph and no 8-word run with
  one another, so the real syndication inside the source corpus does not contradict the truth.

Run: ``python benchmarks/syndicate.py --data ../shared/data --noise medium --n 200 --out /tmp/synd.jsonl``
(writes the corpus JSONL and ``/tmp/synd.truth.json``).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from benchmarks.common import data_dir, load_jsonl, write_json_atomic  # noqa: E402

__all__ = ["NOISE", "Noise", "copy_pairs", "generate", "ocr_noise", "paraphrase_lead", "split_paragraphs"]

ARTICLES_FILE = "fnc1_unlabelled_articles.jsonl"


@dataclass(frozen=True)
class Noise:
    """Rates of one noise level: probabilities per copy, per paragraph or (``char_rate``) per character."""

    boilerplate: float  # each boilerplate slot filled (origins and distractors too)
    cut_tail: float  # the copy ends early (never below half of the paragraphs)
    drop: float  # each further non-lead paragraph dropped (never below half)
    reorder: float  # some non-lead paragraphs swapped
    truncate: float  # each non-lead paragraph loses its last sentence or words
    lead_rewrite: float  # the lead paragraph is paraphrased
    char_rate: float  # typo / OCR edits per character of copied text
    headline: float  # the headline is changed


NOISE: dict[str, Noise] = {
    "clean": Noise(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    "light": Noise(0.3, 0.1, 0.05, 0.1, 0.1, 0.3, 0.001, 0.3),
    "medium": Noise(0.6, 0.25, 0.15, 0.3, 0.25, 0.7, 0.005, 0.7),
    "heavy": Noise(0.9, 0.4, 0.3, 0.6, 0.4, 1.0, 0.02, 1.0),
}

MAX_COPIES = 5
DISTRACTOR_MIN_PARAGRAPHS = 5  # copies then keep >= 3, so one shared paragraph is below half of anything

OUTLETS = (
    "Riverside Gazette",
    "Northern Courier",
    "Capital Dispatch",
    "Harbor Times",
    "Valley Herald",
    "Summit Daily",
    "Coastal Tribune",
    "Prairie Chronicle",
    "Metro Ledger",
    "Lakeside Observer",
    "Granite State Wire",
    "Evening Sentinel",
)
AUTHORS = (
    "Maria Chen",
    "James O'Neill",
    "Priya Raman",
    "Tom Becker",
    "Aisha Bello",
    "Lucas Moreau",
    "Sarah Kim",
    "David Alvarez",
    "Hannah Weiss",
    "Omar Haddad",
)
SYNONYMS = {
    "said": "stated",
    "says": "states",
    "told": "informed",
    "announced": "revealed",
    "big": "large",
    "large": "big",
    "small": "little",
    "show": "indicate",
    "shows": "indicates",
    "help": "assist",
    "start": "begin",
    "began": "started",
    "buy": "purchase",
    "about": "around",
    "many": "numerous",
    "people": "individuals",
    "officials": "authorities",
    "however": "but",
    "also": "additionally",
    "attack": "assault",
    "killed": "slain",
    "died": "perished",
    "children": "kids",
    "near": "close to",
    "after": "following",
    "before": "prior to",
    "video": "footage",
    "claims": "assertions",
    "claimed": "asserted",
    "new": "fresh",
    "found": "discovered",
    "man": "individual",
    "woman": "individual",
    "recently": "lately",
    "quickly": "rapidly",
}
HEADLINE_PREFIXES = ("BREAKING: ", "UPDATE: ", "WATCH: ", "REPORT: ")
FUNCTION_WORDS = {"A", "An", "The", "This", "That", "It", "There", "Some", "Many", "More", "Most", "Several"}
OCR_CONFUSIONS = {"l": "1", "1": "l", "O": "0", "0": "O", "m": "rn", "I": "l"}

_BLANK = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[\"“A-Z])|(?<=[.!?][\"”])\s+(?=[\"“A-Z])")
_WORDS = re.compile(r"[A-Za-z]+")
_ATTRIBUTION = re.compile(
    r"^(?P<body>.{20,}?),\s+(?P<who>(?:the\s+)?[A-Za-z][\w.'-]*(?:\s+[\w.'-]+){0,5}?)\s+"
    r"(?P<verb>said|says|reported|reports|announced)(?P<tail>\s+\w+day)?\.$"
)
_LEADING_CLAUSE = re.compile(
    r"^(?P<conj>After|Before|When|While|Although|Though|Despite|Following|Since|Because|If)\s+"
    r"(?P<sub>[^,]{3,150}),\s+(?P<main>.{10,}?)(?P<end>[.!?])$"
)
_TRAILING_CLAUSE = re.compile(
    r"^(?P<main>[^,]{15,250}?)\s+(?P<conj>after|before|when|while|because|although|since)\s+"
    r"(?P<sub>[^,]{3,150}?)(?P<end>[.!?])$"
)


# ---------------------------------------------------------------- text pieces (pure, rng passed in)


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs split on blank lines, whitespace inside each collapsed; empty ones dropped."""
    return [" ".join(part.split()) for part in _BLANK.split(text) if part.strip()]


def _sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE.split(paragraph) if s]


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    return text[0].lower() + text[1:] if first in FUNCTION_WORDS else text


def _upper_first(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


def _reorder_clause(sentence: str) -> str | None:
    """Move an attribution or a subordinate clause to the other end of the sentence; None if no rule fits."""
    if match := _ATTRIBUTION.match(sentence):
        tail = match["tail"] or ""
        return f"{_upper_first(match['who'])} {match['verb']}{tail} that {_lower_first(match['body'])}."
    if match := _LEADING_CLAUSE.match(sentence):
        return f"{_upper_first(match['main'])} {match['conj'].lower()} {match['sub']}{match['end']}"
    if match := _TRAILING_CLAUSE.match(sentence):
        return f"{match['conj'].capitalize()} {match['sub']}, {_lower_first(match['main'])}{match['end']}"
    return None


def _swap_synonyms(text: str, rng: random.Random, rate: float) -> str:
    def replace(match: re.Match[str]) -> str:
        word = match.group(0)  # only lower-case words: "New York" must not become "Fresh York"
        swap = SYNONYMS.get(word) if word.islower() else None
        return word if swap is None or rng.random() >= rate else swap

    return _WORDS.sub(replace, text)


def paraphrase_lead(paragraph: str, rng: random.Random) -> str:
    """A light paraphrase: reorder a clause of the first sentence (or swap the first two sentences),
    then swap words from a small synonym table."""
    sentences = _sentences(paragraph)
    if not sentences:
        return paragraph
    reordered = _reorder_clause(sentences[0])
    if reordered is not None:
        sentences[0] = reordered
    elif len(sentences) >= 2:
        sentences[0], sentences[1] = sentences[1], sentences[0]
    return _swap_synonyms(" ".join(sentences), rng, rate=0.8)


def _edit_count(length: int, rate: float, rng: random.Random) -> int:
    expected = length * rate
    whole = int(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


def ocr_noise(text: str, rate: float, rng: random.Random) -> str:
    """Typos and OCR confusions at about ``rate`` edits per character: rn->m, m->rn, l<->1, O<->0, I->l,
    swapped neighbours and dropped letters. Only letters and digits are touched."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate}")
    positions = [i for i, char in enumerate(text) if char.isalnum()]
    count = min(len(positions), _edit_count(len(text), rate, rng))
    if count == 0:
        return text
    chars = list(text)
    for pos in sorted(rng.sample(positions, count), reverse=True):  # right to left keeps indices valid
        char, following = chars[pos], chars[pos + 1] if pos + 1 < len(chars) else ""
        if char == "r" and following == "n" and rng.random() < 0.7:
            chars[pos : pos + 2] = ["m"]
        elif char in OCR_CONFUSIONS and rng.random() < 0.7:
            chars[pos] = OCR_CONFUSIONS[char]
        elif following.isalpha() and rng.random() < 0.5:
            chars[pos], chars[pos + 1] = following, char
        elif len(chars) > 1:
            del chars[pos]
    noisy = " ".join("".join(chars).split())  # a dropped one-letter word must not leave double spaces
    return noisy or text


def _shorten(paragraph: str, rng: random.Random) -> str:
    sentences = _sentences(paragraph)
    if len(sentences) >= 2:
        return " ".join(sentences[:-1])
    words = paragraph.split(" ")
    if len(words) < 12:
        return paragraph
    return " ".join(words[: rng.randint(math.ceil(0.6 * len(words)), len(words) - 1)])


def _headline(text: str) -> str:
    sentences = _sentences(text)
    words = (sentences[0] if sentences else text).split(" ")[:12]
    return " ".join(words).rstrip(".,;:!?\"'”") or "Untitled"


def _change_headline(title: str, outlet: str, rng: random.Random) -> str:
    changed = _swap_synonyms(title, rng, rate=0.6)
    words = changed.split(" ")
    choice = rng.randrange(3)
    if choice == 0:
        changed = rng.choice(HEADLINE_PREFIXES) + changed
    elif choice == 1:
        changed = f"{changed} | {outlet}"
    elif len(words) > 6:
        changed = " ".join(words[: rng.randint(5, len(words) - 1)])
    return changed if changed != title else f"{rng.choice(HEADLINE_PREFIXES)}{title}"


# ---------------------------------------------------------------- articles as paragraph lists


@dataclass
class _Draft:
    key: str  # provisional id, replaced by an opaque one at the end
    role: str  # origin | copy | distractor
    title: str
    outlet: str
    published: datetime
    paragraphs: list[str]
    sources: list[str | None]  # provisional paragraph keys, None for boilerplate
    origin: str | None = None
    quotes: str | None = None
    source_article: str | None = None


def _boilerplate(outlet: str, author: str, year: int) -> dict[str, str]:
    return {
        "byline": f"By {author} | {outlet}",
        "share": f"Share this article: Facebook · Twitter · Email · {outlet}",
        "advert": "ADVERTISEMENT",
        "newsletter": f"Sign up for the {outlet} newsletter and get the day's top stories in your inbox.",
        "copyright": f"© {year} {outlet}. All rights reserved. This material may not be published, "
        "broadcast, rewritten or redistributed.",
    }


def _add_boilerplate(draft: _Draft, rate: float, rng: random.Random) -> None:
    if rate <= 0:
        return
    lines = _boilerplate(draft.outlet, rng.choice(AUTHORS), draft.published.year)
    body = list(zip(draft.paragraphs, draft.sources, strict=True))
    extra = {slot: rng.random() < rate for slot in ("byline", "share", "advert", "newsletter", "copyright")}
    if extra["advert"] and len(body) >= 3:
        body.insert(len(body) // 2 + 1, (lines["advert"], None))
    if extra["share"]:
        body.insert(1, (lines["share"], None))
    if extra["byline"]:
        body.insert(0, (lines["byline"], None))
    if extra["newsletter"]:
        body.append((lines["newsletter"], None))
    if extra["copyright"]:
        body.append((lines["copyright"], None))
    draft.paragraphs = [text for text, _ in body]
    draft.sources = [source for _, source in body]


def _kept_positions(count: int, noise: Noise, rng: random.Random) -> list[int]:
    """Which origin paragraphs a copy keeps: always the lead, never fewer than half."""
    floor = math.ceil(count / 2)
    end = rng.randint(floor, count) if rng.random() < noise.cut_tail else count
    kept = list(range(end))
    for pos in range(end - 1, 0, -1):
        if len(kept) > floor and rng.random() < noise.drop:
            kept.remove(pos)
    return kept


def _swap_some(items: list[Any], rng: random.Random) -> None:
    """Swap a few random pairs of non-lead items in place."""
    if len(items) < 3:
        return
    for _ in range(max(1, round(0.2 * len(items)))):
        first, second = rng.sample(range(1, len(items)), 2)
        items[first], items[second] = items[second], items[first]


def _make_copy(
    origin: _Draft, number: int, outlet: str, published: datetime, noise: Noise, rng: random.Random
) -> _Draft:
    content = [(p, s) for p, s in zip(origin.paragraphs, origin.sources, strict=True) if s is not None]
    kept = [content[pos] for pos in _kept_positions(len(content), noise, rng)]
    if rng.random() < noise.reorder:
        _swap_some(kept, rng)
    paragraphs, sources = [], []
    for index, (text, source) in enumerate(kept):
        if index == 0 and rng.random() < noise.lead_rewrite:
            text = paraphrase_lead(text, rng)
        elif index > 0 and rng.random() < noise.truncate:
            text = _shorten(text, rng)
        text = ocr_noise(text, noise.char_rate, rng) if noise.char_rate else text
        paragraphs.append(text)
        sources.append(source)
    title = _change_headline(origin.title, outlet, rng) if rng.random() < noise.headline else origin.title
    draft = _Draft(
        f"{origin.key}~copy{number}",
        "copy",
        title,
        outlet,
        published,
        paragraphs,
        sources,
        origin=origin.key,
        source_article=origin.source_article,
    )
    _add_boilerplate(draft, noise.boilerplate, rng)
    return draft


def _quote_position(origin: _Draft, rng: random.Random) -> int:
    content = [i for i, s in enumerate(origin.sources) if s is not None]
    quoted = [
        i
        for i in content
        if ('"' in origin.paragraphs[i] or "“" in origin.paragraphs[i]) and len(origin.paragraphs[i]) >= 40
    ]
    longer = [i for i in content if len(origin.paragraphs[i]) >= 40]
    return rng.choice(quoted or longer or content)


def _make_distractor(base: _Draft, origin: _Draft, plan: random.Random) -> _Draft:
    quote = _quote_position(origin, plan)
    at = plan.randint(1, len(base.paragraphs))
    base.paragraphs.insert(at, origin.paragraphs[quote])
    base.sources.insert(at, origin.sources[quote])
    base.role, base.quotes = "distractor", origin.key
    base.published = origin.published + timedelta(minutes=plan.randint(60, 14 * 24 * 60))
    return base


# ---------------------------------------------------------------- choosing independent source articles


def _eight_grams(paragraphs: Sequence[str]) -> list[str]:
    grams: list[str] = []
    for paragraph in paragraphs:
        words = paragraph.lower().split()
        grams.extend(" ".join(words[i : i + 8]) for i in range(len(words) - 7))
    return grams


def _independent(articles: Sequence[dict[str, Any]], wanted: int, rng: random.Random) -> list[int]:
    """Up to ``wanted`` article positions, in random order, no two sharing a paragraph or an 8-word run."""
    order = list(range(len(articles)))
    rng.shuffle(order)
    taken_paragraphs: set[str] = set()
    taken_grams: set[str] = set()
    chosen: list[int] = []
    for pos in order:
        paragraphs = _unique(split_paragraphs(str(articles[pos].get("text") or "")))
        if not paragraphs:
            continue
        lowered = [p.lower() for p in paragraphs]
        grams = _eight_grams(paragraphs)
        if any(p in taken_paragraphs for p in lowered) or any(g in taken_grams for g in grams):
            continue
        taken_paragraphs.update(lowered)
        taken_grams.update(grams)
        chosen.append(pos)
        if len(chosen) == wanted:
            break
    return chosen


def _unique(paragraphs: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for paragraph in paragraphs:
        if paragraph.lower() not in seen:
            seen.add(paragraph.lower())
            kept.append(paragraph)
    return kept


def _source_draft(article: dict[str, Any], key: str, outlet: str, published: datetime) -> _Draft:
    paragraphs = _unique(split_paragraphs(str(article["text"])))
    title = " ".join(str(article.get("title") or "").split()) or _headline(paragraphs[0])
    return _Draft(
        key,
        "origin",
        title,
        outlet,
        published,
        paragraphs,
        [f"{key}#{i}" for i in range(len(paragraphs))],
        source_article=str(article.get("id", key)),
    )


# ---------------------------------------------------------------- truth


def copy_pairs(truth: dict[str, Any]) -> list[tuple[str, str]]:
    """Article pairs (left < right) that are copies by definition: at least half of the shorter article's
    distinct non-boilerplate paragraph keys occur in the other. Found through an inverted index."""
    keys = {
        aid: sorted({k for k in info["paragraphs"] if k is not None})
        for aid, info in truth["articles"].items()
    }
    holders: dict[str, list[str]] = defaultdict(list)
    for aid in sorted(keys):
        for key in keys[aid]:
            holders[key].append(aid)
    shared: dict[tuple[str, str], int] = defaultdict(int)
    for ids in holders.values():
        for i, left in enumerate(ids):
            for right in ids[i + 1 :]:
                shared[(left, right)] += 1
    return sorted(
        pair for pair, count in shared.items() if 2 * count >= min(len(keys[pair[0]]), len(keys[pair[1]]))
    )


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _finish(drafts: list[_Draft], rng: random.Random) -> list[_Draft]:
    """Shuffle, then give opaque ids and rewrite every reference to them."""
    rng.shuffle(drafts)
    rename = {draft.key: f"a{index:05d}" for index, draft in enumerate(drafts)}

    def paragraph_key(key: str | None) -> str | None:
        if key is None:
            return None
        article, _, index = key.rpartition("#")
        return f"{rename[article]}#{index}"

    for draft in drafts:
        draft.key = rename[draft.key]
        draft.origin = rename[draft.origin] if draft.origin else None
        draft.quotes = rename[draft.quotes] if draft.quotes else None
        draft.sources = [paragraph_key(source) for source in draft.sources]
    return drafts


def generate(
    articles: Sequence[dict[str, Any]],
    n_origins: int,
    noise: str = "medium",
    seed: int = 0,
    distractor_rate: float = 0.2,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Build a syndicated corpus from real ``articles`` (dicts with ``id`` and ``text``, ``title`` optional).

    Returns the corpus (dicts with id, title, text, source, published) and the truth: ``articles`` maps each
    id to role (origin/copy/distractor), origin_id (None for origins and distractors), quotes (the origin a
    distractor quotes), published, source, source_article (the input id) and paragraph keys; ``copy_pairs``
    lists the pairs that are copies by definition. Same input, noise and seed give the same output.
    """
    if noise not in NOISE:
        raise ValueError(f"noise must be one of {', '.join(NOISE)}, got {noise!r}")
    if n_origins < 1:
        raise ValueError(f"n_origins must be at least 1, got {n_origins}")
    if not 0.0 <= distractor_rate <= 1.0:
        raise ValueError(f"distractor_rate must be in [0, 1], got {distractor_rate}")
    # ``plan`` draws everything but the noise (origins, copy counts, outlets, dates, quotes, ids), so the
    # four noise levels of one seed share one structure; each article's noise has its own stream.
    rates, plan = NOISE[noise], random.Random(seed)

    def noise_rng(draft_key: str) -> random.Random:
        return random.Random(f"{seed}/{draft_key}")

    n_distractors = round(n_origins * distractor_rate)
    chosen = _independent(articles, n_origins + n_distractors, plan)
    if len(chosen) < n_origins:
        raise ValueError(f"only {len(chosen)} independent articles with text; asked for {n_origins} origins")
    start = datetime(2015, 1, 1, tzinfo=UTC)
    origins = []
    for pos in chosen[:n_origins]:
        published = start + timedelta(minutes=plan.randint(0, 180 * 24 * 60))
        origins.append(_source_draft(articles[pos], f"o{pos}", plan.choice(OUTLETS), published))
    drafts: list[_Draft] = []
    for origin in origins:
        others = [outlet for outlet in OUTLETS if outlet != origin.outlet]
        for number, outlet in enumerate(plan.sample(others, plan.randint(0, MAX_COPIES))):
            published = origin.published + timedelta(minutes=plan.randint(20, 72 * 60))
            key = f"{origin.key}~copy{number}"
            drafts.append(_make_copy(origin, number, outlet, published, rates, noise_rng(key)))
    quotable = [o for o in origins if len(o.paragraphs) >= DISTRACTOR_MIN_PARAGRAPHS]
    for pos in chosen[n_origins:]:
        base = _source_draft(articles[pos], f"d{pos}", plan.choice(OUTLETS), start)
        if quotable and len(base.paragraphs) >= 2:
            drafts.append(_make_distractor(base, plan.choice(quotable), plan))
    drafts = origins + drafts
    for draft in drafts:
        if draft.role != "copy":  # copies got theirs in _make_copy
            _add_boilerplate(draft, rates.boilerplate, noise_rng(draft.key))
    drafts = _finish(drafts, plan)
    corpus = [
        {
            "id": d.key,
            "title": d.title,
            "text": "\n\n".join(d.paragraphs),
            "source": d.outlet,
            "published": _timestamp(d.published),
        }
        for d in drafts
    ]
    truth: dict[str, Any] = {
        "noise": noise,
        "seed": seed,
        "n_origins": n_origins,
        "articles": {
            d.key: {
                "role": d.role,
                "origin_id": d.origin,
                "quotes": d.quotes,
                "published": _timestamp(d.published),
                "source": d.outlet,
                "source_article": d.source_article,
                "paragraphs": d.sources,
            }
            for d in drafts
        },
    }
    truth["copy_pairs"] = [list(pair) for pair in copy_pairs(truth)]
    return corpus, truth


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="folder holding " + ARTICLES_FILE)
    parser.add_argument("--noise", choices=sorted(NOISE), default="medium")
    parser.add_argument("--n", type=int, default=200, help="number of origin articles")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--distractors", type=float, default=0.2, help="distractors per origin")
    parser.add_argument("--out", type=Path, default=Path("/tmp/synd.jsonl"))
    parser.add_argument("--truth", type=Path, default=None, help="default: <out stem>.truth.json")
    args = parser.parse_args(argv)
    folder = data_dir(args.data, required=[ARTICLES_FILE])
    if folder is None:
        return 0
    corpus, truth = generate(
        load_jsonl(folder / ARTICLES_FILE), args.n, args.noise, args.seed, args.distractors
    )
    truth_path = args.truth or args.out.with_name(args.out.stem + ".truth.json")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.out.with_name(f".{args.out.name}.tmp")
    with open(temporary, "w", encoding="utf-8") as out:
        for record in corpus:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    temporary.replace(args.out)
    write_json_atomic(truth_path, truth)
    roles = defaultdict(int)
    for info in truth["articles"].values():
        roles[info["role"]] += 1
    print(
        f"{len(corpus)} articles ({', '.join(f'{n} {r}s' for r, n in sorted(roles.items()))}), "
        f"{len(truth['copy_pairs'])} copy pairs, noise={args.noise} seed={args.seed}"
    )
    print(f"corpus: {args.out}\ntruth:  {truth_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
