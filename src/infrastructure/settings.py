"""Settings read from the environment once, in the composition root, and passed in."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import InvalidPolicy
from domain.policy import RewardPolicy
from infrastructure.mongo.bulk import DEFAULT_UPDATE_CHUNK

DEFAULT_DB = "rewards"


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    mongodb_url: str | None = None
    mongodb_db: str = DEFAULT_DB
    users_collection: str = "users"
    api_keys: tuple[str, ...] = ()
    admin_api_keys: tuple[str, ...] = ()
    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    batch_size: int = 1000
    update_chunk: int = DEFAULT_UPDATE_CHUNK
    policy: RewardPolicy = field(default_factory=RewardPolicy.default)
    debug: bool = False
    shutdown_grace_seconds: float = 10.0

    @property
    def embedded(self) -> bool:
        """No URL: the in-memory mongomock database, for demos and first runs only."""
        return self.mongodb_url is None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        url = env.get("REWARDS_MONGODB_URL") or None
        return cls(
            mongodb_url=url,
            mongodb_db=env.get("REWARDS_MONGODB_DB") or _db_from_url(url) or DEFAULT_DB,
            users_collection=env.get("REWARDS_USERS_COLLECTION") or "users",
            api_keys=_keys(env.get("REWARDS_API_KEYS", "")),
            admin_api_keys=_keys(env.get("REWARDS_ADMIN_API_KEYS", "")),
            time_zone=_zone(env.get("REWARDS_TIME_ZONE") or "UTC"),
            batch_size=_positive_int("REWARDS_BATCH_SIZE", env.get("REWARDS_BATCH_SIZE", "1000")),
            update_chunk=_positive_int(
                "REWARDS_UPDATE_CHUNK", env.get("REWARDS_UPDATE_CHUNK", str(DEFAULT_UPDATE_CHUNK))
            ),
            policy=_policy(env.get("REWARDS_POLICY_FILE")),
            debug=env.get("REWARDS_DEBUG", "").lower() in {"1", "true", "yes"},
        )


def _db_from_url(url: str | None) -> str | None:
    if url is None:
        return None
    name = urlparse(url).path.lstrip("/")
    return name or None


def _keys(raw: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in raw.split(",") if k.strip())


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"REWARDS_TIME_ZONE: unknown time zone {name!r}") from exc


def _positive_int(variable: str, raw: str) -> int:
    if not raw.strip().isdigit() or int(raw) < 1:
        raise SettingsError(f"{variable} must be a positive whole number, got {raw!r}")
    return int(raw)


def _policy(path: str | None) -> RewardPolicy:
    if not path:
        return RewardPolicy.default()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return RewardPolicy.from_mapping(data)
    except (OSError, json.JSONDecodeError, InvalidPolicy) as exc:
        raise SettingsError(f"REWARDS_POLICY_FILE {path}: {exc}") from exc
