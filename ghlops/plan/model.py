"""The plan: small immutable values in a fixed order, serialisable to JSON and back.

A Change says what happens to one object (its kind and natural key, the fields old -> new) and carries the
exact requests that make it happen, with references to objects created earlier in the same apply left as refs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from ghlops.request import Ref, Request


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


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class OptionImpact:
    """How many contacts hold one dropdown option an update removes."""

    option: str
    contacts: int | None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"option": self.option, "contacts": self.contacts}
        if self.contacts is None:
            data["reason"] = self.reason or "unknown"
        return data


@dataclass(frozen=True)
class Impact:
    """How many contacts a destructive change touches, counted live by ghlops/impact.py (never guessed).

    ``contacts`` is None when the count is unknown (the search failed, or GHL offers no way to count), and
    ``reason`` then says why. For an update that removes dropdown options, ``options`` holds one count per
    removed option and ``contacts`` their sum (None if any of them is unknown).
    """

    contacts: int | None
    reason: str | None = None
    options: tuple[OptionImpact, ...] = ()

    @staticmethod
    def unknown(reason: str) -> Impact:
        return Impact(None, reason)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"contacts": self.contacts}
        if self.contacts is None:
            data["reason"] = self.reason or "unknown"
        if self.options:
            data["options"] = [o.to_json() for o in self.options]
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> Impact:
        def count(value: Any) -> int | None:
            return None if value is None else int(value)

        options = tuple(
            OptionImpact(str(o["option"]), count(o.get("contacts")), o.get("reason")) for o in data.get("options", [])
        )
        return Impact(count(data.get("contacts")), data.get("reason"), options)


@dataclass(frozen=True)
class Change:
    action: Action
    kind: str
    key: str  # natural key, normalised (what matching uses)
    display: str  # natural key as the user wrote it
    requests: tuple[Request, ...]
    fields: tuple[FieldChange, ...] = ()
    object_id: str | None = None
    warnings: tuple[str, ...] = ()
    reason: str | None = None  # why a replace, or where a rename came from
    stage: Stage = Stage.LOCATION
    # Contacts the change touches, counted live after planning (ghlops/impact.py); None when not counted.
    impact: Impact | None = None
    # The ref this change fills with the id of the object it creates (create, replace), so later changes in the
    # same apply can use it; None when it creates nothing.
    creates: Ref | None = None
    # A child's parent: the live parent's id, or its ref when the parent is created in the same apply. The
    # executor uses it to find an ambiguous create again under that parent.
    parent: str | Ref | None = None

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

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "kind": self.kind,
            "key": self.key,
            "display": self.display,
            "objectId": self.object_id,
            "fields": [f.to_json() for f in self.fields],
            "warnings": list(self.warnings),
            "reason": self.reason,
            "stage": int(self.stage),
            "destructive": self.destructive,
            "requests": [r.to_json() for r in self.requests],
            # Only when counted, so plans made with --no-impact (or changes that cost no data) read as before.
            **({"impact": self.impact.to_json()} if self.impact is not None else {}),
            **({"creates": self.creates.to_json()} if self.creates is not None else {}),
            **({"parent": _ref_or_id(self.parent)} if self.parent is not None else {}),
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Change:
        return Change(
            action=Action(data["action"]),
            kind=data["kind"],
            key=data["key"],
            display=data["display"],
            requests=tuple(Request.from_json(r) for r in data["requests"]),
            fields=tuple(FieldChange(f["field"], f["old"], f["new"]) for f in data.get("fields", [])),
            object_id=data.get("objectId"),
            warnings=tuple(data.get("warnings", [])),
            reason=data.get("reason"),
            stage=Stage(data.get("stage", 1)),
            impact=Impact.from_json(data["impact"]) if data.get("impact") else None,
            creates=Ref.from_json(data["creates"]) if data.get("creates") else None,
            parent=_parse_ref_or_id(data.get("parent")),
        )


def _ref_or_id(value: str | Ref) -> Any:
    return value.to_json() if isinstance(value, Ref) else value


def _parse_ref_or_id(value: Any) -> str | Ref | None:
    if isinstance(value, dict):
        return Ref.from_json(value)
    return value if isinstance(value, str) else None


def _kind(name: str) -> Any:
    # Imported late: the kinds build their changes from this module.
    from ghlops.kinds.registry import BY_NAME

    return BY_NAME.get(name)


@dataclass(frozen=True)
class Unmanaged:
    """Live objects no manifest declares and no prune covers: reported, never touched."""

    kind: str
    keys: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "count": len(self.keys), "keys": list(self.keys)}


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

    def to_json(self) -> dict[str, int]:
        return {"create": self.create, "update": self.update, "replace": self.replace, "delete": self.delete}


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

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "id": self.scope_id,
            "company": self.is_company,
            "counts": self.counts.to_json(),
            "changes": [c.to_json() for c in self.changes],
            "unmanaged": [u.to_json() for u in self.unmanaged],
            "errors": list(self.errors),
            "touches": [list(t) for t in self.touches],
            "existing": dict(self.existing),
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Section:
        return Section(
            name=data["name"],
            scope_id=data["id"],
            changes=tuple(Change.from_json(c) for c in data["changes"]),
            unmanaged=tuple(Unmanaged(u["kind"], tuple(u["keys"])) for u in data.get("unmanaged", [])),
            errors=tuple(data.get("errors", [])),
            is_company=bool(data.get("company", False)),
            touches=tuple(tuple(t) for t in data.get("touches", [])),
            existing=tuple((str(k), int(v)) for k, v in data.get("existing", {}).items()),
        )


@dataclass(frozen=True)
class Guard:
    """The mass-change threshold, as octoDNS keeps it: part of the plan, so plan and apply agree on it."""

    max_delete_percent: float = 25.0
    min_existing: int = 10
    # Most contacts the plan's destructive changes may touch in total (--max-contacts-affected); None: no limit.
    max_contacts_affected: int | None = None
    # octoDNS's update threshold: a location updating more than this share of a kind it holds (once it holds
    # min_existing; deletes are max_delete_percent's), or one object updated in more than this share of the plan's
    # locations (once that is min_existing locations: a template rollout), is held for --allow-mass-update.
    max_update_percent: float = 30.0

    def to_json(self) -> dict[str, float | int]:
        data: dict[str, float | int] = {"maxDeletePercent": self.max_delete_percent, "minExisting": self.min_existing}
        if self.max_contacts_affected is not None:
            data["maxContactsAffected"] = self.max_contacts_affected
        data["maxUpdatePercent"] = self.max_update_percent
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> Guard:
        limit = data.get("maxContactsAffected")
        return Guard(
            float(data.get("maxDeletePercent", 25.0)),
            int(data.get("minExisting", 10)),
            None if limit is None else int(limit),
            float(data.get("maxUpdatePercent", 30.0)),
        )


@dataclass(frozen=True)
class ContactsAffected:
    """What the plan's counted changes cost in contacts, against the guard's limit."""

    total: int  # sum of the known counts
    unknown: int  # changes whose count is unknown (not in the total)
    limit: int | None

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
    location: str
    kind: str
    destructive: int
    existing: int
    limit: float

    @property
    def percent(self) -> float:
        return 100.0 * self.destructive / self.existing

    def __str__(self) -> str:
        return (
            f"location {self.location} would delete or replace {self.destructive} of its {self.existing} "
            f"{self.kind} ({self.percent:.0f}%, over the {self.limit:g}% limit)"
        )


@dataclass(frozen=True)
class MassUpdate:
    """A plan that changes too much at once: of one location's objects of a kind (``location`` set), or one
    object updated across too many of the plan's locations (``location`` None, ``key`` the object)."""

    kind: str
    changed: int
    existing: int
    limit: float
    location: str | None = None
    key: str | None = None

    @property
    def percent(self) -> float:
        return 100.0 * self.changed / self.existing

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

    def to_json(self) -> dict[str, Any]:
        return {
            "sections": [s.to_json() for s in self.sections],
            "counts": self.counts.to_json(),
            "guard": self.guard.to_json(),
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Plan:
        return Plan(tuple(Section.from_json(s) for s in data["sections"]), Guard.from_json(data.get("guard") or {}))


# -- the plan document's JSON Schema ---------------------------------------------------------------------------

#: The checked-in schema of the plan document (what render_json prints and saved plans hold).
PLAN_SCHEMA_FILE = "schemas/plan.schema.json"


def plan_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with every part the plan models decide regenerated from them: the kind enum (the registry),
    a change's action and stage enums and the keys Change.to_json adds when set (``creates``, ``parent``).

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
