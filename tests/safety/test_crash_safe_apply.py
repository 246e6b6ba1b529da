"""Killing apply mid-run (SIGKILL) and running it again converges, with no duplicates and nothing lost."""

from __future__ import annotations

import json
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

from ghlops.apply import NOT_STARTED
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


def interrupt_after(sb: Sandbox, n_writes: int, log_file: Path, *, twice: bool = False) -> tuple[int, int, int, str]:
    """Start apply in a child process and send it SIGINT once the sandbox has answered n writes (and, when asked,
    again once it said it is waiting for the writes in flight); returns the exit code, the writes done when the
    signal went out and in the end, and stderr."""
    env = {**os.environ, **sandbox_env(sb), "GHLOPS_PARALLELISM": "2"}
    child = subprocess.Popen(
        [sys.executable, "-m", "ghlops", "apply", str(EXAMPLES), "--auto-approve", "--log-file", str(log_file)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    deadline = time.monotonic() + 60
    while writes(sb) < n_writes and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    at_signal = writes(sb)
    child.send_signal(signal.SIGINT)
    seen = []
    if twice:
        for line in child.stderr:
            seen.append(line)
            if line.startswith("interrupted: starting no more writes"):
                child.send_signal(signal.SIGINT)
                break
    rest = child.stderr.read()
    child.wait(timeout=60)
    return child.returncode, at_signal, writes(sb), "".join(seen) + rest


def test_ctrl_c_starts_no_more_writes_lets_the_ones_in_flight_finish_and_ends_with_a_summary(
    sb: Sandbox, tmp_path: Path
) -> None:
    # Issue 13, section 6: SIGINT used to let the run go on writing (19 -> 114 writes) and print no summary.
    log_file = tmp_path / "run.jsonl"
    code, at_signal, final, stderr = interrupt_after(sb, 5, log_file)
    assert code == 130, stderr
    assert at_signal >= 5
    # At most the writes in flight when the signal came finish: parallelism 2 x 4 per location.
    assert final - at_signal <= 8
    assert final < 22
    assert "interrupted: starting no more writes" in stderr
    (summary,) = [line for line in stderr.splitlines() if line.startswith("Apply interrupted:")]
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    changes = [line for line in lines if "result" in line]
    applied = sum(1 for line in changes if line["result"] == "applied")
    never = sum(1 for line in changes if line["error"] == NOT_STARTED)
    assert never > 0 and applied + never == len(changes) == 22
    assert (
        summary == f"Apply interrupted: {applied} applied, 0 failed, {never} never started; run apply again to finish."
    )
    assert lines[-1]["summary"] == summary and lines[-1]["neverStarted"] == never
    # What was applied is what the sandbox holds; the next run finishes the job.
    assert applied == final
    assert_converged(sb)


def test_a_second_ctrl_c_aborts_at_once(tmp_path: Path) -> None:
    log_file = tmp_path / "run.jsonl"
    # Slow answers, so the second Ctrl-C lands while writes are still in flight.
    with Sandbox(port=0, faults=FaultConfig(latency_ms=400)) as sb:
        create_locations(sb, [EXAMPLES])
        code, _, final, stderr = interrupt_after(sb, 3, log_file, twice=True)
        sb.faults.latency_ms = 0
        assert code == 130, stderr
        assert "aborted: the writes in flight may or may not have been made" in stderr
        assert final < 22
        assert json.loads(log_file.read_text().splitlines()[-1])["aborted"] is True
        assert_converged(sb)


def test_an_unwritable_log_file_is_refused_before_any_write(sb: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "run.jsonl"
    result = CliRunner().invoke(
        main,
        ["apply", str(EXAMPLES), "--auto-approve", "--log-file", str(target)],
        env=sandbox_env(sb),
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: --log-file {target}: cannot be written (No such file or directory)"
    assert [r for r in sb.requests if r.method != "GET"] == []  # not even a lease was taken
