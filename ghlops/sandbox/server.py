"""HTTP/1.1 plumbing: a threading server with keep-alive that feeds requests to the :class:`App`.

Clients pool connections, so the server speaks HTTP/1.1 with keep-alive, tracks open connections and cuts them
on shutdown: otherwise a pooled connection would keep talking to a stopped sandbox's handler thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ghlops.sandbox.app import App, Incoming, Outcome

logger = logging.getLogger(__name__)

_MAX_BODY = 10 * 1024 * 1024


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._dropped: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
            dropped = request in self._dropped
            self._dropped.discard(request)
        if dropped:
            # No orderly FIN first: with linger 0 the close is a bare reset, like a proxy or pod dying.
            self.close_request(request)
        else:
            super().shutdown_request(request)

    def mark_dropped(self, request: socket.socket) -> None:
        with self._connections_lock:
            self._dropped.add(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already gone
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-request is routine (and provoked by fault tests); keep it out of stderr.
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ghlops-sandbox"
    sys_version = ""
    # An idle keep-alive connection is dropped after this many seconds, freeing its thread.
    timeout = 30
    # Headers and body go out in separate writes; with Nagle on, each answer stalls ~40 ms on delayed ACKs.
    disable_nagle_algorithm = True
    server: SandboxServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ValueError as exc:
            self._send(Outcome(400, {"statusCode": 400, "message": str(exc), "error": "Bad Request"}, {}))
            self.close_connection = True
            return
        headers = {name.lower(): value for name, value in self.headers.items()}
        outcome = self.server.app.handle(Incoming(self.command, self.path, headers, body))
        if outcome.drop:
            self._drop()
        else:
            self._send(outcome)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw_length = self.headers.get("Content-Length")
        if not raw_length:
            return b""
        try:
            length = int(raw_length)
        except ValueError:
            raise ValueError("Invalid Content-Length header") from None
        if length < 0 or length > _MAX_BODY:
            raise ValueError("request entity too large")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > _MAX_BODY:
                raise ValueError("request entity too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, outcome: Outcome) -> None:
        payload = json.dumps(outcome.body, separators=(",", ":")).encode()
        self.send_response(outcome.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self) -> None:
        """Close without a byte of answer, as a TCP reset."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.server.mark_dropped(self.connection)
