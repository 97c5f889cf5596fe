"""A whole month through the container's real adapters, on mongomock and on the real server."""

from tests.expectations import assert_paid_exactly_once, snapshot_users

from application.use_cases.start_monthly_rewards import StartKind
from domain.job import JobStatus
from domain.period import Period
from infrastructure.container import Container
from infrastructure.seeding import seed_users


async def test_a_month_pays_the_tier_table_exactly_and_a_rerun_pays_nothing(
    container: Container,
) -> None:
    await seed_users(container.users(), students=420, teachers=60, seed=3)
    before = await snapshot_users(container.db())
    start = container.start_monthly_rewards()
    outcome = await start.execute(Period(2024, 12))
    assert outcome.kind is StartKind.STARTED
    await container.runner().wait_idle()
    job = await container.get_job_status().execute(Period(2024, 12))
    assert job.status is JobStatus.COMPLETED, job.error_message
    paid = await assert_paid_exactly_once(container.db(), before, Period(2024, 12))
    assert job.results.total_coins_awarded == sum(paid.values())
    assert job.results.total_rewards_awarded == 480
    assert job.results.categories["students"].tiers["UNPLACED"].count == 320

    # The process again on the completed job's data, as a stale worker would: nothing moves.
    # (The status's job is shared with every reader and never changed: the stale worker's job
    # is a copy of its own.)
    settled = await snapshot_users(container.db())
    stale = await container.jobs().find(Period(2024, 12))
    assert stale is not None
    stale.status = JobStatus.PROCESSING
    await container.jobs().save(stale)
    await container.process_monthly_rewards().execute(stale.id)
    assert await snapshot_users(container.db()) == settled
    assert (await start.execute(Period(2024, 12))).kind is StartKind.ALREADY_COMPLETED


async def test_migrations_are_recorded_and_idempotent(container: Container) -> None:
    from migrations.runner import applied_versions, discover, migrate

    assert await migrate(container.db()) == []
    assert await applied_versions(container.db()) == {m.version for m in discover()}
    # As when two instances migrate at once: the index step runs again over existing indexes.
    for migration in discover():
        await migration.up(container.db(), container.users())
    info = await container.db()["monthlyrewards"].index_information()
    assert info["user_year_month_category_unique"]["unique"] is True
