"""Datasette metadata for a rhetoric-monitor database: what each table and column is.

The descriptions repeat the README's "The database" table (``tests/test_web.py`` keeps the
two in step), the canned queries are the README's ``sqlite-utils`` examples, and the
documents pages facet on source, language and year.
"""

from __future__ import annotations

from typing import Any

TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "sources": ("One row per source (a folder, a feed, the demo corpus).", {
        "id": "Source id", "name": "Source name (unique)",
        "kind": "What it is: files, sotu, feed...", "location": "Where it was read from",
        "added": "When it was first seen (UTC)",
    }),
    "documents": ("One row per speech or article. The text is left out of this page "
                  "(open a row to read it, or add ?_col=text).", {
        "id": "Document id", "source_id": "The source (sources.id)",
        "external_id": "The source's id or URL (what dedupes re-runs)", "url": "Its URL",
        "title": "Title", "published": "Partial ISO date: 2022, 2022-10 or 2022-10-16",
        "precision": "year, month or day (NULL when undated)",
        "ingested_at": "When it was stored (UTC)", "language": "Language code",
        "word_count": "Words in the text", "content_hash": "Hash of the normalised text",
        "text": "The full text", "meta": "Other record fields (JSON)",
    }),
    "documents_fts": ("SQLite FTS5 index of title and text, kept in sync by triggers.", {}),
    "documents_view": ("Documents with their source's name, without the text.", {
        "id": "Document id", "source": "Source name", "external_id": "The source's id or URL",
        "url": "Its URL", "title": "Title", "published": "Partial ISO date",
        "precision": "year, month or day", "language": "Language code",
        "word_count": "Words in the text", "ingested_at": "When it was stored (UTC)",
    }),
    "lexicons": ("One row per tallied lexicon.", {
        "id": "Lexicon id", "name": "Lexicon name (unique)", "description": "What it counts",
        "language": "Stemming language", "path": "The YAML file",
        "fingerprint": "SHA-256 of what its counts depend on",
        "updated": "When its terms were last stored",
    }),
    "terms": ("One row per lexicon term.", {
        "id": "Term id", "lexicon_id": "The lexicon (lexicons.id)",
        "category": "Category path such as soft_power/culture",
        "label": "The term as written, e.g. militar*",
    }),
    "counts": ("One row per document and term that occurs in it.", {
        "document_id": "The document", "term_id": "The term", "count": "Occurrences (> 0)",
    }),
    "tallied": ("One row per document and lexicon scanned (zero-match documents too: "
                "they are the denominators).", {
        "document_id": "The document", "lexicon_id": "The lexicon",
        "fingerprint": "The lexicon's fingerprint when it was scanned",
    }),
    "term_counts": ("One row per document and term: the contract for ad-hoc queries.", {
        "document_id": "The document", "published": "Partial ISO date",
        "precision": "year, month or day", "source": "Source name", "title": "Title",
        "lexicon": "Lexicon name", "category": "Category path", "term": "Term label",
        "count": "Occurrences in the document", "word_count": "Words in the document",
    }),
    "runs": ("One row per command run (the run log).", {
        "id": "Run id", "command": "The command", "started": "Start (UTC)",
        "finished": "End (UTC)", "status": "running, ok or failed",
        "added": "Items added", "skipped": "Items skipped", "failed": "Items that failed",
        "message": "What went wrong, if anything",
    }),
}

# The README's sqlite-utils examples, as canned queries (tests check they match the README).
QUERIES: dict[str, tuple[str, str]] = {
    "security_by_decade": (
        'Occurrences of "security" by decade',
        "select substr(published, 1, 3) || '0s' as decade, sum(count) as n\n"
        "  from term_counts where term = 'security' group by decade order by decade",
    ),
    "power_by_president": (
        "Hard vs soft power per 10,000 words, by president (latest first)",
        "with words as (select json_extract(meta, '$.president') as president,\n"
        "    sum(word_count) as words, min(published) as first from documents group by"
        " president)\n"
        "  select w.president, substr(c.category, 1, instr(c.category || '/', '/') - 1)"
        " as side,\n"
        "    round(10000.0 * sum(c.count) / w.words, 1) as per10k\n"
        "  from term_counts c join documents d on d.id = c.document_id\n"
        "    join words w on w.president = json_extract(d.meta, '$.president')\n"
        "  where c.lexicon = 'power' group by w.president, side order by w.first desc,"
        " side limit 10",
    ),
    "full_text_near": (
        'Full-text search: "soviet" within 5 words of "threat"',
        "select d.published, d.title from documents_fts f\n"
        "  join documents d on d.id = f.rowid where documents_fts match"
        " 'NEAR(soviet threat, 5)'\n  order by d.published",
    ),
    "documents_sample": ("Three documents", "select * from documents_view limit 3"),
    "recent_runs": (
        "The run log: the latest five runs",
        "select command, started, status, added, failed, message\n"
        "  from runs order by id desc limit 5",
    ),
}

FACETS = ["source_id", "language", {"year": "published"}]
VIEW_FACETS = ["source", "language", {"year": "published"}]


def database_metadata(tables: set[str]) -> dict[str, Any]:
    """The ``databases.<name>`` block for a database holding ``tables``."""
    meta: dict[str, Any] = {}
    for name, (description, columns) in TABLES.items():
        if name not in tables:
            continue
        entry: dict[str, Any] = {"description": description, "columns": dict(columns)}
        if name == "documents":
            entry.update(facets=FACETS, fts_table="documents_fts", fts_pk="id",
                         label_column="title", sort_desc="published")
        elif name == "documents_view":
            entry.update(facets=VIEW_FACETS, fts_table="documents_fts", fts_pk="id",
                         sort_desc="published")
        elif name == "term_counts":
            entry["facets"] = ["lexicon", "source"]
        elif name == "sources":
            entry["label_column"] = "name"
        elif name == "terms":
            entry["label_column"] = "label"
        elif name == "lexicons":
            entry["label_column"] = "name"
        meta[name] = entry
    return {
        "description": "rhetoric-monitor: documents, lexicon terms and their counts.",
        "tables": meta,
        "queries": {name: {"title": title, "sql": sql}
                    for name, (title, sql) in QUERIES.items()},
    }
