"""Use cases of the monthly rewards, written against ports only."""
