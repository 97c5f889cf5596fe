"""An importable ASGI application for hosts that import one (`interfaces.http.asgi:app`), e.g.
serverless platforms. Settings are read from the environment when the host imports this module;
nothing connects until the ASGI lifespan starts the app. Set REWARDS_EXECUTION=steps on hosts
that freeze or kill work after an answer."""

from __future__ import annotations

from infrastructure.container import container_for
from infrastructure.settings import Settings
from interfaces.http.app import create_app
from interfaces.http.server import check_keys

_settings = Settings.from_env()
check_keys(_settings)  # the same refusal as `rewards serve`: no key, or a short one, on a real DB
app = create_app(container_for(_settings))
