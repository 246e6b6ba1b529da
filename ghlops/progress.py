"""Progress of long runs (locations done / total, requests made, elapsed), on stderr only.

On a terminal the line is redrawn in place once the run has lasted ``TTY_DELAY_S`` (short runs show nothing)
and erased when the run ends, so the plan on stdout reads exactly as without it. Elsewhere (CI logs, files)
a bar would be noise: a plain line is written every ``PLAIN_INTERVAL_S`` seconds instead, and only if the run
lasts that long, plus a last line at the end when any was written.

A :class:`Progress` is thread-safe: worker threads call :meth:`Progress.location_done`; a background ticker
thread does all the drawing. The clock, the stream and the request counter are injected, so tests drive it
with :meth:`Progress.tick` and a fake clock without any thread or real time. ``GHLOPS_PROGRESS=0`` turns it
off.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Protocol, TextIO

PLAIN_INTERVAL_S = 5.0
TTY_DELAY_S = 1.0
TTY_REDRAW_S = 0.1
ENV_PROGRESS = "GHLOPS_PROGRESS"

_ERASE_LINE = "\r\x1b[K"


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
        self._lock = threading.Lock()
        self._done = 0
        self._started: float | None = None
        self._baseline = 0
        self._shown = ""  # what the terminal line shows now ("" when nothing is drawn)
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

    def stop(self) -> None:
        """Stop the ticker; erase the terminal line, or end the plain lines with a last one. Safe twice."""
        self._stop.set()
        if self._ticker is not None and self._ticker is not threading.current_thread():
            self._ticker.join()
        self._ticker = None
        with self._lock:
            if self._started is None:
                return
            if self.tty:
                if self._shown:
                    self._write(_ERASE_LINE)
                    self._shown = ""
            elif self._plain_lines:
                self._write(self._text() + ", finished\n")
            self._started = None

    def __enter__(self) -> Progress:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

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
        """Run ``write`` (which prints a line on stdout) with the terminal line out of its way."""
        with self._lock:
            shown = self._shown
            if shown:
                self._write(_ERASE_LINE)
                self._shown = ""
            write()
            if shown:
                self._draw()

    # -- drawing -----------------------------------------------------------------------------------------

    def tick(self) -> None:
        """Draw if due: redraw the terminal line when its text changed, or write the next plain line."""
        with self._lock:
            if self._started is None:
                return
            now = self._clock()
            if self.tty:
                if now - self._started >= self._delay:
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
        requests = max(self._requests() - self._baseline, 0)
        return (
            f"{self.phase}: {self._done}/{self.total} locations, {requests:,} request{'s' if requests != 1 else ''}, "
            f"{elapsed_text(self._clock() - started)} elapsed"
        )

    def _draw(self) -> None:
        text = self._text()
        if text != self._shown:
            self._write(_ERASE_LINE + text)
            self._shown = text

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


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def enabled(env: Mapping[str, str]) -> bool:
    return env.get(ENV_PROGRESS, "").strip().lower() not in ("0", "off", "false", "no")


def progress_factory(stream: TextIO, env: Mapping[str, str]) -> ProgressFactory | None:
    """What commands use: reporters on ``stream`` (stderr), or None when GHLOPS_PROGRESS turns them off."""
    if not enabled(env):
        return None

    def make(phase: str, total: int, requests: Callable[[], int]) -> Progress:
        return Progress(phase, total, stream=stream, requests=requests)

    return make
