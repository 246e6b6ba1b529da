"""What every kind shares: the entry base model and the Kind interface the planner, reader and executor use.

A kind knows everything about itself and nothing about HTTP, YAML or click:
- its pydantic model (the same type for desired entries and for live objects),
- its natural key (how a live object is matched to a manifest entry; never the server id),
- what it is: its manifest section, scope (location or company), parent or singleton, references to other
  kinds, the token it needs, immutable and write-only fields, export defaults and what a delete costs,
- how it maps to the GHL API: which list calls read it (pages, per parent), how a raw API object becomes the
  model, which Request creates, updates or deletes it, and the hooks the executor asks when GHL's answer is
  ambiguous (find_again) or refuses a create of something that exists (already_exists, adopt_request).
The registry (registry.py) lists the kinds; everything else derives from what they declare.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from types import NoneType, UnionType
from typing import Annotated, Any, ClassVar, Generic, NoReturn, TypeVar, Union, cast, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from ghlops.request import Auth, Ref, Request

# Keys every entry may carry that steer ghlops rather than describe the GHL object.
META_FIELDS: frozenset[str] = frozenset({"renamedFrom", "ignoreChanges", "protect", "passwordEnv"})


#: Validation context of live answers: unknown keys are dropped instead of refused (see Model._live_extras).
LIVE: Mapping[str, Any] = {"live": True}


def is_live(info: ValidationInfo | None) -> bool:
    return bool(info is not None and info.context and info.context.get("live"))


#: What a trimmed name looks like, for the editor schema (the same rule as ``trimmed``).
TRIMMED_PATTERN = r"^\S(.*\S)?$"


def trimmed(value: str, info: ValidationInfo) -> str:
    """A manifest name without spaces at either end (issue 13, section 7). GHL keeps them on tags (" vip" is
    another tag than "vip"), and a name that GHL stores other than written is created again on every run, which
    GHL then refuses as existing; refused here, so that plan and apply agree. Live names are taken as they are."""
    # A value still holding "{{" is a variable reference left unsubstituted: the loader reports it, once.
    if not is_live(info) and value != value.strip() and "{{" not in value:
        raise ValueError(f"{value!r} has spaces at its start or end: remove them")
    return value


#: A manifest name (a natural key): at least one character, no spaces at either end.
Name = Annotated[str, AfterValidator(trimmed)]


def name_field(description: str) -> Any:
    """The Field of a natural-key name: required, non-empty, trimmed (the schema says so too)."""
    return Field(min_length=1, description=description, json_schema_extra={"pattern": TRIMMED_PATTERN})


class Model(BaseModel):
    """Strict base for nested structures: unknown keys are errors (with a did-you-mean from the loader).

    Strict for manifests, tolerant for live state: validated with the ``LIVE`` context (what GHL answered),
    keys the model does not know are dropped at every depth, since GHL sends many its documents don't list
    (GoHighLevel/highlevel-api-docs #300, #82). They are not lost: the raw answer keeps them for
    read-modify-write updates.
    """

    model_config = ConfigDict(extra="forbid", use_enum_values=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _live_extras(cls, data: Any, info: ValidationInfo) -> Any:
        if is_live(info) and isinstance(data, Mapping):
            known = field_names(cls)
            # Runs for every live object and every model nested in one: most hold only known keys, kept as is.
            if known.issuperset(data.keys()):
                return data
            return {k: v for k, v in data.items() if k in known}
        return data


class _NoNames(list[str]):
    """The one empty list every entry that sets no ``renamedFrom`` / ``ignoreChanges`` holds (almost all of them,
    declared and live: two lists each, 112 bytes, at 1,000 locations x 60 objects 14 MB; issue 15). Shared, so it
    refuses any change: assign a new list instead. Equal to ``[]`` and dumped as one; copies are itself."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("the shared empty default list cannot change: assign a new list instead")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse

    def __copy__(self) -> _NoNames:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _NoNames:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_no_names, ())


_NO_NAMES = _NoNames()


def _no_names() -> list[str]:
    return _NO_NAMES


def new_list() -> list[Any]:
    """A default factory for list fields: a Python function, not ``list``. pydantic inspects a default factory's
    signature every time ``model_construct`` fills it in, and a builtin's costs ~0.1 ms to parse (issue 15)."""
    return []


class Entry(Model):
    """One declared object. Subclasses add the fields GHL accepts for the kind."""

    renamedFrom: list[str] = Field(
        default_factory=_no_names,
        description="Earlier names of this object: a live object under an old name is renamed in place.",
    )
    ignoreChanges: list[str] = Field(
        default_factory=_no_names, description="Fields never diffed for this object (managed elsewhere)."
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


Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class LiveObject(Generic[M]):
    """An object as GHL holds it: its id, the same model a manifest declares, and the raw API body.

    ``odd`` lists the paths (in the model's field names) whose live value does not fit the model (an empty
    string where a number is documented, an enum member GHL added later): the model holds those values as
    GHL sent them, so a plan shows them as they are, and export leaves them out.
    """

    id: str
    obj: M
    raw: Mapping[str, Any]
    odd: frozenset[Path] = frozenset()


class _SharedFieldsSet(set[str]):
    """A model's fields set (``model_fields_set``: the fields GHL sent) shared by every live object that has the
    same ones: pydantic makes a set per object, 216 bytes and more (a live calendar's: 2 KB), and a read holds
    every object (issue 15). Shared, so it refuses any change, loudly: pydantic adds to it only when a field is
    assigned on the object, which ghlops never does to a live one. Copies (model_copy, pickle) are their own."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a live object's fields set is shared: copy the object instead of assigning its fields")

    add = update = discard = remove = pop = clear = _refuse
    difference_update = intersection_update = symmetric_difference_update = _refuse
    __ior__ = __iand__ = __isub__ = __ixor__ = _refuse


_SHARED_FIELDS_SETS: dict[frozenset[str], _SharedFieldsSet] = {}
_SHARED_FIELDS_SETS_MAX = 10_000  # distinct shapes of answers; past that (never seen) sets are not shared


def share_fields_set(obj: BaseModel, depth: int = 0) -> None:
    """Give ``obj``, and the models in its fields (a calendar's team members), the shared fields sets equal to
    their own (see _SharedFieldsSet)."""
    own = obj.__pydantic_fields_set__
    key = frozenset(own)
    shared = _SHARED_FIELDS_SETS.get(key)
    if shared is None and len(_SHARED_FIELDS_SETS) < _SHARED_FIELDS_SETS_MAX:
        shared = _SHARED_FIELDS_SETS.setdefault(key, _SharedFieldsSet(own))
    if shared is not None:
        object.__setattr__(obj, "__pydantic_fields_set__", shared)
    if depth >= _SHARED_DEPTH:
        return
    for value in obj.__dict__.values():
        if isinstance(value, BaseModel):
            share_fields_set(value, depth + 1)
        elif type(value) is list and value and isinstance(value[0], BaseModel):
            for item in value:
                if isinstance(item, BaseModel):
                    share_fields_set(item, depth + 1)


_NO_ODD: frozenset[Path] = frozenset()  # most live objects: one empty set for all of them, not one each

# Strings of a live answer no longer than this are shared (sys.intern) across every object read: keys, and values
# that repeat (a currency, a type, a status); longer ones (ids: 20 characters and more, texts) are mostly unique,
# and an interned string that is never shared only costs its place in the interpreter's table.
_SHARED_LEN = 16
_SHARED_DEPTH = 32  # deeper answers (none GHL sends) are kept as they are


def shared_strings(raw: Mapping[str, Any], depth: int = 0) -> Mapping[str, Any]:
    """``raw`` (a live answer's object) with its keys and short strings shared across the run: a read holds
    every object GHL sent, keys and all, for read-modify-write, and JSON decoding makes each key anew per answer
    (issue 15: memory per location). Equal to ``raw``; a new dict when it is one."""
    if depth > _SHARED_DEPTH or type(raw) is not dict:
        return raw
    intern = sys.intern
    out: dict[str, Any] = {}
    for key, value in raw.items():
        kind = type(value)
        if kind is str:
            if len(value) <= _SHARED_LEN:
                value = intern(value)
        elif kind is dict:
            value = shared_strings(value, depth + 1)
        elif kind is list:
            value = [_shared_item(item, depth + 1) for item in value]
        out[intern(key) if type(key) is str else key] = value
    return out


def _shared_item(item: Any, depth: int) -> Any:
    kind = type(item)
    if kind is str:
        return sys.intern(item) if len(item) <= _SHARED_LEN else item
    if kind is dict:
        return shared_strings(item, depth)
    if kind is list:
        return [_shared_item(inner, depth + 1) for inner in item] if depth <= _SHARED_DEPTH else item
    return item


class Scope(StrEnum):
    """Where a kind's objects live: in one location, or company-wide (users: one account across locations)."""

    LOCATION = "location"
    COMPANY = "company"


@dataclass(frozen=True)
class Reference:
    """A field of an entry that names another kind's object by its natural key (a calendar's team member names
    a user by email). ``path`` walks the entry's fields; ``"*"`` steps into every item of a list.

    The planner resolves each reference to the live object's id, or to a ref the executor fills once a declared
    object of the target kind is created in the same apply; a key matching neither is a plan error naming it.
    """

    path: tuple[str, ...]
    target: str  # the kind name of the object referenced
    label: str  # what the field is, for messages: "team member"


@dataclass(frozen=True)
class Found:
    """One reference an entry makes: where (field path with list indices), what it is and the key it names."""

    path: tuple[str | int, ...]
    reference: Reference
    value: str


# Users have their own maps (both ways: team members are read back as emails), kept as fields for callers.
_USERS = "users"


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

    def knows(self, kind: str, key: str) -> bool:
        """Whether a live object of ``kind`` has the natural key ``key``."""
        if kind == _USERS:
            return key in self.user_id_by_email
        return (kind, key) in self.ids

    def add(self, kind: str, key: str, object_id: str) -> None:
        """Know a live object: its id by natural key (the first one wins, as matching reports duplicates)."""
        if kind == _USERS:
            self.user_id_by_email.setdefault(key, object_id)
            self.user_email_by_id[object_id] = key
        else:
            self.ids.setdefault((kind, key), object_id)


class Kind(Generic[M]):
    """Base of the per-kind modules. Subclasses set the class attributes and override the mapping methods."""

    name: ClassVar[str]  # plan name and (for kinds with a section) manifest section, e.g. "customFields"
    label: ClassVar[str]  # human name for messages, e.g. "custom field"
    model: type[M]
    # What the manifest section says about itself (JSON Schema description); None for kinds declared inside
    # their parent's entries (prices inside products).
    section_description: ClassVar[str | None] = None
    # The same section in a Template (defaults to section_description).
    template_description: ClassVar[str | None] = None
    # Where the section sits in documents (editor schema, exports): lower first. Creates follow the registry's
    # order instead (dependencies first).
    document_order: ClassVar[int] = 100
    scope: ClassVar[Scope] = Scope.LOCATION
    # The token its calls need.
    auth: ClassVar[Auth] = Auth.LOCATION
    # A child kind: its entries sit in a field of the parent's entries (parent_field), it is listed once per live
    # parent object (list_page with that parent), and pruned with the parent's section.
    parent: ClassVar[str | None] = None
    parent_field: ClassVar[str | None] = None
    # A child kind listed only under the parents a manifest declares (or names in renamedFrom): the children of
    # other parents are never planned (kept with their parent, or deleted with it by GHL), so they aren't read
    # (issue 11: one notifications list per managed calendar). Reads without manifests (export) list them all.
    read_declared_parents_only: ClassVar[bool] = False
    # One object per location (its profile): only ever updated, never created or deleted.
    singleton: ClassVar[bool] = False
    # References to other kinds' objects by natural key (see Reference).
    references: ClassVar[tuple[Reference, ...]] = ()
    # Fields holding another kind's object by its server id (a calendar's groupId), as (field, target kind): a
    # delete of the object they name is checked like a reference's.
    id_references: ClassVar[tuple[tuple[str, str], ...]] = ()
    # Read alone before the location's other kinds: a location's first call decides whether it exists.
    read_first: ClassVar[bool] = False
    # Paged lists: items per page asked for (GHL may answer fewer; the reader pages on the reported total).
    page_size: ClassVar[int | None] = None
    # Values equal to what GHL fills in when a create leaves them out: exports leave them out.
    export_defaults: ClassVar[Mapping[str, Any]] = {}
    # Fields holding ids of objects ghlops does not manage: valid only in their own location, so a clone
    # leaves them out.
    location_references: ClassVar[tuple[str, ...]] = ()
    # The sandbox's store name for this kind's objects.
    stored_as: ClassVar[str] = ""
    # The model field holding the natural key as written (the one key an entry must have in the editor schema).
    key_field: ClassVar[str] = "name"
    # Entries may be written as a plain string (the natural key alone), like tags.
    accepts_string: ClassVar[bool] = False
    # Fields GHL cannot change in place: a difference there means replace (delete + create).
    immutable: ClassVar[frozenset[str]] = frozenset()
    # Fields GHL accepts on write but never returns: sent on create, never compared.
    write_only: ClassVar[frozenset[str]] = frozenset()
    # Fields holding other kinds' entries (a product's prices): planned by their own kind, not compared here.
    children: ClassVar[frozenset[str]] = frozenset()
    # List fields GHL keeps as a set: compared ignoring order.
    unordered: ClassVar[frozenset[str]] = frozenset()
    # Fields GHL returns only sometimes (a calendar's slug is never listed): compared when the live object
    # carries them, otherwise sent like write-only fields. Never a perpetual diff.
    compared_when_present: ClassVar[frozenset[str]] = frozenset()
    # Fields GHL's list answers never return (issue 13, section 7: a product's seo): "not readable". A managed one
    # the live object lacks is sent on create and with an update of other fields, never the sole cause of an
    # update, and reported once per run (unreadable_note); when an answer does carry it, it is compared.
    not_readable: ClassVar[frozenset[str]] = frozenset()
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

    def raw_key(self, entry: Mapping[str, Any]) -> str | None:
        """The natural key of an entry as written (not yet validated: templates merge before validation), within
        its parent for a child kind; None when it cannot be read."""
        value = entry.get(self.key_field)
        return value.casefold() if isinstance(value, str) else None

    def raw_display(self, entry: Mapping[str, Any]) -> str:
        """``raw_key`` as written, for messages."""
        return str(entry.get(self.key_field))

    def display_name(self, obj: M) -> str:
        """The entry's own name, without its parent's (a price's name within its product)."""
        return str(getattr(obj, self.key_field))

    def required_env(self, entry: M) -> list[tuple[str, str, str]]:
        """Environment variables an entry needs at apply time: (field, variable name, what it holds)."""
        return []

    @property
    def section(self) -> str | None:
        """The manifest section holding this kind's entries (None for a child kind)."""
        return None if self.parent is not None else self.name

    @property
    def prunable(self) -> bool:
        return self.parent is None and not self.singleton

    # -- references ------------------------------------------------------------------------------------
    def referenced(self, entry: M) -> Iterator[Found]:
        """Every reference ``entry`` makes, in field order."""
        for reference in self.references:
            yield from _walk(entry, reference.path, (), reference)

    def reference_key(self, value: str) -> str:
        """A reference's value as this kind's natural key (what matching uses): names compare case-insensitively."""
        return value.casefold()

    def reference_problem(self, value: str) -> str | None:
        """Why ``value`` cannot name an object of this kind at all (checked offline), or None."""
        return None if value.strip() else "is empty"

    # -- reading ---------------------------------------------------------------------------------------
    def list_request(self, location_id: str) -> Request:
        raise NotImplementedError

    def list_page(self, scope_id: str, offset: int, parent: LiveObject[Any] | None = None) -> Request:
        """The list call for one page (``offset`` items in) of a location's (or company's) objects, of one
        parent's for a child kind. Kinds that don't page answer with their single list call."""
        return self.list_request(scope_id)

    def parse_page(self, body: Any) -> tuple[list[Mapping[str, Any]], int | None]:
        """The raw objects of one page and the total GHL reports (None when it reports none)."""
        return self.parse_list(body), None

    def attach(self, raw: Mapping[str, Any], parent: LiveObject[Any]) -> Mapping[str, Any]:
        """A child's raw object as listed under ``parent`` (a price list may omit the product's id)."""
        return raw

    def adopt_parent(self, obj: M, parent: LiveObject[Any] | Entry) -> None:
        """Tell a child entry (declared or live) which parent it belongs to (its key includes the parent's)."""

    def parent_key(self, obj: M) -> str | None:
        """The natural key of a child's parent object."""
        return None

    def is_gone(self, raw: Mapping[str, Any]) -> bool:
        """An object GHL still lists but has queued for deletion: treated as gone."""
        return False

    def parse_list(self, body: Any) -> list[Mapping[str, Any]]:
        """The raw objects of one list answer; raises ValueError when the body is not the documented shape."""
        raise NotImplementedError

    def raw_id(self, raw: Mapping[str, Any]) -> str:
        value = raw.get("id")
        if not isinstance(value, str) or not value:
            raise ValueError("object without an 'id'")
        return value

    def parse_live(self, raw: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
        """A raw API object as the model's field values (renamed where GHL names them differently).

        Values are not checked here: :func:`tolerant` validates them and keeps what doesn't fit. Raise
        ValueError only when the natural key is missing (:func:`require_str`).
        """
        raise NotImplementedError

    def live(self, raw: Mapping[str, Any], resolver: Resolver) -> LiveObject[M]:
        """The live object; ValueError only when GHL's object lacks what matching needs (id, natural key)."""
        raw = shared_strings(raw)  # before parse_live, so the model's values are the same strings as the raw's
        return self.live_from(self.raw_id(raw), self.parse_live(raw, resolver), raw)

    def live_from(self, object_id: str, data: Mapping[str, Any], raw: Mapping[str, Any]) -> LiveObject[M]:
        obj, odd = tolerant(self.model, data)
        share_fields_set(obj)
        return LiveObject(object_id, obj, raw, frozenset(odd) if odd else _NO_ODD)

    # -- comparing -------------------------------------------------------------------------------------
    def compare_value(self, field_name: str, desired: M, resolver: Resolver) -> Any:
        """A desired field in the shape parse_live gives the same field (override for references)."""
        return plain(getattr(desired, field_name))

    def unreadable(self, desired: M, live: LiveObject[M], managed: Sequence[str]) -> list[str]:
        """The ``managed`` fields of ``desired`` that are not readable on ``live``: declared in ``not_readable``
        and absent from what GHL answered (see ``not_readable``)."""
        present = live.obj.model_fields_set
        return [f for f in managed if f in self.not_readable and f not in present]

    def unreadable_note(self, field_name: str) -> str:
        """The once-per-run line about a field GHL doesn't return."""
        return f"GHL doesn't return {field_name} for {self.name}: drift on it can't be seen"

    # -- writing ---------------------------------------------------------------------------------------
    def create_request(self, location_id: str, desired: M, resolver: Resolver) -> Request:
        raise NotImplementedError

    def update_request(
        self, location_id: str, live: LiveObject[M], desired: M, fields: Sequence[str], resolver: Resolver
    ) -> Request:
        raise NotImplementedError

    def update_requests(
        self, location_id: str, live: LiveObject[M], desired: M, fields: Sequence[str], resolver: Resolver
    ) -> tuple[Request, ...]:
        """The calls of one update, in order: GHL may change some fields only through their own endpoint (a
        calendar group's isActive). Kinds with one update call override update_request instead."""
        return (self.update_request(location_id, live, desired, fields, resolver),)

    def delete_request(self, location_id: str, live: LiveObject[M]) -> Request:
        raise NotImplementedError

    # -- applying --------------------------------------------------------------------------------------
    def find_again(self, key: str, objects: Sequence[LiveObject[M]]) -> LiveObject[M] | None:
        """The object an ambiguous create (timeout, dropped connection) may have made, among a fresh read."""
        return next((o for o in objects if self.key(o.obj) == key), None)

    def created_id(self, create: Request, body: Any) -> str | None:
        """The id of the object ``create`` made, from GHL's answer ``body``: at ``id_field`` by default (kinds whose
        create answers otherwise, an array of created objects, override this)."""
        value = body
        for part in create.id_field:
            if not isinstance(value, Mapping):
                return None
            value = value.get(part)
        return value if isinstance(value, str) and value else None

    def parent_of_create(self, create: Request) -> str | None:
        """A child's parent id as its (resolved) create request names it: for changes saved before they carried
        ``parent``."""
        return None

    def already_exists(self, status: int | None, message: str) -> bool:
        """Whether a refused create means another run created the object meanwhile (adopted, not an error)."""
        return False

    def adopt_request(self, create: Request, found: LiveObject[M]) -> Request:
        """The call that makes an existing object what ``create`` would have made it."""
        raise NotImplementedError

    def deletion_queued(self, body: Any) -> bool:
        """Whether GHL answered a delete by queuing it (the object stays listed for a while)."""
        return False

    # -- company-level kinds -----------------------------------------------------------------------------
    def locations_of(self, live: LiveObject[M]) -> list[str]:
        """The locations a company-level object belongs to."""
        return []

    def in_location(self, live: LiveObject[M], location_id: str) -> bool:
        return location_id in self.locations_of(live)

    def plan_company(
        self,
        company_id: str,
        locations: Sequence[Any],
        live: Sequence[LiveObject[M]],
        names_by_id: Mapping[str, str],
        me: Any,
        referenced: Mapping[str, set[str]],
    ) -> tuple[Any, dict[str, list[str]]]:
        """A company-level kind's changes for one company (a Section) and, per location id, the live objects
        that belong to it and no manifest declares. ``referenced``: per location, the keys other entries name."""
        raise NotImplementedError(f"{self.name} is company-level and must plan itself")

    # -- exporting -------------------------------------------------------------------------------------
    def export_entry(self, data: dict[str, Any], live: LiveObject[M], notes: list[str]) -> Any:
        """An exported entry after the export defaults are left out: kinds drop what GHL derives."""
        return data

    def export_notes(self, objects: Sequence[LiveObject[M]]) -> list[str]:
        """Notes for the user about a location's objects of this kind that an export cannot carry."""
        return []

    # -- contacts' data (ghlops/impact.py counts what a change costs) ------------------------------------
    # Contacts lose data when an object of this kind is deleted (a tag), or replaced too (a custom field).
    contact_data_on_delete: ClassVar[bool] = False
    contact_data_on_replace: ClassVar[bool] = False
    # A list field whose removed items contacts may hold (a custom field's dropdown options).
    contact_options_field: ClassVar[str | None] = None


def _walk(value: Any, path: tuple[str, ...], at: tuple[str | int, ...], reference: Reference) -> Iterator[Found]:
    if not path:
        if isinstance(value, str):
            yield Found(at, reference, value)
        return
    step, rest = path[0], path[1:]
    if step == "*":
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from _walk(item, rest, (*at, index), reference)
        return
    inner = value.get(step) if isinstance(value, Mapping) else getattr(value, step, None)
    if inner is not None:
        yield from _walk(inner, rest, (*at, step), reference)


def plain(value: Any) -> Any:
    """Pydantic models and enums to plain JSON-like values, leaving unset nested fields out."""
    if isinstance(value, BaseModel):
        # warnings=False: a live object may hold values as GHL sent them (see tolerant), dumped as they are.
        return value.model_dump(
            mode="json", exclude_unset=True, exclude=set(META_FIELDS) & set(type(value).model_fields), warnings=False
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


# -- tolerant reading ----------------------------------------------------------------------------------------

BM = TypeVar("BM", bound=BaseModel)


def tolerant(model: type[BM], data: Mapping[str, Any]) -> tuple[BM, list[Path]]:
    """Validate a live object into ``model`` without ever refusing it.

    The whole object is validated first (the common case, and the fast one); when that fails, field by field:
    a field that validates keeps its validated value, one that doesn't keeps GHL's value as sent (nested models
    and lists are tried item by item, so one odd key deep inside a team member spoils only that key). The
    result is built with ``model_construct``, so model-level validators (manifest rules) don't run on it.
    Returns the object and the paths of the values kept as sent.
    """
    try:
        return model.model_validate(data, context=LIVE), []
    except ValidationError:
        pass
    odd: list[Path] = []
    values: dict[str, Any] = {}
    known = field_names(model)
    for name, value in data.items():
        if name not in known:
            continue
        values[name] = _tolerant_value(model, name, value, (name,), odd)
    fields_set = set(values)
    # The defaults model_construct would make: pydantic asks each default factory's signature anew per call
    # (inspect parses a builtin's text signature, ``list``'s: most of a live calendar's parse), so they are made
    # here, the same way (unset fields still get their defaults, and are not in the fields set).
    for name, factory in _plain_factories(model):
        if name not in values:
            values[name] = factory()
    return model.model_construct(_fields_set=fields_set, **values), odd


@cache
def field_names(model: type[BaseModel]) -> frozenset[str]:
    """A model's field names (``model_fields`` is a property that builds its answer on every access)."""
    return frozenset(model.model_fields)


@cache
def _plain_factories(model: type[BaseModel]) -> tuple[tuple[str, Callable[[], Any]], ...]:
    """(field name, default factory) of a model's fields whose factory takes no argument (all of ghlops's)."""
    found: list[tuple[str, Callable[[], Any]]] = []
    for name, info in model.model_fields.items():
        if info.default_factory is not None and not info.default_factory_takes_validated_data:
            found.append((name, cast(Callable[[], Any], info.default_factory)))
    return tuple(found)


def _tolerant_value(model: type[BaseModel], name: str, value: Any, path: Path, odd: list[Path]) -> Any:
    try:
        return field_adapter(model, name).validate_python(value, context=LIVE)
    except ValidationError:
        pass
    inner = _model_of(model.model_fields[name].annotation)
    if inner is not None and isinstance(value, Mapping):
        obj, nested = tolerant(inner, value)
        odd.extend((*path, *p) for p in nested)
        return obj
    item_model = _list_item_model(model.model_fields[name].annotation)
    if item_model is not None and isinstance(value, list):
        items: list[Any] = []
        for index, item in enumerate(value):
            if isinstance(item, Mapping):
                obj, nested = tolerant(item_model, item)
                odd.extend((*path, index, *p) for p in nested)
                items.append(obj)
            else:
                odd.append((*path, index))
                items.append(item)
        return items
    odd.append(path)
    return value


@cache
def field_adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[(annotation, *info.metadata)]
    return TypeAdapter(annotation)


def _without_none(annotation: Any) -> list[Any]:
    if get_origin(annotation) in (Union, UnionType):
        return [a for a in get_args(annotation) if a is not NoneType]
    return [annotation]


def _model_of(annotation: Any) -> type[BaseModel] | None:
    found = [a for a in _without_none(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    return found[0] if len(found) == 1 else None


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    for option in _without_none(annotation):
        if get_origin(option) is list:
            args = get_args(option)
            if args:
                return _model_of(args[0])
    return None


def overlay(live: Any, desired: Any) -> Any:
    """``desired`` laid over what GHL holds, keeping every key GHL sent that ``desired`` doesn't set.

    For read-modify-write updates of objects GHL replaces whole (a calendar's team, its recurring settings):
    dicts merge key by key at every depth, lists of dicts of the same length item by item; anything else is
    ``desired``.
    """
    if isinstance(live, Mapping) and isinstance(desired, Mapping):
        merged = dict(live)
        for key, value in desired.items():
            merged[key] = overlay(live.get(key), value)
        return merged
    if isinstance(live, list) and isinstance(desired, list) and len(live) == len(desired):
        return [overlay(lv, dv) for lv, dv in zip(live, desired, strict=True)]
    return desired


_DIGITS = re.compile(r"(\d+)")


def natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that orders numbers inside names by value: tag-2 before tag-10 (issue 14, section 6)."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(text.casefold()) if part)


def index_live(kind: Kind[Any], objects: Sequence[LiveObject[Any]]) -> tuple[dict[str, LiveObject[Any]], list[str]]:
    """Live objects by natural key; two objects sharing a key are an error naming both ids, never a guess."""
    index: dict[str, LiveObject[Any]] = {}
    errors = []
    for obj in objects:
        key = kind.key(obj.obj)
        if key in index:
            errors.append(
                f"two live {kind.label}s share the natural key {kind.display(obj.obj)!r} "
                f"(ids {index[key].id} and {obj.id}); remove one in GHL before planning"
            )
            continue
        index[key] = obj
    return index, errors
