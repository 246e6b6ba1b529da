"""The two faces of the GHL client, so "only the executor writes" is a matter of types.

* :class:`ReadingClient`: ``get`` (GET requests only) and ``search`` (POSTs that only read, such as the
  contacts search), plus the statistics. The live reader, export and the impact counter need nothing more.
* :class:`WritingClient`: a reading client that also ``send``\\ s any request (POST, PUT, DELETE ...). Only the
  executor (ghlops/apply.py) may hold one; tests/test_architecture.py checks that no other module names it.

:class:`~ghlops.ghl.client.GHLClient` is both. A module annotated with ``ReadingClient`` cannot call ``send``
without mypy refusing it.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ghlops.ghl.client import CallContext, ClientStats
from ghlops.request import Request


@runtime_checkable
class ReadingClient(Protocol):
    """Reads only: ValueError (before sending) for a request that is not a read."""

    @property
    def stats(self) -> ClientStats: ...

    def get(self, req: Request, *, location_id: str | None = None, context: CallContext | None = None) -> Any: ...

    def search(
        self, req: Request, *, location_id: str | None = None, context: CallContext | None = None
    ) -> Any: ...


@runtime_checkable
class WritingClient(ReadingClient, Protocol):
    """Reads and writes: the executor's client."""

    def send(self, req: Request, *, location_id: str | None = None, context: CallContext | None = None) -> Any: ...
