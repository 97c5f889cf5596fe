"""Hands a processing job to the background runner: the one way work starts, shared by the
trigger and the operator's retry."""

from __future__ import annotations

from application.log_context import job_context
from application.ports.task_runner import TaskRunner
from application.use_cases.process_monthly_rewards import ProcessMonthlyRewards
from domain.job import MonthlyRewardJob


class JobLauncher:
    def __init__(self, runner: TaskRunner, process: ProcessMonthlyRewards) -> None:
        self._runner = runner
        self._process = process

    def launch(self, job: MonthlyRewardJob, why: str = "") -> None:
        name = f"monthly-rewards-{job.period.key}" + (f"-{why}" if why else "")
        with job_context(job.id, job.epoch):  # the task copies it: its log lines name the job
            self._runner.spawn(name, self._process.run(job))
