"""Known-answer tests of dates (cluster.contradictions.dates)."""

from __future__ import annotations

from cluster.contradictions import (
    detail_conflicts,
)


def kinds(a: str, b: str) -> list[str]:
    return [c.kind for c in detail_conflicts(a, b)]


def _flags(a: str, b: str) -> list[str]:
    """Kinds the contradictions table would report (score >= 0.5, its default ``min_score``)."""
    return [c.kind for c in detail_conflicts(a, b) if c.score >= 0.5]


def test_date_conflict_weekdays() -> None:
    found = detail_conflicts(
        "The protest took place on Tuesday in the capital.",
        "The protest took place on Thursday in the capital.",
    )
    assert [c.kind for c in found] == ["date"]
    assert (found[0].span_a.text, found[0].span_b.text) == ("Tuesday", "Thursday")


def test_same_date_is_no_conflict() -> None:
    assert kinds("The vote was held on March 3 in Ohio.", "The vote was held on 3 March in Ohio.") == []


def test_dates_of_different_events_do_not_conflict() -> None:
    a = "But Lavrov, after his meeting with Kerry, announced on Tuesday the Syria group meeting would take place."
    b = "Lavrov said the Syria group, which brings together 17 countries, would meet in New York on Friday."
    assert kinds(a, b) == []
    # the same event on two days still conflicts
    assert kinds(
        "The quake struck at 4:12 a.m. local time on Thursday.", "The quake hit at 4:12 a.m. local time on Wednesday."
    ) == ["date"]


def test_datelines_and_dates_of_statements_do_not_conflict() -> None:
    adopted = "Kirchner announced on Dec. 23 that she had adopted the boy as her godson."
    assert _flags("BUENOS AIRES, Dec. 29 (UPI) -- Kirchner adopted the boy as her godson.", adopted) == []
    said = "A White House spokesman said on Tuesday that the ISIS commander was wounded in the strike."
    assert _flags(said, "Iraqi officials said Sunday that the ISIS commander was wounded in the strike.") == []
    tweet = "Earlier Saturday, Trump announced on Twitter that he would decide on the Paris accord."
    assert _flags(tweet, "Axios reported on Sunday that Trump had decided on the Paris accord.") == []
    video = "On Aug. 20, the group released a video showing the killing of Foley."
    assert _flags(video, "The group released a video showing the killing of Foley on Aug. 19.") == ["date"]


def test_a_birth_date_is_not_the_date_of_another_event() -> None:
    from cluster.contradictions.dates import date_conflicts

    born = "Macaulay Culkin was born on August 26, 1980 in New York."
    died = "At about 11 a.m. ET on Thursday (November 06, 2014), our beloved actor Macaulay Culkin passed away."
    assert date_conflicts(born, died) == []
    assert [c.kind for c in date_conflicts(born, born.replace("26", "28"))] == ["date"]
