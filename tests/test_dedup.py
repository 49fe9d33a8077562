"""The deduplicated corpus: keep policies, paragraph level, boilerplate, the removed list, the written records.

A tiny JSONL corpus with planted copies runs through the real pipeline with the exact-text fake encoder, so
the copy groups are known: c2 is an exact duplicate of w1, c1 is w1 plus one paragraph, u quotes one wire
paragraph inside its own story.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import cluster.runner
from cli.app import app
from cli.options import KeepChoice, LevelChoice
from cluster import dedup
from cluster.ingest import read_corpus
from cluster.pipeline import run
from cluster.schemas import REMOVED
from cluster.store import write_run

P1 = "Storm Ava hit the northern coast on Monday, cutting power to 40,000 homes across the region, officials said."
P2 = "Emergency crews worked through the night to clear fallen trees from the main coastal road near the harbour."
P3 = "The weather service expects the winds to ease by Wednesday, though heavy rain may still cause local flooding."
X1 = "In the port town of Wick, the only school stayed closed on Tuesday while engineers checked its damaged roof."
U1 = "The town council approved a new budget for the public library on Thursday after a long and heated debate."
U2 = "Library staff said the money would pay for longer opening hours and a new reading room for young children."

RECORDS = [  # reading order: c2, c1, w1, u
    {"id": "c2", "text": f"{P1}\n\n{P2}\n\n{P3}", "source": "Copycat"},  # undated exact copy of w1
    {"id": "c1", "text": f"{P1}\n\n{P2}\n\n{P3}\n\n{X1}", "source": "Paper", "published": "2020-01-01T12:00:00Z"},
    {"id": "w1", "text": f"{P1}\n\n{P2}\n\n{P3}", "source": "Wire", "published": "2020-01-01T10:00:00Z"},
    {"id": "u", "text": f"{U1}\n\n{U2}\n\n{P1}\n\nAdvertisement", "source": "Local",
     "published": "2019-12-31T09:00:00Z", "section": "town", "tags": ["council", "library"]},
]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    return path


@pytest.fixture
def tables(corpus: Path, fake_encoder: object) -> dedup.RunTables:
    result = run(read_corpus([corpus]).documents, fake_encoder)  # type: ignore[arg-type]
    t = result.tables()
    return dedup.RunTables(t["documents"], t["paragraphs"], t["copies"], t["pairs"])


def _kept(plan: dedup.Plan) -> list[str]:
    return plan.articles.filter(pl.col("kept"))["id"].to_list()


def _removed(plan: dedup.Plan, level: str = "article") -> dict[str, tuple[str, str | None, str | None]]:
    rows = plan.removed.filter(pl.col("level") == level)
    return {f"{r['id']}@{r['position']}" if level == "paragraph" else r["id"]:
            (r["reason"], r["duplicate_of"], r["relation"]) for r in rows.iter_rows(named=True)}


@pytest.mark.parametrize(
    ("keep", "kept", "removed"),
    [
        # origin: the article no other copies from (w1), then the unrelated one
        ("origin", ["w1", "u"], {"c2": ("exact_duplicate", "w1", "exact"), "c1": ("copy", "w1", "copy")}),
        ("earliest", ["w1", "u"], {"c2": ("exact_duplicate", "w1", "exact"), "c1": ("copy", "w1", "copy")}),
        # longest: c1 holds the most text; both others copy it
        ("longest", ["c1", "u"], {"c2": ("copy", "c1", "copy"), "w1": ("copy", "c1", "copy")}),
        # first: reading order, the undated c2 comes first
        ("first", ["c2", "u"], {"c1": ("copy", "c2", "copy"), "w1": ("exact_duplicate", "c2", "exact")}),
    ],
)
def test_each_keep_policy_keeps_its_article_of_the_copy_group(
    tables: dedup.RunTables, keep: str, kept: list[str], removed: dict[str, tuple[str, str, str]]
) -> None:
    plan = tables.plan(dedup.Keep(keep), dedup.Level.article, False)
    assert sorted(_kept(plan)) == sorted(kept)
    assert _removed(plan) == removed
    assert plan.removed.schema == REMOVED


def test_every_copy_group_keeps_one_article_and_no_kept_article_copies_another(tables: dedup.RunTables) -> None:
    copies = tables.copies.select("id_a", "id_b").rows()
    group = {i: i for pair in copies for i in pair}  # union-find over the copy pairs: the copy groups

    def root(i: str) -> str:
        while group[i] != i:
            i = group[i]
        return i

    for a, b in copies:
        group[root(a)] = root(b)
    groups = {root(i) for i in group}
    assert len(groups) == 1  # c1, c2, w1
    for keep in dedup.Keep:
        for level in dedup.Level:
            kept = set(_kept(tables.plan(keep, level, True)))
            assert not [p for p in copies if set(p) <= kept], (keep, level)
            assert {root(i) for i in kept if i in group} == groups, (keep, level)


def test_paragraph_level_drops_wire_text_an_earlier_kept_article_holds(tables: dedup.RunTables) -> None:
    plan = tables.plan(dedup.Keep.earliest, dedup.Level.paragraph, False)
    # u (2019) is kept before w1 and already holds P1: w1 keeps only P2 and P3
    assert _removed(plan, "paragraph") == {"w1@0": ("repeated_passage", "u", "exact")}
    text = plan.articles.filter(pl.col("id") == "w1")["text"].item()
    assert text == f"{P2}\n\n{P3}"
    assert plan.articles.filter(pl.col("id") == "u")["text"].item() is None  # untouched: the original is written
    assert plan.summary.removed == {"exact_duplicate": 1, "copy": 1, "repeated_passage": 1}


def test_strip_boilerplate_removes_flagged_lines_with_their_reason(tables: dedup.RunTables) -> None:
    plan = tables.plan(dedup.Keep.origin, dedup.Level.article, True)
    assert _removed(plan, "paragraph") == {"u@3": ("boilerplate", None, "template")}
    assert plan.articles.filter(pl.col("id") == "u")["text"].item() == f"{U1}\n\n{U2}\n\n{P1}"


def test_summary_counts_articles_paragraphs_and_characters(tables: dedup.RunTables) -> None:
    s = tables.plan(dedup.Keep.origin, dedup.Level.article, False).summary
    assert (s.articles, s.articles_kept, s.paragraphs, s.paragraphs_kept) == (4, 2, 14, 7)
    assert s.chars_kept < s.chars
    assert s.line().startswith("kept 2 of 4 articles, 7 of 14 paragraphs")


def test_an_undated_article_has_a_defined_place_in_every_order(tables: dedup.RunTables) -> None:
    for keep in dedup.Keep:
        order = dedup.keep_order(tables.documents, tables.paragraphs, keep)
        assert sorted(order["priority"].to_list()) == [0, 1, 2, 3]
    earliest = dedup.keep_order(tables.documents, tables.paragraphs, dedup.Keep.earliest).sort("priority")
    assert earliest["doc_id"].to_list()[-1] == 0  # c2 has no date: after every dated article


def test_kept_records_keep_every_input_field_in_input_order(tables: dedup.RunTables, tmp_path: Path) -> None:
    plan = tables.plan(dedup.Keep.earliest, dedup.Level.paragraph, True)
    out = tmp_path / "clean.jsonl"
    assert dedup.write_clean(plan, out) == 2
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["w1", "u"]  # input order, not keep order
    assert rows[0] == {**RECORDS[2], "text": f"{P2}\n\n{P3}"}
    assert rows[1] == {**RECORDS[3], "text": f"{U1}\n\n{U2}\n\n{P1}"}  # u holds P1 first; the ad is stripped
    first = out.read_bytes()
    dedup.write_clean(plan, out)
    assert out.read_bytes() == first  # byte-identical re-run


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_csv_and_parquet_outputs_hold_the_same_records(tables: dedup.RunTables, tmp_path: Path, suffix: str) -> None:
    plan = tables.plan(dedup.Keep.origin, dedup.Level.article, False)
    out = tmp_path / f"clean{suffix}"
    assert dedup.write_clean(plan, out) == 2
    frame = pl.read_csv(out) if suffix == ".csv" else pl.read_parquet(out)
    assert frame["id"].to_list() == ["w1", "u"]
    assert set(frame.columns) == {"id", "text", "source", "published", "section", "tags"}
    assert frame["text"].to_list() == [RECORDS[2]["text"], RECORDS[3]["text"]]


def test_a_failed_write_leaves_the_previous_output_whole(tables: dedup.RunTables, corpus: Path, tmp_path: Path) -> None:
    plan = tables.plan(dedup.Keep.origin, dedup.Level.article, False)
    out = tmp_path / "clean.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    corpus.write_text(json.dumps({"id": "other", "text": "changed"}) + "\n", encoding="utf-8")
    with pytest.raises(Exception, match="changed since|no longer found"):
        dedup.write_clean(plan, out)
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_removed_file_lists_reasons_and_what_each_duplicates(tables: dedup.RunTables, tmp_path: Path) -> None:
    plan = tables.plan(dedup.Keep.origin, dedup.Level.paragraph, True)
    dedup.write_removed(plan, tmp_path / "removed.jsonl")
    rows = [json.loads(x) for x in (tmp_path / "removed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(r["id"], r["level"], r["reason"]) for r in rows} == {
        ("c2", "article", "exact_duplicate"), ("c1", "article", "copy"),
        ("w1", "paragraph", "repeated_passage"), ("u", "paragraph", "boilerplate"),
    }
    copy = next(r for r in rows if r["id"] == "c1")
    assert copy["duplicate_of"] == "w1" and copy["score"] == 0.75  # 3 of c1's 4 paragraphs are in w1
    assert copy["file"].endswith("corpus.jsonl") and copy["line"] == 2


def test_cli_choices_match_the_library() -> None:
    assert [c.value for c in KeepChoice] == [k.value for k in dedup.Keep]
    assert [c.value for c in LevelChoice] == [v.value for v in dedup.Level]


def test_cli_dedup_from_a_corpus_and_from_results(
    corpus: Path, tmp_path: Path, fake_encoder: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster.runner, "load_encoder", lambda model=None, *a, **k: fake_encoder)
    runner = CliRunner()
    out, removed = tmp_path / "clean.jsonl", tmp_path / "removed.csv"
    done = runner.invoke(app, ["dedup", str(corpus), "--out", str(out), "--removed", str(removed),
                               "--tables", str(tmp_path / "results")])
    assert done.exit_code == 0, done.output
    assert "Kept 2 of 4 articles" in done.output
    assert [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()] == ["w1", "u"]
    assert pl.read_csv(removed)["reason"].to_list() == ["exact_duplicate", "copy"]
    again = runner.invoke(app, ["dedup", "--results", str(tmp_path / "results"), "--out", str(tmp_path / "b.jsonl")])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "b.jsonl").read_bytes() == out.read_bytes()


def test_cli_dedup_refuses_unclear_input_in_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    none = runner.invoke(app, ["dedup", "--out", str(tmp_path / "x.jsonl")])
    assert none.exit_code == 1 and none.output.strip() == "Error: give exactly one of CORPUS, --results or --index"
    bad = runner.invoke(app, ["dedup", "--results", str(tmp_path), "--out", str(tmp_path / "x.txt")])
    assert bad.exit_code == 1 and "must end in .jsonl" in bad.output
    missing = runner.invoke(app, ["dedup", "--results", str(tmp_path), "--out", str(tmp_path / "x.jsonl")])
    assert missing.exit_code == 1 and "no complete run" in missing.output


def test_results_written_by_run_carry_columns_and_workdir(tables: dedup.RunTables, tmp_path: Path) -> None:
    write_run(tmp_path, {"documents": tables.documents, "paragraphs": tables.paragraphs, "copies": tables.copies,
                         "pairs": tables.pairs}, {"columns": {"text": "body"}, "workdir": "/data"})
    found = dedup.results_tables(tmp_path)
    assert found.columns == {"text": "body"} and found.workdir == Path("/data")
