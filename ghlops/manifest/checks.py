"""Checks across entries and documents, made before any API call: each problem points at its YAML line."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ghlops.errors import ConfigError, ManifestError
from ghlops.ghl.auth import Target, oauth_config, resolve
from ghlops.kinds.base import META_FIELDS, Entry, Kind, Scope
from ghlops.kinds.registry import BY_NAME, COMPANY_KINDS, SECTION_KINDS, children
from ghlops.manifest.positions import locate
from ghlops.manifest.suggest import did_you_mean

if TYPE_CHECKING:
    from ghlops.manifest.loader import Loaded, Manifests

TOKEN_ENV = "GHL_TOKEN"
AGENCY_TOKEN_ENV = "GHL_AGENCY_TOKEN"
COMPANY_ENV = "GHL_COMPANY_ID"

Path = tuple[str | int, ...]


def check_manifests(manifests: Manifests, env: Mapping[str, str], *, check_env: bool = True) -> list[ManifestError]:
    errors: list[ManifestError] = []
    for item in manifests.loaded:
        errors.extend(_duplicate_keys(item))
        errors.extend(_ignored_fields_exist(item))
        errors.extend(_references_well_formed(item))
    errors.extend(_duplicate_documents(manifests))
    errors.extend(_company_entries_agree(manifests))
    if check_env:
        errors.extend(_credentials(manifests, env))
    return errors


def _err(item: Loaded, path: Path, message: str) -> ManifestError:
    return ManifestError(message, pos=locate(item.doc.data, path), path=path)


def entries(item: Loaded) -> Iterator[tuple[Kind[Any], Path, Entry]]:
    """Every declared entry of a document with its kind and path, children (a product's prices) included."""
    spec = item.model.spec
    for kind in SECTION_KINDS:
        value = getattr(spec, kind.name, None)
        if kind.singleton:
            if value is not None:
                yield kind, ("spec", kind.name), value
            continue
        for index, entry in enumerate(value or []):
            yield from _with_children(kind, ("spec", kind.name, index), entry)


def _with_children(kind: Kind[Any], path: Path, entry: Entry) -> Iterator[tuple[Kind[Any], Path, Entry]]:
    yield kind, path, entry
    for child in children(kind.name):
        assert child.parent_field is not None
        for index, item in enumerate(getattr(entry, child.parent_field, None) or []):
            yield from _with_children(child, (*path, child.parent_field, index), item)


def _duplicate_keys(item: Loaded) -> list[ManifestError]:
    """Two entries of one kind with the same natural key (children within their parent)."""
    errors = []
    seen: dict[tuple[str, Path, str], Path] = {}
    for kind, path, entry in entries(item):
        # A child's key is unique within its parent: the parent's path is part of where it was seen.
        scope = path[:-3] if kind.parent is not None else ()
        key = kind.key_for_name(entry, kind.display_name(entry)) if kind.parent is not None else kind.key(entry)
        where = (kind.name, scope, key)
        if where in seen:
            if kind.parent is not None:
                parent = BY_NAME[kind.parent]
                message = f"duplicate {kind.label} {kind.display_name(entry)!r} in {parent.label} " + repr(
                    _parent_name(item, scope)
                )
            else:
                first = locate(item.doc.data, seen[where])
                line = f" (first declared on line {first.line})" if first else ""
                message = f"duplicate {kind.label} {kind.display(entry)!r}{line}"
            errors.append(_err(item, path, message))
        else:
            seen[where] = path
    return errors


def _parent_name(item: Loaded, path: Path) -> str:
    value: Any = item.model
    for part in path:
        value = value[part] if isinstance(part, int) else getattr(value, part)
    return str(getattr(value, "name", ""))


def _ignored_fields_exist(item: Loaded) -> list[ManifestError]:
    """``ignoreChanges`` must name fields of the entry's kind: a typo would silently ignore nothing."""
    errors = []
    for kind, path, entry in entries(item):
        fields = [f for f in type(entry).model_fields if f not in META_FIELDS]
        for number, name in enumerate(entry.ignoreChanges):
            if name not in fields:
                message = f"{name!r} is not a field of a {kind.label}{did_you_mean(name, fields)}"
                errors.append(_err(item, (*path, "ignoreChanges", number), message))
    return errors


def _references_well_formed(item: Loaded) -> list[ManifestError]:
    """Each reference must be able to name an object of its kind (offline: declared or live is for the plan)."""
    errors = []
    for kind, path, entry in entries(item):
        for found in kind.referenced(entry):
            problem = BY_NAME[found.reference.target].reference_problem(found.value)
            if problem is not None:
                message = f"{found.reference.label} {found.value!r} {problem}"
                errors.append(_err(item, (*path, *found.path), message))
    return errors


def _duplicate_documents(manifests: Manifests) -> list[ManifestError]:
    errors = []
    by_id: dict[str, Loaded] = {}
    by_name: dict[str, Loaded] = {}
    for item in manifests.loaded:
        lid, name = item.model.spec.locationId, item.model.metadata.name
        if lid in by_id:
            errors.append(
                _err(item, ("spec", "locationId"), f"location id {lid} is already claimed by {by_id[lid].doc.pos}")
            )
        else:
            by_id[lid] = item
        if name.casefold() in by_name:
            other = by_name[name.casefold()]
            errors.append(_err(item, ("metadata", "name"), f"name {name!r} is already used by {other.doc.pos}"))
        else:
            by_name[name.casefold()] = item
    return errors


def _company_entries_agree(manifests: Manifests) -> list[ManifestError]:
    """A company-level object (a user) is one account: two manifests may both list it, but must describe it
    alike."""
    errors = []
    for kind in COMPANY_KINDS:
        if kind.section is None:
            continue
        first_seen: dict[str, tuple[Loaded, Entry]] = {}
        for item in manifests.loaded:
            for index, entry in enumerate(getattr(item.model.spec, kind.name, None) or []):
                key = kind.key(entry)
                if key not in first_seen:
                    first_seen[key] = (item, entry)
                    continue
                first_item, first = first_seen[key]
                if first_item is item:
                    continue
                differ = [
                    f
                    for f in sorted(set(entry.managed_fields()) & set(first.managed_fields()))
                    if getattr(entry, f) != getattr(first, f)
                ]
                if differ:
                    errors.append(
                        _err(
                            item,
                            ("spec", kind.name, index),
                            f"{kind.label} {kind.display(entry)!r} is declared differently at {first_item.doc.pos} "
                            f"({', '.join(differ)}); a {kind.label} is one account across locations",
                        )
                    )
    return errors


def needs_company(item: Loaded) -> bool:
    """Whether a location's plan needs company-level objects read (with the agency token): it declares or
    prunes some, or references them (calendar team members name users)."""
    for kind, _path, entry in entries(item):
        if kind.scope is Scope.COMPANY:
            return True
        if any(BY_NAME[f.reference.target].scope is Scope.COMPANY for f in kind.referenced(entry)):
            return True
    return any(k.name in item.desired.prune for k in COMPANY_KINDS)


def _credentials(manifests: Manifests, env: Mapping[str, str]) -> list[ManifestError]:
    errors = []
    # Every location's token source is decided here, before any call (ghlops.ghl.auth has the order).
    try:
        targets = [
            Target(i.desired.location_id, i.model.metadata.name, i.model.spec.tokenEnv) for i in manifests.loaded
        ]
        resolution = resolve(env, targets)
        problems = {target.location_id: message for target, message in resolution.problems}
        agency_ok = bool(env.get(AGENCY_TOKEN_ENV)) or oauth_config(env).has_refresh
    except ConfigError as exc:
        first = manifests.loaded[0] if manifests.loaded else None
        return [_err(first, ("metadata", "name"), str(exc))] if first else []
    for item in manifests.loaded:
        spec = item.model.spec
        problem = problems.get(item.desired.location_id)
        if problem is not None:
            if spec.tokenEnv:
                errors.append(
                    _err(
                        item,
                        ("spec", "tokenEnv"),
                        f"environment variable {spec.tokenEnv} (this location's token) is not set",
                    )
                )
            else:
                errors.append(_err(item, ("metadata", "name"), f"location {item.model.metadata.name}: {problem}"))
        if needs_company(item):
            company_kind = COMPANY_KINDS[0].name if COMPANY_KINDS else "users"
            if not agency_ok:
                errors.append(
                    _err(
                        item,
                        ("spec", company_kind),
                        f"{company_kind} are company-level and need an agency token: set {AGENCY_TOKEN_ENV}",
                    )
                )
            if not (spec.companyId or env.get(COMPANY_ENV)):
                errors.append(
                    _err(
                        item,
                        ("spec",),
                        f"{company_kind} need the agency's company id: set spec.companyId or {COMPANY_ENV}",
                    )
                )
        for kind, path, entry in entries(item):
            for field_name, name, what in kind.required_env(entry):
                if not env.get(name):
                    errors.append(_err(item, (*path, field_name), f"environment variable {name} ({what}) is not set"))
    return errors


def company_id(item: Loaded, env: Mapping[str, str]) -> str | None:
    return item.model.spec.companyId or env.get(COMPANY_ENV) or None
