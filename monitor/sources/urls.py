"""URL normalising, so one article reached by two links is one document.

Scheme and host are lower-cased, default ports and fragments dropped, and tracking
parameters (``utm_*``, ``fbclid``, ``gclid``...) removed; the other query parameters keep
their order, since some sites use them to name the article.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PREFIXES = ("utm_",)
TRACKING_NAMES = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "yclid", "igshid", "_ga",
    "ocid", "cmpid", "at_medium", "at_campaign", "spm", "share", "ref_src", "smid",
})


def normalise_url(url: str) -> str:
    """``url`` with its case, port, fragment and tracking parameters normalised away."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port if parts.port and (scheme, parts.port) not in (("http", 80),
                                                                     ("https", 443)) else None
    netloc = host + (f":{port}" if port else "")
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(TRACKING_PREFIXES) and k.lower() not in TRACKING_NAMES]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))
