"""Progress on stderr: a bar redrawn in place on a terminal, plain lines every few seconds elsewhere."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ghlops.commands.apply import apply_command
from ghlops.commands.io import Io
from ghlops.commands.plan import plan_command
from ghlops.live import TOP_KINDS
from ghlops.progress import Progress, ProgressFactory, elapsed_text, progress_factory
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import create_locations, sandbox_env
from ghlops.workflow import Settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ERASE = "\r\x1b[K"


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


def test_on_a_terminal_the_line_is_redrawn_in_place_and_erased_at_the_end() -> None:
    clock, requests = Clock(), Counter()
    reporter, stream = progress(True, clock, requests, total=3)
    clock.now += 0.5
    reporter.tick()
    assert stream.getvalue() == ""  # quick runs never flash a bar
    clock.now += 0.5
    reporter.tick()
    reporter.tick()  # nothing changed: nothing redrawn
    reporter.location_done()
    requests.value = 1
    reporter.tick()
    reporter.stop()
    assert stream.getvalue() == (
        ERASE
        + "plan: 0/3 locations, 0 requests, 1s elapsed"
        + ERASE
        + "plan: 1/3 locations, 1 request, 1s elapsed"
        + ERASE
    )
    assert "\n" not in stream.getvalue()


def test_a_stdout_line_printed_during_a_run_is_written_with_the_bar_out_of_its_way() -> None:
    clock = Clock()
    reporter, stream = progress(True, clock, total=1)
    clock.now += 2
    reporter.tick()
    reporter.above(lambda: stream.write("clinic: + tag vip: done\n"))
    assert stream.getvalue() == (
        ERASE + "plan: 0/1 locations, 0 requests, 2s elapsed" + ERASE + "clinic: + tag vip: done\n"
        + ERASE + "plan: 0/1 locations, 0 requests, 2s elapsed"
    )  # fmt: skip


def test_locations_finished_on_many_threads_are_all_counted() -> None:
    reporter, _ = progress(False, Clock(), total=800)
    threads = [threading.Thread(target=lambda: [reporter.location_done() for _ in range(100)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert reporter.done == 800


def test_the_ticker_thread_draws_by_itself_until_stopped() -> None:
    stream = io.StringIO()
    reporter = Progress("apply", 2, stream=stream, tty=False, interval_s=0.02).start()
    time.sleep(0.2)
    reporter.stop()
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 2 and lines[-1].endswith(", finished")
    assert not any(t.name.startswith("ghlops-progress") for t in threading.enumerate())


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0s"), (7.9, "7s"), (125, "2m05s"), (3723, "1h02m03s")])
def test_elapsed_time_reads_like_a_stopwatch(seconds: float, text: str) -> None:
    assert elapsed_text(seconds) == text


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
