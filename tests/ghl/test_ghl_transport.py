"""The network transport's own connection pool (ghlops.ghl.transport.OwnConnectionPool) over real local sockets.

Each call has a connection of its own, taken from a free list and given back when its answer is closed (issue 15:
httpcore's shared pool scanned every connection twice per request). What must hold: connections are reused, never
shared, never reused once broken or closed by the server, and closed with the client.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ghlops.ghl import GHLClient
from ghlops.ghl.transport import OwnConnectionPool, network_transport
from ghlops.request import Request

from .fakes import LOCATION_ID, credentials
from .servers import keepalive_server, raw_server

GET = Request("GET", ("/calendars/",))
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def counted_transport(limits: httpx.Limits | None = None) -> tuple[httpx.HTTPTransport, list[int]]:
    opened: list[int] = []
    transport = network_transport(limits or httpx.Limits(max_keepalive_connections=4), lambda: opened.append(1))
    return transport, opened


@contextmanager
def one_answer_per_connection_server() -> Iterator[tuple[str, threading.Semaphore]]:
    """Answers one request per connection as keep-alive, then closes it (as a server's idle timeout does).

    Yields the URL and a semaphore released each time the server has closed a connection.
    """
    closed = threading.Semaphore(0)

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        conn.recv(65536)
        conn.sendall(ANSWER)
        conn.close()
        closed.release()

    with raw_server(serve) as url:
        yield url, closed


def test_the_network_transport_serves_requests_from_its_own_pool_without_a_proxy() -> None:
    transport, _ = counted_transport()
    assert isinstance(transport._pool, OwnConnectionPool)
    proxied = network_transport(httpx.Limits(), lambda: None, httpx.Proxy("http://127.0.0.1:9"))
    assert not isinstance(proxied._pool, OwnConnectionPool)  # httpx's pool knows proxies


def test_a_connection_closed_by_the_server_while_idle_is_replaced_without_a_failed_attempt() -> None:
    with one_answer_per_connection_server() as (url, closed), GHLClient(url, credentials()) as client:
        for _ in range(3):
            assert client.send(GET, location_id=LOCATION_ID) == {}
            assert closed.acquire(timeout=10)  # the server has closed the connection the answer came on
        stats = client.stats
    assert (stats.connections_opened, stats.retries, stats.transport_errors) == (3, 0, 0)


def test_an_answer_closed_before_its_body_was_read_drops_its_connection() -> None:
    # A body far larger than one read: closed unread, the rest of it is still on the wire, so the connection
    # can't carry another answer. (An answer received whole with its headers is complete: it may be reused.)
    big = b"[" + b"0," * 500_000 + b"0]"
    accepted: list[int] = []

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        accepted.append(1)
        while not stop.is_set():
            if not conn.recv(65536):
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(big) + big)

    transport, opened = counted_transport()
    with raw_server(serve) as url, httpx.Client(transport=transport) as http:
        with http.stream("GET", url) as response:
            assert response.status_code == 200  # closed with the body unread: the connection can't be reused
        assert len(http.get(url).content) == len(big)
        assert len(http.get(url).content) == len(big)
    assert (len(opened), len(accepted)) == (2, 2)


def test_connections_to_different_origins_are_kept_apart() -> None:
    transport, opened = counted_transport()
    with (
        keepalive_server() as (first, _),
        keepalive_server() as (second, _),
        httpx.Client(transport=transport) as http,
    ):
        for _ in range(3):
            assert http.get(first).json() == {}
            assert http.get(second).json() == {}
    assert len(opened) == 2


def test_no_more_idle_connections_are_kept_than_the_limit() -> None:
    transport, opened = counted_transport(httpx.Limits(max_keepalive_connections=2))
    pool = transport._pool
    assert isinstance(pool, OwnConnectionPool)
    with keepalive_server() as (url, _), httpx.Client(transport=transport) as http:
        streams = [http.stream("GET", url) for _ in range(4)]
        answers = [stream.__enter__() for stream in streams]  # four answers open at once: four connections
        for answer in answers:
            answer.read()  # read to the end: each connection is given back
        assert pool.idle_count() == 2
        assert http.get(url).json() == {}
        assert len(opened) == 4  # the next call reused a kept one


def test_closing_the_pool_closes_its_idle_connections_and_keeps_no_later_one() -> None:
    transport, _ = counted_transport()
    pool = transport._pool
    assert isinstance(pool, OwnConnectionPool)
    with keepalive_server() as (url, _):
        http = httpx.Client(transport=transport)
        with http.stream("GET", url) as response:
            response.read()
            assert http.get(url).json() == {}
            assert pool.idle_count() == 1
            http.close()
            assert pool.idle_count() == 0
        assert pool.idle_count() == 0  # the answer still open at close is not kept


def test_the_own_pool_verifies_tls_a_self_signed_server_is_refused(tmp_path: Path) -> None:
    # The client's promise: TLS verification is always on. The pool builds its connections itself, from
    # httpx's verifying SSL context; a certificate nobody vouches for must still fail the handshake.
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate to serve")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = context.wrap_socket(socket.create_server(("127.0.0.1", 0)), server_side=True)
    listener.settimeout(5)

    def serve() -> None:
        try:
            conn, _ = listener.accept()  # the handshake fails on the client's side
            conn.close()
        except (OSError, ssl.SSLError):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    transport, _ = counted_transport()
    try:
        with httpx.Client(transport=transport) as http, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY"):
            http.get(f"https://127.0.0.1:{listener.getsockname()[1]}/")
    finally:
        thread.join(timeout=10)
        listener.close()
