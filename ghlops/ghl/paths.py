"""Building request URLs that cannot be retargeted, and showing URLs without what they may hide.

A :class:`~ghlops.request.Request` path alternates literal parts written by ghlops (they start with ``/``:
``"/locations/"``, ``"/tags/"``) and values (ids from a manifest or from GHL's own answers). A value is one
path segment: it is refused unless it is id-like, and percent-encoded anyway, so a server id such as
``../../users/VICTIM`` or ``x?locationId=other`` can never turn a tag delete into another call.

The id shape and its sources are in :mod:`ghlops.ids`: a value must fit :data:`~ghlops.ids.ID_SHAPE` (letters,
digits, ``-`` and ``_``, at most 64), which every id GHL issues and every hand-made test id fits; the live reader
and the executor check the ids GHL returns against the same shape before using them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

from ghlops.ids import GHL_ID, ID_SHAPE, is_ghl_id

__all__ = ["GHL_ID", "SAFE_SEGMENT", "UnsafePathError", "build_path", "check_segment", "display_url", "is_ghl_id"]

#: What the client accepts as one path value: the id shape (never ``.``, ``/``, ``?``, ``%``).
SAFE_SEGMENT = ID_SHAPE
# Literal parts are ghlops's own constants; they still may not carry a query, a fragment or an escape.
_LITERAL = re.compile(r"/[A-Za-z0-9_/-]*")


class UnsafePathError(ValueError):
    """A path value that is not id-like; ``segment`` is the offending value."""

    def __init__(self, segment: str, reason: str) -> None:
        self.segment = segment
        super().__init__(reason)


def check_segment(value: str) -> str:
    """``value`` when it can be one path segment; UnsafePathError naming it otherwise."""
    if SAFE_SEGMENT.fullmatch(value) is None:
        raise UnsafePathError(
            value,
            f"refusing to put {value[:80]!r} in a URL path: an id has only letters, digits, '-' and '_'",
        )
    return value


def build_path(parts: Iterable[str]) -> str:
    """The URL path of a request: literal parts as written, every value checked and percent-encoded."""
    out: list[str] = []
    for part in parts:
        if part.startswith("/"):
            if _LITERAL.fullmatch(part) is None:
                raise UnsafePathError(part, f"refusing the path part {part[:80]!r}: not a plain path")
            out.append(part)
        else:
            # quote(safe="") encodes "/" too: a value is exactly one segment whatever it holds.
            out.append(quote(check_segment(part), safe=""))
    path = "".join(out)
    return path if path.startswith("/") else "/" + path


def display_url(url: str) -> str:
    """``scheme://host[:port]/path`` of ``url``: never its userinfo, query or fragment (they may hold secrets)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(an unparseable URL)"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    if not parts.scheme:
        return (netloc + parts.path) or "(an empty URL)"
    return f"{parts.scheme}://{netloc}{parts.path}"
