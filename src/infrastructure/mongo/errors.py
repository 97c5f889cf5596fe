"""Which database errors are worth retrying: the adapter's knowledge, handed to the use cases."""

from __future__ import annotations

from pymongo.errors import AutoReconnect, ConnectionFailure, OperationFailure, WTimeoutError

# Server codes that mean "not now" rather than "never": shutting down, stepping down, not
# primary, interrupted, host unreachable, timeouts (MongoDB's error_codes.yml).
_TRANSIENT_CODES = frozenset({6, 7, 50, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436})


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (AutoReconnect, ConnectionFailure, WTimeoutError)):
        return True
    if isinstance(exc, OperationFailure):
        labels = ("RetryableWriteError", "TransientTransactionError")
        return exc.code in _TRANSIENT_CODES or any(map(exc.has_error_label, labels))
    return False
