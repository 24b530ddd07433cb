"""``--where`` filters and syndicated copies in discover, kwic and counts: the same
documents as ``monitor trend`` selects, each cluster of copies once unless --all-copies."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from monitor import Database, Document
from monitor.analysis import DiscoverQuery, KwicQuery, discover, kwic
from monitor.cli import main
from monitor.lexicon import lexicon_from_dict
from monitor.tally import tally_documents
from monitor.trends import CountQuery, TrendQuery, read_counts, trend

CHN = "we build a community with a shared future for mankind through win-win cooperation"
USA = "we defend freedom and democracy and the rule of law for every free nation"
STORY = ("Energy ministers agreed on Tuesday to build a new gas pipeline across the region,"
         " officials said, after a winter of shortages left several countries without"
         " enough fuel. The pipeline will take four years to finish and cost billions, and"
         " critics warned that it would tie the region to one supplier for decades while"
         " prices stay high and storage remains short in the poorest member states.")
TITLE = "Ministers agree to build regional gas pipeline"
LEXICON = lexicon_from_dict({"categories": {"hard": ["security"], "energy": ["pipeline"]}},
                            "t")


@pytest.fixture
def db(tmp_path):
    db = Database(tmp_path / "f.db")
    docs = [Document(text=f"{CHN} and security, item {i}.", source="un", published="2020",
                     precision="year", external_id=f"c{i}", meta={"country": "CHN"})
            for i in range(10)]
    docs += [Document(text=f"{USA}, item {i}.", source="un", published="2020",
                      precision="year", external_id=f"u{i}", meta={"country": "USA"})
             for i in range(10)]
    copies = [("wire", STORY), ("post", "By Ann Lee, Staff Writer\n\n" + STORY),
              # the third copy alone mentions security: its cluster's first document does not
              ("herald", STORY + "\n\nSecurity tips: share this story.")]
    docs += [Document(text=text, source=source, title=TITLE, published="2020-03-05",
                      precision="day", external_id=f"s-{source}", meta={"country": "GBR"})
             for source, text in copies]
    db.add_documents(docs)
    tally_documents(db, [LEXICON])
    clusters = {c for (c,) in db.conn.execute(
        "SELECT cluster_id FROM documents WHERE source_id != (SELECT id FROM sources"
        " WHERE name = 'un')")}
    assert len(clusters) == 1, "the three copies are one cluster"
    yield db
    db.close()


def test_discover_compares_where_groups(db):
    result = discover(db, DiscoverQuery(where=["country=CHN"], reference_where=["country=USA"],
                                        min_count=3, top=20))
    terms = [r.term for r in result.rows]
    assert "shared future" in terms and "win-win cooperation" in terms
    assert not {"democracy", "freedom", "pipeline"} & set(terms)
    assert (result.groups[0]["documents"], result.groups[0]["ref_documents"]) == (10, 10)
    # the reference defaults to the target's filters: the rest of CHN is empty here
    with pytest.raises(ValueError, match="give --reference-where too"):
        discover(db, DiscoverQuery(where=["country=CHN"]))
    with pytest.raises(ValueError, match="cannot read filter"):
        DiscoverQuery(where=["country"])
    with pytest.raises(ValueError, match="--trailing sets the reference"):
        DiscoverQuery(since="2020", until="2020", trailing=1, reference_where=["country=USA"])


def test_discover_counts_each_cluster_once(db):
    query = dict(where=["country=GBR"], reference_where=["country=USA"], min_count=1,
                 max_p=1, top=200)
    once = discover(db, DiscoverQuery(**query))
    every = discover(db, DiscoverQuery(**query, all_copies=True))
    assert once.groups[0]["documents"] == 1 and every.groups[0]["documents"] == 3
    count = {r.term: r.count for r in once.rows}
    assert count["pipeline"] == 2 and {r.term: r.count for r in every.rows}["pipeline"] == 6
    assert any("2 syndicated copies left out" in n for n in once.notes)
    assert not any("syndicated" in n for n in every.notes)


def test_kwic_where_and_copies_agree_with_trends(db):
    lines = kwic(db, KwicQuery(["security"], where=["country=CHN"], limit=None), [LEXICON])
    assert len(lines.lines) == lines.documents == 10
    ids = ",".join(str(li.document_id) for li in lines.lines)
    assert {json.loads(m)["country"] for (m,) in db.conn.execute(
        f"SELECT meta FROM documents WHERE id IN ({ids})")} == {"CHN"}
    for where in (["country=GBR"], []):
        shown = kwic(db, KwicQuery(["security", "pipeline"], where=where, limit=None),
                     [LEXICON])
        for name in ("security", "pipeline"):
            docs = {li.document_id for li in shown.lines if li.series == name}
            counted = trend(db, TrendQuery([f"t:{name}"], measure="docs", where=where))
            assert len(docs) == sum(r.docs for r in counted.rows), (where, name)
    gbr = kwic(db, KwicQuery(["security"], where=["country=GBR"]), [LEXICON])
    assert gbr.lines == [] and any("1 syndicated copy left out" in n for n in gbr.notes)
    every = kwic(db, KwicQuery(["pipeline"], where=["country=GBR"], all_copies=True,
                               limit=None), [LEXICON])
    assert every.documents == 3 and len(every.lines) == 6


def test_counts_all_copies_and_the_cli(db):
    once, notes = read_counts(db, CountQuery(("pipeline",), by="year"))
    every, _ = read_counts(db, CountQuery(("pipeline",), by="year", all_copies=True))
    assert (once[0]["count"], once[0]["total_docs"]) == (2, 21)
    assert (every[0]["count"], every[0]["total_docs"]) == (6, 23)
    assert any("counted once" in n for n in notes)
    runner = CliRunner()
    base = ["--db", str(db.path)]
    res = runner.invoke(main, [*base, "counts", "pipeline", "--all-copies", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)[0]["count"] == 6
    res = runner.invoke(main, [*base, "discover", "--where", "country=CHN", "--reference-where",
                               "country=USA", "--min-count", "3", "--format", "csv",
                               "--lexicon", "power"])
    assert res.exit_code == 0, res.output
    assert "shared future" in res.stdout and "democracy" not in res.stdout
    res = runner.invoke(main, [*base, "discover", "--where", "country"])
    assert res.exit_code == 2 and res.output.startswith("error: cannot read filter")
