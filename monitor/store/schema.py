"""The database schema as an ordered list of forward migrations.

``PRAGMA user_version`` holds how many migrations a file has had; opening a database
applies the missing ones in one transaction each. Never edit a released migration:
append a new one.
"""

from __future__ import annotations

CJK_SEARCH = """
    ALTER TABLE documents ADD COLUMN cjk TEXT;
    DROP TRIGGER documents_ad;
    DROP TRIGGER documents_au;
    DROP TABLE documents_fts;
    DROP VIEW documents_view;
    CREATE VIEW documents_view AS
        SELECT d.id, s.name AS source, d.external_id, d.url, d.title, d.published,
               d.precision, d.language, d.word_count, d.ingested_at, d.meta, d.cluster_id
        FROM documents d JOIN sources s ON s.id = d.source_id;
    DROP VIEW term_counts;
    CREATE VIEW term_counts AS
        SELECT c.document_id, d.published, d.precision, s.name AS source, d.title,
               l.name AS lexicon, t.category, t.label AS term, c.count, d.word_count,
               d.language, d.meta
        FROM terms t
        CROSS JOIN counts c ON c.term_id = t.id
        JOIN lexicons l ON l.id = t.lexicon_id
        JOIN documents d ON d.id = c.document_id
        JOIN sources s ON s.id = d.source_id;
    DROP VIEW category_totals;
    CREATE VIEW category_totals AS
        SELECT cc.document_id, d.published, d.precision, s.name AS source, d.title,
               l.name AS lexicon, g.path AS category, g.depth, cc.count, d.word_count,
               d.language, d.meta
        FROM categories g
        CROSS JOIN category_counts cc ON cc.category_id = g.id
        JOIN lexicons l ON l.id = g.lexicon_id
        JOIN documents d ON d.id = cc.document_id
        JOIN sources s ON s.id = d.source_id;
"""

#: run after CJK_SEARCH and monitor.store.search.fill_cjk, in the same transaction
CJK_INDEX = """
    CREATE VIRTUAL TABLE documents_fts USING fts5(
        title, text, cjk, content="documents", content_rowid="id", tokenize="unicode61"
    );
    CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, title, text, cjk)
            VALUES ('delete', old.id, old.title, old.text, old.cjk);
    END;
    CREATE TRIGGER documents_au AFTER UPDATE OF title, text, cjk ON documents BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, title, text, cjk)
            VALUES ('delete', old.id, old.title, old.text, old.cjk);
        INSERT INTO documents_fts(rowid, title, text, cjk)
            VALUES (new.id, new.title, new.text, new.cjk);
    END;
    INSERT INTO documents_fts(documents_fts) VALUES ('rebuild');
"""

#: nothing in SQL: the indexes are made by monitor.store.fields.index_stored_meta
META_INDEXES = """
    SELECT 1;
"""

#: nothing in SQL: monitor.store.languages.detect_stored_languages does the work
STORED_LANGUAGES = """
    SELECT 2;
"""

MIGRATIONS: list[str] = [
    # 1: sources, documents, full-text search, run log, lexicons and counts.
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL DEFAULT 'files',
        location TEXT,
        added TEXT NOT NULL
    );
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        external_id TEXT,
        url TEXT,
        title TEXT,
        published TEXT,
        precision TEXT CHECK (precision IN ('day', 'month', 'year')),
        ingested_at TEXT NOT NULL,
        language TEXT,
        word_count INTEGER NOT NULL,
        content_hash TEXT NOT NULL UNIQUE,
        text TEXT NOT NULL,
        meta TEXT,
        CHECK ((published IS NULL) = (precision IS NULL))
    );
    CREATE UNIQUE INDEX documents_source_external
        ON documents(source_id, external_id) WHERE external_id IS NOT NULL;
    CREATE INDEX documents_published ON documents(published);
    CREATE VIRTUAL TABLE documents_fts USING fts5(
        title, text, content='documents', content_rowid='id', tokenize='unicode61'
    );
    CREATE TRIGGER documents_ai AFTER INSERT ON documents BEGIN
        INSERT INTO documents_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END;
    CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
    END;
    CREATE TRIGGER documents_au AFTER UPDATE OF title, text ON documents BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO documents_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
    END;
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        command TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT,
        status TEXT NOT NULL DEFAULT 'running'
            CHECK (status IN ('running', 'ok', 'failed')),
        added INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        message TEXT
    );
    CREATE TABLE lexicons (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT,
        language TEXT,
        path TEXT,
        fingerprint TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE terms (
        id INTEGER PRIMARY KEY,
        lexicon_id INTEGER NOT NULL REFERENCES lexicons(id) ON DELETE CASCADE,
        category TEXT NOT NULL,
        label TEXT NOT NULL,
        UNIQUE (lexicon_id, category, label)
    );
    CREATE TABLE counts (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        term_id INTEGER NOT NULL REFERENCES terms(id) ON DELETE CASCADE,
        count INTEGER NOT NULL CHECK (count > 0),
        PRIMARY KEY (document_id, term_id)
    ) WITHOUT ROWID;
    CREATE INDEX counts_term ON counts(term_id);
    CREATE TABLE tallied (
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        lexicon_id INTEGER NOT NULL REFERENCES lexicons(id) ON DELETE CASCADE,
        fingerprint TEXT NOT NULL,
        PRIMARY KEY (lexicon_id, document_id)
    ) WITHOUT ROWID;
    CREATE VIEW documents_view AS
        SELECT d.id, s.name AS source, d.external_id, d.url, d.title, d.published,
               d.precision, d.language, d.word_count, d.ingested_at
        FROM documents d JOIN sources s ON s.id = d.source_id;
    CREATE VIEW term_counts AS
        SELECT c.document_id, d.published, d.precision, s.name AS source, d.title,
               l.name AS lexicon, t.category, t.label AS term, c.count, d.word_count
        FROM counts c
        JOIN terms t ON t.id = c.term_id
        JOIN lexicons l ON l.id = t.lexicon_id
        JOIN documents d ON d.id = c.document_id
        JOIN sources s ON s.id = d.source_id;
    """,
    # 2: counts keyed (term, document) with no second index; category totals per document
    # at every level of the tree (a span counted once); v1 has none, so every document is
    # re-tallied (its tallied rows go) rather than shown with category totals of 0. The
    # views start from terms / categories (CROSS JOIN fixes the order), so a filter on a
    # term reads that term's rows only.
    """
    CREATE TABLE counts_v2 (
        document_id INTEGER NOT NULL,
        term_id INTEGER NOT NULL REFERENCES terms(id) ON DELETE CASCADE,
        count INTEGER NOT NULL CHECK (count > 0),
        PRIMARY KEY (term_id, document_id)
    ) WITHOUT ROWID;
    INSERT INTO counts_v2 (term_id, document_id, count)
        SELECT term_id, document_id, count FROM counts ORDER BY term_id, document_id;
    DROP VIEW term_counts;
    DROP TABLE counts;
    ALTER TABLE counts_v2 RENAME TO counts;
    DELETE FROM tallied;
    CREATE TABLE categories (
        id INTEGER PRIMARY KEY,
        lexicon_id INTEGER NOT NULL REFERENCES lexicons(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        parent_id INTEGER REFERENCES categories(id) ON DELETE CASCADE,
        depth INTEGER NOT NULL,
        UNIQUE (lexicon_id, path)
    );
    CREATE TABLE category_counts (
        document_id INTEGER NOT NULL,
        category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
        count INTEGER NOT NULL CHECK (count > 0),
        PRIMARY KEY (category_id, document_id)
    ) WITHOUT ROWID;
    CREATE TRIGGER documents_counts_ad AFTER DELETE ON documents BEGIN
        DELETE FROM counts WHERE term_id IN (SELECT id FROM terms) AND document_id = old.id;
        DELETE FROM category_counts
            WHERE category_id IN (SELECT id FROM categories) AND document_id = old.id;
    END;
    CREATE VIEW term_counts AS
        SELECT c.document_id, d.published, d.precision, s.name AS source, d.title,
               l.name AS lexicon, t.category, t.label AS term, c.count, d.word_count
        FROM terms t
        CROSS JOIN counts c ON c.term_id = t.id
        JOIN lexicons l ON l.id = t.lexicon_id
        JOIN documents d ON d.id = c.document_id
        JOIN sources s ON s.id = d.source_id;
    CREATE VIEW category_totals AS
        SELECT cc.document_id, d.published, d.precision, s.name AS source, d.title,
               l.name AS lexicon, g.path AS category, g.depth, cc.count, d.word_count
        FROM categories g
        CROSS JOIN category_counts cc ON cc.category_id = g.id
        JOIN lexicons l ON l.id = g.lexicon_id
        JOIN documents d ON d.id = cc.document_id
        JOIN sources s ON s.id = d.source_id;
    """,
    # 3 (issue 12): syndicated copies. documents.cluster_id is the first document of a
    # document's near-duplicate cluster (NULL: not hashed yet, its own cluster); MinHash
    # signatures and LSH band hashes (see monitor/store/clusters.py).
    """
    ALTER TABLE documents ADD COLUMN cluster_id INTEGER;
    CREATE INDEX documents_cluster ON documents(cluster_id);
    CREATE TABLE minhash_signatures (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
        signature BLOB NOT NULL,
        title_key TEXT
    );
    CREATE INDEX minhash_title ON minhash_signatures(title_key) WHERE title_key IS NOT NULL;
    CREATE TABLE minhash_bands (
        band INTEGER NOT NULL,
        hash INTEGER NOT NULL,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        PRIMARY KEY (band, hash, document_id)
    ) WITHOUT ROWID;
    CREATE INDEX minhash_bands_document ON minhash_bands(document_id);
    """,
    # 4: live sources: conditional-GET state per URL, source health, the fetch log,
    # old versions of updated documents, per-source totals of a run.
    """
    ALTER TABLE runs ADD COLUMN sources TEXT;
    CREATE TABLE fetch_state (
        url TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        body_hash TEXT,
        status INTEGER,
        checked TEXT NOT NULL
    );
    CREATE TABLE source_health (
        source TEXT PRIMARY KEY,
        last_attempt TEXT,
        last_success TEXT,
        last_error TEXT,
        last_error_at TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        next_attempt TEXT
    );
    CREATE TABLE fetches (
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        source TEXT NOT NULL,
        url TEXT,
        status INTEGER,
        bytes INTEGER,
        new INTEGER NOT NULL DEFAULT 0,
        updated INTEGER NOT NULL DEFAULT 0,
        unchanged INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        ms INTEGER,
        fetched_at TEXT NOT NULL
    );
    CREATE INDEX fetches_fetched_at ON fetches(fetched_at);
    CREATE TABLE document_versions (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        title TEXT,
        published TEXT,
        precision TEXT,
        word_count INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        text TEXT NOT NULL,
        meta TEXT,
        replaced_at TEXT NOT NULL
    );
    CREATE INDEX document_versions_document ON document_versions(document_id);
    CREATE INDEX documents_source_url ON documents(source_id, url);
    """,
    # 5: the full-text index is filled by Database.add_documents with one INSERT ... SELECT
    # per batch instead of a trigger per row (FTS5 flushes its pending terms at the end of
    # every statement: the trigger was 40% of ingest time). Delete and update triggers stay.
    """
    DROP TRIGGER documents_ai;
    """,
    # 6: backfilled archives: per shard and lexicon, the aggregates trends read.
    """
    CREATE TABLE backfill_shards (
        id INTEGER PRIMARY KEY,
        shard TEXT NOT NULL,
        version TEXT NOT NULL,
        lexicon_id INTEGER NOT NULL REFERENCES lexicons(id) ON DELETE CASCADE,
        fingerprint TEXT NOT NULL,
        documents INTEGER NOT NULL,
        words INTEGER NOT NULL,
        failed INTEGER NOT NULL DEFAULT 0,
        partial TEXT NOT NULL,
        run_id INTEGER REFERENCES runs(id),
        loaded TEXT NOT NULL,
        UNIQUE (shard, lexicon_id)
    );
    CREATE TABLE backfill_totals (
        shard_id INTEGER NOT NULL REFERENCES backfill_shards(id) ON DELETE CASCADE,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        published TEXT,
        precision TEXT CHECK (precision IN ('day', 'month', 'year')),
        documents INTEGER NOT NULL,
        words INTEGER NOT NULL
    );
    CREATE INDEX backfill_totals_shard ON backfill_totals(shard_id);
    CREATE TABLE backfill_counts (
        shard_id INTEGER NOT NULL REFERENCES backfill_shards(id) ON DELETE CASCADE,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        published TEXT,
        precision TEXT CHECK (precision IN ('day', 'month', 'year')),
        kind TEXT NOT NULL CHECK (kind IN ('term', 'category', 'label')),
        category TEXT NOT NULL,
        term TEXT NOT NULL,
        count INTEGER NOT NULL,
        docs INTEGER NOT NULL
    );
    CREATE INDEX backfill_counts_series ON backfill_counts(kind, category, term);
    CREATE INDEX backfill_counts_shard ON backfill_counts(shard_id);
    CREATE VIEW backfill_term_counts AS
        SELECT b.shard, l.name AS lexicon, s.name AS source, c.published, c.precision,
               c.category, c.term, c.count, c.docs
        FROM backfill_counts c
        JOIN backfill_shards b ON b.id = c.shard_id
        JOIN lexicons l ON l.id = b.lexicon_id AND l.fingerprint = b.fingerprint
        JOIN sources s ON s.id = c.source_id
        WHERE c.kind = 'term';
    """,
    # 7 (issue 11): full-text search that sqlite-utils and Datasette find (they look for
    # content="documents" in double quotes or brackets) and that finds Chinese words: the
    # cjk column holds a document's CJK runs as overlapping character pairs (see
    # monitor/store/search.py), filled by Database.add_documents; then CJK_INDEX (below)
    # recreates the index over title, text and cjk. The views gain language and meta.
    CJK_SEARCH,
    # 8: a backfilled document counts once across shards: the first shard loaded with a text
    # (or a source and id) owns its key (the lowest seq); later copies are left out, and
    # backfill_shards counts them.
    """
    CREATE TABLE backfill_urls (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE
    );
    CREATE TABLE backfill_keys (
        seq INTEGER PRIMARY KEY,
        key INTEGER NOT NULL,
        shard INTEGER NOT NULL REFERENCES backfill_urls(id),
        UNIQUE (key, shard)
    );
    CREATE INDEX backfill_keys_shard ON backfill_keys(shard);
    ALTER TABLE backfill_shards ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0;
    """,
    # 9 (issue 11): an expression index per short meta key already stored (see
    # monitor/store/fields.py: index_stored_meta runs after this; add_documents indexes
    # the keys of new documents), so --where country=CHN reads the index.
    META_INDEXES,
    # 10 (issue 11): documents stored before languages were detected get theirs, and
    # lexicons of other languages lose their tallies of them (see
    # monitor/store/languages.py: detect_stored_languages runs after this).
    STORED_LANGUAGES,
    # 11 (issue 13): runs know their process (pid, host), so a run whose process died is
    # marked 'aborted' by the next one; the status CHECK gains 'aborted' (the table is rebuilt).
    """
    CREATE TABLE runs_rebuilt (
        id INTEGER PRIMARY KEY,
        command TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT,
        status TEXT NOT NULL DEFAULT 'running'
            CHECK (status IN ('running', 'ok', 'failed', 'aborted')),
        added INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        message TEXT,
        sources TEXT,
        pid INTEGER,
        host TEXT
    );
    INSERT INTO runs_rebuilt (id, command, started, finished, status, added, skipped, failed,
                              message, sources)
        SELECT id, command, started, finished, status, added, skipped, failed, message, sources
        FROM runs;
    PRAGMA legacy_alter_table = ON;
    DROP TABLE runs;
    ALTER TABLE runs_rebuilt RENAME TO runs;
    PRAGMA legacy_alter_table = OFF;
    """,
    # 12 (issue 10): a covering index of what a query's frame reads of each document (its
    # date, source, words and cluster; see monitor/trends/frame.py), so bucketing 100,000
    # documents reads a few MB of index instead of walking rows that hold the text. It
    # starts with ``published``, so it replaces the index on that column alone.
    """
    CREATE INDEX IF NOT EXISTS documents_frame
        ON documents(published, precision, source_id, word_count, cluster_id);
    DROP INDEX IF EXISTS documents_published;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
