"""A GHL API call as a plain value: what the kinds produce, what plans store and what the client sends.

Paths and bodies may hold :class:`Ref` placeholders for ids that only exist once an earlier call in the same
apply has run (a calendar's team member created in the same run, a price of a product created in the same run).
The executor resolves them just before sending.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

VERSION_DEFAULT = "2021-07-28"


def __getattr__(name: str) -> Any:
    # VERSION_CALENDARS moved to the calendars kind (issue 11): the old name keeps working for importers.
    if name == "VERSION_CALENDARS":
        from ghlops.kinds.calendars import VERSION_CALENDARS

        return VERSION_CALENDARS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Auth(StrEnum):
    """Which credential a call needs: the location's token, or the agency token (users are company-level)."""

    LOCATION = "location"
    AGENCY = "agency"


@dataclass(frozen=True, order=True)
class Ref:
    """The server id of an object named by kind and natural key, e.g. ``Ref("users", "jane@example.com")``."""

    kind: str
    key: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.key}"

    def to_json(self) -> dict[str, str]:
        return {"$ref": str(self)}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Ref:
        kind, _, key = str(data["$ref"]).partition("/")
        return Ref(kind, key)


@dataclass(frozen=True)
class SecretInput:
    """A secret the executor fills in at send time, so it never lives in a plan: a password read from the
    named environment variable, or (env None) a strong random one generated for the call and then forgotten."""

    env: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"$secret": self.env}


PathPart = str | Ref


@dataclass(frozen=True)
class Request:
    """One HTTP call to GHL. ``path`` is a tuple of literal strings and refs, joined with no separator."""

    method: str
    path: tuple[PathPart, ...]
    version: str = VERSION_DEFAULT
    auth: Auth = Auth.LOCATION
    params: tuple[tuple[str, str], ...] = ()
    body: Any = None
    # When set, the id this call returns (see id_field) is bound to this ref for later calls.
    binds: Ref | None = None
    id_field: tuple[str, ...] = field(default=())

    @property
    def endpoint(self) -> str:
        """The path with refs shown symbolically, for messages and logs."""
        return "".join(p if isinstance(p, str) else "{" + str(p) + "}" for p in self.path)

    def refs(self) -> set[Ref]:
        found: set[Ref] = {p for p in self.path if isinstance(p, Ref)}
        _collect_refs(self.body, found)
        return found

    def resolve(self, lookup: Callable[[Ref], str]) -> Request:
        """A copy with every ref replaced by the id lookup returns (lookup raises KeyError when unknown)."""
        path = tuple(p if isinstance(p, str) else lookup(p) for p in self.path)
        return replace(self, path=path, body=_resolve(self.body, lookup))

    def url_path(self) -> str:
        if any(isinstance(p, Ref) for p in self.path):
            raise ValueError(f"unresolved reference in {self.endpoint}")
        return "".join(p for p in self.path if isinstance(p, str))

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": [p if isinstance(p, str) else p.to_json() for p in self.path],
            "version": self.version,
            "auth": self.auth.value,
            "params": [list(p) for p in self.params],
            "body": _to_json(self.body),
            "binds": self.binds.to_json() if self.binds else None,
            "idField": list(self.id_field),
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Request:
        return Request(
            method=data["method"],
            path=tuple(p if isinstance(p, str) else Ref.from_json(p) for p in data["path"]),
            version=data["version"],
            auth=Auth(data["auth"]),
            params=tuple((str(k), str(v)) for k, v in data.get("params", [])),
            body=_from_json(data.get("body")),
            binds=Ref.from_json(data["binds"]) if data.get("binds") else None,
            id_field=tuple(data.get("idField", [])),
        )


def _replace(value: Any, kind: type[Any] | tuple[type[Any], ...], fn: Callable[[Any], Any]) -> Any:
    """A copy of a JSON-like body with every placeholder of ``kind`` replaced by ``fn(placeholder)``."""
    if isinstance(value, kind):
        return fn(value)
    if isinstance(value, dict):
        return {k: _replace(v, kind, fn) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replace(v, kind, fn) for v in value]
    return value


def fill_secrets(value: Any, fill: Callable[[SecretInput], Any]) -> Any:
    """Replace every SecretInput in a body with the value fill() gives it."""
    return _replace(value, SecretInput, fill)


def _collect_refs(value: Any, found: set[Ref]) -> None:
    _replace(value, Ref, found.add)


def _resolve(value: Any, lookup: Callable[[Ref], str]) -> Any:
    return _replace(value, Ref, lookup)


def _to_json(value: Any) -> Any:
    return _replace(value, (Ref, SecretInput), lambda placeholder: placeholder.to_json())


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$ref"}:
            return Ref.from_json(value)
        if set(value) == {"$secret"}:
            return SecretInput(value["$secret"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value
