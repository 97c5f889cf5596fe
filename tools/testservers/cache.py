"""The one rule for where built test servers are kept: ``$XDG_CACHE_HOME/rewards`` (else
``~/.cache/rewards``), one file per server named by its version and a hash of its sources, so
that a changed source builds anew and an unchanged one is never rebuilt."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS = REPO_ROOT / "tools"


def cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    home = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(home) / "rewards"


@dataclass(frozen=True)
class Artifact:
    """A built server in the cache: ``<name>-<version>-<hash of sources><suffix>``."""

    name: str
    version: str
    sources: Sequence[Path]
    suffix: str = ""

    @property
    def path(self) -> Path:
        digest = hashlib.sha256(b"".join(path.read_bytes() for path in self.sources))
        return cache_dir() / f"{self.name}-{self.version}-{digest.hexdigest()[:12]}{self.suffix}"

    def built(self) -> Path | None:
        path = self.path
        return path if path.is_file() else None

    def build(self, produce: Callable[[Path], None]) -> Path:
        """Return the cached file, calling ``produce(tmp)`` to write it first if it is missing.

        The file is renamed into place atomically: a concurrent build of the same sources just
        replaces an identical file, and a failed one leaves nothing behind.
        """
        path = self.path
        if path.is_file():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"test-server: building {self.name} {self.version} into {path}...", file=sys.stderr)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            produce(tmp)
            tmp.chmod(0o755)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        return path
