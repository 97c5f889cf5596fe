"""The serverless mode: the trigger only creates the job, and bounded steps (one per scheduler
call) drive the month to the end, paying exactly what one background run pays."""

from datetime import timedelta

from tests.fakes import Death, FaultPlan, TickingClock, make_users
from tests.unit.conftest import World, build_world

from application.use_cases.run_processing_step import StepKind
from domain.job import AttemptKind, AttemptOutcome, JobStatus
from infrastructure.settings import Settings

STEPS = Settings(batch_size=4, execution="steps", step_seconds=20, lease_seconds=60)
# Every clock reading advances a second: a batch takes several, a step holds a few batches.
SECOND = timedelta(seconds=1)


def population():  # type: ignore[no-untyped-def]
    return make_users(40, 9, inactive=2, admins=1)


def stepped_world(plan: FaultPlan | None = None) -> World:
    return build_world(population(), plan=plan, settings=STEPS, clock=TickingClock(SECOND))


async def background_run() -> World:
    world = build_world(population(), batch_size=4)
    await world.start.execute()
    await world.runner.wait_idle()
    return world


async def drive(world: World, calls: int = 100) -> list[StepKind]:
    kinds = []
    for _ in range(calls):
        outcome = await world.step.execute()
        kinds.append(outcome.kind)
        if outcome.kind is StepKind.IDLE:
            break
    return kinds


async def test_the_trigger_only_creates_the_job_and_gives_the_lease_back() -> None:
    world = stepped_world()
    job = (await world.start.execute()).job
    assert world.runner.spawned == []  # nothing runs after the answer
    stored = next(iter(world.jobs.jobs.values()))
    assert stored.status is JobStatus.PROCESSING and stored.lease_expired(world.clock.now())
    assert [(a.number, a.outcome) for a in stored.history] == [(1, AttemptOutcome.PAUSED)]
    assert job.id == stored.id


async def test_bounded_steps_pay_the_month_exactly_as_one_background_run() -> None:
    reference = await background_run()
    world = stepped_world()
    await world.start.execute()
    paid_per_step = []
    for _ in range(100):
        outcome = await world.step.execute()
        if outcome.kind is StepKind.IDLE:
            break
        assert outcome.kind is StepKind.WORKED
        paid_per_step.append(outcome.paid)
    job = next(iter(world.jobs.jobs.values()))
    assert job.status is JobStatus.COMPLETED
    assert len(paid_per_step) > 3 and max(paid_per_step) < 49  # several steps, none did it all
    assert all(paid > 0 for paid in paid_per_step)  # each step moves the month on
    assert sum(paid_per_step) == 49
    assert world.users.wallets() == reference.users.wallets()
    assert job.results == next(iter(reference.jobs.jobs.values())).results
    assert {a.kind for a in job.history[1:]} == {AttemptKind.STEP}
    assert all(a.outcome is AttemptOutcome.PAUSED for a in job.history[:-1])


async def test_a_step_stops_at_the_first_checkpoint_whose_next_batch_would_overrun() -> None:
    world = stepped_world()
    await world.start.execute()
    await world.step.execute()  # freezes the students' ranking (a step of its own, mostly)
    started = world.clock.now()
    outcome = await world.step.execute()
    assert outcome.kind is StepKind.WORKED and outcome.job is not None
    assert outcome.job.history[-1].ended_at is not None
    # 20 s allowed; the last batch may overrun it by at most one batch's time.
    assert outcome.job.history[-1].ended_at - started < timedelta(seconds=20) * 1.5


async def test_a_step_pays_a_batch_even_when_reaching_its_work_takes_all_its_time() -> None:
    slow = stepped_world()
    slow.clock.tick = timedelta(seconds=30)  # every reading: longer than a whole step
    await slow.start.execute()
    first = await slow.step.execute()  # freezes the students' ranking, then pays one batch
    second = await slow.step.execute()
    assert (first.paid, second.paid) == (4, 4)


async def test_an_overlapping_call_answers_that_a_step_is_running() -> None:
    world = stepped_world()
    await world.start.execute()
    job = next(iter(world.jobs.jobs.values()))
    # Another step is mid-way: it holds the lease.
    taken = await world.container.attempts().take_over(job, AttemptKind.STEP)
    assert taken is not None
    busy = await world.step.execute()
    assert busy.kind is StepKind.BUSY and busy.paid == 0
    assert world.rewards.rewards == {}


async def test_a_step_killed_mid_way_is_resumed_by_a_later_call_after_its_lease() -> None:
    reference = await background_run()
    world = stepped_world(FaultPlan(crash_at=9, kind=Death))
    await world.start.execute()
    try:
        await world.step.execute()
        raise AssertionError("the injected death did not happen")
    except Death:
        pass
    assert (await world.step.execute()).kind is StepKind.BUSY  # the dead step's lease is live
    world.clock.current += STEPS.lease_seconds * SECOND
    kinds = await drive(world)
    assert kinds[0] is StepKind.WORKED and kinds[-1] is StepKind.IDLE
    assert world.users.wallets() == reference.users.wallets()
    job = next(iter(world.jobs.jobs.values()))
    assert job.status is JobStatus.COMPLETED
    assert AttemptOutcome.LEASE_EXPIRED in {a.outcome for a in job.history}


async def test_after_completion_a_step_answers_at_once_with_the_finished_job() -> None:
    world = stepped_world()
    await world.start.execute()
    await drive(world)
    again = await world.step.execute()
    assert again.kind is StepKind.IDLE and again.job is not None
    assert again.job.status is JobStatus.COMPLETED
