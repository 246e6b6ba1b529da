"""Benchmarks (not tests): run them as scripts, e.g. ``python bench/bench_reconcile.py --help``."""
