import pytest

from benchmarks.bench_lists import lists_for, parse_rule
from cluster.index import IndexParams, ivf_lists, ivf_probes


def test_rules_parse_with_their_defaults() -> None:
    assert parse_rule("n512/p8") == ("n512", 8, 0, 40, 10)
    assert parse_rule("1.5s/p8/s1760/t20/i5") == ("1.5s", 8, 1760, 20, 5)
    with pytest.raises(ValueError, match="bad rule part"):
        parse_rule("2s/q8")
    with pytest.raises(ValueError, match="bad list rule"):
        parse_rule("n256/p8")


def test_the_benchmarked_rule_is_the_library_default() -> None:
    for n in (48_582, 76_307, 100_000, 229_116, 762_969):
        assert lists_for("1.5s", n) == ivf_lists(n, IndexParams())
    assert lists_for("n512", 48_582) == 95 and lists_for("2s", 48_582) == 441
    assert ivf_probes(229_116, lists_for("1.5s", 229_116)) == 8
