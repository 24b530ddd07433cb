"""Candidates for new lexicon entries, from the documents that mention a category.

Three kinds, printed as a lexicon YAML file that ``monitor lexicon check`` accepts:

* **collocations**: two-word phrases holding a word the category's terms match
  (``food security``, ``collective security``), ranked by nltk's likelihood ratio over the
  words of the documents that mention the category (cut as :mod:`monitor.analysis.tokens`
  cuts them, without nltk's punkt data); Chinese words that contain a term (国家安全);
* **distinctive terms** of the documents where the category is densest (the top tenth by
  occurrences per 10,000 words) against the other tallied documents (G2, as ``discover``);
* **wildcard and stemmed forms**: what each such term actually matched, with counts and the
  commonest neighbours, as comments: the place to spot an ``except`` (``force*`` in
  *labour force*, *entered into force*).

A candidate already matched whole by a term of the category is not suggested.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field

from ..lexicon import Lexicon, Matcher
from ..store import Database
from .discover import DiscoverQuery, rank_pairs
from .select import DocumentRow, read_texts
from .tokens import _CJK_RUN, _CLAUSE, is_stop, join, words


@dataclass
class Candidate:
    term: str
    kind: str  # 'collocation', 'compound', 'distinctive'
    count: int
    score: float


@dataclass
class WildcardForms:
    term: str
    forms: list[tuple[str, int]]
    neighbours: list[tuple[str, int]]


@dataclass
class Suggestions:
    lexicon: str
    category: str | None
    documents: int  # documents mentioning the category that were read
    dense: int  # documents in the dense group
    candidates: list[Candidate] = field(default_factory=list)
    wildcards: list[WildcardForms] = field(default_factory=list)

    def to_yaml(self) -> str:
        where = self.category or "every category"
        lines = [
            f"# Suggestions for lexicon {self.lexicon!r}, {where}, from {self.documents}"
            " documents that mention it",
            "# (monitor suggest). Keep the lines you want and paste them under the category.",
            f"name: {self.lexicon}-suggestions",
            "categories:",
        ]
        indent = "  "
        for part in (self.category or "suggested").split("/"):
            lines.append(f"{indent}{part}:")
            indent += "  "
        titles = {"collocation": "collocations with the category's words (nltk likelihood"
                                 " ratio)",
                  "compound": "Chinese words containing a term (occurrences)",
                  "distinctive": f"distinctive in the {self.dense} documents where the"
                                 " category is densest (G2)"}
        written = 0
        for kind, title in titles.items():
            chosen = [c for c in self.candidates if c.kind == kind]
            if not chosen:
                continue
            lines.append(f"{indent}# {title}")
            for c in chosen:
                lines.append(f"{indent}- {json.dumps(c.term, ensure_ascii=False)}"
                             f"  # {c.score:.1f}, {c.count} times")
                written += 1
        if not written:
            lines.append(f"{indent}[]  # no candidates")
        for w in self.wildcards:
            forms = ", ".join(f"{f} {n}" for f, n in w.forms)
            near = ", ".join(f'"{p}" {n}' for p, n in w.neighbours)
            lines.append(f"# {w.term} matched: {forms}")
            if near:
                lines.append(f"#   commonest neighbours (an except: list?): {near}")
        return "\n".join(lines) + "\n"


def suggest(db: Database, lexicon: Lexicon, category: str | None = None, *, top: int = 25,
            min_count: int = 3, max_documents: int = 1000, seed: int = 0) -> Suggestions:
    """Suggestions for ``category`` of ``lexicon`` (its whole tree; all terms when None).

    Reads at most ``max_documents`` of the documents that mention it (drawn at random with
    ``seed`` beyond that). ValueError if the category is unknown or nothing was tallied.
    """
    conn = db.conn
    terms = [t for t in lexicon.terms if category is None or t.category == category
             or t.category.startswith(category + "/")]
    if not terms:
        known = ", ".join(lexicon.categories())
        raise ValueError(f"lexicon {lexicon.name!r} has no category {category!r}; known: {known}")
    row = conn.execute("SELECT id FROM lexicons WHERE name = ?", (lexicon.name,)).fetchone()
    if row is None:
        raise ValueError(f"lexicon {lexicon.name!r} was never tallied: run monitor tally first")
    labels = [(t.category, t.label) for t in terms]
    term_ids = [tid for tid, c, lab in conn.execute(
        "SELECT id, category, label FROM terms WHERE lexicon_id = ?", (row[0],))
        if (c, lab) in set(labels)]
    density = _density(conn, row[0], term_ids)
    mentioning = sorted(density)
    if len(mentioning) > max_documents:
        mentioning = sorted(random.Random(seed).sample(mentioning, max_documents))
    own = Lexicon(lexicon.name, language=lexicon.language, overlap=lexicon.overlap,
                  terms=terms)
    matcher = Matcher([own])
    out = Suggestions(lexicon.name, category, len(mentioning), 0)
    texts = list(read_texts(conn, mentioning))
    out.candidates += _collocations(texts, matcher, top, min_count)
    out.wildcards = _wildcards(texts, matcher)
    dense = _dense(density, mentioning)
    out.dense = len(dense)
    out.candidates += _distinctive(conn, row[0], dense, own, top, min_count, seed)
    seen: set[str] = set()
    out.candidates = [c for c in out.candidates if not (c.term in seen or seen.add(c.term))]
    return out


def _density(conn, lexicon_id: int, term_ids: list[int]) -> dict[int, float]:
    marks = ",".join("?" * len(term_ids))
    rows = conn.execute(
        "SELECT c.document_id, sum(c.count) * 10000.0 / max(d.word_count, 1) FROM counts c"
        f" JOIN documents d ON d.id = c.document_id WHERE c.term_id IN ({marks})"
        " GROUP BY c.document_id", term_ids) if term_ids else []
    return dict(rows)


def _whole(matcher: Matcher, text: str) -> bool:
    return any(m.start == 0 and m.end == len(text) for m in matcher.matches(text))


def _collocations(texts, matcher: Matcher, top: int, min_count: int) -> list[Candidate]:
    from nltk.collocations import BigramCollocationFinder
    from nltk.metrics import BigramAssocMeasures

    clauses = [[w for w in words(c)] for text in texts
               for c in _CLAUSE.split(text.replace("\u2019", "'"))]
    hit: dict[str, bool] = {}

    def hits(word: str | None) -> bool:
        if word is None:
            return False
        if word not in hit:
            hit[word] = bool(matcher.matches(word))
        return hit[word]

    finder = BigramCollocationFinder.from_documents(clauses)
    finder.apply_freq_filter(min_count)
    finder.apply_ngram_filter(lambda a, b: a is None or b is None or is_stop(a) or is_stop(b)
                              or not (hits(a) or hits(b)))
    found = []
    for (a, b), score in finder.score_ngrams(BigramAssocMeasures.likelihood_ratio):
        phrase = join([a, b])
        if _whole(matcher, phrase):
            continue
        found.append(Candidate(phrase, "collocation", finder.ngram_fd[a, b], score))
        if len(found) >= top:
            break
    compounds = Counter(w for clause in clauses for w in clause
                        if w and _CJK_RUN.fullmatch(w) and hits(w) and not _whole(matcher, w))
    found += [Candidate(w, "compound", n, float(n)) for w, n in compounds.most_common(top)
              if n >= min_count]
    return found


def _wildcards(texts, matcher: Matcher) -> list[WildcardForms]:
    wild = {i for i, (_, t) in enumerate(matcher.terms) if "*" in t.label or t.stem}
    forms: dict[int, Counter] = {i: Counter() for i in wild}
    near: dict[int, Counter] = {i: Counter() for i in wild}
    for text in texts:
        for m in matcher.matches(text):
            if m.term not in wild:
                continue
            form = text[m.start:m.end].lower()
            forms[m.term][form] += 1
            left = _reach(reversed(list(words(text[max(0, m.start - 60): m.start]))))
            right = _reach(words(text[m.end: m.end + 60]))
            if left:
                near[m.term][" ".join([*reversed(left), form])] += 1
            if right:
                near[m.term][" ".join([form, *right])] += 1
    return [WildcardForms(matcher.terms[i][1].label, forms[i].most_common(12),
                          near[i].most_common(8)) for i in sorted(wild) if forms[i]]


def _reach(neighbours) -> list[str]:
    """The next words out from a match up to the first that is not a stop word (at most 3):
    ``into force`` is reached as ``entered into``."""
    found: list[str] = []
    for word in neighbours:
        if word is None or len(found) == 3:
            return []
        found.append(word)
        if not is_stop(word):
            return found
    return []


def _dense(density: dict[int, float], mentioning: list[int]) -> list[int]:
    ranked = sorted(mentioning, key=lambda d: -density[d])
    return ranked[: max(5, len(ranked) // 10)] if len(ranked) >= 10 else []


def _distinctive(conn, lexicon_id, dense, own, top, min_count, seed) -> list[Candidate]:
    if not dense:
        return []
    others = [d for (d,) in conn.execute(
        "SELECT document_id FROM tallied WHERE lexicon_id = ?", (lexicon_id,))
        if d not in set(dense)]
    if not others:
        return []
    others = sorted(random.Random(seed).sample(others, min(len(others), 1000)))
    meta = {r[0]: DocumentRow(*r) for r in conn.execute(
        "SELECT d.id, s.name, d.published, d.precision, d.word_count,"
        " coalesce(d.cluster_id, d.id) FROM documents d"
        " JOIN sources s ON s.id = d.source_id WHERE d.id IN"
        f" ({','.join(str(int(i)) for i in [*dense, *others])})")}
    query = DiscoverQuery(top=top, min_count=min_count, max_words=2)
    rows, _ = rank_pairs(conn, [(None, [meta[d] for d in dense], [meta[d] for d in others])],
                         meta, query, [own])
    return [Candidate(r.term, "distinctive", r.count, r.g2) for r in rows if not r.lexicon]
