"""Killing apply mid-run (SIGKILL) and running it again converges, with no duplicates and nothing lost."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from click.testing import CliRunner

from ghlops.apply import NOT_STARTED, Executor
from ghlops.cli import main
from ghlops.sandbox import FaultConfig, Sandbox
from ghlops.sandbox.seed import create_locations, sandbox_env

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LOCATIONS = ("ve9EPM428h8vShlRW1KT", "Xy7Pq2Lm9Rt4Vb6Nc8Dz")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX-only")


class Gate:
    """The sandbox's latency sleep as a gate the test controls: once armed with a count, the gate closes when the
    sandbox has answered that many configuration writes, and every request reaching the sandbox after that waits
    in it until the test opens it. A child apply then always stops mid-run, with its writes in flight for as long
    as the test needs, however loaded the machine is: the sandbox stops it, not the test's reaction time (a fixed
    latency only made that likely). Open, requests pass with no wait."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._sb: Sandbox | None = None
        self._at: int | None = None
        self.entered = 0
        self.holding = threading.Event()  # a request is waiting in the closed gate
        # Run once by the first request to wait in the closed gate, in the sandbox thread serving it.
        self.on_hold: Callable[[], None] | None = None

    def arm(self, sb: Sandbox, n_writes: int) -> None:
        self._sb, self._at = sb, n_writes

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.entered += 1
            if self._at is not None and self._sb is not None and writes(self._sb) >= self._at:
                self._open.clear()
                self._at = None  # closed once; open() opens it for good
        if not self._open.is_set():
            with self._lock:
                hook, self.on_hold = self.on_hold, None
            self.holding.set()
            if hook is not None:
                hook()
            self._open.wait(timeout=120)  # a bound so a broken test ends; opened long before in any run

    def open(self) -> None:
        """Let the held requests through (for good)."""
        with self._lock:
            self._at = None
        self._open.set()

    def open_and_drain(self, sb: Sandbox) -> None:
        """Let the held requests through and wait until the sandbox has answered (recorded) each of them, so
        nothing the child sent lands after this point."""
        self.open()
        deadline = time.monotonic() + 60
        while len(sb.requests) < self.entered and time.monotonic() < deadline:
            time.sleep(0.005)


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def sb(gate: Gate) -> Iterator[Sandbox]:
    # A latency (of no real length: the gate's sleep ignores it) routes every request through the gate.
    with Sandbox(port=0, faults=FaultConfig(latency_ms=1), sleep=gate.sleep) as sandbox:
        create_locations(sandbox, [EXAMPLES])
        yield sandbox


def writes(sb: Sandbox) -> int:
    # Configuration writes only: the apply lease's own create and delete (ghlops/lease.py) are not changes.
    return sum(1 for r in sb.requests if r.changes and r.status is not None)


def start_apply(sb: Sandbox, log_file: Path, *, stderr: int) -> subprocess.Popen[str]:
    env = {**os.environ, **sandbox_env(sb), "GHLOPS_PARALLELISM": "2"}
    # -X faulthandler: SIGABRT (sent by the harness when the child is stuck) prints every thread's stack.
    python = [sys.executable, "-X", "faulthandler"]
    return subprocess.Popen(
        [*python, "-m", "ghlops", "apply", str(EXAMPLES), "--auto-approve", "--log-file", str(log_file)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
    )


def wait_until_held(gate: Gate, child: subprocess.Popen[str]) -> None:
    """Until a request of the child waits in the closed gate (the child is mid-run, its writes in flight)."""
    deadline = time.monotonic() + 60
    while not gate.holding.wait(timeout=0.01):
        assert child.poll() is None, "the apply ended before the gate closed"
        assert time.monotonic() < deadline, "the apply sent nothing after the gate closed"


def kill_after(sb: Sandbox, gate: Gate, n_writes: int, log_file: Path) -> int:
    """Start apply in a child process and SIGKILL it once the sandbox has answered n writes and holds the next;
    the held requests are then answered (made), as a server would after its client died. Returns the writes
    made in the end."""
    gate.arm(sb, n_writes)
    child = start_apply(sb, log_file, stderr=subprocess.DEVNULL)
    try:
        wait_until_held(gate, child)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        gate.open_and_drain(sb)
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
def test_apply_killed_after_some_writes_converges_on_the_next_run(
    sb: Sandbox, gate: Gate, tmp_path: Path, n_writes: int
) -> None:
    log_file = tmp_path / "run.jsonl"
    done = kill_after(sb, gate, n_writes, log_file)
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


class Lines:
    """A child's stderr, read line by line in a thread of its own, so the test waits for a line with a bound and
    a child that never prints it fails the test with what it did print, instead of blocking the test for good."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(None)  # end of file: the child exited

    def until(self, prefix: str, within: float = 30.0) -> bool:
        """Whether a line starting with ``prefix`` came (False at the end of the output or after ``within`` s)."""
        deadline = time.monotonic() + within
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return False
            if line is None:
                self._lines.put(None)
                return False
            self.seen.append(line)
            if line.startswith(prefix):
                return True

    def rest(self) -> str:
        """Everything printed, once the child has exited."""
        while (line := self._lines.get(timeout=60)) is not None:
            self.seen.append(line)
        self._lines.put(None)
        return "".join(self.seen)


def stuck(child: subprocess.Popen[str], lines: Lines, what: str) -> str:
    """The failure message for a child that did not do ``what``: what it printed, with the stack of each of its
    threads (SIGABRT, under -X faulthandler) when it is still running."""
    if child.poll() is None:
        child.send_signal(signal.SIGABRT)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return f"the apply {what}; its stderr:\n{lines.rest()}"


def interrupt_after(
    sb: Sandbox, gate: Gate, n_writes: int, log_file: Path, *, twice: bool = False
) -> tuple[int, int, int, str]:
    """Start apply in a child process and send it SIGINT once the sandbox has answered n writes and holds the next
    ones in the gate. Once the child says it is waiting for the writes in flight, either the gate opens (they
    finish) or, ``twice``, a second SIGINT goes out while they are still held, and the gate opens once the child
    has exited. Returns the exit code, the writes made when the signal went out and in the end, and stderr.
    The waits are bounds for a broken child, which then fails the test with its output and stacks."""
    gate.arm(sb, n_writes)
    child = start_apply(sb, log_file, stderr=subprocess.PIPE)
    assert child.stderr is not None
    lines = Lines(child.stderr)
    try:
        wait_until_held(gate, child)
        at_signal = writes(sb)
        child.send_signal(signal.SIGINT)
        if not lines.until("interrupted: starting no more writes"):
            pytest.fail(stuck(child, lines, "never said it was interrupted"))
        if twice:
            child.send_signal(signal.SIGINT)
        else:
            gate.open_and_drain(sb)
        try:
            child.wait(timeout=60)  # twice: with its writes still held, only an abort ends the child
        except subprocess.TimeoutExpired:
            pytest.fail(stuck(child, lines, "did not end" + (" at the second Ctrl-C" if twice else "")))
        output = lines.rest()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        gate.open_and_drain(sb)
    return child.returncode, at_signal, writes(sb), output


def test_ctrl_c_starts_no_more_writes_lets_the_ones_in_flight_finish_and_ends_with_a_summary(
    sb: Sandbox, gate: Gate, tmp_path: Path
) -> None:
    # Issue 13, section 6: SIGINT used to let the run go on writing (19 -> 114 writes) and print no summary.
    log_file = tmp_path / "run.jsonl"
    code, at_signal, final, stderr = interrupt_after(sb, gate, 5, log_file)
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


def test_a_second_ctrl_c_aborts_at_once(sb: Sandbox, gate: Gate, tmp_path: Path) -> None:
    log_file = tmp_path / "run.jsonl"
    # The gate holds the writes in flight until the child has exited, so the second Ctrl-C always lands while the
    # apply is still waiting for them (with a fixed latency, a loaded machine could let them finish first). Once
    # opened, the held writes are made: what "may or may not have been made" means; the next run sees them.
    code, _, final, stderr = interrupt_after(sb, gate, 3, log_file, twice=True)
    assert code == 130, stderr
    assert "aborted: the writes in flight may or may not have been made" in stderr
    assert final < 22
    assert json.loads(log_file.read_text().splitlines()[-1])["aborted"] is True
    assert_converged(sb)


def test_ctrl_c_received_by_another_thread_interrupts_while_the_main_thread_waits(
    sb: Sandbox, gate: Gate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kernel hands a process's SIGINT to any thread not blocking it; Python runs the handler only in the main
    # thread, once it executes bytecode. The main thread used to wait for the writes in a lock (a pool's map),
    # which such a signal never woke: with the writes held by a slow server, Ctrl-C did nothing at all (the cause
    # of the flaky interrupt tests above). Here the signal goes, every time, to the sandbox thread holding a
    # write: the apply (in this process, so in pytest's main thread) must interrupt while it is held.
    interrupted = threading.Event()
    interrupt = Executor.interrupt

    def recorded(self: Executor) -> None:
        interrupt(self)
        interrupted.set()

    monkeypatch.setattr(Executor, "interrupt", recorded)
    in_time: list[bool] = []

    def ctrl_c_here() -> None:
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        in_time.append(interrupted.wait(timeout=30))  # a bound for the old code, which never woke
        gate.open()

    gate.on_hold = ctrl_c_here
    gate.arm(sb, 3)
    result = CliRunner().invoke(
        main,
        ["apply", str(EXAMPLES), "--auto-approve", "--log-file", str(tmp_path / "run.jsonl")],
        env={**sandbox_env(sb), "GHLOPS_PARALLELISM": "2"},
        catch_exceptions=False,
    )
    assert in_time == [True], "the handler did not run while the writes were held"
    assert result.exit_code == 130, result.output + result.stderr
    assert "interrupted: starting no more writes" in result.stderr
    assert writes(sb) < 22
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
