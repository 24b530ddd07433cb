"""Syndicated copies: clustered at ingest across sources (MinHash LSH), counted once by
trends; precision and recall on a labelled set built from real article pages."""

from __future__ import annotations

import json
import random
from itertools import combinations, islice

import pytest
from click.testing import CliRunner
from shared_corpora import corpus_path

from monitor import Database, Document
from monitor.cli import main
from monitor.lexicon import lexicon_from_dict
from monitor.store.clusters import (
    cluster_pending,
    contained,
    list_clusters,
    signature,
    similarity,
)
from monitor.tally import tally_documents
from monitor.trends import TrendQuery, trend

STORY = ("The finance ministers of the region met on Tuesday to discuss the security of"
         " energy supplies after a cold winter left several countries short of gas. They"
         " agreed to share storage and to buy jointly next year, officials said, while"
         " critics warned that the plan would take years to build and cost billions.")
ZH = ("区域各国财政部长周二举行会议，讨论寒冬过后的能源供应安全问题。与会各方同意共享储气设施，"
      "并从明年起联合采购天然气。官员表示，这一计划将增强地区应对价格波动的能力；批评人士则警告，"
      "相关基础设施需要多年才能建成，耗资数十亿元。会议还决定成立工作组，研究电网互联和可再生能源"
      "合作，并将在五月再次开会评估进展。")
OTHER = ("Farmers in the north protested against new water rules on Monday, blocking roads"
         " with tractors and demanding talks with the agriculture minister, who said the"
         " rules protect rivers from pollution and would not be withdrawn before spring.")


def doc(text, source, day, ext, title=None):
    return Document(text=text, source=source, published=day, precision="day",
                    external_id=ext, title=title)


def test_copies_across_sources_cluster_and_count_once(tmp_path):
    db = Database(tmp_path / "d.db")
    db.add_documents([
        doc(STORY, "wire", "2024-03-05", "w1", "Ministers agree to share gas storage"),
        doc("By Ann Lee, Staff Reporter\n\n" + STORY + "\n\nCopyright 2024 Daily Post.",
            "post", "2024-03-05", "p1", "Ministers agree gas deal"),
        doc(STORY + " Share this story.", "herald", "2024-03-06", "h1"),
        doc(OTHER, "wire", "2024-03-05", "w2", "Farmers block roads"),
        # a dated update of the same article in one source: not a syndicated copy
        doc(STORY + " Update: the ministers will meet again in May.", "wire", "2024-03-07",
            "w1-update", "Ministers agree to share gas storage"),
        doc(ZH, "xinhua", "2024-03-05", "x1"),
        doc("新华社北京3月5日电 " + ZH + "（完）", "people", "2024-03-05", "r1"),
    ])
    ids = dict(db.conn.execute("SELECT external_id, id FROM documents"))
    cluster = dict(db.conn.execute("SELECT external_id, cluster_id FROM documents"))
    assert cluster["p1"] == cluster["h1"] == cluster["w1"] == ids["w1"]
    assert cluster["w2"] == ids["w2"] and cluster["w1-update"] == ids["w1-update"]
    assert cluster["r1"] == cluster["x1"] == ids["x1"]
    (big, zh) = list_clusters(db.conn)
    assert big["size"] == 3 and big["sources"] == ["wire", "post", "herald"] and zh["size"] == 2

    lexicon = lexicon_from_dict({"categories": {"energy": ["gas"]}}, "e")
    tally_documents(db, [lexicon])
    once = trend(db, TrendQuery(["gas"], bucket="year", measure="count"))
    every = trend(db, TrendQuery(["gas"], bucket="year", measure="count", all_copies=True))
    assert (once.rows[0].count, once.rows[0].total_docs) == (2, 4)   # w1 (+copies), update
    assert (every.rows[0].count, every.rows[0].total_docs) == (4, 7)
    assert any("syndicated documents counted once" in n for n in once.notes)
    by_source = trend(db, TrendQuery(["gas"], bucket="year", measure="count", by_source=True))
    assert {r.source: r.count for r in by_source.rows}["post"] == 1

    runner = CliRunner()
    res = runner.invoke(main, ["--db", str(db.path), "duplicates", "--members"])
    assert res.exit_code == 0, res.output
    assert "wire, post, herald" in res.output and "Ministers agree gas deal" in res.output
    res = runner.invoke(main, ["--db", str(db.path), "trend", "gas", "--measure", "count",
                               "--all-copies", "--format", "csv"])
    assert res.exit_code == 0 and ",4," in res.output.splitlines()[1]


def test_trimmed_and_padded_copies_cluster_by_containment(tmp_path):
    rng = random.Random(5)
    vocabulary = [f"w{i}" for i in range(400)]
    paragraphs = [" ".join(rng.choice(vocabulary) for _ in range(60)) for _ in range(5)]
    story = "\n\n".join(paragraphs)
    trimmed = "By Ann Lee, Staff Writer\n\n" + "\n\n".join(paragraphs[:4]) + (
        "\n\nCopyright 2024 Daily Post. All rights reserved. Sign up for our newsletter"
        " to get the top stories of the day in your inbox.")
    db = Database(tmp_path / "c.db")
    db.add_documents([doc(story, "wire", "2024-03-05", "w", "Ministers agree on gas storage"),
                      doc(trimmed, "post", "2024-04-20", "p", "Gas deal: what it means"),
                      doc(paragraphs[0], "brief", "2024-03-05", "b", "In brief")])
    cluster = dict(db.conn.execute("SELECT external_id, cluster_id FROM documents"))
    score = similarity(signature(story), signature(trimmed))
    assert 0.5 <= score < 0.8                    # not a copy by Jaccard alone
    assert cluster["p"] == cluster["w"]          # but 4 of its 5 paragraphs are the story's
    assert cluster["b"] != cluster["w"]          # a paragraph of it is not a copy
    assert contained(0.5, 100, 100) == pytest.approx(2 / 3)


def test_documents_stored_before_clustering_are_hashed_by_duplicates(tmp_path):
    db = Database(tmp_path / "d.db")
    db.cluster_copies = False
    db.add_documents([doc(STORY, "wire", "2024-03-05", "w1"),
                      doc(STORY + " More.", "post", "2024-03-05", "p1")])
    assert db.conn.execute("SELECT count(cluster_id) FROM documents").fetchone()[0] == 0
    res = CliRunner().invoke(main, ["--db", str(db.path), "duplicates", "--format", "json"])
    assert res.exit_code == 0, res.output
    (cluster,) = json.loads(res.stdout)
    assert cluster["size"] == 2 and "hashed 2 documents" in res.stderr


BYLINES = ["By {name}, Staff Writer", "{name} | Reporting by our correspondent",
           "Written by {name}. Edited by the news desk"]
BOILER = ["Copyright {year} {outlet}. All rights reserved. This material may not be"
          " published, broadcast, rewritten or redistributed.",
          "Sign up for our newsletter to get the day's top stories in your inbox. Follow"
          " {outlet} on Facebook and Twitter. Share this article.",
          "Related: more from {outlet}. Advertisement. Comments are closed."]
NAMES = ["Maria Lopez", "John Smith", "Wei Zhang", "Aisha Khan", "Tom Berg"]


def rewrite_headline(title: str, rng: random.Random) -> str:
    words = title.split()
    choice = rng.randrange(3)
    if choice == 0:
        return f"{title} - {rng.choice(['Wire', 'Report', 'Update'])}"
    if choice == 1 and len(words) > 4:
        return " ".join(words[: len(words) - 2])
    return "Exclusive: " + title.lower()


def syndicate(body: str, outlet: str, rng: random.Random) -> str:
    paragraphs = [p for p in body.split("\n") if p.strip()]
    if len(paragraphs) > 6 and rng.random() < 0.5:
        paragraphs = paragraphs[:-1]                          # trimmed to fit
    head = rng.choice(BYLINES).format(name=rng.choice(NAMES))
    tail = rng.choice(BOILER).format(year=2024, outlet=outlet)
    return "\n\n".join([head, *paragraphs, tail])


def test_precision_and_recall_on_rewritten_article_pages(tmp_path):
    truth = json.loads(corpus_path("articles/ground-truth.json").read_text(encoding="utf-8"))
    rng = random.Random(12)
    docs, label = [], {}
    items = sorted(truth.items())
    fillers = [item["articleBody"] for _, item in items[120:]]   # text for the rival stories
    for i, (page, item) in enumerate(items[:120]):
        body = item["articleBody"]
        if len(body.split()) < 80:
            continue
        title = " ".join(body.split()[:8])
        day = f"2024-05-{1 + i % 28:02d}"
        docs.append(doc(body, "wire", day, page, title))
        label[page] = page
        for k in range(rng.randrange(1, 3)):                 # 1-2 syndicated copies
            outlet = f"outlet{k}"
            docs.append(doc(syndicate(body, outlet, rng), outlet, day, f"{page}-{k}",
                            rewrite_headline(title, rng)))
            label[f"{page}-{k}"] = page
        # a different story on the same event: the same lede, then another article's text
        other = fillers[i % len(fillers)]
        lede = body.split("\n")[0]
        docs.append(doc(lede + "\n\n" + other, "rival", day, f"{page}-rival", title))
        label[f"{page}-rival"] = f"{page}-rival"
    db = Database(tmp_path / "a.db")
    db.add_documents(docs)
    cluster = dict(db.conn.execute("SELECT external_id, cluster_id FROM documents"))
    ids = sorted(cluster)
    truth_pairs = {(a, b) for a, b in combinations(ids, 2) if label[a] == label[b]}
    found_pairs = {(a, b) for a, b in combinations(ids, 2) if cluster[a] == cluster[b]}
    hits = len(truth_pairs & found_pairs)
    precision = hits / len(found_pairs)
    recall = hits / len(truth_pairs)
    print(f"syndicated copies: {len(docs)} documents, {len(truth_pairs)} true pairs,"
          f" precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.98 and recall >= 0.98, (precision, recall)


def test_clusters_found_at_insert_equal_those_found_after(tmp_path):
    """``add_documents`` finds a new document's cluster before inserting it (one probe of
    the bands, the id it will get); ``duplicates`` hashes stored documents one by one
    afterwards: on real speeches syndicated to other outlets both give the same rows."""
    import gzip

    from monitor.store import Preparer

    rng = random.Random(5)
    with gzip.open(corpus_path("ungdc/ungdc_1946_2024.jsonl.gz"), "rt") as f:
        speeches = [json.loads(line) for line in islice(f, 0, 1400, 10)]
    docs = []
    for s in speeches:
        day = f"{s['year']}-09-2{rng.randrange(10)}"
        docs.append(doc(s["text"], "un", day, s["id"], f"Statement by {s['country']} to"
                        " the General Debate"))
        for outlet in ("wire", "post")[:rng.randrange(3)]:
            body = syndicate(s["text"], outlet, rng)
            if rng.random() < 0.3:  # some copies cut in half: below the thresholds
                body = body[: len(body) // 2]
            docs.append(doc(body, outlet, day, f"{outlet}-{s['id']}"))
    rng.shuffle(docs)
    tables = ("SELECT id, external_id, cluster_id FROM documents ORDER BY id",
              "SELECT * FROM minhash_signatures ORDER BY document_id",
              "SELECT * FROM minhash_bands ORDER BY document_id, band")
    results = []
    for at_insert in (True, False):
        db = Database(tmp_path / f"{at_insert}.db")
        db.cluster_copies = at_insert
        with Preparer(2) as db.preparer:
            db.add_documents(docs[:200])
            db.add_documents(docs[200:])
        if not at_insert:
            cluster_pending(db.conn)
        results.append([db.conn.execute(query).fetchall() for query in tables])
    assert results[0] == results[1]
    sizes = [c["size"] for c in list_clusters(Database(tmp_path / "True.db").conn)]
    assert sizes.count(3) > 5 and sizes.count(2) > 5  # copies were found, not only singles
