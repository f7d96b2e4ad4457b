"""Benchmarks that print figures (not timed tests): ``uv run python -m bench.<name> --help``."""
