"""The shape of a GHL id, checked wherever one enters ghlops: a manifest's ``locationId`` and ``companyId``, every
id GHL lists or answers a create with, and every value put in a URL path (issue 13, section 4).

The facts: location, tag, custom field, custom value, calendar, contact and user ids are 20 ASCII alphanumerics
(``ve9EPM428h8vShlRW1KT``: 143 of the id examples in ../shared/ghl-openapi, and the ids the sandbox issues);
product and price ids are 24-hex Mongo ``_id`` values (``6578278e879ad2646715ba9c``; 46 examples there); the
documents hold one 21- and one 23-character example. So :data:`GHL_ID` (20 to 24 letters and digits) is what GHL
issues. What ghlops *refuses* is looser, :data:`ID_SHAPE`: letters, digits, ``-`` and ``_``, 1 to 64 of them.
Every real GHL id fits it with room to spare (an id kind GHL adds later, a longer id), hand-made ids of tests and
fakes (``cal1``) fit it too, and nothing that could retarget a URL (``/``, ``.``, ``?``, ``#``, ``%``), forge an
output line (control characters) or flood one (a 1 MB "id") does.
"""

from __future__ import annotations

import re

__all__ = ["GHL_ID", "ID_SHAPE", "ID_SHAPE_TEXT", "id_problem", "is_ghl_id", "is_id"]

#: 20-24 ASCII alphanumerics: every id GHL issues (see the module docstring for the sources).
GHL_ID = re.compile(r"[A-Za-z0-9]{20,24}")
#: What ghlops accepts as an id: ASCII letters, digits, ``-`` and ``_``, 1 to 64 of them.
ID_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
ID_SHAPE_TEXT = "letters, digits, '-' and '_', at most 64"


def is_ghl_id(value: object) -> bool:
    """True for a value shaped like an id GHL issues (20-24 ASCII letters and digits)."""
    return isinstance(value, str) and GHL_ID.fullmatch(value) is not None


def is_id(value: object) -> bool:
    """True for a value ghlops accepts as an id (:data:`ID_SHAPE`)."""
    return isinstance(value, str) and ID_SHAPE.fullmatch(value) is not None


def id_problem(value: object, *, which: bool = False) -> str | None:
    """Why ``value`` is not an id (``"'a/b' is not a GHL id (letters, ...)"``; with ``which``, ``"'a/b', which is
    not ..."`` to end a sentence naming the object), or None when it is one. The value is shown with repr and cut
    to 40 characters, so control characters and huge values print harmlessly."""
    if is_id(value):
        return None
    shown = repr(value) if not isinstance(value, str) or len(value) <= 40 else repr(value[:39]) + "…"
    return f"{shown}{', which' if which else ''} is not a GHL id ({ID_SHAPE_TEXT})"
