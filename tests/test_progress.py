"""Progress on stderr: rich's transient bar on a terminal, plain lines every few seconds elsewhere."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ghlops.commands.apply import apply_command
from ghlops.commands.plan import plan_command
from ghlops.live import TOP_KINDS
from ghlops.output import Io
from ghlops.progress import Progress, ProgressFactory, elapsed_text, progress_factory
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import create_locations, sandbox_env
from ghlops.workflow import Settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ERASE = "\x1b[2K"


@pytest.fixture(autouse=True)
def colour_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich reads the terminal's kind from the environment: a colour terminal here, whatever this run's is."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Counter:
    def __init__(self, value: int = 0) -> None:
        self.value = value

    def __call__(self) -> int:
        return self.value


def progress(
    tty: bool, clock: Clock, requests: Callable[[], int] = lambda: 0, total: int = 10
) -> tuple[Progress, io.StringIO]:
    stream = io.StringIO()
    reporter = Progress("plan", total, stream=stream, requests=requests, tty=tty, clock=clock)
    return reporter.start(ticker=False), stream


def test_a_run_shorter_than_the_interval_writes_nothing_off_a_terminal() -> None:
    clock = Clock()
    reporter, stream = progress(False, clock)
    clock.now += 4.9
    reporter.tick()
    reporter.location_done()
    reporter.stop()
    assert stream.getvalue() == ""


def test_off_a_terminal_a_plain_line_is_written_every_five_seconds_and_a_last_one_at_the_end() -> None:
    clock, requests = Clock(), Counter(40)
    reporter, stream = progress(False, clock, requests)
    requests.value = 70
    for _ in range(2):
        reporter.location_done("clinic")
    clock.now += 5.0
    reporter.tick()
    clock.now += 3.0
    reporter.tick()  # not due yet
    clock.now += 2.5
    reporter.tick()
    requests.value = 41 + 40
    reporter.stop()
    assert stream.getvalue().splitlines() == [
        "plan: 2/10 locations, 30 requests, 5s elapsed",
        "plan: 2/10 locations, 30 requests, 10s elapsed",
        "plan: 2/10 locations, 41 requests, 10s elapsed, finished",
    ]


def visible(text: str) -> str:
    """The text a terminal shows, control sequences (cursor, erase, colour) left out."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_on_a_terminal_rich_s_bar_appears_after_a_second_and_is_erased_at_the_end() -> None:
    clock, requests = Clock(), Counter()
    reporter, stream = progress(True, clock, requests, total=3)
    clock.now += 0.5
    reporter.tick()
    assert stream.getvalue() == ""  # quick runs never flash a bar
    clock.now += 0.5
    reporter.tick()
    assert "plan: " in visible(stream.getvalue())
    assert visible(stream.getvalue()).rstrip().endswith("0/3 locations, 0 requests 0:00:01")
    reporter.location_done()
    requests.value = 1
    clock.now += 1
    reporter.tick()
    assert visible(stream.getvalue()).rstrip().endswith("1/3 locations, 1 request 0:00:02")
    reporter.stop()
    assert stream.getvalue().endswith(ERASE)  # transient: the bar's line is erased, nothing of it is left


def test_the_bar_has_no_colour_when_colour_is_off() -> None:
    for colour in (True, False):
        clock = Clock()
        stream = io.StringIO()
        reporter = Progress("plan", 2, stream=stream, tty=True, clock=clock, colour=colour).start(ticker=False)
        clock.now += 2
        reporter.tick()
        reporter.stop()
        assert ("\x1b[32m" in stream.getvalue()) is colour  # rich's green done/total


def test_a_stdout_line_printed_during_a_run_is_written_with_the_bar_out_of_its_way() -> None:
    clock = Clock()
    reporter, stream = progress(True, clock, total=1)
    clock.now += 2
    reporter.tick()
    before = len(stream.getvalue())
    reporter.above(lambda: stream.write("clinic: + tag vip: done\n"))
    after = stream.getvalue()[before:]
    erased, found, redrawn = after.partition("clinic: + tag vip: done\n")
    assert found
    assert erased.endswith(ERASE)  # the bar is gone before the line is written...
    assert visible(redrawn).rstrip().endswith("0/1 locations, 0 requests 0:00:02")  # ...and back after it
    reporter.stop()


def test_off_a_terminal_the_last_line_says_failed_when_the_run_raised() -> None:
    clock = Clock()
    reporter, stream = progress(False, clock)
    clock.now += 5
    reporter.tick()
    with pytest.raises(RuntimeError):
        try:
            raise RuntimeError("GHL is down")
        finally:
            reporter.stop()
    assert stream.getvalue().splitlines() == [
        "plan: 0/10 locations, 0 requests, 5s elapsed",
        "plan: 0/10 locations, 0 requests, 5s elapsed, failed",
    ]


def test_a_context_managed_reporter_says_failed_when_its_block_raised_and_finished_otherwise() -> None:
    for error, word in ((ValueError("boom"), "failed"), (None, "finished")):
        clock = Clock()
        reporter, stream = progress(False, clock, total=1)
        clock.now += 5
        reporter.tick()
        reporter.__exit__(type(error) if error else None, error, None)
        assert stream.getvalue().splitlines()[-1] == f"plan: 0/1 locations, 0 requests, 5s elapsed, {word}"


def test_an_explicit_failed_overrides_what_stop_would_guess() -> None:
    clock = Clock()
    reporter, stream = progress(False, clock)
    clock.now += 5
    reporter.tick()
    reporter.stop(failed=True)
    assert stream.getvalue().splitlines()[-1].endswith(", failed")


def test_locations_finished_on_many_threads_are_all_counted() -> None:
    reporter, _ = progress(False, Clock(), total=800)
    threads = [threading.Thread(target=lambda: [reporter.location_done() for _ in range(100)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert reporter.done == 800


class _Lines(io.StringIO):
    """A stream that says when a line was written: the test waits for the ticker's work, not for time."""

    def __init__(self) -> None:
        super().__init__()
        self.written = threading.Event()

    def write(self, text: str) -> int:
        written = super().write(text)
        self.written.set()
        return written


def test_the_ticker_thread_draws_by_itself_until_stopped() -> None:
    stream = _Lines()
    reporter = Progress("apply", 2, stream=stream, tty=False, interval_s=0.02).start()
    assert stream.written.wait(timeout=60)  # no tick() from the test: the ticker thread drew this line
    reporter.stop()
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 2 and lines[-1].endswith(", finished")
    assert not any(t.name.startswith("ghlops-progress") for t in threading.enumerate())


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0s"), (7.9, "7s"), (125, "2m05s"), (3723, "1h02m03s")])
def test_elapsed_time_reads_like_a_stopwatch(seconds: float, text: str) -> None:
    assert elapsed_text(seconds) == text


def test_a_dumb_terminal_gets_the_plain_lines_not_a_bar() -> None:
    make = progress_factory(io.StringIO(), {"TERM": "dumb"})
    assert make is not None and make("plan", 1, lambda: 0).tty is False


@pytest.mark.parametrize("value", ["0", "off", "false", "NO"])
def test_ghlops_progress_0_turns_progress_off(value: str) -> None:
    assert progress_factory(io.StringIO(), {"GHLOPS_PROGRESS": value}) is None
    assert progress_factory(io.StringIO(), {}) is not None


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(port=0) as sandbox:
        create_locations(sandbox, [EXAMPLES])
        yield sandbox


def eager(stream: io.StringIO) -> ProgressFactory:
    """Plain lines every few milliseconds, so even a quick run writes some."""

    def make(phase: str, total: int, requests: Callable[[], int]) -> Progress:
        return Progress(phase, total, stream=stream, requests=requests, tty=False, interval_s=0.001)

    return make


def test_progress_goes_to_stderr_and_leaves_the_plan_and_apply_output_unchanged(sb: Sandbox) -> None:
    env = sandbox_env(sb)
    quiet: list[str] = []
    plan_command([EXAMPLES], locations=(), detailed_exitcode=False, settings=Settings(env=env), io=Io(out=quiet.append))
    stderr = io.StringIO()
    loud: list[str] = []
    settings = Settings(env=env, progress=eager(stderr))
    plan_command([EXAMPLES], locations=(), detailed_exitcode=False, settings=settings, io=Io(out=loud.append))
    assert loud == quiet
    # The users search, then one list call per location kind per location (nothing live has prices yet): the
    # kinds come from the registry, so a new built-in kind (trigger links, issue 11) adds one per location.
    requests = 1 + 2 * len(TOP_KINDS)
    assert stderr.getvalue().splitlines()[-1].startswith(f"plan: 2/2 locations, {requests} requests, ")

    stderr.seek(0)
    stderr.truncate()
    applied: list[str] = []
    code = apply_command([EXAMPLES], locations=(), auto_approve=True, settings=settings, io=Io(out=applied.append))
    assert code == 0
    assert not any(line.startswith(("plan: ", "apply: ")) for line in applied)
    last = stderr.getvalue().splitlines()[-1]
    assert last.startswith("apply: 2/2 locations, ") and last.endswith(", finished")
