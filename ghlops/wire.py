"""The value types plan files are made of, for pydantic: what the plan models (``plan/model.py``, ``request.py``,
``plan/saved.py``) annotate their fields with, so pydantic both writes the plan document and reads it back.

A plan file may have been edited by hand or by an attacker, so reading one checks the type of every value, and
a wrong value is one line naming its path in the file's own words ("locations[0].changes[1].kind: not a kind
ghlops plans"): :func:`problem` turns pydantic's first error into that line. Validators here raise
:func:`invalid`, whose ``at`` names the part of a value below the field pydantic is at (a key inside a body).

Only reading validates: the planner builds the plan models as plain dataclasses, at no cost.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, PlainValidator, Strict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

#: How every plan model is read and written: camelCase keys, keys the format doesn't know ignored (fields may
#: be added within a format version, and the document's derived parts are not read back).
CONFIG = ConfigDict(alias_generator=to_camel, serialize_by_alias=True, extra="ignore", validate_by_name=False)


def invalid(message: str, at: str = "") -> PydanticCustomError:
    """A wrong value: ``message`` in the plan file's words, ``at`` the path below the field (".a[2]")."""
    return PydanticCustomError("plan", "{message}", {"message": message, "at": at})


def safe_key(key: Any) -> str:
    """A key or value from the file, short and printable, for a one-line message."""
    text = str(key)
    return text if text.isprintable() and len(text) <= 40 else repr(text[:40])


def is_none(value: Any) -> bool:
    """For ``Field(exclude_if=...)``: keys the document has only when set."""
    return value is None


def or_empty(value: Any) -> Any:
    """An absent or null object reads as an empty one (its defaults)."""
    return value or {}


# -- scalars -----------------------------------------------------------------------------------------------------

Text = Annotated[str, Strict()]
Count = Annotated[int, Strict(), Field(ge=0)]


def _percent(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid("must be a number")
    if not 0 <= value <= 100:
        raise invalid("must be between 0 and 100")
    return float(value)


Percent = Annotated[float, PlainValidator(_percent)]


def _kind(name: str) -> str:
    from ghlops.kinds.registry import BY_NAME  # late: the kinds build their requests and changes from the models

    if name not in BY_NAME:
        raise invalid("not a kind ghlops plans")
    return name


#: A kind's name, one the registry knows.
Kind = Annotated[str, Strict(), AfterValidator(_kind)]


_SHA256 = re.compile(r"sha256:[0-9a-f]{64}")


def _digest(text: str) -> str:
    if not _SHA256.fullmatch(text):
        raise invalid("must be sha256: and 64 hex digits")
    return text


Digest = Annotated[str, Strict(), AfterValidator(_digest)]


# -- JSON values ---------------------------------------------------------------------------------------------------


def json_value(raw: Any, placeholder: Callable[[dict[str, Any]], Any] | None = None) -> Any:
    """Any JSON value (the depth is bounded before parsing), numbers finite; ``placeholder`` turns the objects it
    recognises ({"$ref"}, {"$secret"}) into their values, returning None for others.

    Types are checked exactly first (what json.loads makes) and paths are only built for an error: a plan file
    holds tens of thousands of bodies."""
    kind = type(raw)
    if kind is str or kind is int or kind is bool or raw is None:
        return raw
    if kind is float or isinstance(raw, float):
        if math.isfinite(raw):
            return raw
        raise invalid("not a finite number")
    if isinstance(raw, Mapping):
        if placeholder is not None and len(raw) == 1:
            found = placeholder(dict(raw))
            if found is not None:
                return found
        out = {}
        for k, v in raw.items():
            if not isinstance(k, str):
                raise invalid("must be a string")
            try:
                out[k] = json_value(v, placeholder)
            except PydanticCustomError as exc:
                raise below(exc, f".{safe_key(k)}") from None
        return out
    if isinstance(raw, list):
        items = []
        for i, v in enumerate(raw):
            try:
                items.append(json_value(v, placeholder))
            except PydanticCustomError as exc:
                raise below(exc, f"[{i}]") from None
        return items
    if isinstance(raw, str | int):
        return raw
    raise invalid("not a JSON value")


def below(exc: PydanticCustomError, step: str) -> PydanticCustomError:
    """The error ``exc`` (from :func:`invalid`) one step further down: ``step`` is the key or index it is under."""
    context = exc.context or {}
    return invalid(str(context.get("message", exc.message())), step + str(context.get("at", "")))


#: A field's old or new value in a change: plain JSON.
JsonValue = Annotated[Any, PlainValidator(json_value)]


# -- one line for what pydantic found -------------------------------------------------------------------------------

_MESSAGES = {
    "missing": "",  # told by name, below
    "string_type": "must be a string",
    "int_type": "must be a whole number, 0 or more",
    "greater_than_equal": "must be a whole number, 0 or more",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be an object",
    "dataclass_type": "must be an object",
    "dataclass_exact_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
}


def render_loc(loc: tuple[int | str, ...]) -> str:
    """pydantic's error location as the plan file's path: ``locations[0].changes[1].kind``."""
    parts: list[str] = []
    for part in loc:
        if part == "[key]" and parts:  # a dict key that is wrong: the path is the dict's
            parts.pop()
        elif isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + safe_key(part))
    return "".join(parts)


def problem(exc: ValidationError) -> str:
    """The first thing pydantic found wrong, as ``path: what`` in one printable line."""
    error = exc.errors(include_url=False)[0]
    loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing" and loc:
        where = render_loc(loc[:-1])
        name = f"no {str(loc[-1])!r}"
        return f"{where}: {name}" if where else name
    where = render_loc(loc) + str(ctx.get("at", ""))
    if kind == "plan":
        message = str(ctx["message"])
    elif kind == "enum":  # Action, Auth: a string the enum lacks, or no string at all
        given = error.get("input")
        message = f"{safe_key(given)} is not allowed here" if isinstance(given, str) else "must be a string"
    else:
        text = str(error["msg"])
        message = _MESSAGES.get(kind) or (text if text.isprintable() else repr(text))
    return f"{where}: {message}" if where else message
