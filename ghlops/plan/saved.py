"""Saved plans: the plan file format, what a plan depends on, and the check that lets apply --plan run it.

A saved plan is one JSON document (schemas/plan.schema.json; the same document ``--format json`` prints):

- ``formatVersion`` and ``ghlopsVersion``: a plan is applied only by the ghlops version that made it;
- ``manifests``: the paths as given on the command line and every file found there with its sha256;
- per location ``dependsOn``: the live objects its plan depends on, each with the sha256 of its raw API body or
  null for "absent" (see :func:`dependencies`);
- the ordered changes with their resolved requests. Ids created earlier in the same apply stay ``{"$ref": ...}``
  placeholders and passwords stay ``{"$secret": null | "ENV"}``: a plan file never holds a token or a secret.

``apply --plan`` never sends the requests the file holds. It re-reads the manifests and the live state of the
plan's locations, re-derives the plan with the same pure planner ``plan`` uses, and applies that re-derived
plan only when (1) no manifest file and no object the plan depends on changed (:func:`stale_manifests`,
:func:`stale_objects`: each changed one is named) and (2) the re-derived changes, requests included, are exactly
the ones in the file (:func:`differences`: a file edited after ``plan`` saved it is refused). So the file can't be
tampered into doing something its diff doesn't show, and a reviewed plan stays valid while only objects it
neither changes, deletes nor references move (GHL auto-creating a tag, an unrelated user edited).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from itertools import accumulate
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    computed_field,
    model_serializer,
    model_validator,
)

from ghlops import __version__
from ghlops.errors import ConfigError, PlanRefused
from ghlops.identity import Identity
from ghlops.kinds import BY_NAME, CALENDARS, LOCATION_KINDS, PRICES, PRODUCTS, USERS
from ghlops.kinds.base import LiveObject
from ghlops.kinds.calendars import Calendar
from ghlops.kinds.users import User, location_ids
from ghlops.plan.model import Change, ContactsAffected, Counts, Guard, MassChange, MassUpdate, Plan, Section, Unmanaged
from ghlops.plan.planner import build_plan
from ghlops.state import CompanyLive, LocationDesired, LocationLive
from ghlops.wire import CONFIG, Count, Digest, Kind, Text, invalid, or_empty, problem, safe_key

FORMAT_VERSION = 2
# Format 1 pinned one digest over everything read for a location: any new tag made its plans stale.
OLD_FORMATS = {1}
# Real plan documents nest about a dozen levels; anything far deeper is not one (and must not exhaust the stack).
MAX_DEPTH = 100
MAX_BYTES = 256 * 1024 * 1024
# How many changed objects a stale refusal names before it counts the rest.
MAX_NAMED = 50
# How many mismatches the one-line tamper refusal names.
MAX_MISMATCHES = 3
RUN_PLAN_AGAIN = "run plan again and review the new plan"


@dataclass(frozen=True)
class ManifestFile:
    __pydantic_config__ = CONFIG

    path: Text  # as found under the plan's paths (relative to where plan ran when the paths were)
    digest: Digest


@dataclass(frozen=True)
class ManifestSet:
    """The manifests a plan was made from: the paths as given and every file found there with its digest."""

    __pydantic_config__ = CONFIG

    paths: tuple[Text, ...]
    files: tuple[ManifestFile, ...]


@dataclass(frozen=True, order=True)
class Dependency:
    """One live object a location's plan depends on: by kind and natural key (users also by ``id:…`` when a live
    calendar references them), with the digest of its raw body, or None when the plan depends on its absence."""

    __pydantic_config__ = CONFIG

    kind: Kind
    key: Text
    name: Text
    digest: Digest | None  # stated in the file even when null


@dataclass(frozen=True)
class Selection:
    """How the plan's locations were chosen (for the record; apply --plan uses the plan's own location list)."""

    __pydantic_config__ = CONFIG

    locations: tuple[Text, ...] = ()
    shard: Text | None = None


@dataclass(frozen=True)
class SavedPlan:
    plan: Plan
    manifests: ManifestSet
    # Location id -> what that location's plan depends on (see dependencies()).
    depends: Mapping[str, tuple[Dependency, ...]] = field(default_factory=dict)
    selection: Selection = field(default_factory=Selection)
    ghlops_version: str = __version__
    format_version: int = FORMAT_VERSION


# -- the plan document -------------------------------------------------------------------------------------------


class CompanyBlock(BaseModel):
    """A company's user changes in the document (users are company-wide in GHL)."""

    model_config = ConfigDict(**CONFIG, frozen=True)

    company_id: Text
    changes: tuple[Change, ...]
    touches: tuple[tuple[Text, ...], ...] = ()
    errors: tuple[Text, ...] = ()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> Counts:
        return Counts.of(self.changes)

    @model_validator(mode="after")
    def _touches_each_change(self) -> CompanyBlock:
        if len(self.touches) != len(self.changes):
            raise invalid(f"{len(self.touches)} entries for {len(self.changes)} changes", ".touches")
        return self

    @staticmethod
    def of(section: Section) -> CompanyBlock:
        return CompanyBlock.model_construct(
            company_id=section.scope_id, changes=section.changes, touches=section.touches, errors=section.errors
        )

    def section(self) -> Section:
        return Section(
            "users", self.company_id, self.changes, errors=self.errors, is_company=True, touches=self.touches
        )


class LocationBlock(BaseModel):
    """A location's changes in the document, with what they depend on."""

    model_config = ConfigDict(**CONFIG, frozen=True)

    name: Text
    location_id: Text
    changes: tuple[Change, ...]
    unmanaged: tuple[Unmanaged, ...] = ()
    errors: tuple[Text, ...] = ()
    existing: Annotated[dict[Kind, Count], BeforeValidator(or_empty)] = {}
    depends_on: tuple[Dependency, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> Counts:
        return Counts.of(self.changes)

    @staticmethod
    def of(section: Section, depends: tuple[Dependency, ...]) -> LocationBlock:
        return LocationBlock.model_construct(
            name=section.name,
            location_id=section.scope_id,
            changes=section.changes,
            unmanaged=section.unmanaged,
            errors=section.errors,
            existing=dict(section.existing),
            depends_on=depends,
        )

    def section(self) -> Section:
        return Section(
            self.name,
            self.location_id,
            self.changes,
            unmanaged=self.unmanaged,
            errors=self.errors,
            existing=tuple(self.existing.items()),
        )


class PlanDocument(BaseModel):
    """The plan file (schemas/plan.schema.json): what ``plan --out`` saves and ``--format json`` prints.

    Beside what it is made of, the document states what follows from it (the summary, counts, the guard's
    findings) for readers; reading a plan ignores those and derives them again.
    """

    model_config = ConfigDict(**CONFIG, frozen=True)

    format_version: int
    ghlops_version: Text
    manifests: ManifestSet
    selection: Annotated[Selection, BeforeValidator(or_empty)] = Selection()
    guard: Annotated[Guard, BeforeValidator(or_empty)] = Guard()
    companies: tuple[CompanyBlock, ...]
    locations: tuple[LocationBlock, ...]

    @staticmethod
    def of(saved: SavedPlan) -> PlanDocument:
        plan = saved.plan
        document = PlanDocument.model_construct(
            format_version=saved.format_version,
            ghlops_version=saved.ghlops_version,
            manifests=saved.manifests,
            selection=saved.selection,
            guard=plan.guard,
            companies=tuple(CompanyBlock.of(s) for s in plan.companies),
            locations=tuple(LocationBlock.of(s, tuple(saved.depends.get(s.scope_id, ()))) for s in plan.locations),
        )
        document.__dict__["plan"] = plan  # the cached_property below: the plan is at hand
        return document

    def saved_plan(self) -> SavedPlan:
        return SavedPlan(
            plan=self.plan,
            manifests=self.manifests,
            depends={loc.location_id: loc.depends_on for loc in self.locations},
            selection=self.selection,
            ghlops_version=self.ghlops_version,
            format_version=FORMAT_VERSION,
        )

    @cached_property
    def plan(self) -> Plan:
        return Plan(tuple(c.section() for c in self.companies) + tuple(s.section() for s in self.locations), self.guard)

    # -- derived, for readers

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> str:
        from ghlops.plan.render_text import summary_line

        return summary_line(self.plan)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def has_changes(self) -> bool:
        return self.plan.has_changes

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> Counts:
        return self.plan.counts

    @computed_field  # type: ignore[prop-decorator]
    @property
    def locations_changed(self) -> int:
        return self.plan.locations_changed()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def contacts_affected(self) -> ContactsAffected:
        return self.plan.contacts_affected()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def mass_changes(self) -> list[MassChange]:
        return self.plan.mass_changes()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def mass_updates(self) -> list[MassUpdate]:
        return self.plan.mass_updates()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def errors(self) -> list[str]:
        return self.plan.errors

    @model_serializer(mode="wrap")
    def _in_order(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # What a reader wants first (the summary and the guard's findings), then the changes.
        data: dict[str, Any] = handler(self)
        return {key: data[key] for key in _DOCUMENT_ORDER}


_DOCUMENT_ORDER = (
    "formatVersion",
    "ghlopsVersion",
    "manifests",
    "selection",
    "guard",
    "summary",
    "hasChanges",
    "counts",
    "locationsChanged",
    "contactsAffected",
    "massChanges",
    "massUpdates",
    "errors",
    "companies",
    "locations",
)


def document(saved: SavedPlan) -> dict[str, Any]:
    """The plan document as JSON values (what render_json prints)."""
    data: dict[str, Any] = PlanDocument.of(saved).model_dump(mode="json", fallback=str)
    return data


def change_document(change: Change) -> dict[str, Any]:
    """One change as the plan document holds it."""
    data: dict[str, Any] = _changes().dump_python(change, mode="json", fallback=str)
    return data


@cache
def _changes() -> TypeAdapter[Change]:
    return TypeAdapter(Change)


def parse_document(data: Any) -> SavedPlan:
    """Parse a plan document, checking the type of every value; a ConfigError names the first that is wrong.

    Whatever the document holds (it may have been edited by hand or by an attacker), this either returns a
    well-typed SavedPlan or raises ConfigError: never another exception."""
    if not isinstance(data, Mapping) or "formatVersion" not in data:
        raise ConfigError("not a ghlops plan file (no formatVersion)")
    version = data["formatVersion"]
    if isinstance(version, int) and not isinstance(version, bool) and version in OLD_FORMATS:
        raise ConfigError(
            f"plan file format {version} is from an earlier ghlops, which pinned whole locations rather than "
            f"what the plan depends on; run plan again to save a format {FORMAT_VERSION} plan"
        )
    if version != FORMAT_VERSION or isinstance(version, bool):
        shown = version if isinstance(version, int | float | str) and len(str(version)) < 40 else "?"
        raise ConfigError(f"plan file format {shown!r} is not supported (this ghlops reads {FORMAT_VERSION})")
    too_deep = _deeper_than(data, MAX_DEPTH)
    if too_deep:
        raise ConfigError(f"not a valid ghlops plan file: {too_deep}: nested more than {MAX_DEPTH} levels")
    try:
        parsed = PlanDocument.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"not a valid ghlops plan file: {problem(exc)}") from None
    seen: set[str] = set()
    for i, loc in enumerate(parsed.locations):
        if loc.location_id in seen:
            raise ConfigError(
                f"not a valid ghlops plan file: locations[{i}].locationId: location {loc.location_id!r} appears twice"
            )
        seen.add(loc.location_id)
    if len({c.company_id for c in parsed.companies}) != len(parsed.companies):
        raise ConfigError("not a valid ghlops plan file: companies: a company appears twice")
    return parsed.saved_plan()


def _deeper_than(data: Any, limit: int) -> str | None:
    """The path of a value nested deeper than ``limit``, or None; iterative, so no depth can overflow the stack.

    Level by level over the containers only; the path is looked for only in a document that is too deep."""
    level = [data]
    for _ in range(limit):
        level = [v for c in level for v in (c.values() if isinstance(c, Mapping) else c) if isinstance(v, dict | list)]
        if not level:
            return None
    if not any(level):  # the deepest containers allowed are empty
        return None
    return _deep_path(data, limit)


def _deep_path(data: Any, limit: int) -> str:
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    while stack:
        value, depth, where = stack.pop()
        if depth > limit:
            return where or "the document"
        if isinstance(value, Mapping):
            stack.extend((v, depth + 1, f"{where}.{safe_key(k)}" if where else safe_key(k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, depth + 1, f"{where}[{i}]") for i, v in enumerate(value))
    return "the document"


# -- digests and dependencies ----------------------------------------------------------------------------------


def canonical(value: Any) -> str:
    """One text per JSON value whatever the key order: what digests are taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def object_digest(raw: Mapping[str, Any]) -> str:
    return _sha256(canonical(raw).encode("utf-8"))


def manifest_files(files: Iterable[Path]) -> tuple[ManifestFile, ...]:
    """Every manifest file's path (as found) and the sha256 of its bytes, in discovery order."""
    found = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read {path.as_posix()}: {exc.strerror or exc}") from None
        found.append(ManifestFile(path.as_posix(), _sha256(data)))
    return tuple(found)


def manifest_set(paths: Sequence[str | Path], files: Sequence[Path]) -> ManifestSet:
    return ManifestSet(tuple(os.fspath(p) for p in paths), manifest_files(files))


@dataclass
class CompanyUsers:
    """One company's users indexed once (by email, by id, by location): each location's lookups are then
    proportional to what its manifest names, never to the company's users times its locations (#15)."""

    by_email: dict[str, LiveObject[User]] = field(default_factory=dict)
    by_id: dict[str, LiveObject[User]] = field(default_factory=dict)
    members: dict[str, list[LiveObject[User]]] = field(default_factory=dict)

    @staticmethod
    def of(company: CompanyLive) -> CompanyUsers:
        index = CompanyUsers()
        for user in company.users:
            index.by_email.setdefault(USERS.key(user.obj), user)
            index.by_id.setdefault(user.id, user)
            for location_id in dict.fromkeys(location_ids(user.raw)):
                index.members.setdefault(location_id, []).append(user)
        return index


def company_users(companies: Mapping[str, CompanyLive]) -> dict[str, CompanyUsers]:
    """The users of each company read, indexed once for :func:`dependencies` (by company id)."""
    return {cid: CompanyUsers.of(c) for cid, c in companies.items() if c.read}


def dependencies_of(
    desired: Sequence[LocationDesired], live: Mapping[str, LocationLive], companies: Mapping[str, CompanyLive]
) -> dict[str, tuple[Dependency, ...]]:
    """What each location's plan depends on (see :func:`dependencies`), by location id."""
    indexes = company_users(companies)
    return {
        d.location_id: dependencies(d, live[d.location_id], indexes.get(d.company_id or ""))
        for d in desired
        if d.location_id in live
    }


def dependencies(desired: LocationDesired, live: LocationLive, users: CompanyUsers | None) -> tuple[Dependency, ...]:
    """The live objects one location's plan depends on, each with its digest (None: the plan needs it absent).

    - every object the manifest declares, by natural key, changed by the plan or not (absent: it is created),
      and the objects under a ``renamedFrom`` name;
    - in a pruned kind, every live object (those the plan deletes, and the absence of any other);
    - the users the manifest declares or its calendars name, the users its live calendars reference by id,
      and, when it prunes users, every member of the location.

    Anything else may change without making the plan stale: unmanaged objects it neither deletes nor references.
    """
    found: dict[tuple[str, str], Dependency] = {}

    def add(kind: str, key: str, name: str, obj: LiveObject[Any] | None) -> None:
        found.setdefault((kind, key), Dependency(kind, key, name, None if obj is None else object_digest(obj.raw)))

    declared_products = {PRODUCTS.key(p) for p in desired.of(PRODUCTS.name)}
    for kind in LOCATION_KINDS:
        objects = live.of(kind.name)
        if kind is PRICES:
            objects = [p for p in objects if p.obj._product.casefold() in declared_products]
            pruned = PRODUCTS.name in desired.prune
        else:
            pruned = kind.name in desired.prune
        index: dict[str, LiveObject[Any]] = {}
        for obj in objects:
            index.setdefault(kind.key(obj.obj), obj)
        for entry in desired.of(kind.name):
            key = kind.key(entry)
            add(kind.name, key, kind.display(entry), index.get(key))
            for old in getattr(entry, "renamedFrom", None) or []:
                old_key = kind.key_for_name(entry, old)
                add(kind.name, old_key, str(old), index.get(old_key))
        if pruned:
            for key, obj in index.items():
                add(kind.name, key, kind.display(obj.obj), obj)
    if users is not None:
        for declared in desired.users:
            add(USERS.name, USERS.key(declared), declared.email, users.by_email.get(USERS.key(declared)))
        for cal in desired.of(CALENDARS.name):
            if isinstance(cal, Calendar):
                for member in cal.teamMembers or []:
                    email = member.user.casefold()
                    add(USERS.name, email, member.user, users.by_email.get(email))
        declared_calendars = {CALENDARS.key(c) for c in desired.of(CALENDARS.name)}
        for cal_obj in live.of(CALENDARS.name):
            if CALENDARS.key(cal_obj.obj) not in declared_calendars:
                continue
            members = cal_obj.raw.get("teamMembers")
            for member_raw in members if isinstance(members, list) else []:
                if isinstance(member_raw, Mapping) and isinstance(member_raw.get("userId"), str):
                    user_id = member_raw["userId"]
                    user = users.by_id.get(user_id)
                    if user is None:  # an id no user has (deleted since): the plan shows it as id:…
                        add(USERS.name, f"id:{user_id}", f"id:{user_id}", None)
                    else:
                        add(USERS.name, USERS.key(user.obj), user.obj.email, user)
        if USERS.name in desired.prune:
            for user in users.members.get(desired.location_id, []):
                add(USERS.name, USERS.key(user.obj), user.obj.email, user)
    return tuple(sorted(found.values(), key=lambda d: (d.kind, d.key)))


# -- files --------------------------------------------------------------------------------------------------


def write_plan(path: str | Path, saved: SavedPlan) -> None:
    """Write the plan document atomically (a reader never sees half a plan; a failed write leaves nothing).

    The text is render_json's, byte for byte, written a location at a time (:func:`plan_text`): the whole text
    of a 1,000-location plan is some 30 MB, held twice while pydantic hands it over and once more encoded (issue
    15: plan's memory per location). Secrets are masked piece by piece, which masks what masking the whole text
    would: every piece ends with a line break and a masked value holding none can't span two pieces. A value
    that does hold one (no credential does) takes the whole text, masked at once, as before."""
    from ghlops import redact
    from ghlops.files import write_atomically

    target = Path(path)
    if any("\n" in value for value in redact.known()):
        from ghlops.plan.render_json import render_json

        write_atomically(target, render_json(saved) + "\n", what=f"the plan file {path}")
        return
    write_atomically(target, plan_text(saved), what=f"the plan file {path}")


_LOCATIONS_EMPTY = '"locations": []\n}'
_BLOCK_INDENT = "    "  # a location block's lines inside the document's "locations" list


def plan_text(saved: SavedPlan) -> Iterator[str]:
    """``render_json(saved) + "\n"`` in pieces, each ending with a line break: the document up to its locations,
    then one piece per location block, then its end. pydantic writes a block alone as it writes it inside the
    document, but for the indentation of its lines, added here (a JSON string holds no raw line break)."""
    document = PlanDocument.of(saved)
    head = PlanDocument.model_construct(
        **{name: getattr(document, name) for name in PlanDocument.model_fields if name != "locations"}, locations=()
    )
    head.__dict__["plan"] = document.plan  # the summary and counts are the whole plan's, as in the document
    text = head.model_dump_json(indent=2, fallback=str)
    if not document.locations:
        yield text + "\n"
        return
    if not text.endswith(_LOCATIONS_EMPTY):  # pragma: no cover - the document's last field is its locations
        raise AssertionError("the plan document does not end with its locations")
    yield text[: -len(_LOCATIONS_EMPTY)] + '"locations": [\n'
    del text
    last = len(document.locations) - 1
    for n, block in enumerate(document.locations):
        piece = block.model_dump_json(indent=2, fallback=str)
        yield _BLOCK_INDENT + piece.replace("\n", "\n" + _BLOCK_INDENT) + ("\n" if n == last else ",\n")
    yield "  ]\n}\n"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _nesting(text: str) -> int:
    """How deep the brackets of a JSON text nest (strings skipped), found without recursion or a parse: the
    decoder recurses per level, so a deep document must be refused before it reaches it."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    steps = (1 if c in "[{" else -1 for c in brackets)
    return max(accumulate(steps, initial=0))


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _encodable(document: Any) -> bool:
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_plan(path: str | Path) -> SavedPlan:
    """Read and parse a plan file: one ConfigError line naming the file for anything that is not a plan."""
    shown = os.fspath(path)
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read the plan {shown}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{shown}: not a ghlops plan file (larger than {MAX_BYTES // (1024 * 1024)} MB)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: not a ghlops plan file (not UTF-8 text)") from None
    if _nesting(text) > MAX_DEPTH:
        raise ConfigError(f"{shown}: not a ghlops plan file (JSON nested more than {MAX_DEPTH} levels)")
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{shown}: not a ghlops plan file (invalid JSON at line {exc.lineno})") from None
    except RecursionError:
        raise ConfigError(f"{shown}: not a ghlops plan file (JSON nested too deeply)") from None
    except ValueError as exc:  # NaN/Infinity, or an integer too long to convert
        raise ConfigError(f"{shown}: not a ghlops plan file (invalid JSON: {exc})") from None
    if _SURROGATE_ESCAPE.search(text) and not _encodable(document):
        # JSON lets a \u escape name half a surrogate pair; no output (a file, the terminal) can hold that.
        raise ConfigError(f"{shown}: not a ghlops plan file (a \\u escape names half a surrogate pair)")
    try:
        return parse_document(document)
    except ConfigError as exc:
        raise ConfigError(f"{shown}: {exc}") from None


def check_version(saved: SavedPlan) -> None:
    if saved.ghlops_version != __version__:
        shown = saved.ghlops_version if saved.ghlops_version.isprintable() else repr(saved.ghlops_version)
        raise PlanRefused(f"plan was made by ghlops {shown[:40]} and this is ghlops {__version__}; run plan again")


# -- the checks apply --plan makes -----------------------------------------------------------------------------


def _shown(text: str) -> str:
    """Text from a plan file or from GHL, safe to put in one line of output."""
    return text if text.isprintable() else repr(text)


def stale_manifests(saved: SavedPlan, files: Sequence[Path]) -> list[str]:
    """One line per manifest file changed, added or removed since the plan was made (empty: unchanged)."""
    then = {f.path: f.digest for f in saved.manifests.files}
    now = {f.path: f.digest for f in manifest_files(files)}
    lines = []
    for path in dict.fromkeys([*then, *now]):
        if path not in now:
            what = "was removed"
        elif path not in then:
            what = "was added"
        elif now[path] != then[path]:
            what = "changed"
        else:
            continue
        lines.append(f"plan is stale: manifest {_shown(path)} {what} since the plan was made")
    return lines


def stale_objects(saved: SavedPlan, now: Mapping[str, Sequence[Dependency]], names: Mapping[str, str]) -> list[str]:
    """One line per live object (location, kind, name) the plan depends on that changed since it was made."""
    lines = []
    for location_id, deps in now.items():
        then = {(d.kind, d.key): d for d in saved.depends.get(location_id, ())}
        current = {(d.kind, d.key): d for d in deps}
        for pair in sorted({*then, *current}):
            before, after = then.get(pair), current.get(pair)
            old = None if before is None else before.digest
            new = None if after is None else after.digest
            if old == new:
                continue
            if old is None:
                what = "was created in GHL"
            elif new is None:
                what = "was deleted or renamed in GHL"
            else:
                what = "changed in GHL"
            shown = after or before
            assert shown is not None
            label = BY_NAME[shown.kind].label if shown.kind in BY_NAME else shown.kind
            lines.append(
                f"plan is stale: location {_shown(names.get(location_id, location_id))}, "
                f"{label} {shown.name!r} {what} since the plan was made"
            )
    if len(lines) > MAX_NAMED:
        lines = [*lines[:MAX_NAMED], f"plan is stale: and {len(lines) - MAX_NAMED} more changed objects"]
    return lines


def _comparable(change: Change) -> str:
    """A change as the planner makes it: everything but the contacts count (live data, counted after planning)."""
    data = change_document(change)
    data.pop("impact", None)
    return canonical(data)


def _change_id(change: Change) -> tuple[int, str, str]:
    return (int(change.stage), change.kind, change.key)


def _label(change: Change) -> str:
    kind = BY_NAME[change.kind].label if change.kind in BY_NAME else _shown(change.kind)
    return f"{change.action.value} {kind} {change.display!r}"


def differences(saved: Plan, fresh: Plan) -> list[str]:
    """What differs between the changes of a saved plan and the plan re-derived now (empty: the same)."""
    found: list[str] = []
    then = {(s.is_company, s.scope_id): s for s in saved.sections}
    now = {(s.is_company, s.scope_id): s for s in fresh.sections if s.changes or s.is_company}
    for sid, sec in then.items():
        if sid not in now and sec.changes:
            found.append(f"{_shown(sec.name)}: {len(sec.changes)} changes the manifests don't give")
    for sid, sec in now.items():
        if sid not in then:
            found.append(f"{_shown(sec.name)}: {len(sec.changes)} changes missing from the file")
    order_then = [s.scope_id for s in saved.locations]
    order_now = [s.scope_id for s in fresh.locations]
    if sorted(order_then) != sorted(order_now):
        found.append("the file's locations are not the ones its manifests plan")
    elif order_then != order_now:
        found.append("the file's locations are in another order")
    for sid, sec in then.items():
        other = now.get(sid)
        if other is None:
            continue
        name = _shown(other.name)
        if sec.name != other.name:
            found.append(f"{name}: the file names it {sec.name!r}")
        if sec.is_company and sec.touches != other.touches:
            found.append(f"{name}: the file's locations touched differ")
        mine = {_change_id(c): c for c in sec.changes}
        theirs = {_change_id(c): c for c in other.changes}
        for cid, change in mine.items():
            if cid not in theirs:
                found.append(f"{name}: {_label(change)} is not what the manifests give")
        for cid, change in theirs.items():
            if cid not in mine:
                found.append(f"{name}: {_label(change)} is missing from the file")
            elif _comparable(mine[cid]) != _comparable(change):
                a, b = change_document(mine[cid]), change_document(change)
                keys = [k for k in b if k != "impact" and canonical(a.get(k)) != canonical(b[k])]
                verb = "differs" if len(keys) == 1 else "differ"
                found.append(f"{name}: {_label(change)}: the file's {', '.join(keys)} {verb}")
        if len(mine) != len(sec.changes) or len(theirs) != len(other.changes):
            found.append(f"{name}: the file repeats a change")
        elif not found and [_change_id(c) for c in sec.changes] != [_change_id(c) for c in other.changes]:
            found.append(f"{name}: the file's changes are in another order")
    return found


def mismatch_line(found: Sequence[str]) -> str:
    shown = "; ".join(found[:MAX_MISMATCHES]) + (
        f"; and {len(found) - MAX_MISMATCHES} more" if len(found) > MAX_MISMATCHES else ""
    )
    return (
        f"refusing the plan: its changes are not what its manifests and the live state give ({shown}); "
        "the file was changed after plan saved it: run plan again"
    )


def with_counts(fresh: Plan, saved: Plan) -> Plan:
    """The re-derived plan with the contact counts the reviewed plan showed (counts are not requests)."""
    counts = {
        (s.is_company, s.scope_id, _change_id(c)): c.impact for s in saved.sections for c in s.changes if c.impact
    }
    sections = tuple(
        replace(
            s,
            changes=tuple(replace(c, impact=counts.get((s.is_company, s.scope_id, _change_id(c)))) for c in s.changes),
        )
        for s in fresh.sections
    )
    return replace(fresh, sections=sections, guard=saved.guard)


def verify(
    saved: SavedPlan,
    desired: Sequence[LocationDesired],
    live: Mapping[str, LocationLive],
    companies: Mapping[str, CompanyLive],
    me: Identity,
) -> Plan:
    """The plan apply --plan may run: re-derived from the manifests and live state read now.

    PlanRefused names each object the saved plan depends on that changed (stale), or, when none did but the
    re-derived changes differ from the file's, says so in one line (the file was edited). The re-derived plan
    carries the saved guard and contact counts (what was reviewed); its errors, if any, are the caller's to refuse.
    """
    names = {d.location_id: d.name for d in desired}
    stale = stale_objects(saved, dependencies_of(desired, live, companies), names)
    missing = [lid for lid in saved.depends if lid not in names]
    stale += [f"plan is stale: location {_shown(lid)} is no longer in the manifests" for lid in missing]
    if stale:
        raise PlanRefused("\n".join([*stale, RUN_PLAN_AGAIN]))
    fresh = build_plan(desired, live, companies, saved.plan.guard, me)
    if fresh.errors:
        return fresh
    found = differences(saved.plan, fresh)
    if found:
        raise PlanRefused(mismatch_line(found))
    return with_counts(fresh, saved.plan)
