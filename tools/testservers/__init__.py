"""The one place that knows how to build and start a MongoDB-wire test server.

Used by the tests (``tests/conftest.py``), the benchmarks and ``tools/test-server``::

    with choose().server() as server:   # REWARDS_TEST_SERVER, REWARDS_TEST_FERRETDB_BACKEND
        use(server.url)

Servers: FerretDB (built from ``tools/ferretdb``) on a private PostgreSQL cluster or SQLite, and
mongo-java-server's memory backend (built from ``tools/mongo-java-server``), an independent
implementation, so that no FerretDB quirk passes for MongoDB behaviour.
"""

from tools.testservers.errors import ServerError, ServerUnavailable, ToolchainMissing
from tools.testservers.selection import BACKEND_ENV, SERVER_ENV, Choice, choose
from tools.testservers.server import TestServer

__all__ = [
    "BACKEND_ENV",
    "SERVER_ENV",
    "Choice",
    "ServerError",
    "ServerUnavailable",
    "TestServer",
    "ToolchainMissing",
    "choose",
]
