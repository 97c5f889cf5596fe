"""Domain exceptions; the HTTP layer maps each to a status in one place."""


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""


class InvalidPeriod(DomainError):
    """A month/year that cannot name a calendar month (month 13, year 99999, text)."""


class PeriodNotEnded(DomainError):
    """The named month has not ended yet, so its ranking cannot be frozen."""


class InvalidPolicy(DomainError):
    """A ranking or tier configuration that cannot produce one reward per rank."""


class JobNotFound(DomainError):
    """No job exists for the requested month, or none at all."""


class JobAlreadyExists(DomainError):
    """The month's lock is held: a job for it was created before."""


class InvalidJobTransition(DomainError):
    """A job was asked to move to a status its state machine forbids."""


class JobNotRetryable(DomainError):
    """Only a failed job may be retried; a processing or completed one may not."""


class StepsNotEnabled(DomainError):
    """A step of work was asked of a service that runs its jobs in the background."""


class LeaseLost(DomainError):
    """This worker's attempt was superseded (its lease expired and another took over): it must
    stop at once. Not a failure of the job, which goes on under the newer attempt."""


class SnapshotNotFound(JobNotFound):
    """No frozen ranking for the month and category: its job has not built one (yet)."""
