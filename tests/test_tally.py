from __future__ import annotations

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.documents import Document
from monitor.lexicon import lexicon_from_dict
from monitor.tally import CHUNK_DOCS, tally_documents

POWER = {
    "categories": {
        "hard_power": ["security", "militar*", "national security"],
        "soft_power": {"culture": ["culture"], "values": ["values"]},
    }
}
STYLE = {"categories": {"style": ["wolf warrior", "belt and road"]}}


def rows(db, sql, *params):
    return db.conn.execute(sql, params).fetchall()


def add(db, *texts, source="speeches"):
    return db.add_documents(Document(text=t, source=source) for t in texts)


def test_counts_land_in_the_term_counts_view(db):
    add(db, "National security and security of culture. Military might; militarism.",
        "Nothing to see here.")
    report = tally_documents(db, [lexicon_from_dict(POWER, "power")], workers=1)
    assert report.scanned == {"power": 2}
    got = {(c, t): n for c, t, n in rows(
        db, "SELECT category, term, count FROM term_counts WHERE lexicon = 'power'")}
    assert got == {
        ("hard_power", "security"): 2,
        ("hard_power", "national security"): 1,
        ("hard_power", "militar*"): 2,
        ("soft_power/culture", "culture"): 1,
    }
    # the zero-match document is remembered as tallied
    assert rows(db, "SELECT count(*) FROM tallied")[0][0] == 2


def test_rerun_scans_nothing_and_new_documents_only(db):
    power = lexicon_from_dict(POWER, "power")
    add(db, "security first")
    tally_documents(db, [power], workers=1)
    assert tally_documents(db, [power], workers=1).scanned == {"power": 0}
    add(db, "values and culture")
    assert tally_documents(db, [power], workers=1).scanned == {"power": 1}
    assert rows(db, "SELECT sum(count) FROM counts")[0][0] == 3


def test_editing_a_lexicon_retallies_it_and_leaves_others(db):
    add(db, "security and culture; wolf warrior", "values")
    power, style = lexicon_from_dict(POWER, "power"), lexicon_from_dict(STYLE, "style")
    tally_documents(db, [power, style], workers=1)
    edited = lexicon_from_dict(
        {"categories": {"hard_power": ["culture"], "soft_power": ["values"]}}, "power")
    assert edited.fingerprint != power.fingerprint
    report = tally_documents(db, [edited, style], workers=1)
    assert report.scanned == {"power": 2, "style": 0}
    got = sorted(rows(db, "SELECT lexicon, category, term, count FROM term_counts"))
    assert got == [
        ("power", "hard_power", "culture", 1),
        ("power", "soft_power", "values", 1),
        ("style", "style", "wolf warrior", 1),
    ]
    # the dropped terms are gone from the terms table too
    assert rows(db, "SELECT count(*) FROM terms WHERE label = 'security'")[0][0] == 0


def test_worker_processes_give_the_same_counts_as_one(tmp_path):
    from monitor.store import Database

    texts = [f"Speech {i}: " + "security " * (i % 5) + "culture and militarism " * (i % 3)
             for i in range(CHUNK_DOCS * 3 + 7)]
    results = []
    for workers in (1, 2):
        with Database(tmp_path / f"w{workers}.db") as db:
            add(db, *texts)
            tally_documents(db, [lexicon_from_dict(POWER, "power")], workers=workers)
            results.append(rows(db, "SELECT document_id, term, count FROM term_counts"
                                    " ORDER BY 1, 2"))
    assert results[0] == results[1] and len(results[0]) > len(texts)


def test_two_lexicons_with_one_name_are_refused(db):
    add(db, "security")
    with pytest.raises(ValueError, match="lexicon name 'power' is also used"):
        tally_documents(db, [lexicon_from_dict(POWER, "power"),
                             lexicon_from_dict(STYLE, "power")])


def test_cli_tally_reports_and_bad_lexicon_exits_1(tmp_path):
    good = tmp_path / "style.yaml"
    good.write_text("categories:\n  style:\n    - wolf warrior\n", encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories: [unclosed\n", encoding="utf-8")
    dbfile = tmp_path / "m.db"
    from monitor.store import Database

    with Database(dbfile) as db:
        add(db, "A wolf warrior speaks.", "Calm words.")
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(dbfile), "tally", "-l", str(good), "-l", str(bad)])
    assert result.exit_code == 1
    assert "style: scanned 2 documents, stored 1 counts" in result.stdout
    assert "bad.yaml" in result.stderr
    again = runner.invoke(main, ["--db", str(dbfile), "tally", "-l", str(good)])
    assert again.exit_code == 0 and "scanned 0 documents" in again.stdout


def test_a_document_deleted_during_the_tally_leaves_no_orphan_counts(db):
    add(db, *(f"security number {i}" for i in range(CHUNK_DOCS + 10)))
    victim = rows(db, "SELECT min(id) FROM documents")[0][0]
    cache = rows(db, "PRAGMA cache_size")[0][0]

    def delete_first_document(done: int) -> None:
        with db.transaction() as conn:
            conn.execute("DELETE FROM documents WHERE id = ?", (victim,))

    report = tally_documents(db, [lexicon_from_dict(POWER, "power")], workers=1,
                             progress=delete_first_document)
    assert report.scanned == {"power": CHUNK_DOCS + 10}
    assert rows(db, "SELECT count(*) FROM counts WHERE document_id = ?", victim)[0][0] == 0
    assert rows(db, "SELECT count(*) FROM tallied")[0][0] == CHUNK_DOCS + 9
    assert rows(db, "PRAGMA foreign_key_check") == []
    assert rows(db, "PRAGMA foreign_keys")[0][0] == 1
    assert rows(db, "PRAGMA cache_size")[0][0] == cache  # the tally's big cache is given back


def test_a_term_removed_during_the_tally_stops_it_with_nothing_half_written(db):
    add(db, *(f"security number {i}" for i in range(CHUNK_DOCS + 10)))

    def remove_a_term(done: int) -> None:
        with db.transaction() as conn:
            conn.execute("DELETE FROM terms WHERE label = 'security'")

    with pytest.raises(ValueError, match="terms changed during the tally"):
        tally_documents(db, [lexicon_from_dict(POWER, "power")], workers=1,
                        progress=remove_a_term)
    assert rows(db, "SELECT count(*) FROM counts")[0][0] == 0
    assert rows(db, "SELECT count(*) FROM tallied")[0][0] == 0
    assert rows(db, "PRAGMA foreign_keys")[0][0] == 1
