"""Client-side rate limiting, so a parallel apply stays under GHL's limits instead of bouncing off 429s.

GHL allows a burst of 100 requests per 10 seconds per location (calls on company-level endpoints such as
users count against the agency) and 200,000 requests a day. Each response reports the burst state in
``X-RateLimit-Max``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Interval-Milliseconds``.

:class:`RateLimiter` keeps one sliding window per key (a location id, or ``"agency"``). Keys are independent,
so a busy location never slows another. Server headers can only make the limiter *stricter*: when GHL says
fewer requests remain than the window thinks (another process is using the same token), the server wins.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

AGENCY_KEY = "agency"

# Never sleep less than this: a fake or coarse clock must always move forward between two checks.
_MIN_WAIT = 0.001


@dataclass
class _Window:
    limit: int
    window: float
    sent: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0
    # Send times of acquisitions whose call has not been settled yet (answer not back), oldest first.
    pending: deque[float] = field(default_factory=deque)

    def prune(self, now: float) -> None:
        while self.sent and self.sent[0] <= now - self.window:
            self.sent.popleft()
        while self.pending and self.pending[0] <= now - self.window:
            self.pending.popleft()


class RateLimiter:
    """Per-key sliding-window limiter: at most ``max_requests`` acquisitions per ``window_s`` seconds per key.

    Thread-safe. ``clock`` must be monotonic; ``sleep`` is called *without* the lock held, so waiting threads
    never block other keys (or :meth:`observe`). Both are injectable so tests run without real time.
    """

    def __init__(
        self,
        max_requests: int = 100,
        window_s: float = 10.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        self.max_requests = max_requests
        self.window_s = window_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def __repr__(self) -> str:
        return f"RateLimiter(max_requests={self.max_requests}, window_s={self.window_s:g})"

    def _window(self, key: str) -> _Window:
        state = self._windows.get(key)
        if state is None:
            state = self._windows[key] = _Window(self.max_requests, self.window_s)
        return state

    def acquire(self, key: str) -> float:
        """Block until ``key`` has a free slot, then take it. Returns the seconds spent waiting."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                state = self._window(key)
                state.prune(now)
                if state.blocked_until > now:
                    wait = state.blocked_until - now
                elif len(state.sent) < state.limit:
                    state.sent.append(now)
                    state.pending.append(now)
                    return waited
                else:
                    wait = state.sent[0] + state.window - now
            wait = max(wait, _MIN_WAIT)
            self._sleep(wait)
            waited += wait

    def settle(self, key: str) -> None:
        """Count one acquired slot of ``key`` from now, when its call has ended (answered or failed).

        GHL counts a request when it arrives, a little after it was sent; a window counted from send times
        alone would free a slot a little *before* GHL's does, and jitter in transit then turns the request
        that fills the window into a 429. Counting each slot from the end of its call (the server counted it
        before answering) keeps this window at least as full as GHL's. Calls never settled, and calls that
        outlive the window, stay counted from their send time.
        """
        with self._lock:
            now = self._clock()
            state = self._window(key)
            state.prune(now)
            if not state.pending:
                return
            sent_at = state.pending.popleft()
            with contextlib.suppress(ValueError):  # already left the window
                state.sent.remove(sent_at)
            state.sent.append(now)

    def observe(self, key: str, headers: Mapping[str, str]) -> None:
        """Adapt to GHL's ``X-RateLimit-*`` response headers (missing or unreadable ones are ignored).

        A smaller ``X-RateLimit-Max`` or a longer ``X-RateLimit-Interval-Milliseconds`` replaces the
        configured limit for this key; an ``X-RateLimit-Remaining`` below what the window allows fills the
        window so that only that many more requests go out before the window frees up.
        """
        lowered = {k.lower(): v for k, v in headers.items()}
        remaining = _number(lowered.get("x-ratelimit-remaining"))
        maximum = _number(lowered.get("x-ratelimit-max"))
        interval_ms = _number(lowered.get("x-ratelimit-interval-milliseconds"))
        with self._lock:
            now = self._clock()
            state = self._window(key)
            if maximum is not None and 1 <= maximum < state.limit:
                state.limit = int(maximum)
            if interval_ms is not None and interval_ms / 1000.0 > state.window:
                state.window = interval_ms / 1000.0
            state.prune(now)
            if remaining is not None:
                ours = state.limit - len(state.sent)
                theirs = max(int(remaining), 0)
                if theirs < ours:
                    # Slots the server says are used (by someone else) free up one window from now.
                    state.sent.extend([now] * (ours - theirs))

    def penalize(self, key: str, retry_after_s: float | None = None) -> None:
        """After a 429: block every acquire for ``key`` for ``retry_after_s`` seconds (a whole window when
        the server gave no ``Retry-After``)."""
        with self._lock:
            now = self._clock()
            state = self._window(key)
            pause = state.window if retry_after_s is None else max(retry_after_s, 0.0)
            state.blocked_until = max(state.blocked_until, now + pause)

    def available(self, key: str) -> int:
        """How many acquisitions ``key`` could make right now without waiting."""
        with self._lock:
            now = self._clock()
            state = self._window(key)
            if state.blocked_until > now:
                return 0
            state.prune(now)
            return max(state.limit - len(state.sent), 0)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if number == number and number not in (float("inf"), float("-inf")) else None
