"""A GHL API call as a plain value: what the kinds produce, what plans store and what the client sends.

Paths and bodies may hold :class:`Ref` placeholders for ids that only exist once an earlier call in the same
apply has run (a calendar's team member created in the same run, a price of a product created in the same run).
The executor resolves them just before sending.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, GetCoreSchemaHandler, PlainSerializer, PlainValidator, Strict, model_validator
from pydantic_core import CoreSchema, core_schema

from ghlops.wire import CONFIG, Text, invalid, json_value

VERSION_DEFAULT = "2021-07-28"



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

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        # In a plan file a ref is {"$ref": "kind/key"}.
        return core_schema.no_info_plain_validator_function(
            _read_ref, serialization=core_schema.plain_serializer_function_ser_schema(_placeholder)
        )


def _read_ref(raw: Any) -> Ref:
    if isinstance(raw, Ref):
        return raw
    if not isinstance(raw, Mapping):
        raise invalid("must be an object")
    if set(raw) != {"$ref"}:
        raise invalid('must be a string or {"$ref": "kind/key"}')
    text = raw["$ref"]
    if not isinstance(text, str):
        raise invalid("must be a string", ".$ref")
    kind, slash, key = text.partition("/")
    if not slash:
        raise invalid("must be kind/key", ".$ref")
    return Ref(kind, key)


@dataclass(frozen=True)
class SecretInput:
    """A secret the executor fills in at send time, so it never lives in a plan: a password read from the
    named environment variable, or (env None) a strong random one generated for the call and then forgotten."""

    env: str | None = None


PathPart = str | Ref


def _placeholder(value: Any) -> Any:
    """A ref or a secret as the plan file writes it ({"$ref": "kind/key"}, {"$secret": null | "ENV"})."""
    if isinstance(value, Ref):
        return {"$ref": str(value)}
    if isinstance(value, SecretInput):
        return {"$secret": value.env}
    return value


def _read_placeholder(raw: dict[str, Any]) -> Ref | SecretInput | None:
    if "$ref" in raw:
        return _read_ref(raw)
    if "$secret" in raw:
        env = raw["$secret"]
        if env is not None and not isinstance(env, str):
            raise invalid("must be a string", ".$secret")
        return SecretInput(env)
    return None


def _method(name: str) -> str:
    if name not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        raise invalid("not an HTTP method ghlops sends")
    return name


def _param(raw: Any) -> tuple[str, str]:
    if not isinstance(raw, list | tuple):
        raise invalid("must be a list")
    if len(raw) != 2:
        raise invalid("must be [name, value]")
    for i, item in enumerate(raw):
        if not isinstance(item, str):
            raise invalid("must be a string", f"[{i}]")
    return (raw[0], raw[1])


def _read_part(raw: Any) -> PathPart:
    return raw if isinstance(raw, str) else _read_ref(raw)


def _read_parent(raw: Any) -> PathPart | None:
    return None if raw is None else _read_part(raw)


#: A request body: JSON with {"$ref"} and {"$secret"} placeholders, written and read as such.
Body = Annotated[
    Any,
    PlainValidator(lambda raw: json_value(raw, _read_placeholder)),
    PlainSerializer(lambda value: _replace(value, (Ref, SecretInput), _placeholder)),
]
#: A path segment: a literal string, or a ref.
Part = Annotated[PathPart, PlainValidator(_read_part), PlainSerializer(_placeholder)]
#: A child's parent: its id, a ref, or none.
Parent = Annotated[PathPart | None, PlainValidator(_read_parent), PlainSerializer(_placeholder)]


@dataclass(frozen=True)
class Request:
    """One HTTP call to GHL. ``path`` is a tuple of literal strings and refs, joined with no separator."""

    __pydantic_config__ = CONFIG

    method: Annotated[str, Strict(), AfterValidator(_method)]
    path: tuple[Part, ...]
    version: Text = VERSION_DEFAULT
    auth: Auth = Auth.LOCATION
    # Written as [name, value] whether held as a tuple (the kinds' code) or a list (a plan file's JSON read back).
    params: tuple[
        Annotated[tuple[str, str], PlainValidator(_param), PlainSerializer(lambda p: [p[0], p[1]])], ...
    ] = ()
    body: Body = None
    # When set, the id this call returns (see id_field) is bound to this ref for later calls.
    binds: Ref | None = None
    id_field: tuple[Text, ...] = field(default=())

    @model_validator(mode="before")
    @classmethod
    def _stated(cls, raw: Any) -> Any:
        """A plan file states each request's version and token (the defaults are for the kinds' code)."""
        if isinstance(raw, Mapping):
            for name in ("method", "path", "version", "auth"):
                if name not in raw:
                    raise invalid(f"no {name!r}")
        return raw

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
