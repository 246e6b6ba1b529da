"""Building request URLs that cannot be retargeted, and showing URLs without what they may hide.

A :class:`~ghlops.request.Request` path alternates literal parts written by ghlops (they start with ``/``:
``"/locations/"``, ``"/tags/"``) and values (ids from a manifest or from GHL's own answers). A value is one
path segment: it is refused unless it is id-like, and percent-encoded anyway, so a server id such as
``../../users/VICTIM`` or ``x?locationId=other`` can never turn a tag delete into another call.

GHL's id shape (the facts): location, tag, custom field, custom value, calendar, contact and user ids are 20
alphanumerics (``ve9EPM428h8vShlRW1KT``; 143 of the id examples in ../shared/ghl-openapi, and the ids the
sandbox issues); product and price ids are 24-hex Mongo ``_id`` values (``6578278e879ad2646715ba9c``; 46
examples there). The documents hold one 21- and one 23-character example (a location and a price id, both
apparently typed by hand), so a GHL id is taken as 20 to 24 ASCII letters and digits: :func:`is_ghl_id`. (The
replay suite's ids such as ``c1`` are hand-made, not GHL's.) The client itself only insists on
:data:`SAFE_SEGMENT` (id-like characters, no dots or separators), so fakes and hand-made test ids still work;
the live reader checks the stricter shape on ids GHL returns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

#: 20-24 ASCII alphanumerics: every id GHL issues (see the module docstring for the sources).
GHL_ID = re.compile(r"[A-Za-z0-9]{20,24}")
#: What the client accepts as one path value: letters, digits, ``-`` and ``_`` (never ``.``, ``/``, ``?``, ``%``).
SAFE_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,128}")
# Literal parts are ghlops's own constants; they still may not carry a query, a fragment or an escape.
_LITERAL = re.compile(r"/[A-Za-z0-9_/-]*")


class UnsafePathError(ValueError):
    """A path value that is not id-like; ``segment`` is the offending value."""

    def __init__(self, segment: str, reason: str) -> None:
        self.segment = segment
        super().__init__(reason)


def is_ghl_id(value: object) -> bool:
    """True for a value shaped like an id GHL issues (20-24 ASCII letters and digits)."""
    return isinstance(value, str) and GHL_ID.fullmatch(value) is not None


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
