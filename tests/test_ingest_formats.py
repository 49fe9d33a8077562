"""Reading what scrapers write (cluster/ingest/): compressed shards, web archives, legacy encodings, languages."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
from pathlib import Path

import polars as pl
import pytest
import zstandard
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cluster.errors import EmptyCorpusError, InputError, Problem
from cluster.ingest import original_records, read_corpus
from cluster.ingest.language import detect_languages, language_note

SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "html"
ROWS = [{"id": f"n{i}", "text": f"Story number {i} about the council."} for i in range(1, 6)]
COMPRESS = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
    ".zst": lambda data: zstandard.ZstdCompressor().compress(data),
}


def _jsonl_bytes(rows: list[dict[str, str]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


# --- compressed inputs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", list(COMPRESS))
def test_compressed_jsonl_reads_like_plain(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"part-0001.jsonl{ext}"
    path.write_bytes(COMPRESS[ext](_jsonl_bytes(ROWS)))
    corpus = read_corpus([tmp_path])
    assert corpus.documents.select("id", "line").rows() == [(f"n{i}", i) for i in range(1, 6)]
    assert corpus.documents["file"].to_list() == [str(path)] * 5
    assert corpus.problems == []


@pytest.mark.parametrize("ext", [".gz", ".zst"])
def test_compressed_one_article_csv_and_parquet(tmp_path: Path, ext: str) -> None:
    (tmp_path / f"a.txt{ext}").write_bytes(COMPRESS[ext](b"Plain text article."))
    (tmp_path / f"b.csv{ext}").write_bytes(COMPRESS[ext](b'id,text\nc1,"Row one."\nc2,Row two.\n'))
    buffer = io.BytesIO()
    pl.DataFrame({"id": ["p1"], "text": ["Parquet row."]}).write_parquet(buffer)
    (tmp_path / f"c.parquet{ext}").write_bytes(COMPRESS[ext](buffer.getvalue()))
    (tmp_path / f"d.html{ext}").write_bytes(COMPRESS[ext]((SEEDS / "dailyglobe-quake.html").read_bytes()))
    docs = read_corpus([tmp_path]).documents
    assert docs["id"].to_list() == [f"a.txt{ext}", "c1", "c2", "p1", f"d.html{ext}"]
    assert docs.select("line").to_series().to_list() == [None, 2, 3, 1, None]
    assert docs["text"][0] == "Plain text article."
    assert len(docs["text"][4]) > 200


def test_truncated_gzip_keeps_the_records_before_the_break(tmp_path: Path) -> None:
    rows = [{"id": f"r{i}", "text": f"Record {i} " + "x" * 2000} for i in range(200)]
    data = gzip.compress(_jsonl_bytes(rows))
    path = tmp_path / "part.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    corpus = read_corpus([path])
    n = corpus.documents.height
    assert 0 < n < 200
    assert corpus.documents["id"].to_list() == [f"r{i}" for i in range(n)]
    [problem] = corpus.problems
    assert problem.file == str(path) and problem.line is None
    assert problem.message.startswith("truncated or corrupt gz data: ")
    assert problem.message.endswith("; the records before it are kept")
    with pytest.raises(InputError, match=r"part\.jsonl\.gz: truncated or corrupt gz data"):
        read_corpus([path], strict=True)


def test_truncated_zstd_is_reported_not_silent(tmp_path: Path) -> None:
    path = tmp_path / "part.jsonl.zst"
    rows = [{"id": f"z{i}", "text": f"Row {i}."} for i in range(5000)]
    path.write_bytes(COMPRESS[".zst"](_jsonl_bytes(rows))[:-20])
    _ok = tmp_path / "ok.txt"
    _ok.write_text("fine")
    corpus = read_corpus([tmp_path])
    assert [p.message.split(":")[0] for p in corpus.problems] == ["truncated or corrupt zst data"]


def test_not_gzip_at_all_is_one_problem(tmp_path: Path) -> None:
    bad = tmp_path / "a.jsonl.gz"
    bad.write_bytes(b'{"text": "not compressed"}\n')
    (tmp_path / "b.txt").write_text("other")
    corpus = read_corpus([tmp_path])
    assert corpus.documents["id"].to_list() == ["b.txt"]
    [problem] = corpus.problems
    assert problem.file == str(bad) and problem.message.startswith("truncated or corrupt gz data: Not a gzipped file")


# --- web archives ----------------------------------------------------------------------------------------------


def _response(writer: WARCWriter, uri: str, body: bytes, status: str = "200 OK",
              content_type: str = "text/html; charset=utf-8", date: str | None = None) -> None:
    headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    warc_headers = {"WARC-Date": date} if date else None
    record = writer.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=headers,
                                       warc_headers_dict=warc_headers)
    writer.write_record(record)


def _request(writer: WARCWriter, uri: str) -> None:
    headers = StatusAndHeaders("GET / HTTP/1.1", [("Host", "x")], is_http_request=True)
    writer.write_record(writer.create_warc_record(uri, "request", payload=io.BytesIO(b""), http_headers=headers))


def _seed_archive(gz: bool = True) -> bytes:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gz)
    _request(writer, "https://www.dailyglobe.example/quake")
    _response(writer, "https://www.dailyglobe.example/quake", (SEEDS / "dailyglobe-quake.html").read_bytes(),
              date="2024-05-01T10:00:00Z")
    _response(writer, "https://metropost.example/recall", (SEEDS / "metropost-recall.html").read_bytes(),
              date="2024-05-02T10:00:00Z")
    _response(writer, "https://metropost.example/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00", content_type="image/png")
    _response(writer, "https://metropost.example/gone", b"<html>Not found</html>", status="404 Not Found")
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_warc_html_responses_become_articles(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(_seed_archive(gz=name.endswith(".gz")))
    corpus = read_corpus([tmp_path])
    docs = corpus.documents
    assert docs["id"].to_list() == ["https://www.dailyglobe.example/quake", "https://metropost.example/recall"]
    assert docs["url"].to_list() == docs["id"].to_list()
    assert docs["source"].to_list() == ["www.dailyglobe.example", "metropost.example"]
    assert docs["line"].to_list() == [2, 3]  # record numbers: the request is record 1
    assert all(len(t) > 200 for t in docs["text"])
    assert docs["language"].to_list() == ["en", "en"]
    assert docs["published_at"].null_count() == 0
    assert corpus.problems == []
    assert corpus.outcomes == {
        "ignored request records": 1,
        "responses read as articles": 2,
        "skipped: not HTML (image/png)": 1,
        "skipped: HTTP status 404": 1,
    }


def test_warc_published_falls_back_to_the_capture_date(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    page = b"<html><head><title>T</title></head><body><article>" + b"<p>A long enough paragraph of news text " \
        b"about the harbour, the ships and the storm that closed it on Monday.</p>" * 5 + b"</article></body></html>"
    _response(WARCWriter(buffer, gzip=True), "https://x.example/a", page, date="2024-05-01T10:00:00Z")
    path = tmp_path / "a.warc.gz"
    path.write_bytes(buffer.getvalue())
    docs = read_corpus([path]).documents
    assert docs["published"].to_list() == ["2024-05-01T10:00:00Z"]


def test_warc_broken_record_in_the_middle_is_counted_and_the_rest_read(tmp_path: Path) -> None:
    members = []
    for i in range(5):
        buffer = io.BytesIO()
        body = (SEEDS / ("dailyglobe-quake.html" if i % 2 else "metropost-recall.html")).read_bytes()
        _response(WARCWriter(buffer, gzip=True), f"https://site.example/{i}", body)
        members.append(buffer.getvalue())
    members[2] = members[2][: len(members[2]) // 2]  # a member cut in half
    path = tmp_path / "broken.warc.gz"
    path.write_bytes(b"".join(members))
    corpus = read_corpus([path])
    assert corpus.documents["id"].to_list() == [f"https://site.example/{i}" for i in (0, 1, 3, 4)]
    [problem] = corpus.problems
    assert problem.file == str(path) and problem.line == 3
    assert problem.message.startswith(f"broken WARC record at byte {len(members[0]) + len(members[1])}: ")
    assert corpus.outcomes["broken records"] == 1
    assert corpus.documents["line"].to_list() == [1, 2, 4, 5]
    with pytest.raises(InputError, match=r"broken\.warc\.gz:3: broken WARC record"):
        read_corpus([path], strict=True)


def test_empty_archive_is_a_problem(tmp_path: Path) -> None:
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    (tmp_path / "b.txt").write_text("other")
    corpus = read_corpus([tmp_path])
    assert corpus.documents["id"].to_list() == ["b.txt"]
    assert corpus.problems == [Problem(str(empty), None, "empty archive: no WARC records")]
    with pytest.raises(EmptyCorpusError):
        read_corpus([empty])


def test_original_records_of_an_archive_and_a_compressed_jsonl(tmp_path: Path) -> None:
    archive = tmp_path / "crawl.warc.gz"
    archive.write_bytes(_seed_archive())
    got = list(original_records(archive))
    assert [line for line, _ in got] == [2, 3]
    assert got[0][1]["id"] == "https://www.dailyglobe.example/quake"
    assert set(got[0][1]) >= {"id", "text", "url", "source", "published"}
    shard = tmp_path / "s.jsonl.bz2"
    rows = [{"id": "a", "text": "one", "extra": 1}, {"id": "b", "text": "t\u00e9"}]
    legacy = '{"id": "c", "text": "caf\xe9"}\n'.encode("cp1252")
    shard.write_bytes(bz2.compress(_jsonl_bytes(rows) + legacy))
    assert list(original_records(shard)) == [(1, rows[0]), (2, rows[1]), (3, {"id": "c", "text": "café"})]


# --- encodings -------------------------------------------------------------------------------------------------


def test_latin1_txt_is_reencoded_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "cafe.txt"
    path.write_bytes(b"Caf\xe9 au lait, cr\xe8me br\xfbl\xe9e et \xe9clairs.")
    corpus = read_corpus([tmp_path])
    assert corpus.documents["text"].to_list() == ["Café au lait, crème brûlée et éclairs."]
    assert corpus.problems == []
    [entry] = corpus.reencoded
    assert (entry.file, entry.line) == (str(path), None)
    assert entry.message in ("cp1252", "cp1250")


def test_strict_stops_at_a_reencoded_record(tmp_path: Path) -> None:
    path = tmp_path / "cafe.txt"
    path.write_bytes(b"Caf\xe9")
    with pytest.raises(InputError) as caught:
        read_corpus([path], strict=True)
    assert caught.value.problem == Problem(str(path), 1, "invalid UTF-8 at byte 3")


def test_jsonl_line_in_a_legacy_encoding_is_reencoded(tmp_path: Path) -> None:
    data = b'{"id": "a", "text": "one"}\n{"id": "b", "text": "t\xe9"}\n{"id": "c", "text": "three"}\n'
    path = tmp_path / "a.jsonl"
    path.write_bytes(data)
    corpus = read_corpus([path])
    assert corpus.documents["id"].to_list() == ["a", "b", "c"]
    assert corpus.documents["text"][1] == "té"
    assert [(p.file, p.line) for p in corpus.reencoded] == [(str(path), 2)]


def test_html_declared_charset_wins(tmp_path: Path) -> None:
    page = ('<html><head><meta charset="windows-1250"><title>Sejm</title></head><body><article>'
            + "<p>Zażółć gęślą jaźń, powiedział minister w poniedziałek w Warszawie po posiedzeniu rządu.</p>" * 4
            + "</article></body></html>").encode("cp1250")
    (tmp_path / "pl.html").write_bytes(page)
    corpus = read_corpus([tmp_path])
    assert "Zażółć gęślą jaźń" in corpus.documents["text"][0]
    assert [p.message for p in corpus.reencoded] == ["cp1250"]
    assert corpus.documents["language"].to_list() == ["pl"]


def test_png_renamed_txt_is_refused(tmp_path: Path) -> None:
    png = tmp_path / "photo.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4)
    (tmp_path / "ok.txt").write_text("fine")
    corpus = read_corpus([tmp_path])
    assert corpus.documents["id"].to_list() == ["ok.txt"]
    assert corpus.problems == [Problem(str(png), 1, "invalid UTF-8 at byte 0: binary data, not text")]
    assert corpus.reencoded == []


def test_mixed_folder(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"Plain article with an \xe9 in Latin-1.")
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(_jsonl_bytes(ROWS[:2])))
    (tmp_path / "c.warc.gz").write_bytes(_seed_archive())
    (tmp_path / "d.csv.bz2").write_bytes(bz2.compress(b"id,text\nd1,Row from a compressed CSV.\n"))
    corpus = read_corpus([tmp_path])
    assert corpus.documents["id"].to_list() == [
        "a.txt", "n1", "n2", "https://www.dailyglobe.example/quake", "https://metropost.example/recall", "d1",
    ]
    assert corpus.problems == []
    assert len(corpus.reencoded) == 1
    assert corpus.files == [str(tmp_path / n) for n in ("a.txt", "b.jsonl.gz", "c.warc.gz", "d.csv.bz2")]


# --- language --------------------------------------------------------------------------------------------------


def test_languages_are_detected() -> None:
    texts = [
        "El gobierno anunció ayer nuevas medidas económicas para el sector agrícola.",
        "O governo anunciou ontem novas medidas econômicas para o setor agrícola.",
        "Die Regierung hat gestern neue Maßnahmen für die Landwirtschaft angekündigt.",
        "The council voted on Tuesday to approve the new bridge.",
        "12 345 — 67",
    ]
    assert detect_languages(texts) == ["es", "pt", "de", "en", None]


def test_languages_are_py3langids_answers_computed_many_texts_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import cluster.ingest.language as language

    texts = [
        "El gobierno anunció nuevas medidas económicas para el próximo año.",
        "THE COUNCIL VOTED ON TUESDAY TO APPROVE THE NEW BRIDGE.",  # upper case: lowered first, as py3langid does
        "Привет, как дела? Сегодня в Москве прошёл сильный дождь.",
        "这是一个关于经济的中文句子。",
        "Die Regierung hat am Dienstag neue Maßnahmen beschlossen.",
        "Le conseil municipal a voté mardi la construction du nouveau pont.",
        "",
        "12 345 — 67",
        "x",
        "Καλημέρα, η κυβέρνηση ανακοίνωσε νέα μέτρα.",
        "word " * 400,  # past the 600-character sample
    ]
    identify = language._identifier()
    expected = [
        identify.classify(t[: language.SAMPLE_CHARS])[0] if any(c.isalpha() for c in t) else None for t in texts
    ]
    assert expected[:6] == ["es", "en", "ru", "zh", "de", "fr"] and expected[6:8] == [None, None]
    monkeypatch.setattr(language, "_CHUNK", 4)  # texts of different lengths side by side, across chunks
    assert detect_languages(texts) == expected

def test_language_note_names_the_remedy() -> None:
    note = language_note(["es", "pt", "es", "en", None], "all-MiniLM-L6-v2")
    assert note is not None and note.startswith("75% of the articles are not in a language the model")
    assert "--model" in note
    assert language_note(["es", "en", "en"], "all-MiniLM-L6-v2") is None
    assert language_note(["es", "pt"], "/models/paraphrase-multilingual-MiniLM-L12-v2") is None


# --- progress in pipes -----------------------------------------------------------------------------------------


def test_plain_progress_lines_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from cli.console import _plain_progress

    with _plain_progress(every=0.0) as update:
        for done in range(0, 5):
            update("embed", done, 4)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("embed: 1/4 (25%), ") and lines[0].endswith("s")
    assert "ETA" in lines[0]
    assert lines[-1].startswith("embed: 4/4 (100%), ")


def test_reader_status_line_goes_to_the_progress_logger(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import cluster.ingest

    monkeypatch.setattr(cluster.ingest, "STATUS_EVERY_S", 0.0)
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(_jsonl_bytes(ROWS)))
    with caplog.at_level("INFO", logger="cluster.ingest.progress"):
        read_corpus([tmp_path])
    assert any(r.getMessage().startswith("read 1/1 files, 5 records, ") and r.getMessage().endswith("MB/s")
               for r in caplog.records)


def test_plain_warc_with_garbage_between_records_reads_on(tmp_path: Path) -> None:
    records = []
    for i in range(4):
        buffer = io.BytesIO()
        _response(WARCWriter(buffer, gzip=False), f"https://site.example/{i}",
                  (SEEDS / "dailyglobe-quake.html").read_bytes())
        records.append(buffer.getvalue())
    path = tmp_path / "garbled.warc"
    path.write_bytes(b"".join(records[:2]) + b"GARBAGE LINE\r\nmore garbage\r\n\r\n" + b"".join(records[2:]))
    corpus = read_corpus([path])
    assert corpus.documents["id"].to_list() == [f"https://site.example/{i}" for i in range(4)]
    assert corpus.outcomes["broken records"] == 1
    [problem] = corpus.problems
    assert problem.message.startswith(f"broken WARC record at byte {len(records[0]) + len(records[1])}: ")
    assert problem.line == 3


@pytest.mark.parametrize("name", ["old.arc", "old.arc.gz"])
def test_arc_files_are_read_through_warcio(tmp_path: Path, name: str) -> None:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + (SEEDS / "dailyglobe-quake.html").read_bytes()
    body = b"1 0 Test\nURL IP-address Archive-date Content-type Archive-length\n"
    filedesc = b"filedesc://old.arc 0.0.0.0 20240501100000 text/plain %d\n" % len(body) + body + b"\n"
    record = b"http://www.dailyglobe.example/quake 1.2.3.4 20240501100000 text/html %d\n" % len(http) + http + b"\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(filedesc) + gzip.compress(record) if name.endswith(".gz") else filedesc + record)
    corpus = read_corpus([path])
    assert corpus.documents.select("id", "source", "line").rows() == [
        ("http://www.dailyglobe.example/quake", "www.dailyglobe.example", 2)
    ]
    assert corpus.outcomes == {"ignored warcinfo records": 1, "responses read as articles": 1}


def test_cli_dedup_writes_kept_records_of_compressed_and_archived_input(
    tmp_path: Path, fake_encoder: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import cluster.runner
    from cli.app import app

    monkeypatch.setattr(cluster.runner, "load_encoder", lambda model=None, *a, **k: fake_encoder)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = (SEEDS / "dailyglobe-quake.html").read_bytes()
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    _response(writer, "https://a.example/quake", body, date="2024-05-01T10:00:00Z")
    _response(writer, "https://b.example/quake-copy", body, date="2024-05-01T11:00:00Z")
    (corpus / "crawl.warc.gz").write_bytes(buffer.getvalue())
    rows = [{"id": "j1", "text": "A council story in a gzip shard.", "extra": "kept field"}]
    (corpus / "shard.jsonl.gz").write_bytes(gzip.compress(_jsonl_bytes(rows)))
    out = tmp_path / "clean.jsonl"
    done = CliRunner().invoke(app, ["dedup", str(corpus), "--out", str(out)])
    assert done.exit_code == 0, done.output
    kept = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in kept] == ["https://a.example/quake", "j1"]
    assert kept[1]["extra"] == "kept field"
    assert kept[0]["source"] == "a.example" and len(kept[0]["text"]) > 200
