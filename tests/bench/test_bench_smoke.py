"""The benchmark scripts run and print their figures (tiny sizes; no timing is asserted)."""

from __future__ import annotations

import re
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
        "reads: wall time / floor",
        "plan: wall time / floor",
        "apply: wall time / floor",
        "apply: new connections / calls in flight",
        "apply: growth per location",
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
    # The apply's bound counts its leases (three calls per changed location) and the re-read under them.
    (bound,) = set(row(out, "apply: lower bound (reads + leases + re-read + writes)"))
    total, parts = bound.split(" = ")
    reads, leases, reread, writes = (int(p.replace(",", "")) for p in parts.split(" + "))
    assert int(total.replace(",", "")) == reads + leases + reread + writes and leases == 3 * 2  # 2 drifted
    assert "issue 15 targets at --parallelism 8 (medians): reads within 1.15x of their floor:" in out
    assert "converged (a new plan shows no changes): yes" in out


def row(out: str, label: str) -> list[str]:
    """The values of one row of the report (columns are separated by at least two spaces)."""
    line = next(line for line in out.splitlines() if line.startswith(label + "  "))
    return re.split(r"\s{2,}", line[len(label) :].strip())


def test_the_reconcile_benchmark_in_oauth_mode_mints_once_per_location_and_refreshes_once_per_run() -> None:
    out = run(
        "bench_reconcile.py",
        *("--locations", "5", "--objects", "12", "--latency-ms", "2", "--auth", "oauth"),
        *("--rate-limit-window-s", "0.2", "--seed-parallelism", "4"),
    )
    assert "credentials: one agency OAuth app (client id, secret, refresh-token file)" in out
    # The sandbox's own counters, both runs: each command (plan, then apply on a client of its own) refreshes
    # once and mints once per location, all while reading; apply mints nothing again for its writes.
    assert row(out, "oauth: mints (plan + apply)") == ["5 + 5", "5 + 5"]
    assert row(out, "oauth: mints lower bound (one per location)") == ["5", "5"]
    assert row(out, "oauth: mints / lower bound") == ["1.000 + 1.000", "1.000 + 1.000"]
    assert row(out, "oauth: refreshes (plan + apply)") == ["1 + 1", "1 + 1"]
    assert row(out, "plan: requests / lower bound") == ["1.000", "1.000"]
    assert row(out, "apply: requests / lower bound") == ["1.000", "1.000"]
    assert "oauth targets: mints == 5 and refreshes == 1 per command: met" in out
    assert "targets: requests == lower bound: plan met, apply met; 0 429s: met" in out
    assert "converged (a new plan shows no changes): yes" in out


def test_the_planner_benchmark_prints_time_memory_and_growth_per_location() -> None:
    out = run("bench_planner.py", "--locations", "4,8", "--objects", "12", "--repeat", "1")
    assert "per location" in out and "peak memory" in out
    assert "linear (time per location within 1.5x across sizes):" in out


def test_the_reconcile_benchmark_can_still_seed_over_http() -> None:
    out = run(
        "bench_reconcile.py",
        *("--locations", "3", "--objects", "12", "--latency-ms", "2", "--no-sequential", "--seed-http"),
        *("--rate-limit-window-s", "0.2", "--seed-parallelism", "4"),
    )
    assert "seeded the drift: " in out and "in the sandbox's process" not in out
    assert "targets: requests == lower bound: plan met, apply met; 0 429s: met" in out


def test_the_memory_benchmark_prints_peak_memory_per_location_and_the_slope_between_sizes() -> None:
    out = run("bench_memory.py", "--locations", "1,3", "--objects", "12")
    assert "fresh process per size: 1, 3 locations x 12 objects" in out
    assert re.search(r"^ +3 +\d+MB +\d+MB +\d+MB +[\d.]+KB +-?[\d.]+ KB$", out, re.MULTILINE), out
    assert "plan exit 0" in out


def test_the_memory_benchmark_names_what_holds_the_memory_under_tracemalloc() -> None:
    out = run("bench_memory.py", "--locations", "2", "--objects", "12", "--tracemalloc", "--top", "3")
    assert "2 locations: traced memory at the peak" in out
    for title in ("by ghlops module", "by innermost ghlops frame (who allocated)", "by allocating frame"):
        assert title in out
    assert "ghlops/" in out


def test_the_planner_benchmark_in_fresh_processes_prints_planner_digest_and_plan_file_per_location() -> None:
    out = run("bench_planner.py", "--fresh", "--locations", "4,8", "--objects", "12", "--repeat", "1")
    assert "planner ms/loc" in out and "digest ms/loc" in out and "traced KB/loc" in out
    assert re.search(r"^ +8( +[\d.]+){6} +[\d.]+$", out, re.MULTILINE), out
    assert "digest: time per location within 1.5x across sizes:" in out
