"""GHL's per-resource rate limits: a sliding burst window and a daily quota, reported on every answer."""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

DAILY_LIMIT = 200_000


@dataclass(frozen=True)
class Quota:
    """The state of one resource's quota after a request was counted (or refused)."""

    allowed: bool
    limit: int
    remaining: int
    window_s: float
    daily_remaining: int
    retry_after_s: float = 0.0

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Max": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Interval-Milliseconds": str(round(self.window_s * 1000)),
            "X-RateLimit-Limit-Daily": str(DAILY_LIMIT),
            "X-RateLimit-Daily-Remaining": str(self.daily_remaining),
        }
        if not self.allowed:
            # Retry-After is whole seconds on the wire; rounding up never invites a retry that fails again.
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after_s)))
        return headers


def unmetered(limit: int, window_s: float) -> Quota:
    """Headers for answers that touch no resource (bad token, unknown route)."""
    return Quota(True, limit, limit, window_s, DAILY_LIMIT)


class RateLimiter:
    """Counts requests per resource key ("location:<id>" or "company:<id>"). Thread-safe.

    Requests are always counted so the headers are realistic; ``enforce`` decides whether going over the
    window answers 429 or is let through.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}
        self._daily: dict[str, int] = {}

    def hit(self, key: str, *, now: float, limit: int, window_s: float, enforce: bool) -> Quota:
        with self._lock:
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - window_s:
                window.popleft()
            used_today = self._daily.get(key, 0)
            if enforce and len(window) >= limit:
                retry_after = window[0] + window_s - now
                return Quota(False, limit, 0, window_s, max(0, DAILY_LIMIT - used_today), retry_after)
            window.append(now)
            used_today += 1
            self._daily[key] = used_today
            remaining = max(0, limit - len(window))
            return Quota(True, limit, remaining, window_s, max(0, DAILY_LIMIT - used_today))
