"""When to try a GHL call again, and how long to wait first.

Backoff is exponential with *full jitter* (a uniformly random wait between 0 and the exponential cap), which
spreads the retries of many worker threads instead of having them hit GHL again in lockstep. A server's
``Retry-After`` is honoured as a minimum.

What is retried (the client applies this; the reasoning lives here):

======================================  ======================  ==========================================
failure                                 GET / PUT / DELETE      POST / PATCH (not idempotent)
======================================  ======================  ==========================================
429 Too Many Requests                   retried                 retried: GHL refused before doing anything
500 / 502 / 503 / 504                   retried                 AmbiguousWriteError, never resent
other 5xx                               ApiError                AmbiguousWriteError, never resent
connect error / connect or pool timeout retried                 retried: nothing reached the server
read timeout, reset, protocol error     retried                 AmbiguousWriteError, never resent
any other status                        ApiError                ApiError
======================================  ======================  ==========================================
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRIED_SERVER_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` counts the first try; attempt ``n`` waits up to ``base_delay * 2**(n-1)`` seconds,
    never more than ``max_delay`` (except that a ``Retry-After`` up to ``max_retry_after`` is obeyed)."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: bool = True
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("delays must not be negative")

    def backoff_delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based) before the next one.

        Full jitter: uniform in ``[0, min(max_delay, base_delay * 2**(attempt-1))]`` (the cap itself when
        ``jitter`` is off). ``retry_after`` (already in seconds) is a floor, itself capped at
        ``max_retry_after`` so a misbehaving server cannot park a run for hours.
        """
        exponent = min(max(attempt, 1) - 1, 62)  # 2**62 * anything positive is far past any max_delay
        cap = min(self.max_delay, self.base_delay * (2.0**exponent))
        delay = rng.uniform(0.0, cap) if self.jitter else cap
        if retry_after is not None:
            delay = max(delay, min(max(retry_after, 0.0), self.max_retry_after))
        return delay


def backoff_delay(
    attempt: int, retry_after: float | None, rng: random.Random, policy: RetryPolicy | None = None
) -> float:
    """:meth:`RetryPolicy.backoff_delay` of ``policy`` (the default policy when None)."""
    return (policy or RetryPolicy()).backoff_delay(attempt, retry_after, rng)


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP-date); None when absent or unreadable.

    ``now`` is the wall clock (epoch seconds) an HTTP-date is measured against; dates in the past give 0.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if seconds == seconds else None  # NaN is unreadable, not "now"
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are always GMT ("-0000" parses as naive)
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now(), 0.0)
