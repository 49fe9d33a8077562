"""Shared helpers of the benchmark scripts: find the data, read JSONL, keep results as JSON.

Scripts run as ``python benchmarks/<script>.py`` from the repository root; each adds the root to
``sys.path`` itself before importing ``benchmarks.common`` or ``cluster``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"

__all__ = [
    "DEFAULT_DATA",
    "REPO_ROOT",
    "RESULTS_DIR",
    "data_dir",
    "encoder_cache",
    "load_jsonl",
    "machine_info",
    "write_result",
]


def _resolve(arg: str | Path | None) -> Path:
    if arg is None or str(arg) == "":
        return DEFAULT_DATA
    path = Path(arg).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    return (REPO_ROOT / path).resolve()  # a relative --data also works from outside the repository root


def data_dir(arg: str | Path | None = None, required: Sequence[str] = ()) -> Path | None:
    """The benchmark data folder, or None (after printing why) when it or a ``required`` file is missing.

    ``arg`` is the script's --data value: None means ``../shared/data`` beside the repository; a relative
    path is taken from the current directory, else from the repository root.
    """
    path = _resolve(arg)
    if not path.is_dir():
        print(f"SKIP: benchmark data folder {path} not found (pass --data DIR)")
        return None
    missing = [name for name in required if not (path / name).is_file()]
    if missing:
        print(f"SKIP: benchmark data missing in {path}: {', '.join(missing)} (pass --data DIR)")
        return None
    return path


def iter_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Records of a JSON-lines file; blank lines are skipped, a bad line raises with its line number."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: not valid JSON ({error.msg})") from error
            if not isinstance(record, dict):
                raise ValueError(f"{path}:{number}: expected a JSON object")
            yield record


def load_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """All records of a JSON-lines file as a list of dicts."""
    return list(iter_jsonl(path))


def _ram_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def meminfo_ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def machine_info() -> dict[str, Any]:
    ram = _ram_bytes()
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "ram_gb": round(ram / 2**30, 1) if ram else None,
    }


def git_commit(root: Path = REPO_ROOT) -> str:
    """Short commit hash of HEAD, or 'uncommitted' when there is none (or no git)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "uncommitted"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "uncommitted"


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise TypeError(f"cannot store {type(value).__name__} in a result file")


def write_json_atomic(path: Path, payload: Any) -> None:
    """Write JSON to ``path`` through a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(payload, out, indent=2, sort_keys=False, default=_jsonable, allow_nan=True)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_result(name: str, figures: dict[str, Any], results_dir: str | Path | None = None) -> Path:
    """Store one benchmark's figures as ``<results_dir>/<name>.json`` with date, machine and commit.

    ``results_dir`` defaults to benchmarks/results in the repository. Returns the path written.
    """
    if not name or any(sep in name for sep in ("/", "\\")) or name.startswith("."):
        raise ValueError(f"result name must be a plain file stem, got {name!r}")
    if not isinstance(figures, dict):
        raise ValueError("figures must be a dict")
    record = {
        "name": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "git_commit": git_commit(),
        "figures": figures,
    }
    path = Path(results_dir) if results_dir is not None else RESULTS_DIR
    target = path / f"{name}.json"
    write_json_atomic(target, record)
    return target


def run_worker(script: str | Path, args: Sequence[str], cwd: Path) -> dict[str, Any]:
    """Run ``script`` with ``args`` in a fresh Python process (so its peak memory is its own) and return the JSON
    row it writes to the path given as ``--worker-out``; a failed worker ends the benchmark with its exit code."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        target = Path(handle.name)
    try:
        done = subprocess.run([sys.executable, str(script), *args, "--worker-out", str(target)], cwd=cwd, check=False)
        if done.returncode != 0:
            raise SystemExit(f"worker {list(args)} failed with exit code {done.returncode}")
        row: dict[str, Any] = json.loads(target.read_text())
    finally:
        target.unlink(missing_ok=True)
    return row


def encoder_cache(folder: Path, prefix: str, encoder: Any, npz_prefix: str | None = None) -> Any:
    """The benchmarks' embedding cache of ``encoder`` in ``folder``: shards in ``<prefix>-<key>`` (an old
    ``<npz_prefix>-<key>.npz`` converted), keyed by :func:`cluster.embed.cache_name` — model, backend and
    ONNX graph — so vectors of an earlier graph are never reused."""
    from cluster.cache import EmbeddingCache
    from cluster.embed import cache_name
    from cluster.store import model_key

    name = cache_name(encoder)
    key = model_key(name, encoder.dim)
    npz = folder / f"{npz_prefix or prefix}-{key}.npz"
    return EmbeddingCache(folder / f"{prefix}-{key}", name, encoder.dim, npz=npz)
