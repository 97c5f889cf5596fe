"""Why a test server could not be had: the callers (pytest, the CLI) decide what that means."""


class ServerUnavailable(RuntimeError):
    """The server cannot be had here: a failed build, or a forced backend that is missing."""


class ToolchainMissing(ServerUnavailable):
    """A build tool (Go, Maven, a JDK) is missing and the server is not built yet."""


class ServerError(RuntimeError):
    """The server was started but did not come up, or did not come back; carries its log tail."""
