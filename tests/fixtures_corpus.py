"""A small hand-made corpus with answers that can be worked out on paper.

Documents (word counts are exact: ``docN`` plus filler words):

==  ======  ============  =====  =====  ======================================================
id  source  published     prec.  words  counts (lexicon ``power`` unless noted)
==  ======  ============  =====  =====  ======================================================
1   gov     2020-12-31    day    100    military 2, security 1, powerhouse 7; econ: growth 1
2   gov     2021-01-03    day    200    culture 3; econ: (tallied, no match)
3   press   2021-01-04    day    100    military 1, culture 1
4   press   2021          year   300    security 4
5   gov     2021-02       month  100    (tallied, no match)
6   press   undated       -      50     military 5
7   gov     2021-03-15    day    100    NOT tallied (must not dilute shares)
8   gov     2021-06-20    day    200    militar* 2, exchange 1
9   press   2023-03-01    day    100    culture 2
==  ======  ============  =====  =====  ======================================================

Lexicon ``power``: hard_power/military: military, militar*; hard_power/security:
security; soft_power/culture: culture; soft_power: exchange; hard_powerhouse: powerhouse
(a category that shares a prefix with ``hard_power`` but is not inside it).
Lexicon ``econ``: econ/growth: growth; econ/security: security (so a bare ``security``
is ambiguous). ``econ`` is tallied for documents 1 and 2 only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import Database, Document

DOCS = [
    # id, source, published, precision, words
    (1, "gov", "2020-12-31", "day", 100),
    (2, "gov", "2021-01-03", "day", 200),
    (3, "press", "2021-01-04", "day", 100),
    (4, "press", "2021", "year", 300),
    (5, "gov", "2021-02", "month", 100),
    (6, "press", None, None, 50),
    (7, "gov", "2021-03-15", "day", 100),
    (8, "gov", "2021-06-20", "day", 200),
    (9, "press", "2023-03-01", "day", 100),
]
TERMS = {
    # (lexicon, category, label)
    ("power", "hard_power/military", "military"),
    ("power", "hard_power/military", "militar*"),
    ("power", "hard_power/security", "security"),
    ("power", "soft_power/culture", "culture"),
    ("power", "soft_power", "exchange"),
    ("power", "hard_powerhouse", "powerhouse"),
    ("econ", "econ/growth", "growth"),
    ("econ", "econ/security", "security"),
}
COUNTS = [
    # document, lexicon, label, count
    (1, "power", "military", 2), (1, "power", "security", 1), (1, "power", "powerhouse", 7),
    (1, "econ", "growth", 1),
    (2, "power", "culture", 3),
    (3, "power", "military", 1), (3, "power", "culture", 1),
    (4, "power", "security", 4),
    (6, "power", "military", 5),
    (8, "power", "militar*", 2), (8, "power", "exchange", 1),
    (9, "power", "culture", 2),
]
TALLIED = {"power": [1, 2, 3, 4, 5, 6, 8, 9], "econ": [1, 2]}


def corpus(tmp_path: Path) -> Database:
    """The corpus in ``tmp_path/monitor.db``."""
    return build_corpus(tmp_path / "monitor.db")


def make_text(doc_id: int, words: int) -> str:
    return f"doc{doc_id} " + " ".join(["filler"] * (words - 1))


def build_corpus(path: Path, docs=DOCS, counts=COUNTS, tallied=TALLIED) -> Database:
    """A database file at ``path`` holding the corpus above; ids are as in the table."""
    db = Database(path)
    db.add_documents(
        Document(text=make_text(i, words), source=source, published=published,
                 precision=precision, title=f"Document {i}", external_id=str(i))
        for i, source, published, precision, words in docs
    )
    add_tallies(db, counts, tallied)
    return db


def add_tallies(db: Database, counts=COUNTS, tallied=TALLIED, terms=TERMS) -> None:
    """Insert lexicons, terms, counts and tallied rows directly (no tally engine needed)."""
    with db.transaction() as conn:
        for name in sorted({lex for lex, _, _ in terms}):
            conn.execute(
                "INSERT OR IGNORE INTO lexicons (name, fingerprint, updated)"
                " VALUES (?, 'fp', '2024-01-01')", (name,),
            )
        lex = dict(conn.execute("SELECT name, id FROM lexicons"))
        for name, category, label in sorted(terms):
            conn.execute(
                "INSERT OR IGNORE INTO terms (lexicon_id, category, label) VALUES (?, ?, ?)",
                (lex[name], category, label),
            )
        term = {(name, label): tid for tid, name, label in conn.execute(
            "SELECT t.id, l.name, t.label FROM terms t JOIN lexicons l ON l.id = t.lexicon_id"
        )}
        ids = {ext: i for i, ext in conn.execute("SELECT id, external_id FROM documents")}
        for name, docs in tallied.items():
            conn.executemany(
                "INSERT OR IGNORE INTO tallied VALUES (?, ?, 'fp')",
                [(ids[str(d)], lex[name]) for d in docs],
            )
        conn.executemany(
            "INSERT OR REPLACE INTO counts VALUES (?, ?, ?)",
            [(ids[str(d)], term[name, label], n) for d, name, label, n in counts],
        )
        add_category_totals(conn)


def add_category_totals(conn) -> None:
    """Every level of each lexicon's category tree, and its totals as the sums of its terms'
    counts (right when no two of its terms match the same text, as in these corpora)."""
    from monitor.lexicon import category_paths

    terms = conn.execute("SELECT id, lexicon_id, category FROM terms").fetchall()
    for _, lexicon_id, category in terms:
        for path in category_paths(category):
            parent = conn.execute("SELECT id FROM categories WHERE lexicon_id = ? AND path = ?",
                                  (lexicon_id, path.rsplit("/", 1)[0])).fetchone()
            conn.execute(
                "INSERT OR IGNORE INTO categories (lexicon_id, path, parent_id, depth)"
                " VALUES (?, ?, ?, ?)",
                (lexicon_id, path, parent[0] if parent and "/" in path else None,
                 path.count("/") + 1))
    ids = {(lex, path): cid for cid, lex, path in
           conn.execute("SELECT id, lexicon_id, path FROM categories")}
    of_term = {tid: [ids[lex, p] for p in category_paths(cat)] for tid, lex, cat in terms}
    totals: dict[tuple[int, int], int] = {}
    for doc, tid, n in conn.execute("SELECT document_id, term_id, count FROM counts"):
        for cid in of_term[tid]:
            totals[cid, doc] = totals.get((cid, doc), 0) + n
    conn.executemany("INSERT OR REPLACE INTO category_counts (category_id, document_id, count)"
                     " VALUES (?, ?, ?)", [(c, d, n) for (c, d), n in totals.items()])


@pytest.fixture(name="db")
def corpus_db(tmp_path: Path):
    """The corpus as the ``db`` fixture of a test module that imports this."""
    database = corpus(tmp_path)
    yield database
    database.close()
