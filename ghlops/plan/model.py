"""The plan: small immutable values in a fixed order.

A Change says what happens to one object (its kind and natural key, the fields old -> new) and carries the
exact requests that make it happen, with references to objects created earlier in the same apply left as refs.

The values are plain dataclasses whose field types tell pydantic how the plan file writes and reads them
(``ghlops/wire.py``); the file's layout around them is ``plan/saved.py``'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    PlainSerializer,
    PlainValidator,
    SerializerFunctionWrapHandler,
    computed_field,
    model_serializer,
)

from ghlops.request import Parent, Ref, Request
from ghlops.wire import CONFIG, Count, JsonValue, Kind, Percent, Text, invalid, is_none


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]


_SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "-/+", Action.DELETE: "-"}


class Stage(IntEnum):
    """When a change runs: company users are created before any location needs them, and lose memberships
    or are deleted only after every location stopped referencing them."""

    USERS_FIRST = 0
    LOCATION = 1
    USERS_LAST = 2


def _stage(raw: Any) -> Stage:
    if type(raw) is not int or raw not in {0, 1, 2}:  # not True: a stage is a number in the file
        raise invalid("must be one of 0, 1, 2")
    return Stage(raw)


@dataclass(frozen=True)
class FieldChange:
    __pydantic_config__ = CONFIG

    field: Text
    old: JsonValue = None
    new: JsonValue = None


def _counted(self: OptionImpact | Impact, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
    """A count with its reason only when the count is unknown (and a reason then always)."""
    data: dict[str, Any] = handler(self)
    if self.contacts is None:
        data["reason"] = self.reason or "unknown"
    else:
        data.pop("reason", None)
    return data


@dataclass(frozen=True)
class OptionImpact:
    """How many contacts hold one dropdown option an update removes."""

    __pydantic_config__ = CONFIG

    option: Text
    contacts: Count | None = None
    reason: Text | None = None

    _document = model_serializer(mode="wrap")(_counted)


@dataclass(frozen=True)
class Impact:
    """How many contacts a destructive change touches, counted live by ghlops/impact.py (never guessed).

    ``contacts`` is None when the count is unknown (the search failed, or GHL offers no way to count), and
    ``reason`` then says why. For an update that removes dropdown options, ``options`` holds one count per
    removed option and ``contacts`` their sum (None if any of them is unknown).
    """

    __pydantic_config__ = CONFIG

    contacts: Count | None = None
    reason: Text | None = None
    options: Annotated[tuple[OptionImpact, ...], Field(exclude_if=lambda options: not options)] = ()

    @staticmethod
    def unknown(reason: str) -> Impact:
        return Impact(None, reason)

    _document = model_serializer(mode="wrap")(_counted)


@dataclass(frozen=True)
class Change:
    __pydantic_config__ = CONFIG

    action: Action
    kind: Kind
    key: Text  # natural key, normalised (what matching uses)
    display: Text  # natural key as the user wrote it
    requests: tuple[Request, ...]
    fields: tuple[FieldChange, ...] = ()
    object_id: Text | None = None
    warnings: tuple[Text, ...] = ()
    reason: Text | None = None  # why a replace, or where a rename came from
    stage: Annotated[Stage, PlainValidator(_stage), PlainSerializer(int)] = Stage.LOCATION
    # Contacts the change touches, counted live after planning (ghlops/impact.py); None when not counted (and then
    # not in the file, so plans made with --no-impact, or changes that cost no data, read as before).
    impact: Annotated[Impact | None, BeforeValidator(lambda raw: raw or None), Field(exclude_if=is_none)] = None
    # The ref this change fills with the id of the object it creates (create, replace), so later changes in the
    # same apply can use it; None when it creates nothing.
    creates: Annotated[Ref | None, Field(exclude_if=is_none)] = None
    # A child's parent: the live parent's id, or its ref when the parent is created in the same apply. The
    # executor uses it to find an ambiguous create again under that parent.
    parent: Annotated[Parent, Field(exclude_if=is_none)] = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def destructive(self) -> bool:
        return self.action in (Action.REPLACE, Action.DELETE)

    @property
    def removed_options(self) -> tuple[str, ...]:
        """Options an update takes away that contacts may still hold (a custom field's dropdown options)."""
        kind = _kind(self.kind)
        if self.action is not Action.UPDATE or kind is None or kind.contact_options_field is None:
            return ()
        for f in self.fields:
            if f.field == kind.contact_options_field and isinstance(f.old, list):
                new = {str(o) for o in f.new} if isinstance(f.new, list) else set()
                return tuple(str(o) for o in f.old if str(o) not in new)
        return ()

    @property
    def costs_contact_data(self) -> bool:
        """Whether contacts lose data by this change: what the impact count is for."""
        kind = _kind(self.kind)
        if kind is None:
            return False
        if self.action is Action.DELETE and kind.contact_data_on_delete:
            return True
        if self.action is Action.REPLACE and kind.contact_data_on_replace:
            return True
        return bool(self.removed_options)


def _kind(name: str) -> Any:
    # Imported late: the kinds build their changes from this module.
    from ghlops.kinds.registry import BY_NAME

    return BY_NAME.get(name)


@dataclass(frozen=True)
class Unmanaged:
    """Live objects no manifest declares and no prune covers: reported, never touched."""

    __pydantic_config__ = CONFIG

    kind: Kind
    keys: tuple[Text, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def count(self) -> int:
        return len(self.keys)


@dataclass(frozen=True)
class Counts:
    create: int = 0
    update: int = 0
    replace: int = 0
    delete: int = 0

    @property
    def total(self) -> int:
        return self.create + self.update + self.replace + self.delete

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.create + other.create,
            self.update + other.update,
            self.replace + other.replace,
            self.delete + other.delete,
        )

    @staticmethod
    def of(changes: tuple[Change, ...]) -> Counts:
        by = {a: sum(1 for c in changes if c.action is a) for a in Action}
        return Counts(by[Action.CREATE], by[Action.UPDATE], by[Action.REPLACE], by[Action.DELETE])


@dataclass(frozen=True)
class Section:
    """The changes of one location, or of one company's users (users are company-level in GHL)."""

    name: str  # location name, or "users" for a company block
    scope_id: str  # location id, or company id
    changes: tuple[Change, ...] = ()
    unmanaged: tuple[Unmanaged, ...] = ()
    errors: tuple[str, ...] = ()
    is_company: bool = False
    # For company blocks: the locations each user change touches, by change index (for counting and display).
    touches: tuple[tuple[str, ...], ...] = field(default=())
    # For location blocks: how many live objects of each kind the location holds (the mass-change guard's base).
    existing: tuple[tuple[str, int], ...] = field(default=())
    # Lines for the user about what the plan cannot see (fields GHL doesn't return: Kind.not_readable).
    notes: tuple[str, ...] = field(default=())

    @property
    def counts(self) -> Counts:
        return Counts.of(self.changes)


@dataclass(frozen=True)
class Guard:
    """The mass-change threshold, as octoDNS keeps it: part of the plan, so plan and apply agree on it."""

    __pydantic_config__ = CONFIG

    max_delete_percent: Percent = 25.0
    min_existing: Count = 10
    # Most contacts the plan's destructive changes may touch in total (--max-contacts-affected); None: no limit.
    max_contacts_affected: Annotated[Count | None, Field(exclude_if=is_none)] = None
    # octoDNS's update threshold: a location updating more than this share of a kind it holds (once it holds
    # min_existing; deletes are max_delete_percent's), or one object updated in more than this share of the plan's
    # locations (once that is min_existing locations: a template rollout), is held for --allow-mass-update.
    max_update_percent: Percent = 30.0


@dataclass(frozen=True)
class ContactsAffected:
    """What the plan's counted changes cost in contacts, against the guard's limit."""

    __pydantic_config__ = CONFIG

    total: int  # sum of the known counts
    unknown: int  # changes whose count is unknown (not in the total)
    limit: int | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def over(self) -> bool:
        return self.limit is not None and self.total > self.limit

    def __str__(self) -> str:
        return (
            f"the destructive changes touch {self.total:,} contacts, over the --max-contacts-affected "
            f"limit of {self.limit:,}"
        )


@dataclass(frozen=True)
class MassChange:
    __pydantic_config__ = CONFIG

    location: str
    kind: str
    destructive: int
    existing: int
    limit: Annotated[float, Field(serialization_alias="limitPercent")]

    @property
    def percent(self) -> float:
        return 100.0 * self.destructive / self.existing

    @computed_field  # type: ignore[prop-decorator]
    @property
    def message(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return (
            f"location {self.location} would delete or replace {self.destructive} of its {self.existing} "
            f"{self.kind} ({self.percent:.0f}%, over the {self.limit:g}% limit)"
        )


@dataclass(frozen=True)
class MassUpdate:
    """A plan that changes too much at once: of one location's objects of a kind (``location`` set), or one
    object updated across too many of the plan's locations (``location`` None, ``key`` the object)."""

    __pydantic_config__ = CONFIG

    kind: str
    changed: int
    existing: int
    limit: Annotated[float, Field(serialization_alias="limitPercent")]
    location: str | None = None
    key: str | None = None

    @property
    def percent(self) -> float:
        return 100.0 * self.changed / self.existing

    @computed_field  # type: ignore[prop-decorator]
    @property
    def message(self) -> str:
        return str(self)

    def __str__(self) -> str:
        if self.location is not None:
            return (
                f"location {self.location} would update {self.changed} of its {self.existing} "
                f"{self.kind} ({self.percent:.0f}%, over the {self.limit:g}% limit)"
            )
        return (
            f"{self.kind} {self.key!r} would be updated in {self.changed} of the plan's {self.existing} locations "
            f"({self.percent:.0f}%, over the {self.limit:g}% limit)"
        )


@dataclass(frozen=True)
class Plan:
    """Company user blocks first, then one block per location, in a stable order."""

    sections: tuple[Section, ...]
    guard: Guard = Guard()

    def contacts_affected(self) -> ContactsAffected:
        """The contacts the counted changes touch in total (a contact counted once per change it loses data to)."""
        impacts = [c.impact for _, c in self.all_changes() if c.impact is not None]
        return ContactsAffected(
            total=sum(i.contacts for i in impacts if i.contacts is not None),
            unknown=sum(1 for i in impacts if i.contacts is None),
            limit=self.guard.max_contacts_affected,
        )

    def mass_changes(self) -> list[MassChange]:
        """Kinds where a location would lose more than the guard allows of what it holds."""
        destructive: dict[tuple[str, str], int] = {}
        for sec in self.locations:
            for c in sec.changes:
                if c.destructive:
                    destructive[(sec.name, c.kind)] = destructive.get((sec.name, c.kind), 0) + 1
        for company in self.companies:
            for change, touched in zip(company.changes, company.touches, strict=False):
                if change.destructive or change.stage is Stage.USERS_LAST:
                    for name in touched:
                        destructive[(name, "users")] = destructive.get((name, "users"), 0) + 1
        found = []
        for sec in self.locations:
            for kind, existing in sec.existing:
                n = destructive.get((sec.name, kind), 0)
                if n and existing >= self.guard.min_existing and 100.0 * n / existing > self.guard.max_delete_percent:
                    found.append(MassChange(sec.name, kind, n, existing, self.guard.max_delete_percent))
        return found

    def mass_updates(self) -> list[MassUpdate]:
        """What the update threshold holds (see Guard.max_update_percent), locations first, then objects."""
        guard = self.guard
        found: list[MassUpdate] = []
        spread: dict[tuple[str, str], int] = {}
        for sec in self.locations:
            changed: dict[str, int] = {}
            for c in sec.changes:
                # Deletes and replaces are the mass-change guard's (max_delete_percent); this one counts updates.
                if c.action is Action.UPDATE:
                    changed[c.kind] = changed.get(c.kind, 0) + 1
                    spread[(c.kind, c.key)] = spread.get((c.kind, c.key), 0) + 1
            for kind, existing in sec.existing:
                n = changed.get(kind, 0)
                if n and existing >= guard.min_existing and 100.0 * n / existing > guard.max_update_percent:
                    found.append(MassUpdate(kind, n, existing, guard.max_update_percent, location=sec.name))
        total = len(self.locations)
        for (kind, key), n in sorted(spread.items()):
            if n >= guard.min_existing and 100.0 * n / total > guard.max_update_percent:
                found.append(MassUpdate(kind, n, total, guard.max_update_percent, key=key))
        return found

    @property
    def locations(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if not s.is_company)

    @property
    def companies(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.is_company)

    @property
    def counts(self) -> Counts:
        total = Counts()
        for s in self.sections:
            total = total + s.counts
        return total

    @property
    def has_changes(self) -> bool:
        return any(s.changes for s in self.sections)

    @property
    def errors(self) -> list[str]:
        return [f"{s.name}: {e}" for s in self.sections for e in s.errors]

    @property
    def notes(self) -> list[str]:
        """The sections' notes, each once (a field GHL doesn't return is reported once per run, not per object)."""
        return list(dict.fromkeys(n for s in self.sections for n in s.notes))

    def locations_changed(self) -> int:
        names = {s.name for s in self.locations if s.changes}
        for company in self.companies:
            for touched in company.touches:
                names.update(touched)
        return len(names)

    def all_changes(self) -> Iterator[tuple[Section, Change]]:
        for s in self.sections:
            for c in s.changes:
                yield s, c


# -- the plan document's JSON Schema ---------------------------------------------------------------------------

#: The checked-in schema of the plan document (what render_json prints and saved plans hold).
PLAN_SCHEMA_FILE = "schemas/plan.schema.json"


def plan_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every part the plan models decide regenerated from them: the kind enum (the registry),
    a change's action and stage enums and the keys a change has only when set (``creates``, ``parent``).

    The document's other parts (what render_json and saved plans write around the changes) are kept as
    written; a test compares the checked-in file with this function's output, so a new kind, action or stage
    that is not in the file fails it."""
    import copy

    from ghlops.kinds.registry import KINDS

    out = copy.deepcopy(schema)
    defs = out.setdefault("$defs", {})
    defs["kind"] = {
        "enum": [k.name for k in KINDS],
        "description": "A kind of object (generated from the kinds registry, in dependency order).",
    }
    change = defs["change"]
    props = change["properties"]
    props["action"] = {"enum": [a.value for a in Action]}
    props["stage"] = {
        "enum": [int(s) for s in Stage],
        "description": "0: company users before the locations; 1: within a location; 2: user membership "
        "removals and deletions after the locations.",
    }
    props["creates"] = {
        "$ref": "#/$defs/ref",
        "description": "The ref this change fills with the id of the object it creates (create, replace); "
        "later changes of the same apply use it. Absent when it creates nothing.",
    }
    props["parent"] = {
        "anyOf": [{"type": "string"}, {"$ref": "#/$defs/ref"}],
        "description": "A child object's parent (a price's product): its id, or its ref when the parent is "
        "created in the same apply. Absent for objects without a parent.",
    }
    return out


def plan_schema_text(current: str) -> str:
    """The regenerated schema file for the current file's text (two-space indent, final newline)."""
    import json

    return json.dumps(plan_schema(json.loads(current)), indent=2, ensure_ascii=False) + "\n"
