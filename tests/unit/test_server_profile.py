import pytest
from hypothesis import given
from hypothesis import strategies as st

from infrastructure.mongo.server_profile import (
    DEFAULT_WRITE_CONCURRENCY,
    FERRETDB_POOL_RESERVE,
    MIN_CONCURRENT_CHUNK,
    LimitSettings,
    ServerKind,
    ServerProfile,
    detect,
    ferretdb_statement_budget,
    limits_for,
)
from infrastructure.settings import Settings, SettingsError

# Answers of `buildInfo`, trimmed to the fields detect() may look at.
FERRETDB_INFO = {
    "version": "7.0.42",
    "gitVersion": "unknown",
    "ferretdbVersion": "v1.24.2",
    "ferretdbFeatures": {"aggregationStages": ["$match"]},
    "ok": 1.0,
}
MONGODB_INFO = {"version": "7.0.14", "gitVersion": "ce59cfc6a3c5e5c067dca0d30697edd68d4f5188"}
FERRETDB = ServerProfile(ServerKind.FERRETDB, "v1.24.2")
MONGODB = ServerProfile(ServerKind.MONGODB, "7.0.14")


def test_ferretdb_is_told_by_its_own_fields_not_by_the_version_it_mimics() -> None:
    assert detect(FERRETDB_INFO) == FERRETDB
    assert detect({"version": "7.0.42", "ferretdb": {"version": "v2.0.0"}}).kind is (
        ServerKind.FERRETDB
    )
    assert detect(MONGODB_INFO) == MONGODB
    assert detect({"version": "5.0.0"}).kind is ServerKind.OTHER  # no gitVersion: not MongoDB


def test_a_ferretdb_that_does_not_know_its_version_says_so() -> None:
    # What FerretDB 1.24.2 built by `go install` (our tests' server) answers.
    built = {**FERRETDB_INFO, "ferretdbVersion": "unknown"}
    assert detect(built).describe() == (
        "FerretDB (version not reported, answers as MongoDB 7.0.42)"
    )
    assert detect({"ferretdbVersion": ""}).describe() == "FerretDB (version not reported)"
    assert detect(None).kind is ServerKind.OTHER  # a server that refuses buildInfo


def test_mongodb_sends_a_whole_batch_per_command() -> None:
    limits = limits_for(MONGODB, LimitSettings(batch_size=1000))
    assert limits.update_chunk == 1000
    assert limits.statement_budget is None


def test_ferretdb_on_its_stock_pool_stays_within_the_pool() -> None:
    limits = limits_for(FERRETDB, LimitSettings())  # pool 50, FerretDB's default
    budget = ferretdb_statement_budget(50)
    assert budget == (50 - FERRETDB_POOL_RESERVE) // 2
    assert limits.update_chunk * limits.concurrency <= budget
    assert limits.concurrency >= 2  # small chunks are cheap on FerretDB: overlap them anyway


def test_a_larger_ferretdb_pool_allows_the_preferred_concurrency() -> None:
    limits = limits_for(FERRETDB, LimitSettings(ferretdb_pool=400))
    assert limits.update_chunk * limits.concurrency <= ferretdb_statement_budget(400)
    assert limits.concurrency == DEFAULT_WRITE_CONCURRENCY
    assert limits.update_chunk >= MIN_CONCURRENT_CHUNK


def test_settings_override_the_server_but_never_past_ferretdbs_pool() -> None:
    mongo = limits_for(MONGODB, LimitSettings(update_chunk=7, concurrency=3))
    assert (mongo.update_chunk, mongo.concurrency) == (7, 3)
    assert "REWARDS_UPDATE_CHUNK" in mongo.source
    ferret = limits_for(FERRETDB, LimitSettings(update_chunk=100, concurrency=8))
    assert ferret.update_chunk == ferretdb_statement_budget(50)
    assert ferret.concurrency == 1
    assert "lowered" in ferret.source


def test_an_unknown_server_keeps_the_cautious_limits_of_before() -> None:
    limits = limits_for(ServerProfile(ServerKind.OTHER, "?"), LimitSettings())
    assert (limits.update_chunk, limits.concurrency) == (50, 1)


@given(
    pool=st.integers(1, 2000),
    chunk=st.one_of(st.none(), st.integers(1, 5000)),
    concurrency=st.one_of(st.none(), st.integers(1, 64)),
)
def test_on_ferretdb_chunk_times_concurrency_never_reaches_the_pool(
    pool: int, chunk: int | None, concurrency: int | None
) -> None:
    limits = limits_for(FERRETDB, LimitSettings(1000, chunk, concurrency, pool))
    assert limits.update_chunk >= 1 and limits.concurrency >= 1
    in_flight = limits.update_chunk * limits.concurrency
    assert in_flight <= max(1, ferretdb_statement_budget(pool))
    assert in_flight < pool or pool == 1  # a pool of one cannot run even one statement beside


def test_write_limit_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "REWARDS_UPDATE_CHUNK": "20",
            "REWARDS_WRITE_CONCURRENCY": "3",
            "REWARDS_FERRETDB_POOL": "200",
        }
    )
    assert settings.write_limits == LimitSettings(1000, 20, 3, 200)
    defaults = Settings.from_env({})
    assert defaults.write_limits == LimitSettings(1000, None, None, 50)


@pytest.mark.parametrize("variable", ["REWARDS_WRITE_CONCURRENCY", "REWARDS_FERRETDB_POOL"])
@pytest.mark.parametrize("raw", ["0", "many"])
def test_bad_write_limit_settings_name_the_variable(variable: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: raw})
