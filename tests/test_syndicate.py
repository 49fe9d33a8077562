"""Tests for benchmarks/syndicate.py (and the helpers it uses from benchmarks/common.py)."""

from __future__ import annotations

import difflib
import json
import math
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.common import data_dir, load_jsonl, write_result
from benchmarks.syndicate import (
    NOISE,
    copy_pairs,
    generate,
    main,
    ocr_noise,
    paraphrase_lead,
    split_paragraphs,
)

PLACES = [
    ("bridge", "Lima", "Monday"),
    ("reservoir", "Oslo", "Tuesday"),
    ("stadium", "Perth", "Wednesday"),
    ("library", "Quito", "Thursday"),
    ("harbour", "Dakar", "Friday"),
    ("museum", "Hanoi", "Saturday"),
    ("airport", "Tbilisi", "Sunday"),
    ("tunnel", "Bergen", "Monday"),
]


def hand_article(number: int, noun: str, city: str, day: str, paragraphs: int = 6) -> dict[str, Any]:
    """A small article whose words are unique to its (noun, city), so no two share an 8-word run."""
    lines = [
        f"The {noun} in {city} closed after rain flooded {city} streets, the mayor said {day}.",
        f"Engineers from {city} inspected the {noun} twice and found cracks near its base.",
        f'"We will reopen the {noun} as soon as it is safe," a {city} spokesperson told reporters.',
        f"Traffic around {city} slowed as drivers avoided the {noun} for most of the week.",
        f"Officials in {city} expect repairs to the {noun} to cost many millions.",
        f"Residents of {city} said the {noun} had needed work for years.",
        f"A local group in {city} has started a {noun} fund to help rebuild it.",
    ]
    return {"id": f"hand-{number}", "text": "\n\n".join(lines[:paragraphs])}


ARTICLES = [hand_article(i, *place) for i, place in enumerate(PLACES)]


def by_id(corpus: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {article["id"]: article for article in corpus}


def keyed_paragraphs(corpus: list[dict[str, Any]], truth: dict[str, Any]) -> dict[str, str]:
    """Paragraph key -> the text of that paragraph in the origin (or distractor) that owns the key."""
    owned = {}
    for article in corpus:
        for text, key in zip(
            article["text"].split("\n\n"), truth["articles"][article["id"]]["paragraphs"], strict=True
        ):
            if key is not None and key.startswith(article["id"] + "#"):
                owned[key] = text
    return owned


def test_split_paragraphs_collapses_whitespace_and_skips_empty() -> None:
    assert split_paragraphs("One\nline  two.\n\n\n  \nThree.\n \n") == ["One line two.", "Three."]


def test_generate_is_deterministic_per_seed() -> None:
    first = generate(ARTICLES, 4, "medium", seed=3)
    assert first == generate(ARTICLES, 4, "medium", seed=3)
    assert first != generate(ARTICLES, 4, "medium", seed=4)


@pytest.mark.parametrize("noise", sorted(NOISE))
def test_truth_lines_up_with_the_corpus(noise: str) -> None:
    corpus, truth = generate(ARTICLES, 4, noise, seed=1, distractor_rate=1.0)
    assert [a["id"] for a in corpus] and set(truth["articles"]) == {a["id"] for a in corpus}
    for article in corpus:
        assert set(article) == {"id", "title", "text", "source", "published"}
        assert re.fullmatch(r"a\d{5}", article["id"])
        info = truth["articles"][article["id"]]
        paragraphs = article["text"].split("\n\n")
        assert len(paragraphs) == len(info["paragraphs"])
        assert all(p and p == " ".join(p.split()) for p in paragraphs)
        assert info["published"] == article["published"] and info["source"] == article["source"]
    roles = [info["role"] for info in truth["articles"].values()]
    assert roles.count("origin") == 4


@pytest.mark.parametrize("noise", sorted(NOISE))
def test_copies_keep_at_least_half_of_their_origin_and_come_later(noise: str) -> None:
    corpus, truth = generate(ARTICLES, 5, noise, seed=2)
    articles = truth["articles"]
    copies = [aid for aid, info in articles.items() if info["role"] == "copy"]
    assert copies, "seed 2 should give some copies"
    for aid in copies:
        info = articles[aid]
        origin = articles[info["origin_id"]]
        assert origin["role"] == "origin" and origin["published"] < info["published"]
        assert info["source"] != origin["source"]
        origin_keys = [k for k in origin["paragraphs"] if k is not None]
        copy_keys = [k for k in info["paragraphs"] if k is not None]
        assert set(copy_keys) <= set(origin_keys) and len(set(copy_keys)) == len(copy_keys)
        assert len(copy_keys) >= math.ceil(len(origin_keys) / 2)
        assert copy_keys[0] == origin_keys[0]  # the lead stays first
        assert tuple(sorted((aid, info["origin_id"]))) in {tuple(p) for p in truth["copy_pairs"]}


def test_clean_copies_are_verbatim_and_have_no_boilerplate() -> None:
    corpus, truth = generate(ARTICLES, 5, "clean", seed=2)
    texts = by_id(corpus)
    for aid, info in truth["articles"].items():
        assert None not in info["paragraphs"]
        if info["role"] == "copy":
            assert texts[aid]["text"] == texts[info["origin_id"]]["text"]
            assert texts[aid]["title"] == texts[info["origin_id"]]["title"]


def test_heavy_copies_are_noisy_but_close_to_their_source_paragraphs() -> None:
    corpus, truth = generate(ARTICLES, 5, "heavy", seed=2)
    owned = keyed_paragraphs(corpus, truth)
    changed = 0
    boilerplate = 0
    for article in corpus:
        info = truth["articles"][article["id"]]
        for text, key in zip(article["text"].split("\n\n"), info["paragraphs"], strict=True):
            if key is None:
                boilerplate += 1
            elif info["role"] == "copy":
                changed += text != owned[key]
                # heavy truncation keeps >= 60% of a one-sentence paragraph, so it stays recognisable
                assert difflib.SequenceMatcher(None, text, owned[key]).ratio() > 0.5, (text, owned[key])
    assert changed > 0 and boilerplate > 0


def test_distractors_quote_one_paragraph_and_are_copies_of_nothing() -> None:
    corpus, truth = generate(ARTICLES, 3, "light", seed=5, distractor_rate=1.0)
    articles = truth["articles"]
    distractors = [aid for aid, info in articles.items() if info["role"] == "distractor"]
    assert distractors
    paired = {aid for pair in truth["copy_pairs"] for aid in pair}
    owned = keyed_paragraphs(corpus, truth)
    texts = by_id(corpus)
    for aid in distractors:
        info = articles[aid]
        assert info["origin_id"] is None and articles[info["quotes"]]["role"] == "origin"
        foreign = [k for k in info["paragraphs"] if k is not None and not k.startswith(aid + "#")]
        assert len(foreign) == 1 and foreign[0].startswith(info["quotes"] + "#")
        assert owned[foreign[0]] in texts[aid]["text"].split("\n\n")  # quoted verbatim
        assert info["published"] > articles[info["quotes"]]["published"]
        assert aid not in paired


def test_noise_levels_share_one_structure() -> None:
    def structure(noise: str) -> dict[str, tuple]:
        _, truth = generate(ARTICLES, 5, noise, seed=9)
        return {
            aid: (i["role"], i["origin_id"], i["published"], i["source"])
            for aid, i in truth["articles"].items()
        }

    assert structure("clean") == structure("light") == structure("heavy")


def test_copy_pairs_follow_the_half_of_the_shorter_rule() -> None:
    truth = {
        "articles": {
            "X": {"paragraphs": ["a#0", "a#1", "a#2", "a#3"]},
            "Y": {"paragraphs": ["a#0", None, "a#1"]},  # shares 2 with X; shorter has 2 -> copy
            "Z": {"paragraphs": ["a#0", "z#0", "z#1"]},  # 1 of min(4, 3) with X -> no; 1 of 2 with Y -> yes
        }
    }
    assert copy_pairs(truth) == [("X", "Y"), ("Y", "Z")]


def test_ocr_noise_rates() -> None:
    text = "The modern harbour in Dakar reopened on Friday after a long illness of the old crane."
    assert ocr_noise(text, 0.0, random.Random(1)) == text
    noisy = ocr_noise(text, 0.05, random.Random(1))
    assert noisy != text and noisy == ocr_noise(text, 0.05, random.Random(1))
    assert difflib.SequenceMatcher(None, noisy, text).ratio() > 0.8
    with pytest.raises(ValueError):
        ocr_noise(text, 1.5, random.Random(1))


def test_paraphrase_lead_moves_the_attribution_to_the_front() -> None:
    lead = (
        "A small meteorite crashed into a wooded area overnight, the government said Sunday. Nobody was hurt."
    )
    rewritten = paraphrase_lead(lead, random.Random(0))
    assert rewritten.startswith("The government s")  # "said" or its synonym "stated"
    assert "Sunday that a " in rewritten and "meteorite crashed into a wooded area overnight." in rewritten
    assert rewritten.endswith("Nobody was hurt.")


def test_paraphrase_lead_swaps_sentences_when_no_clause_rule_fits() -> None:
    assert paraphrase_lead("Rain fell. Rivers rose.", random.Random(0)) == "Rivers rose. Rain fell."


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_origins": 2, "noise": "extreme"}, "noise"),
        ({"n_origins": 0}, "n_origins"),
        ({"n_origins": 50}, "independent"),
        ({"n_origins": 2, "distractor_rate": 2.0}, "distractor_rate"),
    ],
)
def test_generate_rejects_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(ARTICLES, **kwargs)


def test_articles_sharing_text_are_not_both_used() -> None:
    twin = dict(ARTICLES[0], id="twin")  # a real-world syndicated pair in the source corpus
    _, truth = generate([ARTICLES[0], twin], 1, "clean", seed=0)
    assert [i["source_article"] for i in truth["articles"].values() if i["role"] == "origin"] in (
        ["hand-0"],
        ["twin"],
    )
    with pytest.raises(ValueError, match="independent"):
        generate([ARTICLES[0], twin], 2, "clean", seed=0)


def test_cli_writes_corpus_and_truth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "fnc1_unlabelled_articles.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ARTICLES))
    out = tmp_path / "synd.jsonl"
    assert main(["--data", str(data), "--noise", "light", "--n", "4", "--seed", "1", "--out", str(out)]) == 0
    corpus = load_jsonl(out)
    truth = json.loads((tmp_path / "synd.truth.json").read_text())
    assert (corpus, truth) == tuple(json.loads(json.dumps(x)) for x in generate(ARTICLES, 4, "light", seed=1))
    assert "copy pairs" in capsys.readouterr().out


def test_cli_skips_cleanly_without_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(tmp_path), "--out", str(tmp_path / "x.jsonl")]) == 0
    assert "SKIP" in capsys.readouterr().out and not (tmp_path / "x.jsonl").exists()


def test_data_dir_reports_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert data_dir(tmp_path / "nowhere") is None
    assert "not found" in capsys.readouterr().out
    assert data_dir(tmp_path) == tmp_path.resolve()


def test_write_result_stores_figures_with_provenance(tmp_path: Path) -> None:
    path = write_result("demo", {"ari": np.float32(0.5), "n": np.int64(3), "rows": np.arange(2)}, tmp_path)
    record = json.loads(path.read_text())
    assert path == tmp_path / "demo.json"
    assert record["figures"] == {"ari": 0.5, "n": 3, "rows": [0, 1]}
    assert set(record) == {"name", "date", "machine", "git_commit", "figures"}
    assert record["machine"]["cpu_count"] >= 1 and record["git_commit"]
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    with pytest.raises(ValueError):
        write_result("../escape", {}, tmp_path)
