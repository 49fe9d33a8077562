from pathlib import Path

import polars as pl
import pytest

from cluster.paragraphs import BoilerplateParams, flag_boilerplate, split_paragraphs, split_text, template_reason

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_e22a757215c468e7.txt"


def docs(*texts: str) -> pl.DataFrame:
    return pl.DataFrame({"doc_id": range(len(texts)), "id": [f"d{i}" for i in range(len(texts))], "text": texts})


def test_split_on_blank_lines_and_join_wrapped_lines() -> None:
    assert split_text("One line\nwrapped here.\n\n  \nSecond para.\n") == ["One line wrapped here.", "Second para."]


def test_split_on_single_newlines_when_there_are_no_blank_lines() -> None:
    assert split_text("First.\nSecond.\r\nThird.") == ["First.", "Second.", "Third."]


def test_long_paragraph_becomes_sentence_windows() -> None:
    sentence = "The council voted on the plan again today. "
    parts = split_text(sentence * 40, max_chars=500, window_chars=200)
    assert len(parts) > 1
    assert all(len(p) <= 200 for p in parts)
    assert all(p.endswith("today.") for p in parts)
    assert " ".join(parts) == (sentence * 40).strip()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Advertisement", "template"),
        ("Share", "template"),
        ("Share this article", "template"),
        ("Sign up for our daily newsletter and get the top stories in your inbox.", "template"),
        ("© 2015 Daily Globe. All rights reserved.", "template"),
        ("Reporting by Jane Doe; Editing by John Roe", "template"),
        ("By Jane Doe, Staff Writer", "template"),
        ("KERRY PUTIN RUSSIA", "tag_line"),
        ("More on this", "fragment"),
        ("—", "empty"),
        ("Kerry in Moscow to push Syrian peace plan", None),
        ("At least 12 people died, officials said.", None),
        ("By the end of the day, 40 people had been rescued from the rubble.", None),
    ],
)
def test_template_reason(text: str, reason: str | None) -> None:
    assert template_reason(text) == reason


def test_seed_article_alone_flags_its_scraper_debris() -> None:
    paragraphs = flag_boilerplate(split_paragraphs(docs(SEED.read_text(encoding="utf-8"))))
    flagged = paragraphs.filter(pl.col("is_boilerplate"))["text"].to_list()
    assert flagged == ["Share", "Advertisement", "Advertisement", "KERRY PUTIN RUSSIA"]
    assert paragraphs.height == 21


def test_line_repeated_across_unrelated_articles_is_boilerplate_but_wire_copy_is_not() -> None:
    footer = "Our journalism depends on readers like you, so please consider supporting the paper today."
    wire = [
        "The river burst its banks overnight and flooded the lower town, forcing hundreds of families out.",
        "Emergency crews used boats to reach residents trapped on the upper floors of their homes near the bank.",
        "The mayor said the clean-up would take weeks and asked volunteers to register at the town hall first.",
    ]
    unrelated = [
        f"Story {i} is about topic number {i}, which has nothing to do with any of the other stories at all here."
        for i in range(5)
    ]
    texts = [f"{u}\n\n{footer}" for u in unrelated] + ["\n\n".join(wire)] * 4
    paragraphs = flag_boilerplate(split_paragraphs(docs(*texts)), BoilerplateParams(min_docs=4))
    reasons = dict(zip(paragraphs["text"], paragraphs["boilerplate_reason"], strict=False))
    assert reasons[footer] == "repeated"
    assert all(reasons[w] is None for w in wire)


def test_wire_lead_is_not_boilerplate_when_copies_carry_its_body_with_typos() -> None:
    lead = "The river burst its banks overnight and flooded the lower town, forcing hundreds of families out."
    body = ("Emergency crews used boats to reach residents trapped on the upper floors of their homes near the "
            "bank, and the mayor said the clean-up would take weeks and asked volunteers to register at the hall.")
    typos = [body, body.replace("boats", "boast"), body.replace("mayor", "rnayor"), body.replace("weeks", "weks")]
    paragraphs = flag_boilerplate(split_paragraphs(docs(*[f"{lead}\n\n{b}" for b in typos])))
    assert paragraphs.filter(pl.col("text") == lead)["is_boilerplate"].to_list() == [False] * 4


def test_short_wire_item_beside_a_share_bar_is_not_boilerplate() -> None:
    item = "Nigeria has reached a ceasefire deal that will include the release of kidnapped Nigerian schoolgirls."
    share = "Share this article: Facebook · Twitter · Email"
    others = ["Parliament passed the budget after a night of debate.", "A new bridge opened to traffic in the north.",
              "Local bakers won three prizes at the regional fair.", "The museum will close for repairs in spring.",
              "Heavy snow delayed trains across the valley on Friday.", "The city zoo welcomed twin panda cubs."]
    texts = [f"{item}\n\n{share}"] * 5 + [f"{o}\n\n{share}" for o in others]
    paragraphs = flag_boilerplate(split_paragraphs(docs(*texts)))
    reasons = dict(zip(paragraphs["text"], paragraphs["boilerplate_reason"], strict=False))
    assert reasons[item] is None
    assert reasons[share] == "repeated"


def test_boilerplate_params_reject_bad_values() -> None:
    with pytest.raises(ValueError, match="min_docs"):
        BoilerplateParams(min_docs=1)


def test_short_wire_item_copied_whole_is_not_boilerplate() -> None:
    item = "Police closed the coastal road after a landslide buried two cars near the harbour early on Sunday."
    paragraphs = flag_boilerplate(split_paragraphs(docs(*[f"Advertisement\n\n{item}"] * 5)))
    assert paragraphs.filter(pl.col("text") == item)["is_boilerplate"].to_list() == [False] * 5
