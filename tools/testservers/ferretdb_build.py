"""FerretDB built once from ``tools/ferretdb`` and cached (see :mod:`tools.testservers.cache`).

Built as a dependency of our own main module because ``go install .../cmd/ferretdb`` panics at
start without a generated version.txt (FerretDB issue #2982). The first build downloads modules
and compiles for minutes on 2 cores.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from tools.testservers.cache import TOOLS, Artifact
from tools.testservers.errors import ServerUnavailable, ToolchainMissing
from tools.testservers.processes import run_checked

SOURCE = TOOLS / "ferretdb"
BUILD_TIMEOUT_S = 20 * 60.0
# Where the Go tarball installs it; not always on a non-login shell's PATH.
_GO_FALLBACK = Path("/usr/local/go/bin/go")


def ferretdb_version() -> str:
    """The FerretDB version tools/ferretdb/go.mod requires, e.g. ``v1.24.2``."""
    match = re.search(r"github\.com/FerretDB/FerretDB\s+(v\S+)", (SOURCE / "go.mod").read_text())
    if match is None:
        raise ServerUnavailable("tools/ferretdb/go.mod does not require FerretDB")
    return match.group(1)


def ferretdb_artifact() -> Artifact:
    sources = [SOURCE / name for name in ("main.go", "go.mod", "go.sum")]
    return Artifact("ferretdb", ferretdb_version(), sources)


def go_toolchain() -> str:
    """The `go` command: on PATH, else where the Go tarball installs it."""
    found = shutil.which("go")
    if found is not None:
        return found
    if _GO_FALLBACK.is_file():
        return str(_GO_FALLBACK)
    raise ToolchainMissing(
        f"the Go toolchain (`go`) is not on PATH; it is needed to build FerretDB {ferretdb_version()}"
    )


def build_ferretdb() -> Path:
    """The cached FerretDB binary, built first if missing."""
    artifact = ferretdb_artifact()
    if (built := artifact.built()) is not None:
        return built

    go = go_toolchain()

    def go_build(target: Path) -> None:
        run_checked(
            [go, "build", "-o", str(target), "."],
            BUILD_TIMEOUT_S,
            cwd=SOURCE,
            env={**os.environ, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"},
            error=ServerUnavailable,
        )

    return artifact.build(go_build)
