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
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate
from pathlib import Path
from typing import Any

from ghlops import __version__
from ghlops.errors import ConfigError, PlanRefused
from ghlops.identity import Identity
from ghlops.kinds import BY_NAME, CALENDARS, LOCATION_KINDS, PRICES, PRODUCTS, USERS
from ghlops.kinds.base import LiveObject
from ghlops.kinds.calendars import Calendar
from ghlops.kinds.users import User, location_ids
from ghlops.plan.model import (
    Action,
    Change,
    FieldChange,
    Guard,
    Impact,
    OptionImpact,
    Plan,
    Section,
    Stage,
    Unmanaged,
)
from ghlops.plan.planner import build_plan
from ghlops.request import Auth, Ref, Request, SecretInput
from ghlops.state import CompanyLive, LocationDesired, LocationLive

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
    path: str  # as found under the plan's paths (relative to where plan ran when the paths were)
    digest: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "digest": self.digest}


@dataclass(frozen=True)
class ManifestSet:
    """The manifests a plan was made from: the paths as given and every file found there with its digest."""

    paths: tuple[str, ...]
    files: tuple[ManifestFile, ...]

    def to_json(self) -> dict[str, Any]:
        return {"paths": list(self.paths), "files": [f.to_json() for f in self.files]}


@dataclass(frozen=True, order=True)
class Dependency:
    """One live object a location's plan depends on: by kind and natural key (users also by ``id:…`` when a live
    calendar references them), with the digest of its raw body, or None when the plan depends on its absence."""

    kind: str
    key: str
    name: str
    digest: str | None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "name": self.name, "digest": self.digest}


@dataclass(frozen=True)
class Selection:
    """How the plan's locations were chosen (for the record; apply --plan uses the plan's own location list)."""

    locations: tuple[str, ...] = ()
    shard: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"locations": list(self.locations), "shard": self.shard}


@dataclass(frozen=True)
class SavedPlan:
    plan: Plan
    manifests: ManifestSet
    # Location id -> what that location's plan depends on (see dependencies()).
    depends: Mapping[str, tuple[Dependency, ...]] = field(default_factory=dict)
    selection: Selection = field(default_factory=Selection)
    ghlops_version: str = __version__
    format_version: int = FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        from ghlops.plan.render_text import summary_line

        plan = self.plan
        return {
            "formatVersion": self.format_version,
            "ghlopsVersion": self.ghlops_version,
            "manifests": self.manifests.to_json(),
            "selection": self.selection.to_json(),
            "guard": plan.guard.to_json(),
            "summary": summary_line(plan),
            "hasChanges": plan.has_changes,
            "counts": plan.counts.to_json(),
            "locationsChanged": plan.locations_changed(),
            "contactsAffected": _contacts_json(plan),
            "massChanges": [
                {
                    "location": m.location,
                    "kind": m.kind,
                    "destructive": m.destructive,
                    "existing": m.existing,
                    "limitPercent": m.limit,
                    "message": str(m),
                }
                for m in plan.mass_changes()
            ],
            "massUpdates": [
                {
                    "location": m.location,
                    "kind": m.kind,
                    "key": m.key,
                    "changed": m.changed,
                    "existing": m.existing,
                    "limitPercent": m.limit,
                    "message": str(m),
                }
                for m in plan.mass_updates()
            ],
            "errors": plan.errors,
            "companies": [_company_json(s) for s in plan.companies],
            "locations": [_location_json(s, self.depends.get(s.scope_id, ())) for s in plan.locations],
        }

    @staticmethod
    def from_json(data: Any) -> SavedPlan:
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
            return _Parser().document(data)
        except _Invalid as exc:
            raise ConfigError(f"not a valid ghlops plan file: {exc}") from None


def _contacts_json(plan: Plan) -> dict[str, Any]:
    affected = plan.contacts_affected()
    return {"total": affected.total, "unknown": affected.unknown, "limit": affected.limit, "over": affected.over}


def _company_json(s: Section) -> dict[str, Any]:
    return {
        "companyId": s.scope_id,
        "counts": s.counts.to_json(),
        "changes": [c.to_json() for c in s.changes],
        "touches": [list(t) for t in s.touches],
        "errors": list(s.errors),
    }


def _location_json(s: Section, depends: Sequence[Dependency]) -> dict[str, Any]:
    return {
        "name": s.name,
        "locationId": s.scope_id,
        "counts": s.counts.to_json(),
        "changes": [c.to_json() for c in s.changes],
        "unmanaged": [u.to_json() for u in s.unmanaged],
        "errors": list(s.errors),
        "existing": dict(s.existing),
        "dependsOn": [d.to_json() for d in depends],
    }


# -- parsing a document that may be anything -------------------------------------------------------------------


class _Invalid(Exception):
    """A value of the document that is not what the format says (internal: from_json turns it into ConfigError)."""


def _deeper_than(data: Any, limit: int) -> str | None:
    """The path of a value nested deeper than ``limit``, or None; iterative, so no depth can overflow the stack."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    while stack:
        value, depth, where = stack.pop()
        if depth > limit:
            return where or "the document"
        if isinstance(value, Mapping):
            stack.extend((v, depth + 1, f"{where}.{_safe_key(k)}" if where else _safe_key(k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, depth + 1, f"{where}[{i}]") for i, v in enumerate(value))
    return None


def _safe_key(key: Any) -> str:
    text = str(key)
    return text if text.isprintable() and len(text) <= 40 else repr(text[:40])


_TYPE_NAMES = {
    str: "a string",
    int: "a whole number",
    bool: "true or false",
    list: "a list",
    dict: "an object",
}


class _Parser:
    """Type-checked reading of the plan document, naming the path of the first wrong value."""

    def document(self, data: Mapping[str, Any]) -> SavedPlan:
        manifests = self.obj(self.key(data, "manifests", ""), "manifests")
        selection = self.obj(data.get("selection") or {}, "selection")
        companies = self.items(data, "companies", "")
        locations = self.items(data, "locations", "")
        sections = [self.company(c, f"companies[{i}]") for i, c in enumerate(companies)]
        depends: dict[str, tuple[Dependency, ...]] = {}
        for i, raw in enumerate(locations):
            where = f"locations[{i}]"
            section, deps = self.location(raw, where)
            if section.scope_id in depends:
                raise _Invalid(f"{where}.locationId: location {section.scope_id!r} appears twice")
            depends[section.scope_id] = deps
            sections.append(section)
        seen_companies = [s.scope_id for s in sections if s.is_company]
        if len(set(seen_companies)) != len(seen_companies):
            raise _Invalid("companies: a company appears twice")
        shard = selection.get("shard")
        return SavedPlan(
            plan=Plan(tuple(sections), self.guard(data.get("guard") or {}, "guard")),
            manifests=ManifestSet(
                tuple(self.strings(manifests, "paths", "manifests")),
                tuple(
                    self.manifest_file(f, f"manifests.files[{i}]")
                    for i, f in enumerate(self.items(manifests, "files", "manifests"))
                ),
            ),
            depends=depends,
            selection=Selection(
                tuple(self.strings(selection, "locations", "selection", required=False)),
                None if shard is None else self.text(shard, "selection.shard"),
            ),
            ghlops_version=self.text(self.key(data, "ghlopsVersion", ""), "ghlopsVersion"),
            format_version=FORMAT_VERSION,
        )

    # -- sections

    def company(self, raw: Any, where: str) -> Section:
        data = self.obj(raw, where)
        changes = tuple(
            self.change(c, f"{where}.changes[{i}]") for i, c in enumerate(self.items(data, "changes", where))
        )
        touches = tuple(
            tuple(self.strings({"t": t}, "t", f"{where}.touches[{i}]"))
            for i, t in enumerate(self.items(data, "touches", where, required=False))
        )
        if len(touches) != len(changes):
            raise _Invalid(f"{where}.touches: {len(touches)} entries for {len(changes)} changes")
        return Section(
            name="users",
            scope_id=self.text(self.key(data, "companyId", where), f"{where}.companyId"),
            changes=changes,
            errors=tuple(self.strings(data, "errors", where, required=False)),
            is_company=True,
            touches=touches,
        )

    def location(self, raw: Any, where: str) -> tuple[Section, tuple[Dependency, ...]]:
        data = self.obj(raw, where)
        existing = self.obj(data.get("existing") or {}, f"{where}.existing")
        section = Section(
            name=self.text(self.key(data, "name", where), f"{where}.name"),
            scope_id=self.text(self.key(data, "locationId", where), f"{where}.locationId"),
            changes=tuple(
                self.change(c, f"{where}.changes[{i}]") for i, c in enumerate(self.items(data, "changes", where))
            ),
            unmanaged=tuple(
                self.unmanaged(u, f"{where}.unmanaged[{i}]")
                for i, u in enumerate(self.items(data, "unmanaged", where, required=False))
            ),
            errors=tuple(self.strings(data, "errors", where, required=False)),
            existing=tuple(
                (self.kind(k, f"{where}.existing"), self.count(v, f"{where}.existing.{_safe_key(k)}"))
                for k, v in existing.items()
            ),
        )
        deps = tuple(
            self.dependency(d, f"{where}.dependsOn[{i}]") for i, d in enumerate(self.items(data, "dependsOn", where))
        )
        return section, deps

    def unmanaged(self, raw: Any, where: str) -> Unmanaged:
        data = self.obj(raw, where)
        return Unmanaged(
            self.kind(self.key(data, "kind", where), f"{where}.kind"), tuple(self.strings(data, "keys", where))
        )

    def dependency(self, raw: Any, where: str) -> Dependency:
        data = self.obj(raw, where)
        digest = self.key(data, "digest", where)
        return Dependency(
            kind=self.kind(self.key(data, "kind", where), f"{where}.kind"),
            key=self.text(self.key(data, "key", where), f"{where}.key"),
            name=self.text(self.key(data, "name", where), f"{where}.name"),
            digest=None if digest is None else self.digest(digest, f"{where}.digest"),
        )

    def manifest_file(self, raw: Any, where: str) -> ManifestFile:
        data = self.obj(raw, where)
        return ManifestFile(
            self.text(self.key(data, "path", where), f"{where}.path"),
            self.digest(self.key(data, "digest", where), f"{where}.digest"),
        )

    def guard(self, raw: Any, where: str) -> Guard:
        data = self.obj(raw, where)
        percent = self.number(data.get("maxDeletePercent", 25.0), f"{where}.maxDeletePercent")
        if not 0 <= percent <= 100:
            raise _Invalid(f"{where}.maxDeletePercent: must be between 0 and 100")
        limit = data.get("maxContactsAffected")
        updates = self.number(data.get("maxUpdatePercent", 30.0), f"{where}.maxUpdatePercent")
        if not 0 <= updates <= 100:
            raise _Invalid(f"{where}.maxUpdatePercent: must be between 0 and 100")
        return Guard(
            float(percent),
            self.count(data.get("minExisting", 10), f"{where}.minExisting"),
            None if limit is None else self.count(limit, f"{where}.maxContactsAffected"),
            float(updates),
        )

    # -- changes and requests

    def change(self, raw: Any, where: str) -> Change:
        data = self.obj(raw, where)
        action = self.choice(self.key(data, "action", where), Action, f"{where}.action")
        stage_value = data.get("stage", int(Stage.LOCATION))
        if isinstance(stage_value, bool) or not isinstance(stage_value, int) or stage_value not in {0, 1, 2}:
            raise _Invalid(f"{where}.stage: must be one of 0, 1, 2")
        impact = data.get("impact")
        return Change(
            action=action,
            kind=self.kind(self.key(data, "kind", where), f"{where}.kind"),
            key=self.text(self.key(data, "key", where), f"{where}.key"),
            display=self.text(self.key(data, "display", where), f"{where}.display"),
            requests=tuple(
                self.request(r, f"{where}.requests[{i}]") for i, r in enumerate(self.items(data, "requests", where))
            ),
            fields=tuple(
                self.field_change(f, f"{where}.fields[{i}]")
                for i, f in enumerate(self.items(data, "fields", where, required=False))
            ),
            object_id=self.optional_str(data.get("objectId"), f"{where}.objectId"),
            warnings=tuple(self.strings(data, "warnings", where, required=False)),
            reason=self.optional_str(data.get("reason"), f"{where}.reason"),
            stage=Stage(stage_value),
            impact=None if not impact else self.impact(impact, f"{where}.impact"),
            creates=None if data.get("creates") is None else self.ref(data["creates"], f"{where}.creates"),
            parent=self.parent(data.get("parent"), f"{where}.parent"),
        )

    def parent(self, raw: Any, where: str) -> str | Ref | None:
        if raw is None:
            return None
        return raw if isinstance(raw, str) else self.ref(raw, where)

    def field_change(self, raw: Any, where: str) -> FieldChange:
        data = self.obj(raw, where)
        return FieldChange(
            self.text(self.key(data, "field", where), f"{where}.field"),
            self.value(data.get("old"), f"{where}.old"),
            self.value(data.get("new"), f"{where}.new"),
        )

    def impact(self, raw: Any, where: str) -> Impact:
        data = self.obj(raw, where)
        options = tuple(
            OptionImpact(
                self.text(
                    self.key(self.obj(o, f"{where}.options[{i}]"), "option", where), f"{where}.options[{i}].option"
                ),
                self.optional_count(o.get("contacts"), f"{where}.options[{i}].contacts"),
                self.optional_str(o.get("reason"), f"{where}.options[{i}].reason"),
            )
            for i, o in enumerate(self.items(data, "options", where, required=False))
        )
        return Impact(
            self.optional_count(data.get("contacts"), f"{where}.contacts"),
            self.optional_str(data.get("reason"), f"{where}.reason"),
            options,
        )

    def request(self, raw: Any, where: str) -> Request:
        data = self.obj(raw, where)
        method = self.text(self.key(data, "method", where), f"{where}.method")
        if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            raise _Invalid(f"{where}.method: not an HTTP method ghlops sends")
        path = tuple(self.path_part(p, f"{where}.path[{i}]") for i, p in enumerate(self.items(data, "path", where)))
        params = []
        for i, pair in enumerate(self.items(data, "params", where, required=False)):
            items = self.array(pair, f"{where}.params[{i}]")
            if len(items) != 2:
                raise _Invalid(f"{where}.params[{i}]: must be [name, value]")
            params.append(
                (self.text(items[0], f"{where}.params[{i}][0]"), self.text(items[1], f"{where}.params[{i}][1]"))
            )
        binds = data.get("binds")
        return Request(
            method=method,
            path=path,
            version=self.text(self.key(data, "version", where), f"{where}.version"),
            auth=self.choice(self.key(data, "auth", where), Auth, f"{where}.auth"),
            params=tuple(params),
            body=self.body(data.get("body"), f"{where}.body"),
            binds=None if binds is None else self.ref(binds, f"{where}.binds"),
            id_field=tuple(self.strings(data, "idField", where, required=False)),
        )

    def path_part(self, raw: Any, where: str) -> str | Ref:
        return raw if isinstance(raw, str) else self.ref(raw, where)

    def ref(self, raw: Any, where: str) -> Ref:
        data = self.obj(raw, where)
        if set(data) != {"$ref"}:
            raise _Invalid(f'{where}: must be a string or {{"$ref": "kind/key"}}')
        kind, slash, key = self.text(data["$ref"], f"{where}.$ref").partition("/")
        if not slash:
            raise _Invalid(f"{where}.$ref: must be kind/key")
        return Ref(kind, key)

    def body(self, raw: Any, where: str) -> Any:
        """A request body: JSON, with {"$ref"} and {"$secret"} placeholders turned into their values."""
        if isinstance(raw, Mapping):
            if set(raw) == {"$ref"}:
                return self.ref(raw, where)
            if set(raw) == {"$secret"}:
                return SecretInput(self.optional_str(raw["$secret"], f"{where}.$secret"))
            return {self.text(k, where): self.body(v, f"{where}.{_safe_key(k)}") for k, v in raw.items()}
        if isinstance(raw, list):
            return [self.body(v, f"{where}[{i}]") for i, v in enumerate(raw)]
        return self.value(raw, where)

    def value(self, raw: Any, where: str) -> Any:
        """Any JSON value (the depth is already bounded); numbers finite."""
        if isinstance(raw, float) and not math.isfinite(raw):
            raise _Invalid(f"{where}: not a finite number")
        if isinstance(raw, Mapping):
            return {self.text(k, where): self.value(v, f"{where}.{_safe_key(k)}") for k, v in raw.items()}
        if isinstance(raw, list):
            return [self.value(v, f"{where}[{i}]") for i, v in enumerate(raw)]
        if raw is None or isinstance(raw, str | int | float):
            return raw
        raise _Invalid(f"{where}: not a JSON value")

    # -- scalars

    def key(self, data: Mapping[str, Any], name: str, where: str) -> Any:
        if name not in data:
            raise _Invalid(f"{where}: no {name!r}" if where else f"no {name!r}")
        return data[name]

    def obj(self, raw: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(raw, Mapping):
            raise _Invalid(f"{where}: must be {_TYPE_NAMES[dict]}")
        return raw

    def array(self, raw: Any, where: str) -> list[Any]:
        if not isinstance(raw, list):
            raise _Invalid(f"{where}: must be {_TYPE_NAMES[list]}")
        return raw

    def items(self, data: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> list[Any]:
        path = f"{where}.{name}" if where else name
        if name not in data:
            if required:
                raise _Invalid(f"{where}: no {name!r}" if where else f"no {name!r}")
            return []
        return self.array(data[name], path)

    def strings(self, data: Mapping[str, Any], name: str, where: str, *, required: bool = True) -> list[str]:
        path = f"{where}.{name}" if where else name
        return [self.text(v, f"{path}[{i}]") for i, v in enumerate(self.items(data, name, where, required=required))]

    def text(self, raw: Any, where: str) -> str:
        if not isinstance(raw, str):
            raise _Invalid(f"{where}: must be {_TYPE_NAMES[str]}")
        return raw

    def optional_str(self, raw: Any, where: str) -> str | None:
        return None if raw is None else self.text(raw, where)

    def count(self, raw: Any, where: str) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise _Invalid(f"{where}: must be a whole number, 0 or more")
        return raw

    def optional_count(self, raw: Any, where: str) -> int | None:
        return None if raw is None else self.count(raw, where)

    def number(self, raw: Any, where: str) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise _Invalid(f"{where}: must be a number")
        return float(raw)

    def kind(self, raw: Any, where: str) -> str:
        name = self.text(raw, where)
        if name not in BY_NAME:
            raise _Invalid(f"{where}: not a kind ghlops plans")
        return name

    def digest(self, raw: Any, where: str) -> str:
        text = self.text(raw, where)
        hexpart = text.removeprefix("sha256:")
        if not text.startswith("sha256:") or len(hexpart) != 64 or any(c not in "0123456789abcdef" for c in hexpart):
            raise _Invalid(f"{where}: must be sha256: and 64 hex digits")
        return text

    def choice(self, raw: Any, enum: Callable[[str], Any], where: str) -> Any:
        text = self.text(raw, where)
        try:
            return enum(text)
        except ValueError:
            raise _Invalid(f"{where}: {_safe_key(text)} is not allowed here") from None


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
class _CompanyUsers:
    """One company's users indexed once (by email, by id, by location): each location's lookups are then
    proportional to what its manifest names, never to the company's users times its locations (#15)."""

    by_email: dict[str, LiveObject[User]] = field(default_factory=dict)
    by_id: dict[str, LiveObject[User]] = field(default_factory=dict)
    members: dict[str, list[LiveObject[User]]] = field(default_factory=dict)

    @staticmethod
    def of(company: CompanyLive) -> _CompanyUsers:
        index = _CompanyUsers()
        for user in company.users:
            index.by_email.setdefault(USERS.key(user.obj), user)
            index.by_id.setdefault(user.id, user)
            for location_id in dict.fromkeys(location_ids(user.raw)):
                index.members.setdefault(location_id, []).append(user)
        return index


def dependencies_of(
    desired: Sequence[LocationDesired], live: Mapping[str, LocationLive], companies: Mapping[str, CompanyLive]
) -> dict[str, tuple[Dependency, ...]]:
    """What each location's plan depends on (see :func:`dependencies`), by location id."""
    indexes = {cid: _CompanyUsers.of(c) for cid, c in companies.items() if c.read}
    return {
        d.location_id: dependencies(d, live[d.location_id], indexes.get(d.company_id or ""))
        for d in desired
        if d.location_id in live
    }


def dependencies(desired: LocationDesired, live: LocationLive, users: _CompanyUsers | None) -> tuple[Dependency, ...]:
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
    """Write the plan document atomically (a reader never sees half a plan; a failed write leaves nothing)."""
    from ghlops.plan.render_json import render_json

    target = Path(path)
    text = render_json(saved) + "\n"
    from ghlops.files import write_atomically

    write_atomically(target, text, what=f"the plan file {path}")


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
    try:
        return SavedPlan.from_json(document)
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
    data = change.to_json()
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
                a, b = mine[cid].to_json(), change.to_json()
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
