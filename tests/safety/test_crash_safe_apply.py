"""Killing apply mid-run (SIGKILL) and running it again converges, with no duplicates and nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ghlops.cli import main
from ghlops.sandbox import FaultConfig, Sandbox
from ghlops.sandbox.seed import create_locations, sandbox_env

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LOCATIONS = ("ve9EPM428h8vShlRW1KT", "Xy7Pq2Lm9Rt4Vb6Nc8Dz")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX-only")


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(port=0, faults=FaultConfig(latency_ms=40)) as sandbox:
        create_locations(sandbox, [EXAMPLES])
        yield sandbox


def writes(sb: Sandbox) -> int:
    # Configuration writes only: the apply lease's own create and delete (ghlops/lease.py) are not changes.
    return sum(1 for r in sb.requests if r.changes and r.status is not None)


def kill_after(sb: Sandbox, n_writes: int, log_file: Path) -> int:
    """Start apply in a child process and SIGKILL it once the sandbox has answered n writes."""
    env = {**os.environ, **sandbox_env(sb), "GHLOPS_PARALLELISM": "2"}
    child = subprocess.Popen(
        [sys.executable, "-m", "ghlops", "apply", str(EXAMPLES), "--auto-approve", "--log-file", str(log_file)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    try:
        while writes(sb) < n_writes:
            if child.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.005)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    return writes(sb)


def assert_converged(sb: Sandbox) -> None:
    runner = CliRunner()
    env = sandbox_env(sb)
    result = runner.invoke(main, ["apply", str(EXAMPLES), "--auto-approve"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output + result.stderr
    again = runner.invoke(main, ["plan", str(EXAMPLES), "--detailed-exitcode"], env=env, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    for location in LOCATIONS:
        snapshot = sb.store.snapshot(location)
        for kind in ("tags", "customFields", "customValues", "calendars", "products"):
            names = Counter(str(o["name"]).casefold() for o in snapshot[kind])
            assert [n for n, c in names.items() if c > 1] == [], (location, kind)
        for product in snapshot["products"]:
            prices = Counter(p["name"] for p in product["prices"])
            assert [n for n, c in prices.items() if c > 1] == []
    emails = Counter(u["email"].casefold() for u in sb.store.users())
    assert sorted(emails.items()) == [("jane@example.com", 1), ("omar@example.com", 1)]


@pytest.mark.parametrize("n_writes", [1, 4, 9, 15])
def test_apply_killed_after_some_writes_converges_on_the_next_run(sb: Sandbox, tmp_path: Path, n_writes: int) -> None:
    log_file = tmp_path / "run.jsonl"
    done = kill_after(sb, n_writes, log_file)
    assert done >= n_writes  # the kill landed mid-run, after real writes
    assert done < 22  # ...and before the run could finish all 22 changes
    # The run log written so far is readable line by line (each line is flushed as it is written).
    for line in log_file.read_text().splitlines():
        assert line.startswith("{") and line.endswith("}")
    assert_converged(sb)


def test_ambiguous_creates_on_every_kind_never_duplicate(tmp_path: Path) -> None:
    faults = FaultConfig(ambiguous_rate=0.3, seed=7)
    with Sandbox(port=0, faults=faults) as sb:
        create_locations(sb, [EXAMPLES])
        result = CliRunner().invoke(
            main, ["apply", str(EXAMPLES), "--auto-approve"], env=sandbox_env(sb), catch_exceptions=False
        )
        assert result.exit_code == 0, result.output + result.stderr
        assert sum(1 for r in sb.requests if r.fault == "ambiguous") >= 3
        sb.faults.ambiguous_rate = 0.0
        assert_converged(sb)
