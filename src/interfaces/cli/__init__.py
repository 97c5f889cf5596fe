"""The `rewards` command line."""
