"""`ghlops export`: read one live location and write it as a manifest that `ghlops validate` accepts."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghlops.commands import exit_codes
from ghlops.commands.locations import read_company_locations
from ghlops.errors import ApiError, ConfigError
from ghlops.export import EXPORTABLE, export_sections, location_document
from ghlops.files import write_atomically
from ghlops.ghl import GHLClient
from ghlops.ghl.auth import (
    ENV_AGENCY_TOKEN,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_COMPANY_ID,
    ENV_LOCATION_TOKEN,
    ENV_LOCATION_TOKENS,
    ENV_REFRESH_TOKEN_FILE,
    Credentials,
    Target,
    known_company_id,
    resolve,
)
from ghlops.kinds.base import Kind, LiveObject, Resolver, Scope
from ghlops.kinds.registry import BY_NAME, COMPANY_KINDS, children
from ghlops.live import LiveReader, Read
from ghlops.manifest.checks import COMPANY_ENV
from ghlops.manifest.model import NAME_PATTERN
from ghlops.manifest.suggest import did_you_mean
from ghlops.manifest.yaml_out import to_yaml
from ghlops.output import Io
from ghlops.plan.planner import resolver_for
from ghlops.request import Request
from ghlops.state import CompanyLive, LocationLive
from ghlops.workflow import Settings, client_for, reading_width

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass
class LiveLocation:
    """What an export reads: the location's objects, the company's users (None when not read) and its name."""

    location_id: str
    name: str | None
    live: LocationLive
    users: list[LiveObject[Any]] | None


def parse_kinds(values: Sequence[str]) -> list[str]:
    """``--kinds tags,customFields`` (repeatable, comma-separated) -> section names; all when empty."""
    chosen: list[str] = []
    for value in values:
        for part in value.split(","):
            name = part.strip()
            if not name:
                continue
            if name not in EXPORTABLE:
                match = next((k for k in EXPORTABLE if k.casefold() == name.casefold()), None)
                if match is None:
                    raise ConfigError(
                        f"--kinds: unknown kind {name!r}{did_you_mean(name, EXPORTABLE)} "
                        f"(kinds: {', '.join(EXPORTABLE)})"
                    )
                name = match
            if name not in chosen:
                chosen.append(name)
    return chosen or list(EXPORTABLE)


def check_name(name: str, option: str) -> str:
    if not re.match(NAME_PATTERN, name) or len(name) > 100:
        raise ConfigError(
            f"{option} {name!r} is not a valid name: letters, digits, '.', '_' and '-', starting with a letter or digit"
        )
    return name


def check_env_name(name: str | None, option: str) -> str | None:
    if name is not None and not _ENV_NAME.match(name):
        raise ConfigError(f"{option} {name!r} is not an environment variable name")
    return name


def slug(text: str) -> str:
    """A location's display name as a manifest name: "Downtown Dental" -> "downtown-dental", accents folded
    ("Clínica Sur" -> "clinica-sur"); "" when nothing of it is left."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^0-9a-z]+", "-", folded.lower()).strip("-")[:100].rstrip("-")


def read_live(
    settings: Settings, location_id: str, kinds: Sequence[str], *, token_env: str | None, want_name: bool
) -> tuple[LiveLocation, list[str]]:
    """Read what an export of ``kinds`` needs from one location, with notes for the user (clone reads this way)."""
    env = settings.env
    if token_env is not None and not env.get(token_env, "").strip():
        raise ConfigError(f"--token-env names {token_env}, but {token_env} is unset or empty")
    target = Target(location_id, token_env=token_env)
    problems = resolve(env, [target]).problems
    if problems:
        raise ConfigError(_no_token(location_id, problems[0][1], single=True))
    with client_for(settings, [target]) as client:
        reads = _read(settings, client, [location_id], kinds, want_names=want_name, tolerate=False)
    return reads.read[0], reads.notes


@dataclass
class _Reads:
    read: list[LiveLocation]
    notes: list[str]
    failed: dict[str, ApiError]


def _read(
    settings: Settings,
    client: GHLClient,
    location_ids: Sequence[str],
    kinds: Sequence[str],
    *,
    want_names: bool,
    tolerate: bool,
    company_id: str = "",
) -> _Reads:
    """Read ``location_ids`` with the shared live reader (its concurrency, the run's one client), only the kinds an
    export of ``kinds`` needs. With ``tolerate``, a location GHL refuses (401, 403, 404) is left out and named in
    ``failed``; the others are still read."""
    env = settings.env
    notes: list[str] = []
    company_id = company_id or env.get(COMPANY_ENV, "").strip()
    chosen = [BY_NAME[section] for section in kinds]
    # Company-level kinds to read: those chosen, and those the chosen kinds reference (team members name users by
    # email, so a calendar export resolves them).
    company_kinds = [
        k for k in COMPANY_KINDS if k in chosen or any(r.target == k.name for c in chosen for r in c.references)
    ]
    info: dict[str, dict[str, Any]] = {}
    profile_read = "profile" in kinds
    if (want_names and not profile_read) or (company_kinds and not company_id):
        # The location's own record: its name (when the profile isn't read anyway) and its company.
        for location_id in location_ids if want_names and not profile_read else location_ids[:1]:
            info[location_id] = _location_info(client, location_id, notes)
        company_id = company_id or str(next(iter(info.values()), {}).get("companyId") or "")
    width = reading_width(client, location_ids, settings.parallelism)
    reader = _ExportReader(
        client,
        _read_kinds(chosen),
        tolerate=tolerate,
        parallelism=settings.parallelism,
        locations_at_once=width,
        starting_at_once=width,
    )
    company: CompanyLive | None = None
    if company_kinds:
        company = _read_company(reader, env, company_id, kinds, location_ids[0])
    resolver = resolver_for(company)
    live = reader.read_locations([(lid, lid) for lid in location_ids], {lid: resolver for lid in location_ids})
    users = company.users if company is not None and "users" in kinds else None
    found: list[LiveLocation] = []
    for location_id in location_ids:
        if location_id in reader.failed:
            continue
        state = live[location_id]
        if company is None:
            _refuse_unresolvable(chosen, state)
        notes.extend(state.warnings)
        name = info.get(location_id, {}).get("name")
        profile = next(iter(state.of("profile")), None)
        if profile is not None and name is None:
            name = getattr(profile.obj, "name", None)
        found.append(LiveLocation(location_id, name if isinstance(name, str) else None, state, users))
    if company is not None:
        notes.extend(company.warnings)
    return _Reads(found, notes, dict(reader.failed))


def _read_kinds(chosen: Sequence[Kind[Any]]) -> frozenset[str]:
    """The location kinds an export of ``chosen`` reads: those, their children, and the location kinds they
    reference (a calendar's group is exported by name, so the groups are read)."""
    names: set[str] = set()
    for kind in chosen:
        if kind.scope is Scope.COMPANY:
            continue
        names.add(kind.name)
        names.update(child.name for child in _descendants(kind))
        for reference in kind.references:
            target = BY_NAME[reference.target]
            if target.scope is Scope.LOCATION:
                names.add(target.name)
    return frozenset(names)


class _ExportReader(LiveReader):
    """The shared live reader, limited to the kinds an export needs; with ``tolerate``, a location GHL refuses is
    recorded in ``failed`` and its remaining calls are skipped, so one sub-account without access doesn't stop an
    export of hundreds."""

    def __init__(self, client: GHLClient, kinds: frozenset[str], *, tolerate: bool, **options: Any) -> None:
        super().__init__(client, **options)
        self._kinds = kinds
        self._tolerate = tolerate
        self._lock = threading.Lock()
        self.failed: dict[str, ApiError] = {}

    def read_kind_noting(self, name: str, location_id: str, kind: Kind[Any], resolver: Resolver) -> Read:
        if kind.name not in self._kinds or location_id in self.failed:
            return [], []
        return self._tolerated(location_id, lambda: super(_ExportReader, self).read_kind_noting(
            name, location_id, kind, resolver))  # fmt: skip

    def read_children_of(
        self, name: str, location_id: str, kind: Kind[Any], parent: LiveObject[Any], resolver: Resolver
    ) -> Read:
        if kind.name not in self._kinds or location_id in self.failed:
            return [], []
        return self._tolerated(location_id, lambda: super(_ExportReader, self).read_children_of(
            name, location_id, kind, parent, resolver))  # fmt: skip

    def _tolerated(self, location_id: str, call: Callable[[], Read]) -> Read:
        try:
            return call()
        except ApiError as exc:
            # Only answers about this location (no token reaching it, the app not installed, no such location);
            # an outage or exhausted retries still stop the run.
            if not self._tolerate or exc.status not in (401, 403, 404):
                raise
            with self._lock:
                self.failed.setdefault(location_id, exc)
            return [], []


def _descendants(kind: Kind[Any]) -> list[Kind[Any]]:
    found: list[Kind[Any]] = []
    for child in children(kind.name):
        found.append(child)
        found.extend(_descendants(child))
    return found


def _refuse_unresolvable(chosen: Sequence[Kind[Any]], live: LocationLive) -> None:
    """Live objects naming company-level objects (team members) can only be exported with those read."""
    for kind in chosen:
        for obj in live.of(kind.name):
            for found in kind.referenced(obj.obj):
                target = BY_NAME[found.reference.target]
                if target.scope is Scope.COMPANY:
                    raise ConfigError(
                        f"{kind.label} {found.reference.label}s are exported by {target.key_field}, which needs "
                        f"the company's {target.name}: set {ENV_AGENCY_TOKEN} and {COMPANY_ENV} (or leave "
                        f"{kind.name} out with --kinds)"
                    )


def _read_company(
    reader: LiveReader, env: Mapping[str, str], company_id: str, kinds: Sequence[str], location_id: str
) -> CompanyLive | None:
    have = {ENV_AGENCY_TOKEN: env.get(ENV_AGENCY_TOKEN, "").strip(), COMPANY_ENV: company_id}
    missing = [name for name, value in have.items() if not value]
    if missing:
        for kind in COMPANY_KINDS:
            if kind.name in kinds:
                raise ConfigError(
                    f"{kind.name} are company-level: exporting them needs {' and '.join(missing)} "
                    f"(or leave {kind.name} out with --kinds)"
                )
        return None  # only referenced: fine unless live objects reference them (checked by the caller)
    return reader.read_company(company_id)


def _location_info(client: GHLClient, location_id: str, notes: list[str]) -> dict[str, Any]:
    """The location's own record (its name and company id); a token that may not read it is not fatal."""
    try:
        body = client.send(Request("GET", ("/locations/", location_id)), location_id=location_id)
    except ApiError as exc:
        if exc.status in (401, 403):
            notes.append(f"could not read location {location_id} itself (HTTP {exc.status}); pass --name")
            return {}
        raise
    record = body.get("location") if isinstance(body, Mapping) else None
    return dict(record) if isinstance(record, Mapping) else {}


def _no_token(location_id: str, problem: str, *, single: bool) -> str:
    """Export's hint for a location without a token: no manifest exists yet, so the way to give one is
    ``--token-env VAR`` (one location) or the token map / an agency OAuth app, not ``spec.tokenEnv``."""
    if problem.startswith("no token:"):
        own = "pass --token-env VAR naming the variable that holds its token, " if single else ""
        return (
            f"no token for location {location_id}: {own}add it to {ENV_LOCATION_TOKENS}, or use an agency OAuth "
            f"app ({ENV_AGENCY_TOKEN} from it, or {ENV_CLIENT_ID}, {ENV_CLIENT_SECRET} and {ENV_REFRESH_TOKEN_FILE})"
            + (f", or set {ENV_LOCATION_TOKEN}" if single else "")
        )
    return f"location {location_id}: {problem.replace('set spec.tokenEnv, ', '')}"


def write_output(text: str, output: str | None, *, force: bool, io: Io) -> None:
    if output is None or output == "-":
        io.out(text.rstrip("\n"))
        return
    path = Path(output)
    if path.is_symlink():
        raise ConfigError(f"{output}: refusing to write through a symlink; remove it or write elsewhere")
    if path.exists() and not force:
        raise ConfigError(f"{output} already exists; pass --force to overwrite it")
    write_atomically(path, text, what=output)
    io.err(f"wrote {output}")


def export_command(
    *,
    location_ids: Sequence[str],
    all_locations: bool = False,
    directory: str | None = None,
    name: str | None,
    kinds: Sequence[str],
    output: str | None,
    force: bool,
    token_env: str | None,
    full: bool = False,
    settings: Settings,
    io: Io,
) -> int:
    chosen = parse_kinds(kinds)
    if name is not None:
        check_name(name, "--name")
    check_env_name(token_env, "--token-env")
    if all_locations and location_ids:
        raise ConfigError("--all and --location-id are mutually exclusive: export every location, or the ones named")
    if not all_locations and not location_ids:
        raise ConfigError("which location? pass --location-id ID (repeatable) or --all (with an agency token)")
    ids = list(dict.fromkeys(location_ids))
    if all_locations or len(ids) > 1 or directory is not None:
        several = all_locations or len(ids) > 1
        if directory is None:
            raise ConfigError("--all and several --location-id write one manifest per location: pass -d DIR")
        if output is not None:
            raise ConfigError("-o writes one manifest; -d DIR takes one per location")
        if name is not None and several:
            raise ConfigError("--name names one manifest; with several locations each is named from its location")
        if token_env is not None and several:
            raise ConfigError(
                f"--token-env holds one location's token; several locations need their own ({ENV_LOCATION_TOKENS} "
                "or an agency OAuth app)"
            )
        return _export_many(
            ids, all_locations=all_locations, directory=Path(directory), name=name, kinds=chosen, force=force,
            token_env=token_env, full=full, settings=settings, io=io,
        )  # fmt: skip
    location_id = ids[0]
    read, notes = read_live(settings, location_id, chosen, token_env=token_env, want_name=name is None)
    text, more = _manifest(read, name or slug(read.name or "") or location_id, chosen, token_env=token_env, full=full)
    write_output(text, output, force=force, io=io)
    for note in notes + more:
        io.err(f"note: {note}")
    return exit_codes.OK


def _manifest(
    read: LiveLocation, name: str, kinds: Sequence[str], *, token_env: str | None, full: bool
) -> tuple[str, list[str]]:
    exported = export_sections(read.live, read.users, kinds, full=full)
    document = location_document(name, read.location_id, exported.sections, token_env=token_env)
    what = ", ".join(kinds) + ("; --full" if full else "")
    comment = f"Exported by ghlops from location {read.location_id} ({what})."
    return to_yaml(document, comment=comment), exported.notes


def _export_many(
    location_ids: Sequence[str],
    *,
    all_locations: bool,
    directory: Path,
    name: str | None,
    kinds: Sequence[str],
    force: bool,
    token_env: str | None,
    full: bool,
    settings: Settings,
    io: Io,
) -> int:
    """One manifest per location into ``directory``. A location without a token, or one GHL refuses, is one
    line and skipped (the others are still written; exit 1 at the end). Every file is checked before any is
    written: an existing one is refused without --force, a symlink always."""
    env = settings.env
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"-d {directory}: not a directory")
    listed: dict[str, str | None] = {}
    company_id = ""
    if all_locations:
        credentials = Credentials.from_env(env)
        if credentials.agency is None and credentials.oauth is None:
            raise ConfigError(
                f"export --all lists the company's locations with an agency token: set {ENV_AGENCY_TOKEN} (an "
                "agency Private Integration token with locations.readonly, or run ghlops auth login)"
            )
        company_id = known_company_id(env) or ""
        if not company_id:
            raise ConfigError(f"which company? set {ENV_COMPANY_ID} (or use an agency OAuth token, which names it)")
        warnings: list[str] = []
        with client_for(settings, []) as lister:
            found = read_company_locations(lister, company_id, warnings)
        for warning in dict.fromkeys(warnings):
            io.err(f"warning: {warning}")
        listed = {loc.location_id: loc.name for loc in sorted(found, key=lambda loc: loc.location_id)}
        location_ids = list(listed)
        # The names are known before any read: refuse existing files now rather than after reading them all.
        _check_targets(directory, _file_names(listed).values(), force=force)
    targets = [Target(location_id, token_env=token_env) for location_id in location_ids]
    problems = resolve(env, targets).problems
    skipped: dict[str, str] = {
        t.location_id: _no_token(_label(t.location_id, listed), why, single=False) for t, why in problems
    }
    readable = [location_id for location_id in location_ids if location_id not in skipped]
    reads = _Reads([], [], {})
    if readable:
        with client_for(settings, [t for t in targets if t.location_id not in skipped]) as client:
            reads = _read(
                settings, client, readable, kinds, want_names=not all_locations and name is None, tolerate=True,
                company_id=company_id,
            )  # fmt: skip
    for location_id, exc in reads.failed.items():
        skipped[location_id] = f"location {_label(location_id, listed)}: {exc}"
    names = (
        _file_names(listed) if all_locations else _file_names({r.location_id: r.name for r in reads.read}, fixed=name)
    )
    texts: dict[str, tuple[Path, str, list[str]]] = {}
    for read in reads.read:
        stem = names[read.location_id]
        text, notes = _manifest(read, stem, kinds, token_env=token_env, full=full)
        texts[read.location_id] = (directory / f"{stem}.yaml", text, notes)
    _check_targets(directory, [p.stem for p, _, _ in texts.values()], force=force)
    directory.mkdir(parents=True, exist_ok=True)

    # Files in name order, then the skipped locations (in id order) just above the summary.
    def order(location_id: str) -> tuple[bool, str, str]:
        return location_id in skipped, str(names.get(location_id, location_id)).casefold(), location_id

    for location_id in sorted(location_ids, key=order):
        if location_id in skipped:
            io.err(f"skipped {skipped[location_id]}")
            continue
        path, text, notes = texts[location_id]
        write_atomically(path, text, what=str(path))
        io.err(f"wrote {path}")
        for note in notes:
            io.err(f"note: {path.name}: {note}")
    for note in dict.fromkeys(reads.notes):
        io.err(f"note: {note}")
    io.err(f"export: {len(texts)} written, {len(skipped)} skipped ({directory})")
    return exit_codes.ERROR if skipped else exit_codes.OK


def _label(location_id: str, names: Mapping[str, str | None]) -> str:
    name = names.get(location_id)
    return f"{name} ({location_id})" if name else location_id


def _check_targets(directory: Path, stems: Iterable[str], *, force: bool) -> None:
    paths = [directory / f"{stem}.yaml" for stem in sorted(stems, key=str.casefold)]
    links = [str(p) for p in paths if p.is_symlink()]
    if links:
        raise ConfigError(f"refusing to write through a symlink: {', '.join(links)}; remove it or write elsewhere")
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        noun = "it" if len(existing) == 1 else "them"
        raise ConfigError(f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
                          f"pass --force to overwrite {noun}")  # fmt: skip


def _file_names(names: Mapping[str, str | None], *, fixed: str | None = None) -> dict[str, str]:
    """Each location's manifest name (and file stem): the slug of its name (``fixed`` for one location), else
    its id. Locations whose slugs collide (case-insensitively, as some file systems compare) all get their id
    appended, so a name depends only on the location and the ones sharing its slug, never on listing order."""
    base = {lid: fixed or slug(name or "") or lid for lid, name in names.items()}
    counts: dict[str, int] = {}
    for stem in base.values():
        counts[stem.casefold()] = counts.get(stem.casefold(), 0) + 1
    stems: dict[str, str] = {}
    for lid, stem in sorted(base.items()):
        if counts[stem.casefold()] > 1 and stem != lid:
            stem = f"{stem[: 99 - len(lid)].rstrip('-')}-{lid}"
        stems[lid] = stem
    taken: set[str] = set()
    for lid in sorted(stems):  # what remains (ids differing only in case): numbered, in id order
        stem, n = stems[lid], 2
        while stems[lid].casefold() in taken:
            stems[lid] = f"{stem[:95]}-{n}"
            n += 1
        taken.add(stems[lid].casefold())
    return stems
