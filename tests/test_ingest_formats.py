"""Each input format and encoding, read from real files into a real SQLite store."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.ingest import FieldMap, ingest_paths

SPEECH = "Mr. President, peace and development remain the themes of our time.\n"
PT = "Discurso do Presidente da República: a política econômica é fundamental para a nação.\n"
ZH = "各位代表：现在，我代表国务院，向大会报告政府工作。坚持以经济建设为中心，推动高质量发展。\n"


def docs(db):
    cursor = db.conn.execute("SELECT * FROM documents_view ORDER BY id")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def text_of(db, external_id):
    row = db.conn.execute("SELECT text FROM documents WHERE external_id = ?",
                          (external_id,)).fetchone()
    return row[0] if row else None


def ingest(db, *paths, **kwargs):
    errors = []
    report = ingest_paths(db, paths, on_error=errors.append, **kwargs)
    assert report.errors == errors
    return report


def write(path: Path, data: bytes | str, *, gz: bool = False, encoding: str = "utf-8") -> Path:
    raw = data.encode(encoding) if isinstance(data, str) else data
    if gz:
        path = path.with_name(path.name + ".gz")
        raw = gzip.compress(raw)
    path.write_bytes(raw)
    return path


def make_pdf(lines: list[str], title: str | None = None) -> bytes:
    """A minimal valid PDF with a real text layer (Helvetica, WinAnsi encoding)."""
    def escape(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 12 Tf 14 TL 72 720 Td " + " ".join(
        f"({escape(line)}) Tj T*" for line in lines) + " ET"
    stream = content.encode("cp1252")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title (%s) /CreationDate (D:20221016120000Z) >>" % escape(title or "").encode(),
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    info = b" /Info 6 0 R" if title else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, info, xref)
    return bytes(out)


def article_html(charset: str, *, date_meta: str = "", title: str = "政府工作报告") -> str:
    paragraphs = "".join(f"<p>{ZH.strip()}第{i}段。我们要坚定不移走和平发展道路。</p>"
                         for i in range(1, 6))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{title} - 新闻网站</title>
<meta property="og:title" content="{title}">
{date_meta}
</head><body>
<nav><ul><li><a href="/">首页</a></li><li><a href="/news">导航菜单新闻</a></li></ul></nav>
<article><h1>{title}</h1>{paragraphs}</article>
<footer><p>版权所有 页脚广告链接 Copyright 2022</p></footer>
</body></html>"""


# -- plain text and Markdown ------------------------------------------------------------
@pytest.mark.parametrize("gz", [False, True])
def test_txt_and_md(db, tmp_path, gz):
    folder = tmp_path / "speeches"
    (folder / "2022").mkdir(parents=True)
    write(folder / "2022" / "a.txt", SPEECH, gz=gz)
    write(folder / "b.md", "# Report to the Congress\n\n" + SPEECH.replace("peace", "security"),
          gz=gz)
    report = ingest(db, folder, date="2022-10-16")
    assert (report.added, report.skipped, report.failed) == (2, 0, 0)
    rows = {row["external_id"]: row for row in docs(db)}
    suffix = ".gz" if gz else ""
    txt, md = rows[f"2022/a.txt{suffix}"], rows[f"b.md{suffix}"]
    assert txt["source"] == md["source"] == "speeches"  # the folder's name
    assert (txt["published"], txt["precision"]) == ("2022-10-16", "day")
    assert txt["title"] is None and md["title"] == "Report to the Congress"
    assert text_of(db, f"2022/a.txt{suffix}") == SPEECH.strip()


def cli_ingest(tmp_path, *args):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "monitor.db"), "ingest",
                                       *map(str, args)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def test_title_option_only_fills_in_files_without_a_title(db, tmp_path):
    folder = tmp_path / "speeches"
    folder.mkdir()
    write(folder / "a.md", "# Report to the Congress\n\n" + SPEECH)
    write(folder / "b.md", "No heading here.\n\n" + SPEECH.replace("peace", "security"))
    write(folder / "c.txt", SPEECH.replace("peace", "trade"))
    write(folder / "d.pdf", make_pdf(["Peace and security."], title="State of the Union"))
    write(folder / "e.html", article_html("utf-8", title="政府工作报告"))
    result = cli_ingest(tmp_path, folder, "--title", "Fallback")
    assert (result.exit_code, result.stderr) == (0, "")
    titles = {row["external_id"]: row["title"] for row in docs(db)}
    assert titles == {"a.md": "Report to the Congress", "b.md": "Fallback", "c.txt": "Fallback",
                      "d.pdf": "State of the Union", "e.html": "政府工作报告"}


@pytest.mark.parametrize(
    ("encoding", "text"),
    [("utf-8", PT), ("utf-8-sig", PT), ("utf-16", PT + ZH), ("utf-16-be", None),
     ("latin-1", PT), ("cp1252", "“Señor Presidente”, l’été… " + PT), ("gb2312", ZH),
     ("gbk", ZH)],
)
def test_encodings_are_decoded_without_mojibake(db, tmp_path, encoding, text):
    if encoding == "utf-16-be":  # with a big-endian BOM
        raw = codecs.BOM_UTF16_BE + (PT + ZH).encode("utf-16-be")
        text = PT + ZH
    else:
        raw = text.encode(encoding)
    write(tmp_path / "speech.txt", raw)
    assert ingest(db, tmp_path / "speech.txt").added == 1
    assert text_of(db, "speech.txt") == text.strip()


def test_gb18030_only_characters_survive(db, tmp_path):
    text = ZH + "𠀀 and 龦 and € 2022"  # outside GB2312/GBK: needs the GB18030 superset
    write(tmp_path / "zh.txt", f'<meta charset="gb2312">{text}'.encode("gb18030"))
    write(tmp_path / "page.html", article_html("gb2312").replace("第1段", "第1段𠀀").encode(
        "gb18030"))
    assert ingest(db, tmp_path).added == 2
    assert text_of(db, "zh.txt").endswith(text.strip())
    assert "𠀀" in text_of(db, "page.html")


# -- HTML ---------------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [False, True])
def test_html_in_gb2312_uses_meta_charset_title_and_date(db, tmp_path, gz):
    page = article_html("gb2312", date_meta='<meta property="article:published_time" '
                                             'content="2022-10-16T09:00:00+08:00">')
    write(tmp_path / "report.html", page.encode("gb2312"), gz=gz)
    report = ingest(db, tmp_path / f"report.html{'.gz' if gz else ''}")
    assert report.added == 1, report.errors
    (row,) = docs(db)
    assert row["title"] == "政府工作报告"
    assert (row["published"], row["precision"]) == ("2022-10-16", "day")
    assert row["language"] == "zh"
    assert row["source"] == "report"
    text = text_of(db, row["external_id"])
    assert "坚持以经济建设为中心" in text and "第5段" in text
    assert "导航菜单" not in text and "页脚广告" not in text  # boilerplate dropped


def test_html_date_keeps_month_precision_and_falls_back_to_option(db, tmp_path):
    write(tmp_path / "a.htm", article_html("utf-8", date_meta='<meta name="date" '
                                                               'content="2022-10">'))
    write(tmp_path / "b.html", article_html("utf-8", title="没有日期"))
    assert ingest(db, tmp_path, date="2021").added == 2
    rows = {row["external_id"]: row for row in docs(db)}
    assert (rows["a.htm"]["published"], rows["a.htm"]["precision"]) == ("2022-10", "month")
    assert (rows["b.html"]["published"], rows["b.html"]["precision"]) == ("2021", "year")


# -- JSON and CSV -------------------------------------------------------------------------
RECORDS = [
    {"id": "CHN_77_2022", "country": "CHN", "year": 2022, "text": SPEECH},
    {"id": "FRA_77_2022", "country": "FRA", "year": "2022", "text": PT, "title": "France"},
    {"url": "https://example.org/3", "Date": "16 October 2022", "Content": ZH},
    {"body": "No date at all, stored undated.", "date": None},
]


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("layout", ["jsonl", "array", "array-pretty"])
def test_json_layouts_map_common_field_names(db, tmp_path, layout, gz):
    if layout == "jsonl":
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS)
        name = "un.jsonl"
    else:
        data = json.dumps(RECORDS, ensure_ascii=False, indent=2 if "pretty" in layout else None)
        name = "un.json"
    write(tmp_path / name, data, gz=gz)
    report = ingest(db, tmp_path)
    assert (report.added, report.failed) == (4, 0), report.errors
    rows = {row["external_id"]: row for row in docs(db)}
    chn = rows["CHN_77_2022"]
    assert (chn["published"], chn["precision"], chn["title"]) == ("2022", "year", None)
    assert json.loads(db.conn.execute("SELECT meta FROM documents WHERE external_id ="
                                      " 'CHN_77_2022'").fetchone()[0]) == {"country": "CHN"}
    assert rows["FRA_77_2022"]["title"] == "France"
    third = rows["https://example.org/3"]  # no id: the url is the id
    assert (third["published"], third["precision"]) == ("2022-10-16", "day")
    assert third["url"] == "https://example.org/3"
    undated = [row for row in rows.values() if row["published"] is None]
    assert len(undated) == 1
    # no id and no url: path#line for JSON Lines, path#record-number for arrays (also 4)
    assert undated[0]["external_id"] == f"{name}{'.gz' if gz else ''}#4"


def test_records_of_one_shape_each_pick_the_field_that_has_a_value(db, tmp_path):
    # which keys may be the text is found once per shape of record; which of them has a
    # value is still decided record by record
    records = [{"id": "a", "text": "", "content": "From content.", "Title": "T1"},
               {"id": "b", "text": "From text.", "content": "", "Title": "T2"},
               {"id": "c", "Content": "Other case.", "title": "T3"},
               {"id": "d", "text": "Text again.", "content": "Not this.", "Title": ""}]
    write(tmp_path / "mixed.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    assert ingest(db, tmp_path).added == 4
    assert [(r["external_id"], r["title"]) for r in docs(db)] == [
        ("a", "T1"), ("b", "T2"), ("c", "T3"), ("d", None)]
    assert [text_of(db, i) for i in "abcd"] == [
        "From content.", "From text.", "Other case.", "Text again."]
    meta = [row[0] for row in db.conn.execute("SELECT meta FROM documents ORDER BY id")]
    assert json.loads(meta[0]) == {"text": ""} and json.loads(meta[3]) == {"content": "Not this."}


def test_single_json_object_and_explicit_fields(db, tmp_path):
    record = {"headline": "Speech", "speech": SPEECH, "when": "2022年10月", "ref": 17,
              "outlet": "Xinhua", "link": "https://example.org/x"}
    write(tmp_path / "one.json", json.dumps(record, indent=2))
    fields = FieldMap(text="speech", date="when", title="headline", id="ref",
                      source="outlet", url="link")
    assert ingest(db, tmp_path / "one.json", fields=fields).added == 1
    (row,) = docs(db)
    assert (row["source"], row["title"], row["external_id"], row["url"]) == (
        "Xinhua", "Speech", "17", "https://example.org/x")
    assert (row["published"], row["precision"]) == ("2022-10", "month")


def test_a_one_line_json_object_is_one_document_with_the_path_as_id(db, tmp_path):
    write(tmp_path / "one.json", json.dumps({"text": SPEECH}))
    assert ingest(db, tmp_path / "one.json").added == 1
    assert docs(db)[0]["external_id"] == "one.json"


def test_large_json_array_is_streamed_across_chunks(db, tmp_path):
    records = [{"id": i, "text": f"Speech number {i}. " + "words " * 300} for i in range(3000)]
    write(tmp_path / "big.json", json.dumps(records), gz=True)  # ~5 MB on one line
    report = ingest(db, tmp_path, batch_size=250)
    assert (report.added, report.failed) == (3000, 0)


@pytest.mark.parametrize("gz", [False, True])
def test_json_lines_in_a_json_file_with_a_first_line_over_64_kb(db, tmp_path, gz):
    first = {"id": "long", "text": "Speech. " + "words " * 12_000}  # ~72 KB on one line
    second = {"id": "short", "text": SPEECH}
    write(tmp_path / "lines.json", json.dumps(first) + "\n" + json.dumps(second) + "\n", gz=gz)
    result = cli_ingest(tmp_path, tmp_path / f"lines.json{'.gz' if gz else ''}")
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    assert {row["external_id"] for row in docs(db)} == {"long", "short"}
    assert text_of(db, "long") == first["text"].strip()


def test_a_json_object_on_one_long_line_is_one_document_with_the_path_as_id(db, tmp_path):
    write(tmp_path / "one.json", json.dumps({"text": "Speech. " + "words " * 20_000}) + "\n")
    result = cli_ingest(tmp_path, tmp_path / "one.json")
    assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    assert [row["external_id"] for row in docs(db)] == ["one.json"]


@pytest.mark.parametrize("gz", [False, True])
def test_csv_with_field_options_in_cp1252(db, tmp_path, gz):
    rows = ('Fecha,Discurso\n'
            + '2022-10-16,"“Señor Presidente”, la nación, multi\nline"\n'
            + '"October 2022","Otro discurso, año 2022"\n'
            + ",\n")  # blank row: skipped
    write(tmp_path / "es.csv", rows.encode("cp1252"), gz=gz)
    report = ingest(db, tmp_path, fields=FieldMap(text="Discurso", date="Fecha"),
                    source="es")
    assert (report.added, report.failed) == (2, 0), report.errors
    got = {row["external_id"]: row for row in docs(db)}
    suffix = ".gz" if gz else ""
    assert got[f"es.csv{suffix}#2"]["published"] == "2022-10-16"
    assert got[f"es.csv{suffix}#4"]["precision"] == "month"  # the row after the 2-line one
    assert text_of(db, f"es.csv{suffix}#2") == "“Señor Presidente”, la nación, multi\nline"
    assert {row["source"] for row in got.values()} == {"es"}


def test_csv_default_columns_and_long_fields(db, tmp_path):
    long_text = "word " * 100_000  # over csv's default 128 KB field limit
    write(tmp_path / "xi.csv", f'Date,Text,Place\n2020-05-19,"{long_text}",Beijing\n')
    assert ingest(db, tmp_path).added == 1
    assert json.loads(db.conn.execute("SELECT meta FROM documents").fetchone()[0]) == {
        "Place": "Beijing"}


def test_utf16_jsonl(db, tmp_path):
    data = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in (PT, ZH))
    write(tmp_path / "u16.jsonl", data.encode("utf-16"))
    assert ingest(db, tmp_path).added == 2


# -- PDF ------------------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [False, True])
def test_pdf_text_layer_and_title(db, tmp_path, gz):
    pdf = make_pdf(["Address to the Nation", "Peace and security for the República."],
                   title="State of the Union")
    write(tmp_path / "address.pdf", pdf, gz=gz)
    report = ingest(db, tmp_path)
    assert report.added == 1, report.errors
    (row,) = docs(db)
    assert row["title"] == "State of the Union"
    assert row["published"] is None  # a PDF's creation date is not the speech's date
    text = text_of(db, row["external_id"])
    assert "Address to the Nation" in text and "República" in text


# -- walking -------------------------------------------------------------------------------
def test_hidden_and_unsupported_files_are_skipped(db, tmp_path):
    root = tmp_path / "corpus"
    (root / ".git").mkdir(parents=True)
    write(root / ".git" / "x.txt", "hidden folder")
    write(root / ".hidden.txt", "hidden file")
    write(root / "photo.jpg", b"\xff\xd8\xff\xe0")
    write(root / "ok.txt", SPEECH)
    report = ingest(db, root)
    assert (report.added, report.failed, report.ignored) == (1, 0, 1)
    assert "ignored 1 files" in report.summary()


def test_source_names_default_to_folder_or_file_stem(db, tmp_path):
    write(tmp_path / "ungdc_1946.jsonl.gz", gzip.compress(b'{"text": "one"}\n'))
    (tmp_path / "folder").mkdir()
    write(tmp_path / "folder" / "a.txt", "two")
    ingest(db, tmp_path / "ungdc_1946.jsonl.gz", tmp_path / "folder")
    assert {row["source"] for row in docs(db)} == {"ungdc_1946", "folder"}
    locations = dict(db.conn.execute("SELECT name, location FROM sources"))
    assert locations["folder"] == str((tmp_path / "folder").resolve())
