"""One use case per module, each with a single `execute`."""
