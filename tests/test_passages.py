import numpy as np
import polars as pl
import pytest

from cluster import passages as passages_mod
from cluster.passages import assign_passages, char_overlap, pair_table, passage_scores, star_clusters


def edges(*triples: tuple[int, int, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, b, s = zip(*triples, strict=True)
    return np.array(a), np.array(b), np.array(s, dtype=np.float32)


def test_chain_does_not_join_its_far_ends() -> None:
    # 0≈1≈2≈3≈4≈5: each link 0.92, the ends far apart; plus a tight triangle 6,7,8
    chain = [(i, i + 1, 0.92) for i in range(5)]
    triangle = [(6, 7, 0.97), (6, 8, 0.96), (7, 8, 0.95)]
    centre, to_centre = star_clusters(9, *edges(*chain, *triangle), threshold=0.9)
    groups: dict[int, list[int]] = {}
    for node, c in enumerate(centre.tolist()):
        groups.setdefault(c, []).append(node)
    for members in groups.values():
        span = max(members) - min(members) if max(members) < 6 else 0
        assert span <= 2, f"chain members {members} joined beyond one hop of a centre"
    assert len({centre[6], centre[7], centre[8]}) == 1
    assert centre[0] != centre[5]


def test_each_member_is_within_threshold_of_its_centre() -> None:
    centre, to_centre = star_clusters(4, *edges((0, 1, 0.95), (1, 2, 0.91), (2, 3, 0.5)), threshold=0.9)
    assert centre.tolist() == [1, 1, 1, 3]
    assert to_centre.tolist() == pytest.approx([0.95, 1.0, 0.91, 1.0])


def test_edges_below_threshold_are_ignored_and_ties_are_deterministic() -> None:
    centre, _ = star_clusters(3, *edges((0, 1, 0.89), (1, 2, 0.95)), threshold=0.9)
    assert centre.tolist() == [0, 1, 1]
    again, _ = star_clusters(3, *edges((1, 2, 0.95), (0, 1, 0.89)), threshold=0.9)
    assert again.tolist() == centre.tolist()


def test_star_clusters_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="threshold"):
        star_clusters(2, *edges((0, 1, 0.9)), threshold=2.0)
    with pytest.raises(ValueError, match="out of range"):
        star_clusters(1, *edges((0, 1, 0.95)), threshold=0.9)


def paragraphs() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "para_id": [0, 1, 2, 3, 4, 5],
            "doc_id": [0, 0, 1, 1, 2, 2],
            "id": ["a", "a", "b", "b", "c", "c"],
            "text": ["Wire one.", "Share", "Wire one!", "Wire one, edited.", "Other.", "Share"],
            "hash": ["h1", "hs", "h1", "h2", "h3", "hs"],
            "is_boilerplate": [False, True, False, False, False, True],
            "text_id": [0, None, 0, 1, 2, None],
        }
    )


def test_passages_join_texts_of_one_centre_and_group_boilerplate_by_text() -> None:
    centre = np.array([0, 0, 2])
    out = assign_passages(paragraphs(), centre, np.array([1.0, 0.93, 1.0], dtype=np.float32))
    ids = out["passage_id"].to_list()
    assert ids[0] == ids[2] == ids[3]  # exact copy and edited copy of the wire paragraph
    assert ids[1] == ids[5] != ids[0]  # "Share" twice: one boilerplate passage
    assert ids[4] not in (ids[0], ids[1])
    assert ids == [0, 1, 0, 0, 2, 1]  # numbered in order of first appearance


def test_pair_table_names_the_relation() -> None:
    left, right, score = np.array([0, 0]), np.array([1, 2]), np.array([0.93, 0.8], dtype=np.float32)
    pairs = pair_table(paragraphs(), left, right, score, near_duplicate=0.9, paraphrase=0.85)
    rows = {(r["para_left"], r["para_right"]): r["relation"] for r in pairs.to_dicts()}
    assert rows == {(0, 2): "exact", (0, 3): "near_duplicate", (0, 4): "related"}
    assert pairs.filter(pl.col("relation") == "exact")["id_right"].to_list() == ["b"]


def test_char_containment_sees_through_typos_and_cut_endings() -> None:
    texts = [
        "The minister said the talks would resume in Geneva next week after a short pause.",
        "The rninister said the talks wou1d resume in Geneva next week",  # OCR noise and a cut ending
        "Officials in Lima reported heavy rain across the southern provinces on Monday.",
    ]
    contained, covered = char_overlap(texts, np.array([0, 0]), np.array([1, 2]))
    assert contained[0] >= 0.6 and covered[0] >= 0.6
    assert contained[1] < 0.2


def test_char_overlap_coverage_tells_a_quoted_phrase_from_a_copy() -> None:
    texts = [
        "At the war memorial in Ottawa a soldier has been shot.",
        "Reporter Katie Simpson was at the war memorial in Ottawa on Wednesday morning and saw passersby "
        "trying to help the soldier who had been shot while standing guard at the tomb.",
    ]
    contained, covered = char_overlap(texts, np.array([0]), np.array([1]))
    assert contained[0] >= 0.6  # most of the short line is in the long one...
    assert covered[0] < 0.4  # ...but it covers little of it
    scores = passage_scores(texts, np.array([0]), np.array([1]), np.array([0.7], np.float32), 0.9, 0.6, 0.4)
    assert scores[0] == pytest.approx(0.7)


def test_passage_scores_lift_only_contained_pairs_to_the_threshold() -> None:
    texts = ["alpha beta gamma delta epsilon", "alpha beta gamma delta", "zeta eta theta iota kappa"]
    left, right = np.array([0, 0, 1]), np.array([1, 2, 2])
    cosine = np.array([0.8, 0.8, 0.95], dtype=np.float32)
    scores = passage_scores(texts, left, right, cosine, threshold=0.9, min_containment=0.6)
    assert scores.tolist() == pytest.approx([0.9, 0.8, 0.95])


def _planted_texts() -> list[str]:
    """Copies with typos, cut endings, case and punctuation changes, short lines, an empty one, accents."""
    rng = np.random.default_rng(7)
    base = [
        "The minister said the talks would resume in Geneva next week after a short pause.",
        "Officials in Lima reported heavy rain across the southern provinces on Monday.",
        "Zoë Ångström, the café's owner, said crème brûlée sales doubled — «incroyable».",
        "At the war memorial in Ottawa a soldier has been shot.",
    ]
    texts = list(base)
    for text in base:
        chars = list(text)
        for k in rng.choice(len(chars), 4, replace=False):
            chars[k] = "xq1 "[int(k) % 4]
        texts += ["".join(chars), text[: len(text) // 2], text.upper() + "!!", f"Reporter: {text} More to follow."]
    return texts + ["Ok", "ok.", "!!!", "", "abcd", "abcde", "a b c d e f g"]


def _all_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    left, right = np.triu_indices(n, k=1)
    return left.astype(np.int64), right.astype(np.int64)


def test_char_overlap_packed_grams_equal_the_set_reference(monkeypatch) -> None:
    texts = _planted_texts()
    left, right = _all_pairs(len(texts))
    left, right = np.concatenate([left, [3, 0]]), np.concatenate([right, [3, 0]])  # a text with itself too
    packed = char_overlap(texts, left, right)
    reference = passages_mod.char_overlap_sets(texts, left, right)
    np.testing.assert_array_equal(packed[0], reference[0])
    np.testing.assert_array_equal(packed[1], reference[1])
    assert packed[0][-1] == 1.0 and (packed[0] == 1.0).sum() > len(texts)  # planted cut copies are contained
    monkeypatch.setattr(passages_mod, "_MAX_GRAMS", 1)  # arrays built again each time: the same figures
    monkeypatch.setattr(passages_mod, "_PAIRS_PER_MERGE", 3)
    again = char_overlap(texts, left, right)
    np.testing.assert_array_equal(again[0], reference[0])
    np.testing.assert_array_equal(again[1], reference[1])


def test_char_overlap_of_a_huge_alphabet_takes_the_set_path() -> None:
    wide = "".join(chr(0x4E00 + i) for i in range(1500))  # 1,500 distinct characters: 5 grams do not pack
    texts = [wide, wide[:900], wide[600:] + "end"]
    left, right = np.array([0, 0, 1]), np.array([1, 2, 2])
    packed = char_overlap(texts, left, right)
    reference = passages_mod.char_overlap_sets(texts, left, right)
    np.testing.assert_array_equal(packed[0], reference[0])
    np.testing.assert_array_equal(packed[1], reference[1])
    assert packed[0][0] == 1.0


def test_passage_scores_skip_only_pairs_their_sizes_rule_out() -> None:
    texts = _planted_texts()
    left, right = _all_pairs(len(texts))
    cosine = np.random.default_rng(1).uniform(0.6, 0.95, len(left)).astype(np.float32)
    scores = passage_scores(texts, left, right, cosine, 0.92, 0.6, 0.4)
    contained, covered = passages_mod.char_overlap_sets(texts, left, right)
    expected = cosine.copy()
    band = cosine < 0.92
    expected[band & (contained >= 0.6) & (covered >= 0.4)] = 0.92
    np.testing.assert_array_equal(scores, expected)
    assert (scores != cosine).sum() >= 8
