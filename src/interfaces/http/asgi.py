"""An importable ASGI application for hosts that import one (`interfaces.http.asgi:app`), e.g.
serverless platforms. Settings are read from the environment when the host imports this module;
nothing connects until the ASGI lifespan starts the app. Set REWARDS_EXECUTION=steps on hosts
that freeze or kill work after an answer."""

from __future__ import annotations

from infrastructure.container import container_for
from infrastructure.settings import Settings
from interfaces.http.app import create_app

app = create_app(container_for(Settings.from_env()))
