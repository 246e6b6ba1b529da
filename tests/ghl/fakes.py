"""Test doubles for the GHL client: a fake clock whose sleep advances it, and scripted MockTransports."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import httpx

from ghlops.ghl import Credentials, GHLClient, RateLimiter, RetryPolicy
from ghlops.secret import Secret

E = TypeVar("E", bound=BaseException)

BASE_URL = "https://ghl.test"
LOCATION_ID = "ve9EPM428h8vShlRW1KT"
ACME_ID = "AcmeLoc0000000000001"
# Recognisable tokens: any leak shows up as a plain substring.
DEFAULT_TOKEN = "fake-DEFAULT-7c1e9a44-LEAKCANARY"
ACME_TOKEN = "fake-ACME-0b5d2f88-LEAKCANARY"
AGENCY_TOKEN = "fake-AGENCY-3e6a1c90-LEAKCANARY"
ALL_TOKENS = (DEFAULT_TOKEN, ACME_TOKEN, AGENCY_TOKEN)


def credentials() -> Credentials:
    return Credentials(
        location_default=Secret(DEFAULT_TOKEN),
        agency=Secret(AGENCY_TOKEN),
        per_location={ACME_ID: Secret(ACME_TOKEN)},
    )


class FakeClock:
    """Monotonic time that only moves when someone sleeps; records every sleep. Thread-safe."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


def refused() -> httpx.ConnectError:
    """What httpx raises for a refused connection: its ConnectError over httpcore's over the OS error."""
    return _chained(httpx.ConnectError("[Errno 111] Connection refused"), ConnectionRefusedError(111, "refused"))


def reset() -> httpx.ReadError:
    """What httpx raises when the server resets the connection mid-answer."""
    return _chained(httpx.ReadError("[Errno 104] Connection reset by peer"), ConnectionResetError(104, "reset"))


def _chained(exc: E, cause: BaseException) -> E:
    exc.__cause__ = cause
    return exc


Outcome = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport handler answering with the given outcomes in order (the last one repeats).

    Exceptions are raised as the transport would raise them; every request is recorded.
    """

    def __init__(self, *outcomes: Outcome) -> None:
        if not outcomes:
            raise ValueError("a script needs at least one outcome")
        self._outcomes = list(outcomes)
        self._lock = threading.Lock()
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            index = min(len(self.requests), len(self._outcomes) - 1)
            request.read()
            self.requests.append(request)
            outcome = self._outcomes[index]
        if isinstance(outcome, Exception):
            raise outcome
        if isinstance(outcome, httpx.Response):
            return outcome
        return outcome(request)

    @property
    def sends(self) -> int:
        return len(self.requests)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def json_response(status: int, data: Any, headers: Mapping[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=data, headers=dict(headers or {}))


def text_response(
    status: int, text: str, content_type: str = "text/plain", headers: Mapping[str, str] | None = None
) -> httpx.Response:
    all_headers = {"Content-Type": content_type, **(headers or {})}
    return httpx.Response(status, content=text.encode(), headers=all_headers)


def make_client(
    handler: Callable[[httpx.Request], httpx.Response],
    clock: FakeClock | None = None,
    *,
    base_url: str = BASE_URL,
    creds: Credentials | None = None,
    retry: RetryPolicy | None = None,
    limiter: RateLimiter | None = None,
    wall_clock: Callable[[], float] | None = None,
    seed: int = 7,
) -> GHLClient:
    clock = clock or FakeClock()
    return GHLClient(
        base_url,
        creds or credentials(),
        transport=httpx.MockTransport(handler),
        retry=retry or RetryPolicy(),
        limiter=limiter,
        sleep=clock.sleep,
        rng=random.Random(seed),
        wall_clock=wall_clock or (lambda: 1_700_000_000.0),
    )


def no_token_in(texts: Iterable[str]) -> bool:
    return not any(token in text for text in texts for token in ALL_TOKENS)
