"""Every ``monitor ...`` example of the README runs as written on a demo database.

Each command line of the README's ``sh`` blocks is run (in process, in a folder holding
``db/monitor.db`` and ``db/demo.db``: the demo's addresses since 1990) with its shell
redirections and pipes dropped. It must succeed, or fail only for want of the reader's own
data (a file, database, source or lexicon of theirs that the folder does not hold), with a
one-line message: never a usage error, an ambiguous or unknown series, or a traceback.
Daemons, the network, the demo itself and Dask backfills are left to their own tests.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main
from monitor.store import Database

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
NOT_HERE = re.compile(r"no such file|does not exist|no database at|unknown source"
                      r"|not tallied yet|no such lexicon|no tallied documents|failed [1-9]", re.I)
SKIP = {"serve", "fetch", "demo", "backfill", "run"}  # daemons, network, own tests


def readme_commands() -> list[str]:
    """The README's monitor command lines, a quoted or continued line joined to the next."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        pending = ""
        for line in block.strip().split("\n"):
            line = f"{pending}\n{line}" if pending else line
            try:
                shlex.split(line, comments=True)
            except ValueError:  # a quotation that goes on on the next line
                pending = line
                continue
            if line.rstrip().endswith("\\"):
                pending = line
                continue
            pending = ""
            if re.match(r"(monitor|python -m monitor) ", line):
                commands.append(line.replace("\\\n", " "))
    return commands


def argv_of(command: str) -> list[str] | None:
    argv = shlex.split(command, comments=True)
    for operator in ("|", ">", ">>", "&&", "2>"):
        if operator in argv:
            argv = argv[:argv.index(operator)]
    argv = argv[3:] if argv[0] == "python" else argv[1:]
    words = [a for a in argv if not a.startswith("-") and not a.startswith("db/")]
    if SKIP & set(words[:1]) or words[:2] == ["sources", "check"]:
        return None
    if words[:1] == ["schedule"] and "--print-systemd" not in argv:
        return None
    return argv


def test_every_monitor_example_runs_as_written(web_demo, tmp_path, monkeypatch) -> None:
    (tmp_path / "db").mkdir()
    demo = tmp_path / "db" / "monitor.db"
    shutil.copy(web_demo[0], demo)
    with Database(demo) as db, db.transaction() as conn:  # fewer addresses: a faster test
        conn.execute("DELETE FROM documents WHERE published < '1990'")
    shutil.copy(demo, tmp_path / "db" / "demo.db")
    monkeypatch.chdir(tmp_path)
    for name in ("MONITOR_DB", "MONITOR_CONFIG", "MONITOR_LEXICONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MONITOR_CACHE", str(tmp_path / "cache"))
    commands = readme_commands()
    assert len(commands) > 50
    wrong, ran = [], 0
    for command in commands:
        argv = argv_of(command)
        if argv is None:
            continue
        result = CliRunner().invoke(main, argv)
        ran += 1
        text = result.output.strip()
        if result.exception and not isinstance(result.exception, SystemExit):
            wrong.append(f"{command}\n  raised {result.exception!r}")
        elif result.exit_code and not NOT_HERE.search(text):
            wrong.append(f"{command}\n  exit {result.exit_code}: {text[-300:]}")
    assert not wrong, "README examples that do not run as written:\n" + "\n".join(wrong)
    assert ran > 45
