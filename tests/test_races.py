"""Tallies racing each other: two of one lexicon do the work once; two straddling an edit
of the lexicon end with the counts of a clean run of the new version."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import time

import pytest
from crash_harness import canonical_dump, make_corpus

MONITOR = [sys.executable, "-m", "monitor"]
V1 = "name: race\ncategories:\n  hard: [security, threat, militar*]\n  soft: [culture]\n"
V2 = ("name: race\ncategories:\n  hard: [{term: security, except: [security council]}, "
      "threat, militar*]\n  soft: [culture, values]\n")


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory):
    """A corpus ingested once for the module; each test gets its own copy."""
    here = tmp_path_factory.mktemp("races")
    make_corpus(here / "corpus", 5, records=4000)
    db = here / "m.db"
    subprocess.run([*MONITOR, "--db", str(db), "ingest", str(here / "corpus")], check=True,
                   capture_output=True)
    return here


def _setup(tmp_path, corpus_db):
    env = {**os.environ, "MONITOR_CACHE": str(tmp_path / "cache"), "MONITOR_LEXICONS": ""}
    db = tmp_path / "m.db"
    shutil.copy(corpus_db / "m.db", db)
    return env, db


def _tally(db, lexicon, env):
    return subprocess.Popen([*MONITOR, "--db", str(db), "tally", "--lexicon", str(lexicon)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_tallies_of_one_lexicon_do_the_work_once(tmp_path, corpus_db):
    env, db = _setup(tmp_path, corpus_db)
    lexicon = tmp_path / "race.yaml"
    lexicon.write_text(V1)
    # the test holds the lexicon's lock until both tallies wait for it, so they overlap
    # however fast one of them would be alone
    holder = open(db.with_name(f".{db.name}.tally-race.lock"), "w")  # noqa: SIM115
    fcntl.flock(holder, fcntl.LOCK_EX)
    logs = [tmp_path / "first.err", tmp_path / "second.err"]
    procs = [subprocess.Popen([*MONITOR, "--db", str(db), "tally", "--lexicon", str(lexicon)],
                              env=env, stdout=subprocess.PIPE, stderr=log.open("w"), text=True)
             for log in logs]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(
            "waiting for another tally of lexicon 'race'" in log.read_text() for log in logs):
        time.sleep(0.1)
    holder.close()  # releases the lock
    outs = [p.communicate()[0] for p in procs]
    errs = [log.read_text() for log in logs]
    assert all(p.returncode == 0 for p in procs), (outs, errs)
    assert all("waiting for another tally of lexicon 'race'" in err for err in errs), errs
    scanned = [int(re.search(r"scanned (\d+) documents", out).group(1)) for out in outs]
    docs = len(canonical_dump(db)["documents"])
    assert sorted(scanned) == [0, docs]


def test_tallies_straddling_a_lexicon_edit_end_with_clean_run_counts(tmp_path, corpus_db):
    env, db = _setup(tmp_path, corpus_db)
    lexicon = tmp_path / "race.yaml"
    lexicon.write_text(V1)
    old = _tally(db, lexicon, env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(tmp_path.glob(".m.db.tally-race.lock")):
        time.sleep(0.05)  # the old version is loaded and tallying (it holds the lock)
    lexicon.write_text(V2)
    new = _tally(db, lexicon, env)
    outs = [p.communicate() for p in (old, new)]
    assert old.returncode == 0 and new.returncode == 0, outs
    clean = tmp_path / "clean.db"
    shutil.copy(corpus_db / "m.db", clean)
    subprocess.run([*MONITOR, "--db", str(clean), "tally", "--lexicon", str(lexicon)], env=env,
                   check=True, capture_output=True)
    assert canonical_dump(db) == canonical_dump(clean)
    again = subprocess.run([*MONITOR, "--db", str(db), "tally", "--lexicon", str(lexicon)],
                           env=env, capture_output=True, text=True)
    assert "scanned 0 documents" in again.stdout
