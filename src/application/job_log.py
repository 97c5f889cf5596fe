"""Log lines about one job carry its id and attempt, in the text and as structured fields, so an
operator can follow one attempt through interleaved logs of several instances."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

from domain.job import MonthlyRewardJob


class JobLog(logging.LoggerAdapter[logging.Logger]):
    def __init__(self, logger: logging.Logger, job: MonthlyRewardJob) -> None:
        super().__init__(
            logger, {"job_id": job.id, "attempt": job.epoch, "period": str(job.period)}
        )

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        extra = self.extra or {}
        kwargs["extra"] = {**extra, **kwargs.get("extra", {})}
        return f"[MonthlyRewards] {msg} [job {extra['job_id']} attempt {extra['attempt']}]", kwargs


def job_log(name: str, job: MonthlyRewardJob) -> JobLog:
    return JobLog(logging.getLogger(name), job)
