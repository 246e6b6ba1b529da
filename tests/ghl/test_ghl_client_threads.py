from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from ghlops.ghl import RateLimiter
from ghlops.request import Request

from .fakes import ACME_ID, ACME_TOKEN, DEFAULT_TOKEN, FakeClock, make_client

LOCATIONS = [ACME_ID, "LocB000000000000000002", "LocC000000000000000003", "LocD000000000000000004"]
THREADS = 16
CALLS_PER_THREAD = 50


class Server:
    """Throttles the first attempt of every 7th call with a 429; checks each request carries its location's
    token."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen = 0
        self.throttled = 0
        self.wrong_token = 0
        self.throttled_calls: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        location = request.url.params["locationId"]
        call = request.url.params["call"]
        expected = ACME_TOKEN if location == ACME_ID else DEFAULT_TOKEN
        with self.lock:
            self.seen += 1
            if request.headers["Authorization"] != f"Bearer {expected}":
                self.wrong_token += 1
            if int(call) % 7 == 0 and call not in self.throttled_calls:
                self.throttled_calls.add(call)
                self.throttled += 1
                return httpx.Response(429, json={"message": "slow down"}, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"location": location})


def test_many_threads_share_one_client_and_the_counters_stay_exact() -> None:
    server = Server()
    clock = FakeClock()
    limiter = RateLimiter(100, 10.0, clock=clock, sleep=clock.sleep)
    client = make_client(server, clock, limiter=limiter)

    def worker(n: int) -> list[bool]:
        results = []
        for i in range(CALLS_PER_THREAD):
            location = LOCATIONS[(n + i) % len(LOCATIONS)]
            call = str(n * CALLS_PER_THREAD + i)
            req = Request("GET", ("/calendars/",), params=(("locationId", location), ("call", call)))
            results.append(client.send(req, location_id=location) == {"location": location})
        return results

    with client, ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = [ok for batch in pool.map(worker, range(THREADS)) for ok in batch]

    total = THREADS * CALLS_PER_THREAD
    assert outcomes == [True] * total
    assert server.wrong_token == 0
    stats = client.stats
    assert stats.requests == server.seen == total + server.throttled
    assert stats.status_429 == server.throttled == len(range(0, total, 7))
    assert stats.retries == server.throttled
    assert stats.responses == {"2xx": total, "4xx": server.throttled}
    assert stats.by_endpoint == {("GET", "/calendars/"): server.seen}
    assert stats.transport_errors == 0

    client.reset_stats()
    assert client.stats.requests == 0
    assert client.stats.responses == {}
