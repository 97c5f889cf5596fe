"""Installs what the chosen test server needs and this machine lacks, where it can: Debian's
packages through apt-get, as root. ``make test`` and ``.ci/run`` call it (``tools/test-server
--provision``), so a fresh machine runs the suites on the backend CI uses, at full size.

Where it cannot (not root, no apt-get), it says so and changes nothing: FerretDB then runs on
SQLite, and the real-server suites are sized to it.
"""

from __future__ import annotations

import os
import shutil
import sys

from tools.testservers.errors import ServerUnavailable
from tools.testservers.processes import run_checked
from tools.testservers.selection import Choice

APT_TIMEOUT_S = 15 * 60.0
_JAVA_PACKAGES = {"javac": "default-jdk-headless", "java": "default-jdk-headless", "mvn": "maven"}


def missing_packages(choice: Choice) -> list[str]:
    """The Debian packages ``choice`` lacks here."""
    if choice.kind == "mongo-java-server":
        missing = {pkg for tool, pkg in _JAVA_PACKAGES.items() if shutil.which(tool) is None}
        return sorted(missing)
    wants_postgres = choice.forced_backend != "sqlite"
    return ["postgresql"] if wants_postgres and choice.postgres is None else []


def provision(choice: Choice) -> str:
    """Install what is missing; return one line saying what was done or why not.

    ServerUnavailable when apt-get ran and failed.
    """
    packages = missing_packages(choice)
    if not packages:
        return "nothing to install"
    apt_get = shutil.which("apt-get")
    if os.geteuid() != 0 or apt_get is None:
        return f"not installing {' '.join(packages)}: needs root and apt-get"
    print(f"test-server: installing {' '.join(packages)} with apt-get...", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["update"], ["install", "-y", *packages]):
        run_checked([apt_get, *args], APT_TIMEOUT_S, env=env, error=ServerUnavailable)
    return f"installed {' '.join(packages)} with apt-get"
