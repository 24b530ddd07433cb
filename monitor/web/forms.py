"""The trends form: query-string parameters in, a checked :class:`TrendQuery` out.

The URL holds the whole query, so a chart can be bookmarked or mailed. The parameters are
the ``monitor trend`` / ``monitor chart`` options, and bad values get the same messages as
the CLI (they come from the same checks in :class:`~monitor.trends.TrendQuery`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from ..trends import BUCKETS, MEASURES, TrendQuery

KINDS = ("line", "bars", "stacked")
MAX_SERIES = 12  # series and ad-hoc terms together
MAX_FILTERS = 8
MAX_LENGTH = 200
FIELD_RE = re.compile(r"[A-Za-z_][\w.\-]*")  # a document field (monitor.trends.filters)


class FormError(ValueError):
    """A parameter that cannot be used; the message says which and how to fix it."""


@dataclass
class TrendForm:
    """The form's fields, as typed (strings), and what they mean."""

    series: list[str] = field(default_factory=list)
    bucket: str = "year"
    measure: str = "share"
    sources: list[str] = field(default_factory=list)
    lexicon: str = ""
    since: str = ""
    until: str = ""
    by_source: bool = False
    smooth: str = "1"
    center: bool = False
    ratio: list[str] = field(default_factory=list)
    kind: str = "line"
    events: str = ""
    terms: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    by: str = ""
    all_copies: bool = False

    @classmethod
    def from_args(cls, args) -> TrendForm:
        """From Datasette's ``request.args`` (or any mapping with ``getlist``)."""
        def one(name: str, default: str = "") -> str:
            value = (args.getlist(name) or [default])[-1]
            if len(value) > MAX_LENGTH:
                raise FormError(f"{name}: longer than {MAX_LENGTH} characters")
            return value.strip()

        def many(name: str) -> list[str]:
            values = [v.strip() for v in args.getlist(name)]
            if any(len(v) > MAX_LENGTH for v in values):
                raise FormError(f"{name}: longer than {MAX_LENGTH} characters")
            return [v for v in values if v]

        return cls(
            series=list(dict.fromkeys(many("series"))), bucket=one("bucket", "year"),
            measure=one("measure", "share"), sources=many("source"), lexicon=one("lexicon"),
            since=one("since"), until=one("until"), by_source=_flag(one("by_source")),
            smooth=one("smooth", "1") or "1", center=_flag(one("center")),
            ratio=[one("ratio_a"), one("ratio_b")] if one("ratio_a") or one("ratio_b") else [],
            kind=one("kind", "line") or "line", events=one("events"),
            terms=list(dict.fromkeys(" ".join(t.split()) for t in many("term"))),
            where=many("where"), by=one("by"), all_copies=_flag(one("all_copies")),
        )

    @property
    def is_blank(self) -> bool:
        return not self.series and not self.ratio and not self.terms

    def query(self) -> TrendQuery:
        """The trend query; FormError (a ValueError) with the CLI's message if it is bad."""
        if len(self.series) + len(self.terms) > MAX_SERIES:
            raise FormError(f"at most {MAX_SERIES} series and terms at a time")
        if len(self.where) > MAX_FILTERS:
            raise FormError(f"at most {MAX_FILTERS} --where filters at a time")
        if self.by and not FIELD_RE.fullmatch(self.by):
            raise FormError(f"--by {self.by!r}: give a document field (source, language,"
                            " title or a meta key such as country)")
        if self.bucket not in BUCKETS:
            raise FormError(f"bucket {self.bucket!r} is not one of {', '.join(BUCKETS)}")
        if self.measure not in MEASURES:
            raise FormError(f"measure {self.measure!r} is not one of {', '.join(MEASURES)}")
        if self.kind not in KINDS:
            raise FormError(f"chart kind {self.kind!r} is not one of {', '.join(KINDS)}")
        try:
            smooth = int(self.smooth)
        except ValueError:
            raise FormError(f"smooth must be a whole number of buckets >= 1, not "
                            f"{self.smooth!r}") from None
        if smooth > 1000:
            raise FormError(f"smooth must be at most 1000 buckets, not {smooth}")
        if self.ratio and (len(self.ratio) != 2 or not all(self.ratio)):
            raise FormError("ratio takes two series: numerator and denominator")
        if self.lexicon and ("/" in self.lexicon or "\\" in self.lexicon
                             or self.lexicon.endswith((".yaml", ".yml"))):
            raise FormError(f"lexicon {self.lexicon!r}: give a tallied lexicon's name (the web"
                            " view reads no lexicon files)")
        if self.is_blank:
            raise FormError("name at least one series (a term, a category, lexicon:name),"
                            " a --term or a ratio A B")
        try:
            return TrendQuery(
                series=self.series, bucket=self.bucket, measure=self.measure,
                sources=self.sources, lexicon=self.lexicon or None,
                since=self.since or None, until=self.until or None,
                by_source=self.by_source, smooth=smooth, center=self.center,
                ratio=self.ratio or None, terms=self.terms, where=self.where,
                by=self.by or None, all_copies=self.all_copies,
            )
        except ValueError as exc:
            raise FormError(str(exc)) from None

    def params(self, **changes: object) -> list[tuple[str, str]]:
        """The query-string pairs that rebuild this form (defaults left out)."""
        form = TrendForm(**{**self.__dict__, **changes})
        pairs = [("series", s) for s in form.series] + [("term", t) for t in form.terms]
        for name, default in (("bucket", "year"), ("measure", "share"), ("lexicon", ""),
                              ("since", ""), ("until", ""), ("smooth", "1"),
                              ("kind", "line"), ("events", ""), ("by", "")):
            value = getattr(form, name)
            if value != default:
                pairs.append((name, value))
        pairs += [("source", s) for s in form.sources] + [("where", w) for w in form.where]
        if form.ratio:
            pairs += [("ratio_a", form.ratio[0]), ("ratio_b", form.ratio[1])]
        pairs += [(name, "1") for name in ("by_source", "center", "all_copies")
                  if getattr(form, name)]
        return pairs

    def query_string(self, **changes: object) -> str:
        return urlencode(self.params(**changes))


def _flag(value: str) -> bool:
    return value.lower() in ("1", "on", "true", "yes")
