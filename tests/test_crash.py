"""A short seeded crash run in CI (see tests/crash_harness.py for long runs by hand)."""

from __future__ import annotations

from crash_harness import crash_run

KILLS = 20


def test_seeded_sigkills_of_ingest_tally_and_report_lose_nothing(tmp_path):
    result = crash_run(tmp_path, kills=KILLS, seed=13, records=1200, max_delay=1.2)
    assert not result.problems, result.problems[:5]
    assert result.equal
    assert result.kills == KILLS and sum(result.killed.values()) >= KILLS // 2, result.killed
