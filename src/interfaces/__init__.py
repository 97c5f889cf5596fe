"""Entry points: the Litestar HTTP API and the `rewards` command line, both wired by the container."""
