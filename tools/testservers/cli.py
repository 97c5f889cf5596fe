"""tools/test-server (= python -m tools.testservers): build a test server, or run one in the
foreground for a person (the demo, a trial run) until Ctrl-C, which stops it and deletes its data
(except SQLite files kept with --data)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from tools.testservers.cache import cache_dir
from tools.testservers.errors import ServerError, ServerUnavailable, ToolchainMissing
from tools.testservers.ferretdb import FerretDB
from tools.testservers.provision import provision
from tools.testservers.selection import BACKEND_ENV, SERVER_ENV, SERVER_KINDS, choose
from tools.testservers.server import TestServer

EXIT_TOOLCHAIN_MISSING = 3

_EPILOG = f"""\
The server and FerretDB's backend default to what the tests use: {SERVER_ENV}
(ferretdb | mongo-java-server; default ferretdb) and {BACKEND_ENV} (postgresql |
sqlite; default PostgreSQL when its server binaries are installed, else SQLite).

Built servers are cached in {cache_dir()} (under $XDG_CACHE_HOME when set), one file per
server named by its version and a hash of its sources in tools/ferretdb or
tools/mongo-java-server. Exit status 3: a build tool (Go; Maven and a JDK) is missing and
the server is not built yet.

examples:
  tools/test-server --port 27017                        FerretDB, as the tests would run it
  tools/test-server --handler sqlite --data ./db       FerretDB on SQLite files that are kept
  tools/test-server --handler postgresql --postgresql-url postgres://postgres@127.0.0.1:5432/ferretdb
                                                        on your own PostgreSQL (apply
                                                        tools/ferretdb/postgresql-id-index.sql)
  tools/test-server --server mongo-java-server --port 27018
  tools/test-server --build                             build once; print the binary's path
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tools/test-server",
        description=__doc__,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--provision",
        action="store_true",
        help="install what the server lacks here (PostgreSQL; a JDK and Maven) with apt-get, "
        "as root; else say why not",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--build", "--path", action="store_true", help="build if needed; print the cached path"
    )
    mode.add_argument(
        "--describe", action="store_true", help="print which server the tests would use"
    )
    parser.add_argument("--server", choices=SERVER_KINDS, help=f"default: ${SERVER_ENV}")
    parser.add_argument("--port", type=int, default=27017, help="127.0.0.1:PORT (default 27017)")
    parser.add_argument(
        "--handler", choices=("postgresql", "sqlite"), help=f"FerretDB's backend ({BACKEND_ENV})"
    )
    parser.add_argument(
        "--data", type=Path, help="SQLite: keep the files here (else deleted at exit)"
    )
    parser.add_argument(
        "--postgresql-url",
        help="PostgreSQL: use this database (it must exist) instead of a private cluster",
    )
    return parser


def _server(args: argparse.Namespace) -> TestServer:
    if args.postgresql_url is not None:
        if args.handler != "postgresql" or args.server == "mongo-java-server":
            raise SystemExit("test-server: --postgresql-url needs --handler postgresql")
        return FerretDB("postgresql", postgresql_url=args.postgresql_url, port=args.port)
    if args.data is not None and args.handler != "sqlite":
        raise SystemExit("test-server: --data needs --handler sqlite")
    choice = choose(kind=args.server, backend=args.handler)
    if choice.kind == "mongo-java-server" and args.handler is not None:
        raise SystemExit(
            "test-server: --handler is FerretDB's; mongo-java-server keeps data in memory"
        )
    return choice.server(port=args.port, data_dir=args.data)


def _serve(server: TestServer) -> int:
    """Run until SIGINT or SIGTERM, or until the server dies; then stop and delete it."""
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    with server:
        print(f"test-server: {server.url} ({server.describe()}); Ctrl-C stops it", file=sys.stderr)
        while not stopping.wait(0.5):
            if not server.running():
                print(f"test-server: {server.describe()} exited", file=sys.stderr)
                return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.provision:
            done = provision(choose(kind=args.server, backend=args.handler))
            print(f"test-server: provision: {done}", file=sys.stderr)
            if not (args.build or args.describe):
                return 0
        if args.describe:
            print(choose(kind=args.server, backend=args.handler).describe())
            return 0
        if args.build:
            print(choose(kind=args.server, backend=args.handler).build())
            return 0
        return _serve(_server(args))
    except ToolchainMissing as exc:
        print(f"test-server: {exc}", file=sys.stderr)
        return EXIT_TOOLCHAIN_MISSING
    except (ServerUnavailable, ServerError) as exc:
        print(f"test-server: {exc}", file=sys.stderr)
        return 1
