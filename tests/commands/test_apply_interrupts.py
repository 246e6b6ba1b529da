"""Ctrl-C during apply (ghlops.commands.apply.Interrupts): the handler runs in the main thread, between any two
bytecodes of whatever that thread is doing, including writing the run log."""

from __future__ import annotations

import io
import json
import signal
import threading
from pathlib import Path
from typing import Any, cast

import pytest

from ghlops.apply import Executor, RunLog
from ghlops.commands import exit_codes
from ghlops.commands.apply import Interrupts
from ghlops.output import Io


class SignalMidWrite(io.StringIO):
    """A log stream whose first write is interrupted by Ctrl-C: the handler runs inside it, in the same thread,
    with the run log's lock held (as when the main thread logs a skipped change and the user presses again)."""

    def __init__(self) -> None:
        super().__init__()
        self.on_write: Any = None
        self.text = ""

    def write(self, s: str) -> int:
        hook, self.on_write = self.on_write, None
        if hook is not None:
            hook()
        self.text += s
        return len(s)

    def close(self) -> None:
        self.closed_with = self.text
        super().close()


@pytest.mark.timeout(20)  # the old plain lock hung here for ever: a failure, not a hang
def test_a_second_ctrl_c_landing_while_the_main_thread_writes_the_run_log_aborts_instead_of_hanging() -> None:
    stream = SignalMidWrite()
    log = RunLog(stream)
    executor = Executor(cast(Any, None), cast(Any, None))
    errors: list[str] = []
    aborted: list[int] = []
    interrupts = Interrupts(executor, Io(out=lambda _l: None, err=errors.append), log, abort=aborted.append)
    interrupts.handle(signal.SIGINT, None)
    assert executor.interrupted and aborted == []
    stream.on_write = lambda: interrupts.handle(signal.SIGINT, None)
    log.note({"summary": "a line the main thread was writing"})
    assert aborted == [exit_codes.INTERRUPTED]
    assert errors[-1].startswith("aborted: the writes in flight may or may not have been made")
    lines = [json.loads(line) for line in stream.closed_with.splitlines()]
    # The abort's line is written (inside the interrupted write) and the log closed; the interrupted line is
    # dropped rather than written to a closed file (the process exits at the abort).
    assert [line.get("aborted") for line in lines] == [True]
    assert stream.closed


def test_a_second_ctrl_c_while_the_run_log_lock_is_held_by_the_main_thread_writes_its_line(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    log = RunLog.open(path)
    executor = Executor(cast(Any, None), cast(Any, None))
    aborted: list[int] = []
    interrupts = Interrupts(executor, Io(out=lambda _l: None, err=lambda _l: None), log, abort=aborted.append)
    interrupts.handle(signal.SIGINT, None)
    with log._lock:  # the main thread is inside the log (RunLog._line) when the second Ctrl-C lands
        interrupts.handle(signal.SIGINT, None)
    assert aborted == [exit_codes.INTERRUPTED]
    (line,) = [json.loads(text) for text in path.read_text().splitlines()]
    assert line["aborted"] is True and line["interrupted"] is True


def test_ctrl_c_landing_inside_a_write_to_stderr_still_interrupts_and_says_so(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # The handler runs in the main thread between any two bytecodes; inside a write to stderr Python refuses a
    # reentrant write with RuntimeError. The handler must not raise into the interrupted code: it says its line
    # straight on file descriptor 2 instead.
    def reentrant(_line: str) -> None:
        raise RuntimeError("reentrant call inside <_io.BufferedWriter name='<stderr>'>")

    executor = Executor(cast(Any, None), cast(Any, None))
    aborted: list[int] = []
    interrupts = Interrupts(executor, Io(out=lambda _l: None, err=reentrant), RunLog(None), abort=aborted.append)
    interrupts.handle(signal.SIGINT, None)
    assert executor.interrupted
    interrupts.handle(signal.SIGINT, None)
    assert aborted == [exit_codes.INTERRUPTED]
    lines = capfd.readouterr().err.splitlines()
    assert [line.split(";")[0] for line in lines] == [
        "interrupted: starting no more writes",
        "aborted: the writes in flight may or may not have been made",
    ]


@pytest.mark.timeout(60)
def test_ctrl_c_received_by_the_works_thread_runs_the_handler_while_the_main_thread_waits() -> None:
    # The kernel may hand SIGINT to any thread; Python runs the handler only in the main thread, once it runs
    # bytecode: blocked in a lock, the main thread never ran it (tests/safety/test_crash_safe_apply.py).
    executor = Executor(cast(Any, None), cast(Any, None))
    errors: list[str] = []
    interrupts = Interrupts(executor, Io(out=lambda _l: None, err=errors.append), RunLog(None), abort=lambda _c: None)

    def work() -> bool:
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)  # received here, not in the main thread
        return executor._stop.wait(timeout=30)  # a bound for a broken handler

    before = signal.getsignal(signal.SIGINT)
    with interrupts:
        assert interrupts.run(work) is True
    assert [line.split(";")[0] for line in errors] == ["interrupted: starting no more writes"]
    assert signal.getsignal(signal.SIGINT) is before


def test_the_work_run_under_interrupts_gives_its_result_and_raises_its_exception() -> None:
    executor = Executor(cast(Any, None), cast(Any, None))
    interrupts = Interrupts(executor, Io(out=lambda _l: None, err=lambda _l: None), RunLog(None))

    def failing() -> None:
        raise ValueError("from the work")

    with interrupts:
        assert interrupts.run(lambda: 42) == 42
        with pytest.raises(ValueError, match="from the work"):
            interrupts.run(failing)
    assert signal.set_wakeup_fd(-1) == -1  # the wakeup socket was released with the handler
    assert not executor.interrupted
