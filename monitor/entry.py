"""The ``monitor`` console script and ``python -m monitor``.

The commands take a few tenths of a second to import; a Ctrl-C meanwhile ends with the
same one line and exit code 130 as one during a command, not an import traceback.
"""

from __future__ import annotations

import sys


def run() -> None:
    try:
        from .cli import run as run_cli
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted (Ctrl-C)\n")
        sys.exit(130)
    run_cli()
