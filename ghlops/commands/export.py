"""`ghlops export`: read one live location and write it as a manifest that `ghlops validate` accepts."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghlops.commands import exit_codes
from ghlops.errors import ApiError, ConfigError
from ghlops.export import EXPORTABLE, export_sections, location_document
from ghlops.files import write_atomically
from ghlops.ghl import GHLClient, RateLimiter, base_url_from_env
from ghlops.ghl.auth import ENV_AGENCY_TOKEN, Credentials
from ghlops.kinds.base import Kind, LiveObject, Scope
from ghlops.kinds.registry import BY_NAME, COMPANY_KINDS, children
from ghlops.live import LiveReader
from ghlops.manifest.checks import COMPANY_ENV
from ghlops.manifest.model import NAME_PATTERN
from ghlops.manifest.suggest import did_you_mean
from ghlops.manifest.yaml_out import to_yaml
from ghlops.output import Io
from ghlops.plan.planner import resolver_for
from ghlops.request import Request
from ghlops.state import CompanyLive, LocationLive
from ghlops.workflow import Settings

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
    """A location's display name as a manifest name: "Downtown Dental" -> "downtown-dental"."""
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-")[:100].rstrip("-")


def read_live(
    settings: Settings, location_id: str, kinds: Sequence[str], *, token_env: str | None, want_name: bool
) -> tuple[LiveLocation, list[str]]:
    """Read what an export of ``kinds`` needs from one location, with notes for the user."""
    notes: list[str] = []
    env = settings.env
    if token_env is not None and not env.get(token_env, "").strip():
        raise ConfigError(f"--token-env names {token_env}, but {token_env} is unset or empty")
    credentials = Credentials.from_env(env, {location_id: token_env} if token_env else None)
    limiter = RateLimiter(settings.rate_limit_max, settings.rate_limit_window_s) if settings.rate_limit else None
    with GHLClient(base_url_from_env(env), credentials, transport=settings.transport, limiter=limiter) as client:
        reader = LiveReader(client, parallelism=settings.parallelism)
        info: dict[str, Any] = {}
        company_id = env.get(COMPANY_ENV, "").strip()
        chosen = [BY_NAME[section] for section in kinds]
        # Company-level kinds to read: those chosen, and those the chosen kinds reference (team members name
        # users by email, so a calendar export resolves them).
        company_kinds = [
            k for k in COMPANY_KINDS if k in chosen or any(r.target == k.name for c in chosen for r in c.references)
        ]
        if want_name or (company_kinds and not company_id):
            info = _location_info(client, location_id, notes)
            company_id = company_id or str(info.get("companyId") or "")
        company: CompanyLive | None = None
        if company_kinds:
            company = _read_company(reader, env, company_id, kinds, location_id)
        resolver = resolver_for(company)
        live = LocationLive(location_id=location_id)
        for kind in chosen:
            if kind.scope is Scope.COMPANY:
                continue
            live.objects[kind.name], warnings = reader.read_kind_noting(location_id, location_id, kind, resolver)
            live.warnings.extend(warnings)
            for child in _descendants(kind):
                assert child.parent is not None
                live.objects[child.name], warnings = reader.read_children(
                    location_id, location_id, child, live.of(child.parent), resolver
                )
                live.warnings.extend(warnings)
        if company is None:
            _refuse_unresolvable(chosen, live)
    notes.extend(live.warnings)
    if company is not None:
        notes.extend(company.warnings)
    name = info.get("name")
    users = company.users if company is not None and "users" in kinds else None
    return LiveLocation(location_id, name if isinstance(name, str) else None, live, users), notes


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
    location_id: str,
    name: str | None,
    kinds: Sequence[str],
    output: str | None,
    force: bool,
    token_env: str | None,
    settings: Settings,
    io: Io,
) -> int:
    chosen = parse_kinds(kinds)
    if name is not None:
        check_name(name, "--name")
    check_env_name(token_env, "--token-env")
    read, notes = read_live(settings, location_id, chosen, token_env=token_env, want_name=name is None)
    exported = export_sections(read.live, read.users, chosen)
    if name is None:
        name = slug(read.name or "") or location_id
    document = location_document(name, location_id, exported.sections, token_env=token_env)
    comment = f"Exported by ghlops from location {location_id} ({', '.join(chosen)})."
    write_output(to_yaml(document, comment=comment), output, force=force, io=io)
    for note in notes + exported.notes:
        io.err(f"note: {note}")
    return exit_codes.OK
