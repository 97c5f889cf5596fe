"""The status page at /admin: a shell that asks for a key, and server-rendered fragments that its
script fetches with the key in the x-api-key header (so the key never travels in a URL) and
refreshes while a job runs. Reading takes the scheduler's or an admin key; a dry run or a retry
takes an admin key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from application.paging import PageRequest
from application.use_cases.check_schedule import CheckSchedule
from application.use_cases.get_job_status import GetJobStatus
from application.use_cases.get_ranking_snapshot import GetRankingSnapshot, SnapshotPage
from application.use_cases.get_user_rewards import GetUserRewards
from application.use_cases.list_recent_jobs import ListRecentJobs
from application.use_cases.preview_monthly_rewards import PreviewMonthlyRewards
from domain.errors import JobNotFound, SnapshotNotFound
from domain.job import JobStatus, MonthlyRewardJob
from domain.period import Period
from domain.policy import RewardPolicy
from interfaces.http.admin_views import preview_charts, relative, results_charts
from interfaces.http.auth import key_level
from interfaces.http.ops_params import Month, Year, optional_month
from interfaces.job_progress import progress_bars

ASSETS = Path(__file__).resolve().parent.parent / "assets"
TOP = 10
REFRESH_RUNNING_MS = 2000
REFRESH_IDLE_MS = 15000

# The page's own policy: its script and styles are files of this origin; nothing inline runs.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = {"content-security-policy": CSP, "cache-control": "no-store", "x-robots-tag": "noindex"}


def _page(template: str, **context: Any) -> Template:
    return Template(template_name=template, context=context, headers=HEADERS)


async def _focus(status: GetJobStatus, period: Period | None) -> MonthlyRewardJob | None:
    try:
        return await status.execute(period)
    except JobNotFound:
        return None


async def _tops(
    snapshots: GetRankingSnapshot, job: MonthlyRewardJob | None, policy: RewardPolicy
) -> list[tuple[str, SnapshotPage | None]]:
    if job is None:
        return []
    tops: list[tuple[str, SnapshotPage | None]] = []
    for category in policy.categories:
        try:
            found = await snapshots.execute(job.period, category.name, PageRequest(1, TOP))
        except SnapshotNotFound:
            found = None
        tops.append((category.name, found))
    return tops


class AdminController(Controller):
    path = "/admin"
    include_in_schema = False

    @get("/", name="admin")
    async def page(self) -> Template:
        """The shell: a key prompt, and the frame the fragments fill. It holds no data."""
        return _page("admin/page.html.j2")

    @get("/fragments/overview", opt=key_level("scheduler"))
    async def overview(
        self,
        get_job_status: NamedDependency[GetJobStatus],
        list_recent_jobs: NamedDependency[ListRecentJobs],
        check_schedule: NamedDependency[CheckSchedule],
        get_ranking_snapshot: NamedDependency[GetRankingSnapshot],
        policy: NamedDependency[RewardPolicy],
        month: Month = None,
        year: Year = None,
    ) -> Template:
        asked = optional_month(month, year)
        job = await _focus(get_job_status, asked)
        schedule = await check_schedule.execute()
        tiers = [t.name for t in policy.tiers.tiers]
        running = job is not None and job.status is JobStatus.PROCESSING
        return _page(
            "admin/overview.html.j2",
            asked=asked,
            job=job,
            health=get_job_status.health(job) if job else None,
            bars=progress_bars(job, [c.name for c in policy.categories]) if job else [],
            charts=results_charts(job.results, tiers) if job else (),
            tops=await _tops(get_ranking_snapshot, job, policy),
            history=await list_recent_jobs.execute(12),
            schedule=schedule,
            now=schedule.checked_at,
            relative=relative,
            tiers=policy.tiers,
            refresh_ms=REFRESH_RUNNING_MS if running else REFRESH_IDLE_MS,
        )

    @get("/fragments/user", opt=key_level("scheduler"))
    async def user(
        self,
        get_user_rewards: NamedDependency[GetUserRewards],
        user_id: Annotated[str, QueryParameter(name="userId", min_length=1, max_length=64)],
    ) -> Template:
        found = await get_user_rewards.execute(user_id.strip(), PageRequest(1, 60))
        return _page("admin/user.html.j2", user_id=user_id.strip(), page=found)

    @post("/fragments/preview", opt=key_level("admin"), status_code=200)
    async def preview(
        self,
        preview_monthly_rewards: NamedDependency[PreviewMonthlyRewards],
        policy: NamedDependency[RewardPolicy],
        month: Month = None,
        year: Year = None,
    ) -> Template:
        outcome = await preview_monthly_rewards.execute(optional_month(month, year))
        tiers = [t.name for t in policy.tiers.tiers]
        return _page(
            "admin/preview.html.j2",
            outcome=outcome,
            preview=outcome.preview,
            charts=preview_charts(outcome.preview, tiers),
        )


def admin_routes() -> list[ControllerRouterHandler]:
    """The page, its fragments, and its stylesheet and script (served, never inlined)."""
    assets = create_static_files_router(
        path="/admin/assets", directories=[ASSETS], name="admin-assets", include_in_schema=False
    )
    return [AdminController, assets]
