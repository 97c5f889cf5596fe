"""Pure domain of the monthly rewards: periods, ranking, tiers, the job state machine."""
