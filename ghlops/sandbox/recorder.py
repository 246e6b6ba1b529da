"""The log of every request the sandbox received, so tests can assert on what a client actually sent."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received. ``status`` is None when the connection was dropped without an answer
    (``fault`` then says which fault dropped it); the Authorization header value is masked."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    json: Any
    status: int | None
    location_id: str | None
    fault: str | None = None
    # A write of ghlops's apply lease (the custom value ghlops.lock, see ghlops/lease.py): bookkeeping, not a
    # change a plan made. Tests that count a plan's writes leave these out (see ``changes``).
    lease: bool = False

    @property
    def changes(self) -> bool:
        """A write that changes configuration: neither a read nor a lease."""
        return self.method != "GET" and not self.lease


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RecordedRequest] = []

    def append(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
