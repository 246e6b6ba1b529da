"""The benchmark scripts run and print their figures (tiny sizes; no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "GHLOPS_PROGRESS": "0"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_reconcile_benchmark_prints_requests_against_the_lower_bound_for_both_runs() -> None:
    out = run(
        "bench_reconcile.py",
        *("--locations", "4", "--objects", "12", "--latency-ms", "2"),
        *("--rate-limit-window-s", "0.2", "--seed-parallelism", "4"),
    )
    for label in (
        "plan: wall time (read + diff)",
        "plan: requests / lower bound",
        "apply: requests / lower bound",
        "plan: 429 responses",
        "apply: peak RSS (growth)",
        "speed-up over --parallelism 1",
    ):
        assert label in out
    # Request counts do not depend on the machine: they must sit exactly on the lower bound.
    assert "targets: requests == lower bound: plan met, apply met; 0 429s: met" in out
    assert "plan output identical: yes" in out
    assert "converged (a new plan shows no changes): yes" in out


def test_the_planner_benchmark_prints_time_memory_and_growth_per_location() -> None:
    out = run("bench_planner.py", "--locations", "4,8", "--objects", "12", "--repeat", "1")
    assert "per location" in out and "peak memory" in out
    assert "linear (time per location within 1.5x across sizes):" in out
