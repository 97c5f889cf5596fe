"""mongo-java-server (its memory backend) as a second, independent MongoDB-wire test server.

A few lines of Java in ``tools/mongo-java-server`` built by Maven into one runnable jar, once,
and cached (see :mod:`tools.testservers.cache`); after the first build, running it needs Java
only. Its data lives inside the Java process, so a killed server comes back empty.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from tools.testservers.cache import TOOLS, Artifact, cache_dir
from tools.testservers.errors import ServerUnavailable, ToolchainMissing
from tools.testservers.processes import run_checked
from tools.testservers.server import START_TIMEOUT_S, ProcessServer

SOURCE = TOOLS / "mongo-java-server"
BUILD_TIMEOUT_S = 20 * 60.0
_JAR = "rewards-mongo-java-server-1.jar"
# The tests hold a few databases of tens of thousands of small documents at most.
_HEAP = "-Xmx1g"


def mongo_java_server_version() -> str:
    """The mongo-java-server version pom.xml asks for, e.g. ``1.47.0``."""
    pom = (SOURCE / "pom.xml").read_text()
    match = re.search(r"<mongo-java-server\.version>([^<]+)<", pom)
    if match is None:
        raise ServerUnavailable(
            "tools/mongo-java-server/pom.xml names no mongo-java-server.version"
        )
    return match.group(1).strip()


def mongo_java_server_artifact() -> Artifact:
    sources = [SOURCE / "pom.xml", *sorted(p for p in (SOURCE / "src").rglob("*") if p.is_file())]
    return Artifact("mongo-java-server", mongo_java_server_version(), sources, ".jar")


def _tool(name: str, purpose: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolchainMissing(f"`{name}` is not on PATH; it is needed to {purpose}")
    return found


def build_mongo_java_server() -> Path:
    """The cached jar, built first if missing (Maven downloads from Maven Central once)."""
    artifact = mongo_java_server_artifact()
    if (built := artifact.built()) is not None:
        return built

    _tool("javac", "compile the mongo-java-server launcher (a JDK)")
    mvn = _tool("mvn", "build the mongo-java-server launcher (Maven)")

    def maven_package(target: Path) -> None:
        # A copy, so that `target/` never lands in the repository and builds never collide.
        with tempfile.TemporaryDirectory(prefix="build-mongo-java-server-", dir=cache_dir()) as tmp:
            project = Path(tmp) / "project"
            shutil.copytree(SOURCE, project)
            run_checked(
                [mvn, "-q", "-B", "-DskipTests", "package"],
                BUILD_TIMEOUT_S,
                cwd=project,
                error=ServerUnavailable,
            )
            shutil.copyfile(project / "target" / _JAR, target)

    return artifact.build(maven_package)


class MongoJavaServer(ProcessServer):
    """mongo-java-server's memory backend in its own Java process."""

    name = "mongo-java-server"

    def __init__(self, port: int | None = None, start_timeout_s: float = START_TIMEOUT_S) -> None:
        super().__init__(port, start_timeout_s)
        self._jar: Path | None = None
        self._java = ""

    def describe(self) -> str:
        return f"mongo-java-server {mongo_java_server_version()} (memory backend)"

    def restart_refusal(self) -> str | None:
        return (
            "mongo-java-server's memory backend keeps its data inside the server process: "
            "killed, it comes back empty, so an outage with the data kept cannot be staged"
        )

    def _prepare(self) -> None:
        self._java = _tool("java", "run mongo-java-server")
        self._jar = build_mongo_java_server()

    def _command(self, port: int, folder: Path) -> list[str]:
        assert self._jar is not None
        return [self._java, _HEAP, "-jar", str(self._jar), str(port)]
