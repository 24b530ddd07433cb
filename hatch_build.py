"""Build hook: compiles ``monitor/_c/*.c`` into ``monitor._native`` (see monitor/_c/native.h).

It needs a C compiler, Python's headers and Hyperscan's (Debian: ``apt-get install gcc
libhyperscan-dev``). Where any is missing the build says so and goes on without it: the
package then uses the ``hyperscan`` package's bindings, with the same results, slower.
``MONITOR_NO_NATIVE=1`` skips it; ``CC`` names another compiler, ``CPPFLAGS``, ``CFLAGS``
and ``LDFLAGS`` add flags (Hyperscan under another prefix). An editable install
(``pip install -e .``) compiles into the source tree; run it again after editing a C
file.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCES = "monitor/_c"


class NativeBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or os.environ.get("MONITOR_NO_NATIVE", "0") not in (
                "", "0"):
            return
        sources = Path(self.root) / SOURCES
        package = Path(self.root) / "monitor"
        name = "_native" + sysconfig.get_config_var("EXT_SUFFIX")
        # built beside, then renamed into place: a running process keeps the file it loaded
        self._folder = Path(tempfile.mkdtemp(prefix="monitor-native-"))
        built = self._folder / name
        compiler = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
        flags = [f for name in ("CPPFLAGS", "CFLAGS", "LDFLAGS")  # e.g. -I/opt/hs/include
                 for f in shlex.split(os.environ.get(name, ""))]
        if sys.platform == "darwin":  # Python's symbols come from the interpreter
            flags += ["-undefined", "dynamic_lookup"]
        command = [*compiler, "-O2", "-shared", "-fPIC", "-Wall",
                   f"-I{sysconfig.get_paths()['include']}", f"-I{sources}", *flags,
                   *sorted(str(p) for p in sources.glob("*.c")), "-o", str(built), "-lhs"]
        try:
            subprocess.run(command, check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            why = getattr(exc, "stderr", "") or str(exc)
            self.app.display_warning(
                f"{SOURCES}/*.c not compiled (the pure-Python route is used; for speed install a"
                f" C compiler and libhyperscan-dev, then reinstall): {why.strip()[:500]}")
            if version == "editable":  # an older build would be used instead
                (package / name).unlink(missing_ok=True)
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version == "editable":
            staged = package / f".{name}.tmp"
            try:
                shutil.copyfile(built, staged)
                os.replace(staged, package / name)
            except OSError as exc:  # a read-only checkout
                self.app.display_warning(f"{SOURCES}: the build could not be placed: {exc}")
                return
        else:
            build_data["force_include"][str(built)] = f"monitor/{name}"

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        folder = getattr(self, "_folder", None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
