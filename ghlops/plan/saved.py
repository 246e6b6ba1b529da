"""Saved plans: the plan file format, the digests that pin what a plan was made from, and the stale-plan check.

A saved plan is one JSON document (schemas/plan.schema.json; the same document ``--format json`` prints):

- ``formatVersion`` and ``ghlopsVersion``: a plan is applied only by the ghlops version that made it;
- ``manifests``: the paths as given on the command line, the files found there, and a digest of their paths and
  contents;
- per location its ``liveDigest``: sha256 over every raw object of every kind the reader returned for it
  (managed or not), plus the company users that matter to it (see :func:`live_digest`);
- the ordered changes with their resolved requests. Ids created earlier in the same apply stay ``{"$ref": ...}``
  placeholders and passwords stay ``{"$secret": null | "ENV"}``: a plan file never holds a token or a secret.

``apply --plan`` re-reads the manifests and the live state of the plan's locations, and refuses (writing nothing)
unless every digest is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ghlops import __version__
from ghlops.errors import ConfigError, PlanRefused
from ghlops.kinds import CALENDARS, USERS
from ghlops.kinds.calendars import Calendar
from ghlops.kinds.users import location_ids
from ghlops.plan.model import Guard, Plan, Section
from ghlops.state import CompanyLive, LocationDesired, LocationLive

FORMAT_VERSION = 1
STALE_LOCATION = "plan is stale: location {name} changed since the plan was made; run plan again"
STALE_MANIFESTS = "plan is stale: the manifests changed since the plan was made; run plan again"


@dataclass(frozen=True)
class ManifestSet:
    """The manifests a plan was made from: paths as given, files found there, digest of both."""

    paths: tuple[str, ...]
    files: tuple[str, ...]
    digest: str

    def to_json(self) -> dict[str, Any]:
        return {"paths": list(self.paths), "files": list(self.files), "digest": self.digest}


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
    live: Mapping[str, str]  # location id -> live digest
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
            "errors": plan.errors,
            "companies": [_company_json(s) for s in plan.companies],
            "locations": [_location_json(s, self.live.get(s.scope_id, "")) for s in plan.locations],
        }

    @staticmethod
    def from_json(data: Any) -> SavedPlan:
        """Parse a plan document; a ConfigError names what is wrong with a file that is not one."""
        if not isinstance(data, Mapping) or "formatVersion" not in data:
            raise ConfigError("not a ghlops plan file (no formatVersion)")
        version = data["formatVersion"]
        if version != FORMAT_VERSION:
            raise ConfigError(f"plan file format {version!r} is not supported (this ghlops reads {FORMAT_VERSION})")
        try:
            guard = data.get("guard") or {}
            sections = [_company_section(c) for c in data["companies"]]
            sections.extend(_location_section(loc) for loc in data["locations"])
            manifests = data["manifests"]
            selection = data.get("selection") or {}
            return SavedPlan(
                plan=Plan(tuple(sections), Guard.from_json(guard)),
                manifests=ManifestSet(
                    tuple(str(p) for p in manifests["paths"]),
                    tuple(str(f) for f in manifests["files"]),
                    str(manifests["digest"]),
                ),
                live={str(loc["locationId"]): str(loc["liveDigest"]) for loc in data["locations"]},
                selection=Selection(tuple(selection.get("locations") or ()), selection.get("shard")),
                ghlops_version=str(data["ghlopsVersion"]),
                format_version=int(version),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"not a valid ghlops plan file: {type(exc).__name__}: {exc}") from None


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


def _location_json(s: Section, digest: str) -> dict[str, Any]:
    return {
        "name": s.name,
        "locationId": s.scope_id,
        "liveDigest": digest,
        "counts": s.counts.to_json(),
        "changes": [c.to_json() for c in s.changes],
        "unmanaged": [u.to_json() for u in s.unmanaged],
        "errors": list(s.errors),
        "existing": dict(s.existing),
    }


def _company_section(data: Mapping[str, Any]) -> Section:
    return Section.from_json(
        {
            "name": "users",
            "id": data["companyId"],
            "company": True,
            "changes": data["changes"],
            "touches": data.get("touches", []),
            "errors": data.get("errors", []),
        }
    )


def _location_section(data: Mapping[str, Any]) -> Section:
    return Section.from_json(
        {
            "name": data["name"],
            "id": data["locationId"],
            "changes": data["changes"],
            "unmanaged": data.get("unmanaged", []),
            "errors": data.get("errors", []),
            "existing": data.get("existing", {}),
        }
    )


# -- digests -----------------------------------------------------------------------------------------------


def canonical(value: Any) -> str:
    """One text per JSON value whatever the key order: what digests are taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def manifest_digest(files: Iterable[Path]) -> str:
    """Digest of every manifest file's path (as found) and bytes, in discovery order."""
    h = hashlib.sha256()
    for path in files:
        for part in (path.as_posix().encode("utf-8"), path.read_bytes()):
            h.update(len(part).to_bytes(8, "big"))
            h.update(part)
    return "sha256:" + h.hexdigest()


def manifest_set(paths: Sequence[str | Path], files: Sequence[Path]) -> ManifestSet:
    return ManifestSet(tuple(os.fspath(p) for p in paths), tuple(f.as_posix() for f in files), manifest_digest(files))


def live_digest(desired: LocationDesired, live: LocationLive, company: CompanyLive | None) -> str:
    """Digest of everything live that a location's plan was made from.

    Every raw object of every kind read for the location, managed or not (order-independent within a kind).
    Users are company-level, read once per company: the digest folds in the company users that matter to this
    location's plan (those that are members of it, those whose email its manifest declares or its calendars
    name, those its live calendars reference by id), so a change to an unrelated user elsewhere in the agency
    does not make every location's plan stale, while a user that appears, disappears or changes and that this
    location's plan depends on does.
    """
    objects = {kind: sorted(canonical(o.raw) for o in objs) for kind, objs in sorted(live.objects.items())}
    users: list[str] = []
    if company is not None and company.read:
        users = sorted(canonical(u.raw) for u in relevant_users(desired, live, company))
    return _sha256(canonical({"locationId": live.location_id, "objects": objects, "users": users}).encode("utf-8"))


def relevant_users(desired: LocationDesired, live: LocationLive, company: CompanyLive) -> list[Any]:
    emails = {USERS.key(u) for u in desired.users}
    for cal in desired.of(CALENDARS.name):
        if isinstance(cal, Calendar):
            emails.update(m.user.casefold() for m in cal.teamMembers or [])
    referenced: set[str] = set()
    for cal_obj in live.of(CALENDARS.name):
        members = cal_obj.raw.get("teamMembers")
        if isinstance(members, list):
            referenced.update(str(m.get("userId")) for m in members if isinstance(m, Mapping))
    return [
        u
        for u in company.users
        if desired.location_id in location_ids(u.raw) or u.obj.email.casefold() in emails or u.id in referenced
    ]


# -- files and the stale check -----------------------------------------------------------------------------


def write_plan(path: str | Path, saved: SavedPlan) -> None:
    """Write the plan document atomically (a reader never sees half a plan)."""
    from ghlops.plan.render_json import render_json

    target = Path(path)
    text = render_json(saved) + "\n"
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".ghlops-plan-", suffix=".json", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        raise ConfigError(f"cannot write the plan to {path}: {exc.strerror or exc}") from None


def read_plan(path: str | Path) -> SavedPlan:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the plan {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not a ghlops plan file (invalid JSON at line {exc.lineno})") from None
    try:
        return SavedPlan.from_json(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def check_version(saved: SavedPlan) -> None:
    if saved.ghlops_version != __version__:
        raise PlanRefused(
            f"plan was made by ghlops {saved.ghlops_version} and this is ghlops {__version__}; run plan again"
        )


def check_live(saved: SavedPlan, now: Mapping[str, str]) -> None:
    """Refuse when any location's live digest moved; one line per stale location."""
    stale = [s.name for s in saved.plan.locations if now.get(s.scope_id) != saved.live.get(s.scope_id)]
    if stale:
        raise PlanRefused("\n".join(STALE_LOCATION.format(name=name) for name in stale))
