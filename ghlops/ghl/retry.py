"""When to try a GHL call again, and how long to wait first: the retry policy the client hands to tenacity.

Backoff is exponential with *full jitter* (a uniformly random wait between 0 and the exponential cap), which
spreads the retries of many worker threads instead of having them hit GHL again in lockstep. A server's
``Retry-After`` is honoured as a minimum, up to ``max_retry_after`` (120 s): a server asking for more fails the
call with a line naming the endpoint instead of parking the run.

What is retried (:func:`decide_status` and :func:`decide_transport` are this table; the client applies them):

======================================  ======================  ==========================================
failure                                 GET / PUT / DELETE      POST / PATCH (not idempotent)
                                        and read-only searches
======================================  ======================  ==========================================
429 Too Many Requests                   retried                 retried: GHL refused before doing anything
500 / 502 / 503 / 504                   retried                 AmbiguousWriteError, never resent
other 5xx                               ApiError                AmbiguousWriteError, never resent
connect error / connect or pool timeout retried                 retried: nothing reached the server
read timeout, reset, protocol error     retried                 AmbiguousWriteError, never resent
a request that cannot be built          TransportError          TransportError
404 to a DELETE after an interrupted    done (it was deleted)   -
earlier attempt
any other status                        ApiError                ApiError
======================================  ======================  ==========================================

A read-only search (``POST /contacts/search``: it changes nothing, its OAuth scope is ``contacts.readonly``)
is a read: it is retried like a GET. A write GHL may have processed (an AmbiguousWriteError) that the executor
sends again after re-reading live state waits the backoff its next attempt number gives, like any retry.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import Enum

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRIED_SERVER_STATUSES = frozenset({500, 502, 503, 504})
#: POST endpoints that only read (retried like a GET). GHL's contacts search: ../shared/ghl-openapi/contacts.json.
READ_ONLY_POSTS = frozenset({"/contacts/search"})


def is_idempotent(method: str, path: str) -> bool:
    """Whether resending ``method path`` after it may have reached GHL can do no harm."""
    method = method.upper()
    return method in IDEMPOTENT_METHODS or (method == "POST" and path.rstrip("/") in READ_ONLY_POSTS)


class Verdict(Enum):
    """What to do after one attempt."""

    DONE = "done"  # a 2xx: return the body
    RETRY = "retry"  # try again after the backoff
    FAIL = "fail"  # raise ApiError / TransportError now
    AMBIGUOUS = "ambiguous"  # raise AmbiguousWriteError: the write may have happened, never resend it
    DELETED = "deleted"  # a DELETE's 404 after an interrupted attempt: the earlier attempt deleted it


def decide_status(status: int, *, method: str, idempotent: bool, maybe_processed: bool) -> Verdict:
    """The verdict for an HTTP answer (``maybe_processed``: an earlier attempt may have reached GHL)."""
    if 200 <= status < 300:
        return Verdict.DONE
    if status == 429:
        return Verdict.RETRY
    if status >= 500 and not idempotent:
        return Verdict.AMBIGUOUS
    if status in RETRIED_SERVER_STATUSES:
        return Verdict.RETRY
    if status == 404 and method.upper() == "DELETE" and maybe_processed:
        # ghlops only deletes objects it has just read live: gone now means the earlier attempt deleted it.
        return Verdict.DELETED
    return Verdict.FAIL


class Failure(Enum):
    """How far a request got when the transport failed (see :mod:`ghlops.ghl.transport_errors`)."""

    NOT_SENT = "not sent"  # nothing reached the server: always safe to retry
    SENT = "sent"  # may have reached the server
    FATAL = "fatal"  # the request cannot be sent as built: retrying cannot help


def decide_transport(failure: Failure, *, idempotent: bool) -> Verdict:
    if failure is Failure.FATAL:
        return Verdict.FAIL
    if failure is Failure.SENT and not idempotent:
        return Verdict.AMBIGUOUS
    return Verdict.RETRY


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

    def too_long(self, server_wait: float | None) -> bool:
        """Whether a wait the server asks for is beyond what ghlops obeys (the call fails instead)."""
        return server_wait is not None and server_wait > self.max_retry_after


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
