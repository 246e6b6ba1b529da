"""How error messages name YAML values: shared by the YAML reader, the template merge and the pydantic error
mapper, so that the reader depends on nothing that knows about pydantic."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

__all__ = ["describe_value", "kind_of"]


def kind_of(value: Any) -> str:
    """What sort of YAML value this is, as error messages name it (`a mapping`, `a list`, `null`, ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple | set | frozenset):
        return "a list"
    return type(value).__name__


def describe_value(value: Any, *, limit: int = 60) -> str:
    """A scalar as YAML shows it (``'abc'``, ``12``, ``true``, ``null``); a container by kind (``a list``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        shown = value if len(value) <= limit else value[: limit - 3] + "..."
        return repr(shown)
    if isinstance(value, Enum):
        return describe_value(value.value, limit=limit)
    return kind_of(value)
