"""One HTTP/1.1 connection of the own pool (ghlops.ghl.http11), parsed by httptools, over real local sockets.

Each server here writes raw bytes, so the answers are exactly the shapes a server (or GHL's edge) may send:
chunked and close-delimited bodies, an interim 100, ``Connection: close``, HTTP/1.0, broken and oversized
answers. What must hold: every answer reads as httpx would read it, a connection is reused only after an answer
that allows it was read to its end, and what is not HTTP fails as a transport error naming no header value.
"""

from __future__ import annotations

import gc
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from ghlops.errors import ApiError, TransportError
from ghlops.ghl import GHLClient, RetryPolicy
from ghlops.ghl.http11 import MAX_HEADER_BYTES
from ghlops.ghl.transport import network_transport
from ghlops.request import Request

from .fakes import LOCATION_ID, credentials
from .servers import raw_server

GET = Request("GET", ("/calendars/",))
NO_RETRY = RetryPolicy(max_attempts=1, base_delay=0, max_delay=0)


@contextmanager
def answering(*answers: bytes, close_after: bool = False) -> Iterator[tuple[str, list[int]]]:
    """A server answering the requests of each connection with ``answers`` in turn (the last one repeated),
    closing the connection after each answer when ``close_after``. Yields the URL and the accepted count."""
    accepted: list[int] = []

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        accepted.append(1)
        for n in range(20):
            request = b""
            while b"\r\n\r\n" not in request:
                data = conn.recv(65536)
                if not data:
                    return
                request += data
            conn.sendall(answers[min(n, len(answers) - 1)])
            if close_after:
                return

    with raw_server(serve) as url:
        yield url, accepted


def client(url: str) -> GHLClient:
    return GHLClient(url, credentials(), retry=NO_RETRY)


def test_a_chunked_answer_is_read_whole_and_its_connection_reused() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5\r\n{"a":\r\n3\r\n [1\r\n2\r\n]}\r\n0\r\n\r\n'
    )
    with answering(chunked) as (url, accepted), client(url) as ghl:
        assert ghl.send(GET, location_id=LOCATION_ID) == {"a": [1]}
        assert ghl.send(GET, location_id=LOCATION_ID) == {"a": [1]}
        assert ghl.stats.connections_opened == 1 and len(accepted) == 1


def test_an_answer_without_length_ends_with_its_connection_which_is_not_reused() -> None:
    close_delimited = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"b": 2}'
    with answering(close_delimited, close_after=True) as (url, accepted), client(url) as ghl:
        assert ghl.send(GET, location_id=LOCATION_ID) == {"b": 2}
        assert ghl.send(GET, location_id=LOCATION_ID) == {"b": 2}
        assert ghl.stats.connections_opened == 2 and len(accepted) == 2


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    ],
    ids=["connection-close", "http-1.0"],
)
def test_an_answer_that_does_not_keep_the_connection_alive_gets_a_new_one_next_time(answer: bytes) -> None:
    with answering(answer, close_after=True) as (url, accepted), client(url) as ghl:
        for _ in range(3):
            assert ghl.send(GET, location_id=LOCATION_ID) == {}
        assert ghl.stats.connections_opened == 3 and len(accepted) == 3


def test_an_interim_100_is_skipped_for_the_answer_after_it() -> None:
    answer = b'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 8\r\nX-Seen: yes\r\n\r\n{"c": 3}'
    with answering(answer) as (url, _), client(url) as ghl:
        assert ghl.send(GET, location_id=LOCATION_ID) == {"c": 3}
        assert ghl.send(GET, location_id=LOCATION_ID) == {"c": 3}
        assert ghl.stats.connections_opened == 1


def test_headers_status_and_repeated_headers_reach_httpx_as_sent() -> None:
    answer = (
        b"HTTP/1.1 201 Created Here\r\nContent-Length: 0\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
        b"X-RateLimit-Remaining:  99 \r\n\r\n"
    )
    with answering(answer) as (url, _), httpx.Client(transport=network_transport(httpx.Limits(), lambda: None)) as http:
        response = http.get(url)
        assert response.status_code == 201
        assert response.reason_phrase == "Created Here"
        assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
        assert response.headers["x-ratelimit-remaining"] == "99"
        assert response.http_version == "HTTP/1.1"
        assert response.content == b""


@pytest.mark.parametrize(
    ("answer", "cause"),
    [
        (b"NOT HTTP AT ALL\r\n\r\n", "connection broken by the server: invalid answer"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", "connection broken by the server: peer closed"),
        (b"", "connection broken by the server: Server disconnected without sending a response."),
        (
            b"HTTP/1.1 200 OK\r\nX-Big: " + b"x" * MAX_HEADER_BYTES + b"\r\n\r\n",
            f"connection broken by the server: the answer's headers are over {MAX_HEADER_BYTES:,} bytes",
        ),
    ],
    ids=["garbage", "body-cut-short", "nothing", "headers-too-large"],
)
def test_an_answer_that_is_not_http_is_a_transport_error_and_its_connection_dropped(answer: bytes, cause: str) -> None:
    with answering(answer, close_after=True) as (url, _), client(url) as ghl:
        with pytest.raises(TransportError) as caught:
            ghl.send(GET, location_id=LOCATION_ID)
        assert cause in caught.value.message


def test_a_header_value_with_a_line_break_is_refused_before_sending_and_never_quoted() -> None:
    secret = "tok\r\nX-Injected: yes"
    transport = network_transport(httpx.Limits(), lambda: None)
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    with answering(ok) as (url, accepted), httpx.Client(transport=transport) as http:
        with pytest.raises(httpx.LocalProtocolError) as caught:
            http.get(url, headers={"Authorization": secret})
        assert "tok" not in str(caught.value) and "Injected" not in str(caught.value)
        assert accepted == []  # refused before connecting: nothing reached the server


def test_a_request_body_is_sent_with_its_length() -> None:
    seen: list[bytes] = []

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith(b'"x":1}'):
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        seen.append(data)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")

    with raw_server(serve) as url, client(url) as ghl:
        post = Request("POST", ("/calendars/",), body={"x": 1})
        try:
            ghl.send(post, location_id=LOCATION_ID)
        except ApiError:  # pragma: no cover - the answer is a plain 200
            raise
        (raw,) = seen
        head, body = raw.split(b"\r\n\r\n", 1)
        assert body == b'{"x":1}'
        assert b"\r\nContent-Length: 7" in head
        assert head.startswith(b"POST /calendars/ HTTP/1.1\r\n")


def test_an_answer_once_read_leaves_no_reference_cycle_behind() -> None:
    # httpx binds a response and its stream to each other, and httptools' parser holds the object its
    # callbacks fill: each answer was cyclic garbage, a fifth of the reads' CPU in collector passes at 1,000
    # locations (issue #15). Answers must be freed by reference counting alone.
    ok = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{"a":[]}'
    with answering(ok) as (url, _accepted), client(url) as ghl:
        assert ghl.send(GET, location_id=LOCATION_ID) == {"a": []}  # the connection and the client's own setup
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for _ in range(5):
                assert ghl.send(GET, location_id=LOCATION_ID) == {"a": []}
            gc.collect()
            ours = sorted(
                {
                    f"{type(o).__module__}.{type(o).__qualname__}"
                    for o in gc.garbage
                    if type(o).__module__.split(".")[0] in ("ghlops", "httpx", "httpcore", "httptools")
                }
            )
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
    assert ours == []
