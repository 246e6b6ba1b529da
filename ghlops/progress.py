"""Progress of long runs (locations done / total, requests made, elapsed), on stderr only.

On a terminal, rich's progress bar (locations done / total, requests, elapsed) appears once the run has lasted
``TTY_DELAY_S`` (short runs show nothing) and is transient: erased when the run ends, so the plan on stdout
reads exactly as without it. Elsewhere (CI logs, files) a bar would be noise: a plain line is written every
``PLAIN_INTERVAL_S`` seconds instead, and only if the run lasts that long, plus a last line at the end when any
was written, ending "finished", or "failed" when the run failed.

A :class:`Progress` is thread-safe: worker threads call :meth:`Progress.location_done`; a background ticker
thread does all the drawing. The clock, the stream and the request counter are injected, so tests drive it
with :meth:`Progress.tick` and a fake clock without any thread or real time. ``GHLOPS_PROGRESS=0`` turns it
off.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

PLAIN_INTERVAL_S = 5.0
TTY_DELAY_S = 1.0
TTY_REDRAW_S = 0.1
ENV_PROGRESS = "GHLOPS_PROGRESS"



class ProgressFactory(Protocol):
    def __call__(self, phase: str, total: int, requests: Callable[[], int]) -> Progress: ...


def elapsed_text(seconds: float) -> str:
    """``7s``, ``2m05s``, ``1h02m03s``."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class Progress:
    """Reports one phase (``plan``, ``apply``) of a run over ``total`` locations.

    ``requests`` returns the client's request counter (e.g. ``lambda: client.stats.requests``); the count shown
    is what the phase added since :meth:`start`. ``tty`` picks redraw-in-place; ``None`` asks the stream.
    """

    def __init__(
        self,
        phase: str,
        total: int,
        *,
        stream: TextIO,
        requests: Callable[[], int] = lambda: 0,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval_s: float = PLAIN_INTERVAL_S,
        delay_s: float = TTY_DELAY_S,
        redraw_s: float = TTY_REDRAW_S,
        colour: bool = True,
    ) -> None:
        self.phase = phase
        self.total = total
        self._stream = stream
        self._requests = requests
        self.tty = _isatty(stream) if tty is None else tty
        self._clock = clock
        self._interval = interval_s
        self._delay = delay_s
        self._redraw = redraw_s
        self._colour = colour  # the bar's colours (--no-color, NO_COLOR and TERM=dumb turn them off)
        self._lock = threading.Lock()
        self._done = 0
        self._started: float | None = None
        self._baseline = 0
        self._bar: _Bar | None = None  # the terminal bar, once the run lasted TTY_DELAY_S
        self._next_plain = 0.0
        self._plain_lines = 0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self, *, ticker: bool = True) -> Progress:
        """Start the clock; with ``ticker`` a daemon thread calls :meth:`tick` until :meth:`stop`."""
        with self._lock:
            self._started = self._clock()
            self._baseline = self._requests()
            self._next_plain = self._started + self._interval
        if ticker:
            self._ticker = threading.Thread(target=self._run, name=f"ghlops-progress-{self.phase}", daemon=True)
            self._ticker.start()
        return self

    def stop(self, *, failed: bool | None = None) -> None:
        """Stop the ticker; erase the terminal bar, or end the plain lines with a last one ("finished", or
        "failed"). ``failed`` None means: failed if an exception is propagating (stop called from a ``finally``
        or ``__exit__`` while the run raises). Safe twice."""
        if failed is None:
            failed = sys.exc_info()[0] is not None
        self._stop.set()
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join()
        self._ticker = None
        with self._lock:
            if self._started is None:
                return
            if self._bar is not None:
                self._bar.hide()
                self._bar = None
            elif not self.tty and self._plain_lines:
                self._write(self._text() + (", failed\n" if failed else ", finished\n"))
            self._started = None

    def __enter__(self) -> Progress:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop(failed=exc_type is not None)

    # -- events ------------------------------------------------------------------------------------------

    def location_done(self, name: str = "") -> None:
        """One more location finished (any thread)."""
        with self._lock:
            self._done += 1

    @property
    def done(self) -> int:
        with self._lock:
            return self._done

    def above(self, write: Callable[[], None]) -> None:
        """Run ``write`` (which prints a line on stdout) with the terminal bar out of its way."""
        with self._lock:
            bar = self._bar
            if bar is not None:
                bar.hide()
            write()
            if bar is not None:
                bar.show()
                self._draw()

    # -- drawing -----------------------------------------------------------------------------------------

    def tick(self) -> None:
        """Draw if due: refresh the terminal bar, or write the next plain line."""
        with self._lock:
            if self._started is None:
                return
            now = self._clock()
            if self.tty:
                if now - self._started >= self._delay:
                    if self._bar is None:
                        self._bar = _Bar(self._stream, self.phase, self.total, self._clock, self._started, self._colour)
                        self._bar.show()
                    self._draw()
            elif now >= self._next_plain:
                self._write(self._text() + "\n")
                self._plain_lines += 1
                while self._next_plain <= now:
                    self._next_plain += self._interval

    def text(self) -> str:
        with self._lock:
            return self._text()

    def _text(self) -> str:
        started = self._started if self._started is not None else self._clock()
        requests = self._requests_made()
        return (
            f"{self.phase}: {self._done}/{self.total} locations, {requests:,} request{'s' if requests != 1 else ''}, "
            f"{elapsed_text(self._clock() - started)} elapsed"
        )

    def _requests_made(self) -> int:
        return max(self._requests() - self._baseline, 0)

    def _draw(self) -> None:
        if self._bar is not None:
            self._bar.update(self._done, self._requests_made())

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # closed or broken stderr: progress is never worth failing a run
            pass

    def _run(self) -> None:
        period = self._redraw if self.tty else min(self._interval, 0.5)
        while not self._stop.wait(period):
            self.tick()


class _Bar:
    """rich's transient progress bar on the terminal stream: drawn only when refreshed (by the ticker, under the
    reporter's lock), never by a thread of rich's own, so an injected clock drives it in tests."""

    def __init__(
        self, stream: TextIO, phase: str, total: int, clock: Callable[[], float], started: float, colour: bool
    ) -> None:
        console = Console(file=stream, force_terminal=True, highlight=False, soft_wrap=False, no_color=not colour)
        self._progress = RichProgress(
            TextColumn("{task.description}:"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("locations, {task.fields[requests]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            auto_refresh=False,
            get_time=clock,
            redirect_stdout=False,  # stdout carries the plan: never routed through the bar's stream
            redirect_stderr=False,
        )
        self._task = self._progress.add_task(phase, total=total, requests=_requests_text(0))
        self._progress.tasks[0].start_time = started  # elapsed counts from the run's start, not the bar's

    def show(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # a closed stderr: progress is never worth failing a run
            self._progress.start()

    def update(self, done: int, requests: int) -> None:
        try:
            self._progress.update(self._task, completed=done, requests=_requests_text(requests))
            self._progress.refresh()
        except (OSError, ValueError):
            pass

    def hide(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._progress.stop()


def _requests_text(requests: int) -> str:
    return f"{requests:,} request{'s' if requests != 1 else ''}"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def enabled(env: Mapping[str, str]) -> bool:
    return env.get(ENV_PROGRESS, "").strip().lower() not in ("0", "off", "false", "no")


def progress_factory(stream: TextIO, env: Mapping[str, str], *, colour: bool = True) -> ProgressFactory | None:
    """What commands use: reporters on ``stream`` (stderr), or None when GHLOPS_PROGRESS turns them off."""
    if not enabled(env):
        return None

    # A dumb terminal can't redraw a bar in place: it gets the plain lines, as a log does.
    tty = False if env.get("TERM") == "dumb" else None

    def make(phase: str, total: int, requests: Callable[[], int]) -> Progress:
        return Progress(phase, total, stream=stream, requests=requests, tty=tty, colour=colour)

    return make
