"""Keyness: the statistics against published and independent values, the tokenizer's
rules, and ``monitor discover`` on hand-made and real corpora."""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import chi2, chi2_contingency
from shared_corpora import corpus_path

from monitor import Database, Document
from monitor.analysis import DiscoverQuery, discover, keyness
from monitor.analysis.tokens import phrases
from monitor.analysis.vectorize import count_phrases
from monitor.cli import main
from monitor.lexicon import lexicon_from_dict


def test_chi2_yates_matches_quanteda_published_value():
    # quanteda's tests: chisq with Yates' correction of [[3, 14], [2, 10]] is 0.1851001
    assert keyness.chi2_yates(3, 2, 17, 12) == pytest.approx(0.1851001, abs=1e-7)
    assert keyness.chi2_yates(2, 3, 12, 17) == pytest.approx(-0.1851001, abs=1e-7)


@pytest.mark.parametrize("a,b,c,d", [(30, 5, 1030, 2005), (3, 2, 17, 12), (0, 9, 500, 800),
                                     (120, 40, 10_000, 50_000)])
def test_g2_is_the_four_cell_g_test(a, b, c, d):
    table = np.array([[a, b], [c - a, d - b]])
    expected = chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
    got = keyness.log_likelihood(a, b, c, d)
    assert abs(got) == pytest.approx(expected, rel=1e-9)
    assert math.copysign(1, got) == (1 if a / c >= b / d else -1)


def test_p_value_is_the_chi2_tail_with_one_degree_of_freedom():
    g2 = np.array([[0.0, 0.004, 3.841459], [-10.83, 50.0, 700.0]])
    assert keyness.p_value(g2) == pytest.approx(chi2.sf(np.abs(g2), 1), rel=1e-12, abs=1e-300)
    assert keyness.p_value(3.841459) == pytest.approx(0.05, rel=1e-6)


def test_log_ratio_and_log_odds():
    assert keyness.log_ratio(20, 10, 1000, 1000) == pytest.approx(1.0)
    assert keyness.log_ratio(0, 10, 100, 100) == pytest.approx(math.log2(0.5 / 10))
    z = keyness.log_odds_dirichlet([10, 1, 5], [1, 10, 5], 1000, 1000)
    assert z[0] > 1.5 and z[1] == pytest.approx(-z[0]) and z[2] == pytest.approx(0)


def test_phrases_stop_at_punctuation_numbers_and_stop_words():
    got = phrases("The Security Council's reform. Council meets; the rule of law in 2030 goals")
    assert "security council" in got and "security council reform" in got
    assert "reform council" not in got            # a full stop ends the phrase
    assert "rule of law" in got and "rule of" not in got and "of law" not in got
    assert "law in 2030" not in got and "2030" not in got and "goals" in got
    assert "the" not in got and "council" in got
    assert "covid-19" in phrases("The COVID-19 pandemic")


def test_chinese_is_segmented_and_joined_without_spaces():
    got = phrases("推动构建人类命运共同体。坚持和平发展道路")
    assert "人类命运共同体" in got and "和平发展道路" in got
    assert "的" not in got and not any(" " in p for p in got)
    assert "共同体坚持" not in "".join(got)     # the full stop ends the phrase


MIXED = ["The Security Council's reform. Council meets; the rule of law in 2030 goals",
         "U.S.-China talks \u2014 security; the nation's and the nation\u2019s 1,000 - men",
         "推动构建人类命运共同体。坚持和平发展道路 and the rule of law's G20峰会 2030",
         "", "2030 1,000", "Covid-19 covid-19 COVID-19 pandemic\n\nnew para - old para"]


def _same_as_count_vectorizer(texts, max_words=3):
    from sklearn.feature_extraction.text import CountVectorizer

    matrix, vocabulary = count_phrases(texts, max_words)
    reference = CountVectorizer(analyzer=lambda t: phrases(t, max_words))
    expected = reference.fit_transform(texts).tocsr()
    names = reference.get_feature_names_out()
    assert matrix.shape == expected.shape
    for row in range(len(texts)):
        got, want = matrix.getrow(row), expected.getrow(row)
        assert {vocabulary[c]: n for c, n in zip(got.indices, got.data, strict=True)} == {
            names[c]: n for c, n in zip(want.indices, want.data, strict=True)}, row


@pytest.mark.parametrize("max_words", [1, 2, 3, 4])
def test_fast_counts_equal_count_vectorizer_with_the_analyzer(max_words):
    _same_as_count_vectorizer(MIXED, max_words)


@pytest.mark.corpus
def test_fast_counts_equal_count_vectorizer_on_real_speeches_and_reports():
    texts = []
    with gzip.open(corpus_path("ungdc/ungdc_1946_2024.jsonl.gz"), "rt") as src:
        for i, line in enumerate(src):
            if i % 500 == 0:
                texts.append(json.loads(line)["text"])
    with corpus_path("zh/government_work_reports.jsonl").open(encoding="utf-8") as src:
        texts += [json.loads(line)["content"] for line in list(src)[7:10]]
    _same_as_count_vectorizer(texts)


def _db(tmp_path: Path, docs) -> Database:
    db = Database(tmp_path / "k.db")
    db.add_documents(
        Document(text=f"{text} (copy {i})", source=source, published=year, precision="year",
                 external_id=f"{source}-{i}")
        for i, (source, year, text) in enumerate(docs))
    return db


OLD = "the assembly discussed peace and disarmament and the cold war at length"
NEW = "the assembly discussed peace and climate change and the pandemic at length"


def test_discover_ranks_the_planted_newcomers(tmp_path):
    docs = [("un", "2000", f"{OLD} number {i} of the old debate") for i in range(20)]
    docs += [("un", "2020", f"{NEW} number {i} of the new debate") for i in range(20)]
    db = _db(tmp_path, docs)
    lexicon = lexicon_from_dict({"categories": {"nature": ["climate*"]}}, "env")
    result = discover(db, DiscoverQuery(since="2015", until="2024", reference_since="1995",
                                        reference_until="2004", min_count=3, top=10), [lexicon])
    terms = [r.term for r in result.rows]
    assert set(terms[:6]) >= {"climate", "climate change", "pandemic", "change"}
    for word in ("peace", "assembly", "cold war"):
        assert word not in terms
    row = result.rows[terms.index("climate change")]
    assert (row.count, row.ref_count, row.docs, row.ref_docs) == (20, 0, 20, 0)
    assert result.rows[terms.index("climate")].lexicon == "env:nature"
    assert row.lexicon == ""                     # climate* matches 'climate', not the phrase
    assert result.groups == [{"period": None, "documents": 20, "words": 20 * 20,
                              "ref_documents": 20, "ref_words": 20 * 20}]
    under = discover(db, DiscoverQuery(since="2015", until="2024", min_count=3, under=True))
    assert {"cold war", "disarmament"} <= {r.term for r in under.rows}
    assert all(r.g2 < 0 for r in under.rows)


def test_temporal_keyness_each_year_against_its_trailing_years(tmp_path):
    docs = [("un", str(year), f"{OLD} item {i}") for year in range(2015, 2021)
            for i in range(6)]
    docs += [("un", "2021", f"{OLD} pandemic pandemic lockdown item {i}") for i in range(6)]
    db = _db(tmp_path, docs)
    result = discover(db, DiscoverQuery(since="2019", until="2021", trailing=3, min_count=3))
    assert [g["period"] for g in result.groups] == ["2019", "2020", "2021"]
    assert result.groups[2]["ref_documents"] == 18
    assert {r.period for r in result.rows} == {"2021"}
    assert {"pandemic", "lockdown"} <= {r.term for r in result.rows}
    assert "no documents" not in " ".join(result.notes)


def test_discover_errors_say_what_is_wrong(tmp_path):
    db = _db(tmp_path, [("un", "2000", OLD)])
    with pytest.raises(ValueError, match="no documents in the target"):
        discover(db, DiscoverQuery(since="2015", until="2024"))
    with pytest.raises(ValueError, match="unknown source 'xx'"):
        discover(db, DiscoverQuery(sources=["xx"]))
    with pytest.raises(ValueError, match="--trailing needs --since and --until"):
        DiscoverQuery(trailing=3)
    with pytest.raises(ValueError, match="sort 'x'"):
        DiscoverQuery(sort="x")
    runner = CliRunner()
    res = runner.invoke(main, ["--db", str(db.path), "discover", "--since", "2030"])
    assert res.exit_code == 2 and res.output.startswith("error: no documents in the target")


def test_discover_cli_formats(tmp_path):
    docs = [("old", "2000", OLD) for _ in range(8)] + [("new", "2000", NEW) for _ in range(8)]
    db = _db(tmp_path, docs)
    base = ["--db", str(db.path), "discover", "--source", "new", "--reference-source", "old",
            "--min-count", "3", "--lexicon", "power"]
    runner = CliRunner()
    res = runner.invoke(main, [*base, "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.output)))
    assert rows[0].keys() >= {"term", "count", "ref_count", "g2", "log_ratio", "chi2", "p",
                              "log_odds", "lexicon"}
    assert {"climate change", "pandemic"} <= {r["term"] for r in rows}
    data = json.loads(runner.invoke(main, [*base, "--format", "json"]).output)
    assert data["groups"][0]["documents"] == 8 and data["rows"][0]["g2"] > 0
    table = runner.invoke(main, base).output
    assert table.splitlines()[0].split()[:3] == ["term", "count", "ref_count"]


@pytest.mark.corpus
def test_un_corpus_newcomers_rank_near_the_top(tmp_path):
    path = corpus_path("ungdc/ungdc_1946_2024.jsonl.gz")
    sample = tmp_path / "un.jsonl"
    with gzip.open(path, "rt", encoding="utf-8") as src, sample.open("w") as out:
        for i, line in enumerate(src):
            year = json.loads(line)["year"]
            if (1995 <= year <= 2004 or 2015 <= year <= 2024) and i % 10 == 0:
                out.write(line)
    db = Database(tmp_path / "un.db")
    from monitor.ingest import FieldMap, ingest_paths

    ingest_paths(db, [sample], source="un", fields=FieldMap(id="id", date="year"))
    result = discover(db, DiscoverQuery(since="2015", until="2024", reference_since="1995",
                                        reference_until="2004", top=30))
    terms = [r.term for r in result.rows]
    for newcomer in ("sustainable development goals", "covid-19", "climate change",
                     "paris agreement"):
        assert newcomer in terms[:30], (newcomer, terms)
    assert terms.index("climate change") < 5
