"""Settings read from the environment once, in the composition root, and passed in."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from application.foreground import YieldPolicy
from domain.errors import InvalidPolicy
from domain.policy import RewardPolicy
from domain.schedule import RunDeadline
from infrastructure.mongo.server_profile import FERRETDB_STOCK_POOL, LimitSettings
from infrastructure.policy_file import read_policy_file

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
    update_chunk: int | None = None  # None: chosen for the server (server_profile.py)
    write_concurrency: int | None = None  # update commands in flight; None: for the server
    ferretdb_pool: int = FERRETDB_STOCK_POOL  # the pool_max_conns of the FerretDB behind the URL
    policy: RewardPolicy = field(default_factory=RewardPolicy.default)
    debug: bool = False
    shutdown_grace_seconds: float = 10.0
    lease_seconds: float = 60.0
    stall_seconds: float = 300.0  # heartbeats without progress this long: reported as stalled
    sweep_seconds: float | None = None  # how often `serve` looks for abandoned jobs; None: lease/2
    retry_tries: int = 6
    retry_first_delay: float = 0.5
    retry_max_delay: float = 8.0
    write_concern: str | int = "majority"
    write_journal: bool = True
    execution: str = "background"  # or "steps": serverless hosts, driven by POST .../process
    step_seconds: float = 20.0  # the most work one step does inside its request
    # Operator surfaces (issue 11): the missed-run alarm, self-scheduling, the log format.
    run_deadline: RunDeadline = field(default_factory=RunDeadline)
    self_schedule: bool = False
    log_format: str = "console"  # or "json": one JSON object a line
    # The HTTP edge (issue 10): request signing, abuse limits, bounded waits.
    trigger_hmac_secret: str | None = None  # set: every POST must be signed (interfaces/http)
    trigger_hmac_window_seconds: float = 300.0  # a signature's timestamp may be this far off
    rate_limit_posts: int = 120  # POSTs per client per minute; 0: off
    rate_limit_auth_failures: int = 10  # requests with a wrong/missing key per client per minute
    request_timeout_seconds: float = 5.0  # a request's database work; past it: 503
    http_keep_alive_seconds: float = 5.0  # an idle keep-alive connection is closed after this
    http_max_connections: int = 256  # uvicorn's limit_concurrency: beyond it, 503 at once
    http_parser: str = "httptools"  # capped at 16 KiB of head (capped_parser.py); h11 is slower
    # Foreground first (application/foreground.py): above this many requests a second, the
    # month's bulk database commands start one every `yield_pace_seconds`; 0: never yield.
    yield_above_rps: int = 100
    yield_pace_seconds: float = 0.4

    @property
    def sweep_interval(self) -> float:
        return self.sweep_seconds if self.sweep_seconds is not None else self.lease_seconds / 2

    @property
    def write_limits(self) -> LimitSettings:
        """What was set about the shape of writes; the server fills in the rest."""
        return LimitSettings(
            batch_size=self.batch_size,
            update_chunk=self.update_chunk,
            concurrency=self.write_concurrency,
            ferretdb_pool=self.ferretdb_pool,
        )

    @property
    def yield_policy(self) -> YieldPolicy:
        return YieldPolicy(above_rps=self.yield_above_rps, pace_seconds=self.yield_pace_seconds)

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
            update_chunk=_optional_positive_int(env, "REWARDS_UPDATE_CHUNK"),
            write_concurrency=_optional_positive_int(env, "REWARDS_WRITE_CONCURRENCY"),
            ferretdb_pool=_positive_int(
                "REWARDS_FERRETDB_POOL",
                env.get("REWARDS_FERRETDB_POOL") or str(FERRETDB_STOCK_POOL),
            ),
            policy=_policy(env.get("REWARDS_POLICY_FILE")),
            debug=_flag(env.get("REWARDS_DEBUG", "")),
            lease_seconds=_seconds(env, "REWARDS_LEASE_SECONDS", 60.0),
            stall_seconds=_seconds(env, "REWARDS_STALL_SECONDS", 300.0),
            sweep_seconds=_optional_seconds(env, "REWARDS_SWEEP_SECONDS"),
            retry_tries=_positive_int("REWARDS_RETRY_TRIES", env.get("REWARDS_RETRY_TRIES", "6")),
            retry_first_delay=_seconds(env, "REWARDS_RETRY_FIRST_DELAY", 0.5),
            retry_max_delay=_seconds(env, "REWARDS_RETRY_MAX_DELAY", 8.0),
            write_concern=_write_concern(env.get("REWARDS_WRITE_CONCERN") or "majority"),
            write_journal=_flag(env.get("REWARDS_WRITE_JOURNAL", "true")),
            execution=_execution(env.get("REWARDS_EXECUTION") or "background"),
            step_seconds=_seconds(env, "REWARDS_STEP_SECONDS", 20.0),
            run_deadline=_deadline(env),
            self_schedule=_flag(env.get("REWARDS_SELF_SCHEDULE", "")),
            log_format=_log_format(env.get("REWARDS_LOG_FORMAT") or "console"),
            trigger_hmac_secret=env.get("REWARDS_TRIGGER_HMAC_SECRET") or None,
            trigger_hmac_window_seconds=_seconds(env, "REWARDS_TRIGGER_HMAC_WINDOW_SECONDS", 300.0),
            rate_limit_posts=_count(env, "REWARDS_RATE_LIMIT_POSTS", 120),
            rate_limit_auth_failures=_count(env, "REWARDS_RATE_LIMIT_AUTH_FAILURES", 10),
            request_timeout_seconds=_seconds(env, "REWARDS_REQUEST_TIMEOUT_SECONDS", 5.0),
            http_keep_alive_seconds=_seconds(env, "REWARDS_HTTP_KEEP_ALIVE_SECONDS", 5.0),
            http_max_connections=_positive_int(
                "REWARDS_HTTP_MAX_CONNECTIONS", env.get("REWARDS_HTTP_MAX_CONNECTIONS", "256")
            ),
            http_parser=_choice(env, "REWARDS_HTTP_PARSER", ("httptools", "h11")),
            yield_above_rps=_count(env, "REWARDS_YIELD_ABOVE_RPS", 100),
            yield_pace_seconds=_seconds(env, "REWARDS_YIELD_PACE_SECONDS", 0.4),
        )

    def __post_init__(self) -> None:
        if self.execution == "steps" and self.step_seconds >= self.lease_seconds:
            raise SettingsError(
                f"REWARDS_STEP_SECONDS ({self.step_seconds:g}) must be shorter than "
                f"REWARDS_LEASE_SECONDS ({self.lease_seconds:g}): a step holds the lease"
            )

    @property
    def runs_in_steps(self) -> bool:
        return self.execution == "steps"


def _execution(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"background", "steps"}:
        raise SettingsError(f"REWARDS_EXECUTION must be 'background' or 'steps', got {raw!r}")
    return value


def _flag(raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _seconds(env: Mapping[str, str], variable: str, default: float) -> float:
    seconds = _optional_seconds(env, variable)
    return default if seconds is None else seconds


def _optional_seconds(env: Mapping[str, str], variable: str) -> float | None:
    raw = env.get(variable, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise SettingsError(f"{variable} must be a positive number of seconds, got {raw!r}")
    return value


def _choice(env: Mapping[str, str], variable: str, choices: tuple[str, ...]) -> str:
    """One of `choices`; unset or empty: the first."""
    raw = env.get(variable, "").strip().lower() or choices[0]
    if raw not in choices:
        raise SettingsError(f"{variable} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _count(env: Mapping[str, str], variable: str, default: int) -> int:
    """A whole number >= 0 (0 switches the limit off); unset or empty: the default."""
    raw = env.get(variable, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise SettingsError(f"{variable} must be a whole number >= 0 (0: off), got {raw!r}")
    return int(raw)


def _write_concern(raw: str) -> str | int:
    """`majority` (the default), a tag set name, or a number of members >= 1. Never 0: an
    unacknowledged write would hide the duplicate-key answers the locks rely on."""
    value = raw.strip()
    if value.isdigit():
        if int(value) < 1:
            raise SettingsError("REWARDS_WRITE_CONCERN must acknowledge writes: 0 is refused")
        return int(value)
    return value


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


def _optional_positive_int(env: Mapping[str, str], variable: str) -> int | None:
    raw = env.get(variable, "").strip()
    return _positive_int(variable, raw) if raw else None


def _policy(path: str | None) -> RewardPolicy:
    if not path:
        return RewardPolicy.default()
    try:
        return read_policy_file(Path(path))
    except (OSError, json.JSONDecodeError, InvalidPolicy) as exc:
        raise SettingsError(f"REWARDS_POLICY_FILE {path}: {exc}") from exc


def _deadline(env: Mapping[str, str]) -> RunDeadline:
    day = env.get("REWARDS_RUN_DUE_DAY", "").strip() or "1"
    hour = env.get("REWARDS_RUN_DUE_HOUR", "").strip() or "6"
    if not day.isdigit() or not 1 <= int(day) <= 28:
        raise SettingsError(f"REWARDS_RUN_DUE_DAY must be a day of the month 1-28, got {day!r}")
    if not hour.isdigit() or not 0 <= int(hour) <= 23:
        raise SettingsError(f"REWARDS_RUN_DUE_HOUR must be an hour 0-23, got {hour!r}")
    return RunDeadline(day=int(day), hour=int(hour))


def _log_format(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"console", "json"}:
        raise SettingsError(f"REWARDS_LOG_FORMAT must be console or json, got {raw!r}")
    return value
