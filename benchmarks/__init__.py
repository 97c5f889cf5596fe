"""Benchmarks of a month's processing (issue #4): ours against the naive per-user way and the
bare-writes floor, on one server in one run. Run with `python -m benchmarks`; see README.md."""
