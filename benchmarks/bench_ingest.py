"""Reading speed of each input format, WARC library choice, legacy-encoding recovery, language detection.

    python benchmarks/bench_ingest.py [--data ../shared/data] [--quick]

Inputs are built here, in a temporary folder: articles from ``fnc1_unlabelled_articles.jsonl`` when the data
folder has it (else the seed corpus ``seeds/articles.jsonl``), repeated with fresh ids up to the sizes below,
written as JSONL (plain, .gz, .zst), as HTML pages (one per article, plus the two seed pages), as a WARC
(.warc.gz, one request and one response record per page, written with warcio), as 10,000 small .txt files, and
as windows-1252 .txt files. Figures (records/s through ``read_corpus``):

- format rows are timed with language detection switched off (parsing and decoding only), so formats compare;
  language detection is timed on its own (articles/s over the first 600 characters, as ``read_corpus`` does);
- WARC parsing alone (no HTML extraction): warcio vs FastWARC over the same archive, records/s;
- re-encoding: share of windows-1252 articles read back exactly and counted as re-encoded;
- a small multilingual check: hand-written news sentences in 8 languages (not a public test set).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cluster.ingest as ingest  # noqa: E402
from benchmarks.common import REPO_ROOT, data_dir, git_commit, load_jsonl, write_result  # noqa: E402
from cluster.ingest import read_corpus  # noqa: E402
from cluster.ingest.language import detect_languages  # noqa: E402

ARTICLES = "fnc1_unlabelled_articles.jsonl"
SEED_PAGES = sorted((REPO_ROOT / "seeds" / "html").glob("*.html"))

MULTILINGUAL = {  # hand-written here: one short news sentence or two per language
    "es": ["El ayuntamiento aprobó ayer la construcción de un nuevo puente sobre el río.",
           "La policía detuvo a tres personas tras el robo en una joyería del centro."],
    "pt": ["O governo anunciou ontem novas medidas para o setor agrícola do país.",
           "A polícia prendeu três suspeitos depois do assalto a uma joalharia no centro."],
    "de": ["Der Stadtrat hat am Dienstag den Bau einer neuen Brücke über den Fluss beschlossen.",
           "Die Polizei nahm nach dem Überfall auf ein Juweliergeschäft drei Verdächtige fest."],
    "fr": ["Le conseil municipal a approuvé mardi la construction d'un nouveau pont sur la rivière.",
           "La police a arrêté trois suspects après le braquage d'une bijouterie du centre-ville."],
    "pl": ["Rada miasta zatwierdziła we wtorek budowę nowego mostu na rzece.",
           "Policja zatrzymała trzech podejrzanych po napadzie na sklep jubilerski w centrum."],
    "it": ["Il consiglio comunale ha approvato martedì la costruzione di un nuovo ponte sul fiume.",
           "La polizia ha arrestato tre sospetti dopo la rapina in una gioielleria del centro."],
    "nl": ["De gemeenteraad heeft dinsdag ingestemd met de bouw van een nieuwe brug over de rivier.",
           "De politie heeft drie verdachten aangehouden na de overval op een juwelier in het centrum."],
    "en": ["The city council voted on Tuesday to approve a new bridge across the river.",
           "Police arrested three suspects after the robbery of a jewellery shop in the town centre."],
}


def _articles(folder: Path | None, n: int) -> list[dict[str, str]]:
    source = folder / ARTICLES if folder and (folder / ARTICLES).is_file() else REPO_ROOT / "seeds" / "articles.jsonl"
    base = [r for r in load_jsonl(source) if str(r.get("text", "")).strip()]
    out = []
    for i in range(n):
        row = base[i % len(base)]
        out.append({"id": f"{row.get('id', 'a')}-{i}", "text": row["text"], "title": row.get("title") or ""})
    return out


def _page(row: dict[str, str]) -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in row["text"].split("\n\n") if p.strip())
    title = row.get("title") or row["id"]
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>"
            f"<nav><a href=\"/\">Home</a></nav><article><h1>{title}</h1>{paragraphs}</article>"
            "<footer>Copyright</footer></body></html>").encode()


def _pages(rows: list[dict[str, str]]) -> list[bytes]:
    seeds = [p.read_bytes() for p in SEED_PAGES]
    return [seeds[i // 10 % len(seeds)] if seeds and i % 10 == 0 else _page(r) for i, r in enumerate(rows)]


def _timed(paths: list[Path], *, languages: bool) -> tuple[float, Any]:
    original = ingest.detect_languages
    if not languages:
        ingest.detect_languages = lambda texts: [None] * len(texts)  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        corpus = read_corpus(paths)
        return time.perf_counter() - start, corpus
    finally:
        ingest.detect_languages = original


def _row(name: str, paths: list[Path], *, languages: bool = False) -> dict[str, Any]:
    size = sum(f.stat().st_size for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file())
    seconds, corpus = _timed(paths, languages=languages)
    n = corpus.documents.height
    row = {"input": name, "records": n, "seconds": round(seconds, 3), "records_per_s": round(n / seconds, 1),
           "mb": round(size / 1e6, 2), "mb_per_s": round(size / 1e6 / seconds, 2),
           "problems": len(corpus.problems), "re_encoded": len(corpus.reencoded)}
    print(f"{name:<34} {n:>7} records {seconds:7.2f} s {row['records_per_s']:>9.1f} rec/s {row['mb_per_s']:7.2f} MB/s")
    return row


def _write_warc(path: Path, rows: list[dict[str, str]], pages: list[bytes]) -> int:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for i, body in enumerate(pages):
            uri = f"https://site{i % 7}.example/{rows[i]['id']}"
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", f"site{i % 7}.example")], is_http_request=True)
            writer.write_record(writer.create_warc_record(uri, "request", payload=io.BytesIO(b""),
                                                          http_headers=request))
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(body),
                                                          http_headers=headers))
    return 2 * len(pages)


def _warc_parsers(path: Path, repeats: int = 3) -> dict[str, Any]:
    from warcio.archiveiterator import ArchiveIterator

    def warcio_read() -> int:
        n = 0
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle):
                record.content_stream().read()
                n += 1
        return n

    figures: dict[str, Any] = {}
    readers: dict[str, Callable[[], int]] = {"warcio 1.8.1": warcio_read}
    try:
        from fastwarc.warc import ArchiveIterator as FastIterator

        def fastwarc_read() -> int:
            n = 0
            with path.open("rb") as handle:
                for record in FastIterator(handle):
                    record.reader.read()
                    n += 1
            return n

        readers["fastwarc 2.0.0"] = fastwarc_read
    except ImportError:
        figures["fastwarc"] = "not installed"
    for name, read in readers.items():
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            n = read()
            best = min(best, time.perf_counter() - start)
        figures[name] = {"records": n, "records_per_s": round(n / best, 1)}
        print(f"WARC parse only, {name:<18} {n:>7} records {n / best:>9.1f} rec/s")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--quick", action="store_true", help="smaller inputs; writes results/ingest_quick.json")
    args = parser.parse_args()
    folder = data_dir(args.data, required=(ARTICLES,))
    if folder is None:
        print("building inputs from the seed corpus only")
    n_jsonl, n_html, n_warc, n_small = (5_000, 300, 300, 2_000) if args.quick else (50_000, 1_000, 1_000, 10_000)
    figures: dict[str, Any] = {"source": ARTICLES if folder else "seeds/articles.jsonl", "formats": []}
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        root = Path(tmp)
        rows = _articles(folder, n_jsonl)
        data = "".join(json.dumps(r) + "\n" for r in rows).encode()
        (root / "a.jsonl").write_bytes(data)
        (root / "a.jsonl.gz").write_bytes(gzip.compress(data, compresslevel=6))
        (root / "a.jsonl.zst").write_bytes(zstandard.ZstdCompressor(level=3).compress(data))
        for name in ("a.jsonl", "a.jsonl.gz", "a.jsonl.zst"):
            figures["formats"].append(_row(f"JSONL {name}", [root / name]))

        pages = _pages(rows[:n_html])
        html_dir = root / "html"
        html_dir.mkdir()
        for i, body in enumerate(pages):
            (html_dir / f"p{i:05d}.html").write_bytes(body)
        figures["formats"].append(_row(f"HTML folder ({n_html} pages)", [html_dir]))

        warc = root / "crawl.warc.gz"
        n_records = _write_warc(warc, rows[:n_warc], _pages(rows[:n_warc]))
        figures["formats"].append(_row(f"WARC .warc.gz ({n_records} records)", [warc]))
        figures["warc_parsers"] = _warc_parsers(warc)

        small = root / "small"
        for i in range(n_small):
            sub = small / f"{i // 1000:02d}"
            sub.mkdir(parents=True, exist_ok=True)
            (sub / f"{i:05d}.txt").write_text(rows[i]["text"][:1500], encoding="utf-8")
        figures["formats"].append(_row(f"folder of {n_small} .txt files", [small]))

        legacy = root / "legacy"
        legacy.mkdir()
        originals = {}
        for i, row in enumerate(rows[:1000]):
            text = row["text"].replace("\u2019", "'")  # keep the comparison to what cp1252 can hold exactly
            data_1252 = text.encode("cp1252", errors="replace")
            originals[f"{i:04d}.txt"] = data_1252.decode("cp1252")
            (legacy / f"{i:04d}.txt").write_bytes(data_1252)
        legacy_row = _row("windows-1252 .txt (1000 files)", [legacy])
        corpus = read_corpus([legacy])
        non_ascii = sum(1 for t in originals.values() if not t.isascii())
        exact = sum(1 for i, t in zip(corpus.documents["id"], corpus.documents["text"], strict=True)
                    if originals[i] == t and not t.isascii())
        legacy_row |= {"non_ascii_files": non_ascii, "re_encoded_counted": len(corpus.reencoded),
                       "non_ascii_read_back_exactly": exact,
                       "encodings": sorted({p.message for p in corpus.reencoded})}
        figures["formats"].append(legacy_row)
        print(f"  re-encoded {len(corpus.reencoded)} of {non_ascii} non-ASCII files; {exact} read back exactly")

        with_language = _row(f"JSONL a.jsonl first {n_jsonl // 10} records, with language",
                             [_subset(root, rows[: n_jsonl // 10])], languages=True)
        figures["formats"].append(with_language)

    texts = [r["text"] for r in rows[:5000]]
    detect_languages(texts[:10])
    start = time.perf_counter()
    detect_languages(texts)
    seconds = time.perf_counter() - start
    figures["language_detection"] = {"articles": len(texts), "articles_per_s": round(len(texts) / seconds, 1),
                                     "chars_classified": 600, "detector": "py3langid 0.4.0"}
    print(f"language detection: {len(texts) / seconds:.1f} articles/s")
    sentences = [(lang, s) for lang, items in MULTILINGUAL.items() for s in items]
    found = detect_languages([s for _, s in sentences])
    right = sum(1 for (lang, _), got in zip(sentences, found, strict=True) if lang == got)
    figures["multilingual_check"] = {"sentences": len(sentences), "correct": right,
                                     "wrong": [(lang, got) for (lang, _), got in zip(sentences, found, strict=True)
                                               if lang != got]}
    print(f"multilingual check: {right}/{len(sentences)} hand-written sentences in 8 languages")
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    figures["machine_note"] = "2-core x86-64, shared with other jobs (load varies)"
    figures["commit"] = git_commit()
    path = write_result("ingest_quick" if args.quick else "ingest", figures)
    print(f"wrote {path}")


def _subset(root: Path, rows: list[dict[str, str]]) -> Path:
    path = root / "subset.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


if __name__ == "__main__":
    main()
