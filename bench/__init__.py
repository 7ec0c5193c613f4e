"""Benchmarks: `python -m bench` prints JSON figures measured side by side in one run."""
