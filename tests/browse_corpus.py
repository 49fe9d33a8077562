"""Results folders for the report tests: the demo corpus and a hostile one, analysed with the fake encoder."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import FakeEncoder

from cluster.runner import RunOptions, run_corpus

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

# Untrusted scraped text: markup that would run if a page put it in unescaped.
SCRIPT = "<script>window.__xss = 1</script>"
IMG = '<img src=x onerror="window.__xss = 2">'
LINK = '<a href="javascript:window.__xss = 3">click me</a>'
SVG = "<svg onload=window.__xss=4>"
WIRE = (
    f"Officials said the bridge {SCRIPT} would reopen on Monday after repairs costing 3 million dollars.\n\n"
    f"Engineers found cracks {IMG} in two of the pillars during a routine inspection last month.\n\n"
    f"Residents can read the full inspection report online {LINK} from Tuesday."
)
HOSTILE = [
    {"id": "wire-1", "title": f"Bridge reopens {SCRIPT}", "source": f"Wire {SVG}", "url": "javascript:window.__xss=5",
     "published": "2024-05-01T08:00:00Z", "text": WIRE},
    {"id": "paper-1", "title": f"Bridge to reopen {IMG}", "source": "Paper </title><script>window.__xss=6</script>",
     "url": "https://paper.example/bridge", "published": "2024-05-01T10:00:00Z",
     "text": WIRE + f"\n\nThe mayor welcomed the news {SCRIPT.replace('1', '7')} in a statement."},
    {"id": "<b>blog</b>", "title": "$x^2$ & friends", "source": "$Blog$", "url": "data:text/html,<script>x</script>",
     "published": "2024-05-02T10:00:00Z", "text": WIRE.replace("Monday", "Sunday")},
]


def analyse(corpus: list[Path], out: Path) -> Path:
    run_corpus(RunOptions(paths=corpus, out=out, use_nli=False), encoder=FakeEncoder())
    return out


def hostile_results(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder / "hostile.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in HOSTILE), encoding="utf-8")
    return analyse([corpus], folder / "results")


def seed_results(folder: Path) -> Path:
    return analyse([SEEDS], folder / "results")
