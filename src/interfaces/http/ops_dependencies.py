"""Bridges the container to Litestar for the operator surfaces, as dependencies.py does for the
trigger's: each handler asks for a use case by its class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.di import Provide

from domain.policy import RewardPolicy
from infrastructure.container import Container


def _provide(factory: Callable[[], Any]) -> Provide:
    # A plain function, so Litestar sees a callable without parameters of its own.
    def provide() -> Any:
        return factory()

    return Provide(provide, sync_to_thread=False)


def ops_dependencies(container: Container) -> dict[str, Provide]:
    """One provider per use case, named as the handlers' parameters are."""

    def policy() -> RewardPolicy:
        found: RewardPolicy = container.policy()
        return found

    names = (
        "list_rewards",
        "get_user_rewards",
        "get_ranking_snapshot",
        "preview_monthly_rewards",
        "check_schedule",
        "gather_job_metrics",
        "check_readiness",
    )
    provided = {name: _provide(getattr(container, name)) for name in names}
    return {**provided, "policy": _provide(policy)}
