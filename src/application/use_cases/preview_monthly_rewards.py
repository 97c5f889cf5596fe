"""The dry run: the ranking and payout a run of a month would make now, writing nothing."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from application.ports.clock import Clock
from application.ports.job_repository import JobRepository
from application.ports.participant_source import ParticipantSource
from application.use_cases.start_monthly_rewards import payable_period
from domain.job import MonthlyRewardJob
from domain.payout_preview import PayoutPreview, preview_category
from domain.period import Period
from domain.policy import RewardPolicy


@dataclass(frozen=True, slots=True)
class PreviewOutcome:
    preview: PayoutPreview
    # The month's job if it has one: then a run now pays nothing new, and its frozen snapshot
    # (not today's data) is what was or is being paid.
    job: MonthlyRewardJob | None


class PreviewMonthlyRewards:
    def __init__(
        self,
        participants: ParticipantSource,
        jobs: JobRepository,
        clock: Clock,
        tz: ZoneInfo,
        policy: RewardPolicy,
    ) -> None:
        self._participants = participants
        self._jobs = jobs
        self._clock = clock
        self._tz = tz
        self._policy = policy

    async def execute(self, requested: Period | None = None) -> PreviewOutcome:
        period = payable_period(requested, self._clock, self._tz)
        categories = []
        anomalies = []
        for category in self._policy.categories:
            people = [p async for p in self._participants.stream(category)]
            payout, found = preview_category(category, people, self._policy.tiers)
            categories.append(payout)
            anomalies.extend(found)
        preview = PayoutPreview(period, tuple(categories), tuple(anomalies))
        return PreviewOutcome(preview, await self._jobs.find(period))
