"""What every kind shares: the entry base model and the Kind interface the planner, reader and executor use.

A kind knows three things and nothing about HTTP, YAML or click:
- its pydantic model (the same type for desired entries and for live objects),
- its natural key (how a live object is matched to a manifest entry; never the server id),
- how it maps to the GHL API: which list call reads it, how a raw API object becomes the model, and which
  Request creates, updates or deletes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ghlops.request import Ref, Request

# Keys every entry may carry that steer ghlops rather than describe the GHL object.
META_FIELDS: frozenset[str] = frozenset({"renamedFrom", "ignoreChanges", "protect", "passwordEnv"})


class Model(BaseModel):
    """Strict base for nested structures: unknown keys are errors (with a did-you-mean from the loader)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True, populate_by_name=True)


class Entry(Model):
    """One declared object. Subclasses add the fields GHL accepts for the kind."""

    renamedFrom: list[str] = Field(
        default_factory=list,
        description="Earlier names of this object: a live object under an old name is renamed in place.",
    )
    ignoreChanges: list[str] = Field(
        default_factory=list, description="Fields never diffed for this object (managed elsewhere)."
    )
    protect: bool = Field(default=False, description="Refuse any plan that would delete or replace this object.")

    def managed_fields(self) -> list[str]:
        """The API fields this entry sets explicitly, in declaration order: the only ones ever compared."""
        ignored = set(self.ignoreChanges)
        return [
            name
            for name in type(self).model_fields
            if name in self.model_fields_set and name not in META_FIELDS and name not in ignored
        ]


M = TypeVar("M", bound=Entry)


@dataclass(frozen=True)
class LiveObject(Generic[M]):
    """An object as GHL holds it: its id, the same model a manifest declares, and the raw API body."""

    id: str
    obj: M
    raw: Mapping[str, Any]


@dataclass
class Resolver:
    """Maps between natural keys and server ids for references across kinds (calendar team members)."""

    user_id_by_email: dict[str, str] = field(default_factory=dict)
    user_email_by_id: dict[str, str] = field(default_factory=dict)
    # Live ids of other objects by (kind, key), e.g. a price's product.
    ids: dict[tuple[str, str], str] = field(default_factory=dict)

    def ref(self, kind: str, key: str) -> str | Ref:
        return self.ids.get((kind, key)) or Ref(kind, key)

    def user_ref(self, email: str) -> str | Ref:
        """A live user's id when it exists now, else a ref the executor fills once the user is created."""
        key = email.casefold()
        return self.user_id_by_email.get(key) or Ref("users", key)

    def user_email(self, user_id: str) -> str:
        # An id no user list knows (deleted user, other company) still shows, so the diff is honest.
        return self.user_email_by_id.get(user_id, f"id:{user_id}")


class Kind(Generic[M]):
    """Base of the per-kind modules. Subclasses set the class attributes and override the mapping methods."""

    name: ClassVar[str]  # manifest section and plan name, e.g. "customFields"
    label: ClassVar[str]  # human name for messages, e.g. "custom field"
    model: type[M]
    # Fields GHL cannot change in place: a difference there means replace (delete + create).
    immutable: ClassVar[frozenset[str]] = frozenset()
    # Fields GHL accepts on write but never returns: sent on create, never compared.
    write_only: ClassVar[frozenset[str]] = frozenset()
    # Fields holding other kinds' entries (a product's prices): planned by their own kind, not compared here.
    children: ClassVar[frozenset[str]] = frozenset()
    # List fields GHL keeps as a set: compared ignoring order.
    unordered: ClassVar[frozenset[str]] = frozenset()
    # Why deleting/replacing loses data, shown in the plan next to the destructive change.
    delete_warning: ClassVar[str | None] = None

    def key(self, obj: M) -> str:
        """The natural key, normalised for matching (GHL compares names case-insensitively)."""
        return str(obj.name).casefold()  # type: ignore[attr-defined]

    def display(self, obj: M) -> str:
        """The natural key as the user wrote it, for plan output."""
        return str(obj.name)  # type: ignore[attr-defined]

    def key_for_name(self, obj: M, name: str) -> str:
        """The key the object would have under another name (renames)."""
        return name.casefold()

    # -- reading ---------------------------------------------------------------------------------------
    def list_request(self, location_id: str) -> Request:
        raise NotImplementedError

    def parse_list(self, body: Any) -> list[Mapping[str, Any]]:
        """The raw objects of one list answer; raises ValueError when the body is not the documented shape."""
        raise NotImplementedError

    def raw_id(self, raw: Mapping[str, Any]) -> str:
        value = raw.get("id")
        if not isinstance(value, str) or not value:
            raise ValueError("object without an 'id'")
        return value

    def parse_live(self, raw: Mapping[str, Any], resolver: Resolver) -> M:
        raise NotImplementedError

    def live(self, raw: Mapping[str, Any], resolver: Resolver) -> LiveObject[M]:
        return LiveObject(self.raw_id(raw), self.parse_live(raw, resolver), raw)

    # -- comparing -------------------------------------------------------------------------------------
    def compare_value(self, field_name: str, desired: M, resolver: Resolver) -> Any:
        """A desired field in the shape parse_live gives the same field (override for references)."""
        return plain(getattr(desired, field_name))

    # -- writing ---------------------------------------------------------------------------------------
    def create_request(self, location_id: str, desired: M, resolver: Resolver) -> Request:
        raise NotImplementedError

    def update_request(
        self, location_id: str, live: LiveObject[M], desired: M, fields: Sequence[str], resolver: Resolver
    ) -> Request:
        raise NotImplementedError

    def delete_request(self, location_id: str, live: LiveObject[M]) -> Request:
        raise NotImplementedError


def plain(value: Any) -> Any:
    """Pydantic models and enums to plain JSON-like values, leaving unset nested fields out."""
    if isinstance(value, BaseModel):
        return value.model_dump(
            mode="json", exclude_unset=True, exclude=set(META_FIELDS) & set(type(value).model_fields)
        )
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def expect_list(body: Any, field_name: str) -> list[Mapping[str, Any]]:
    """The array under field_name of a list answer, checked item by item."""
    if not isinstance(body, Mapping):
        raise ValueError(f"expected an object with '{field_name}', got {type(body).__name__}")
    items = body.get(field_name)
    if not isinstance(items, list):
        raise ValueError(f"expected '{field_name}' to be an array")
    for item in items:
        if not isinstance(item, Mapping):
            raise ValueError(f"expected '{field_name}' items to be objects")
    return items


def require_str(raw: Mapping[str, Any], field_name: str) -> str:
    value = raw.get(field_name)
    if not isinstance(value, str):
        raise ValueError(f"object without a string '{field_name}'")
    return value
