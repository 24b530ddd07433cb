"""A short seeded crash run in CI (see tests/crash_harness.py for long runs by hand)."""

from __future__ import annotations

from crash_harness import crash_run
from shared_corpora import CORPORA

KILLS = 20


def test_seeded_sigkills_of_ingest_tally_report_fetch_and_run_lose_nothing(tmp_path):
    # kills between 0.05 and 0.5 s: an ingest or tally of these records now takes 0.2-0.4 s
    result = crash_run(tmp_path, kills=KILLS, seed=13, records=4000, min_delay=0.05,
                       max_delay=0.5)
    assert not result.problems, result.problems[:5]
    assert result.equal
    assert result.kills == KILLS and sum(result.killed.values()) >= KILLS // 2, result.killed
    if (CORPORA / "feeds").is_dir():  # fetch and run against the local feed server
        assert result.killed.get("fetch", 0) + result.killed.get("run", 0) >= 2, result.killed
