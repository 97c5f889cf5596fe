"""Helpers shared by the test suites (no test cases here)."""
