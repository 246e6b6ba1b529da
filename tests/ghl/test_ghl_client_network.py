"""The client over real local sockets: kept connections (issue 15), transport errors mapped by type."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ghlops.errors import TransportError
from ghlops.ghl import GHLClient, RetryPolicy
from ghlops.request import Request

from .fakes import LOCATION_ID, credentials
from .servers import closed_port, keepalive_server

GET = Request("GET", ("/calendars/",))


def test_the_pool_keeps_as_many_connections_as_the_calls_in_flight() -> None:
    client = GHLClient("http://127.0.0.1:1", credentials(), concurrency=48)
    with client:
        assert client.limits.max_keepalive_connections == 48
        assert client.limits.max_connections is not None and client.limits.max_connections >= 48


def test_sequential_calls_reuse_one_connection_and_the_client_counts_it() -> None:
    with keepalive_server() as (url, accepted), GHLClient(url, credentials()) as client:
        for _ in range(10):
            assert client.send(GET, location_id=LOCATION_ID) == {}
        assert client.stats.connections_opened == 1
    assert accepted() == 1


def test_more_calls_in_flight_than_httpx_keeps_by_default_open_no_more_connections_than_calls() -> None:
    # 32 threads keep 32 calls in flight (as parallelism 8 x 4 reads per location does); httpx keeps only 20
    # idle connections by default, so every round would reconnect 12 of them.
    threads, rounds = 32, 4
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []
    with (
        keepalive_server(delay_s=0.02) as (url, accepted),
        GHLClient(url, credentials(), concurrency=threads) as client,
    ):

        def work() -> None:
            try:
                for _ in range(rounds):
                    barrier.wait(timeout=30)
                    client.send(GET, location_id=LOCATION_ID)
            except BaseException as exc:  # reported below; a thread's exception would be lost otherwise
                errors.append(exc)

        pool = [threading.Thread(target=work) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(timeout=60)
        opened = client.stats.connections_opened
    assert errors == []
    assert client.stats.requests == threads * rounds
    assert 1 <= opened <= threads
    assert accepted() == opened


def test_a_refused_connection_is_named_from_the_os_error_type() -> None:
    client = GHLClient(f"http://127.0.0.1:{closed_port()}", credentials(), retry=RetryPolicy(max_attempts=1))
    with client, pytest.raises(TransportError) as info:
        client.send(GET, location_id=LOCATION_ID)
    assert info.value.message == "connection refused"
    assert client.stats.connections_opened == 0


def test_a_cookie_an_answer_sets_is_neither_kept_nor_sent_on_later_calls() -> None:
    # Calls are authenticated by their token; a cookie set on one location's answer (a CDN's) must not travel.
    seen: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append(self.headers.get("Cookie"))
            self.send_response(200)
            self.send_header("Set-Cookie", "__cf_bm=abc123; Path=/; HttpOnly")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with GHLClient(f"http://127.0.0.1:{server.server_address[1]}", credentials()) as client:
            for _ in range(3):
                assert client.send(GET, location_id=LOCATION_ID) == {}
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [None, None, None]
