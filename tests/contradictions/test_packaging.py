"""The wheel carries the contradictions package's data: the shipped NLI model, its tokenizer, the stance heads and
the word lists; a non-editable install finds them (no path outside the package)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = "cluster/contradictions/models/nli-minilm-int8/"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip wheel --no-deps --no-build-isolation`` of a copy of the repository (the build writes build/ and
    *.egg-info beside pyproject.toml, so the working tree is left alone); offline: the venv's setuptools."""
    import setuptools  # noqa: F401  - the build runs offline with the venv's setuptools ([dev] extra)

    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("cluster", "cli"):
        shutil.copytree(ROOT / package, src / package, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q"]
    done = subprocess.run([*command, "-w", str(out), str(src)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("newsdedup-*.whl")
    return built


def test_the_wheel_holds_the_model_tokenizer_stance_heads_and_word_lists(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "model.onnx",
        "tokenizer.json",
        "tokenizer_config.json",
        "config.json",
        "stance_head.json",
        "stance_head_lexicon.json",
        "MODEL_CARD.md",
    ):
        assert MODEL + name in names, name
    words = {n.rsplit("/", 1)[1] for n in names if n.startswith("cluster/contradictions/words/")}
    shipped = {p.name for p in (ROOT / "cluster" / "contradictions" / "words").iterdir()}
    assert words == shipped and {"negations.txt", "canonical.json", "stance_refute.txt"} <= words
    assert {f"cluster/contradictions/{m}.py" for m in ("__init__", "lexicon", "nli", "stage", "verdict")} <= names


def test_the_wheel_holds_every_module_of_the_library_and_the_cli(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {p.relative_to(ROOT).as_posix() for package in ("cluster", "cli") for p in (ROOT / package).rglob("*.py")}
    assert sources - names == set()  # a subpackage missing from pyproject would leave a non-editable install broken
    assert {"cluster/browse/templates/report.html.j2"} <= names  # the report's template is package data too


def test_an_installed_wheel_loads_the_model_and_the_stance_head(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(target)]
    done = subprocess.run([*command, str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    probe = (
        "import cluster.contradictions as c; "
        f"assert c.__file__.startswith({str(target)!r}), c.__file__; "
        "nli = c.load_nli(); head = c.shipped_head(); "
        "p = c.bidirectional_contradiction(nli, [('It rained.', 'It did not rain.')])[0]; "
        "print(round(float(p), 2), head.threshold)"
    )
    env = {"PYTHONPATH": str(target), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300
    )
    assert run.returncode == 0, run.stderr
    p, threshold = map(float, run.stdout.split())
    assert p > 0.5 and 0.0 < threshold < 1.0
