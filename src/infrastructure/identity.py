"""This process's name as a lease owner: readable in the status JSON, unique across restarts."""

from __future__ import annotations

import os
import secrets
import socket


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
