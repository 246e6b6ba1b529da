"""Tiny local HTTP servers for the client tests that need real sockets (slow-loris answers, keep-alive)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def raw_server(serve: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """A local TCP server handing each accepted connection to ``serve(conn, stop)`` on a thread of its own.

    Yields the base URL. ``stop`` is set when the server stops; the connection is closed after ``serve`` returns.
    """
    stop = threading.Event()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)  # so the loop sees ``stop``: closing a listener does not wake its accept()
    port = listener.getsockname()[1]

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2.0)
            try:
                serve(conn, stop)
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


@contextmanager
def dribbling_server(first: bytes, dribble: bytes, every_s: float = 0.05) -> Iterator[str]:
    """A server that answers every request with ``first`` at once, then ``dribble`` one byte at a time.

    Yields the base URL. Each connection is served until the client goes away or the server stops.
    """

    def serve(conn: socket.socket, stop: threading.Event) -> None:
        conn.recv(65536)
        conn.sendall(first)
        for byte in dribble:
            if stop.is_set():
                return
            conn.sendall(bytes([byte]))
            time.sleep(every_s)

    with raw_server(serve) as url:
        yield url


@contextmanager
def keepalive_server(delay_s: float = 0.0) -> Iterator[tuple[str, Callable[[], int]]]:
    """An HTTP/1.1 server answering ``{}`` after ``delay_s``; yields its URL and a count of accepted connections."""
    accepted = 0
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            nonlocal accepted
            with lock:
                accepted += 1
            super().setup()

        def do_GET(self) -> None:
            if delay_s:
                time.sleep(delay_s)
            body = b"{}"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def count() -> int:
        with lock:
            return accepted

    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", count
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
