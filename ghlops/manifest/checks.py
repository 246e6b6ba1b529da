"""Checks across entries and documents, made before any API call: each problem points at its YAML line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ghlops.errors import ConfigError, ManifestError
from ghlops.ghl.auth import Target, oauth_config, resolve
from ghlops.kinds import BY_NAME
from ghlops.kinds.base import META_FIELDS
from ghlops.kinds.calendars import Calendar
from ghlops.kinds.products import Product
from ghlops.kinds.users import User
from ghlops.manifest.model import SECTIONS
from ghlops.manifest.positions import locate
from ghlops.manifest.suggest import did_you_mean

if TYPE_CHECKING:
    from ghlops.manifest.loader import Loaded, Manifests

TOKEN_ENV = "GHL_TOKEN"
AGENCY_TOKEN_ENV = "GHL_AGENCY_TOKEN"
COMPANY_ENV = "GHL_COMPANY_ID"


def check_manifests(manifests: Manifests, env: Mapping[str, str], *, check_env: bool = True) -> list[ManifestError]:
    errors: list[ManifestError] = []
    for item in manifests.loaded:
        errors.extend(_duplicate_keys(item))
        errors.extend(_ignored_fields_exist(item))
    errors.extend(_duplicate_documents(manifests))
    errors.extend(_team_members_declared(manifests))
    errors.extend(_users_agree(manifests))
    if check_env:
        errors.extend(_credentials(manifests, env))
    return errors


def _err(item: Loaded, path: tuple[str | int, ...], message: str) -> ManifestError:
    return ManifestError(message, pos=locate(item.doc.data, path), path=_render(path))


def _render(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _duplicate_keys(item: Loaded) -> list[ManifestError]:
    errors = []
    spec = item.model.spec
    for section in SECTIONS:
        entries = getattr(spec, section) or []
        kind = BY_NAME[section]
        seen: dict[str, int] = {}
        for index, entry in enumerate(entries):
            key = kind.key(entry)
            if key in seen:
                first = locate(item.doc.data, ("spec", section, seen[key]))
                line = f" (first declared on line {first.line})" if first else ""
                errors.append(
                    _err(item, ("spec", section, index), f"duplicate {kind.label} {kind.display(entry)!r}{line}")
                )
            else:
                seen[key] = index
        if section == "products":
            for p_index, product in enumerate(entries):
                assert isinstance(product, Product)
                names: dict[str, int] = {}
                for index, price in enumerate(product.prices):
                    key = price.name.casefold()
                    if key in names:
                        errors.append(
                            _err(
                                item,
                                ("spec", "products", p_index, "prices", index),
                                f"duplicate price {price.name!r} in product {product.name!r}",
                            )
                        )
                    else:
                        names[key] = index
    return errors


def _ignored_fields_exist(item: Loaded) -> list[ManifestError]:
    """``ignoreChanges`` must name fields of the entry's kind: a typo would silently ignore nothing."""
    errors = []
    spec = item.model.spec
    for section in SECTIONS:
        for index, entry in enumerate(getattr(spec, section) or []):
            path: tuple[str | int, ...] = ("spec", section, index)
            found = [(path, BY_NAME[section].label, entry)]
            if isinstance(entry, Product):
                found += [((*path, "prices", i), "price", price) for i, price in enumerate(entry.prices)]
            for where, label, obj in found:
                fields = [f for f in type(obj).model_fields if f not in META_FIELDS]
                for number, name in enumerate(obj.ignoreChanges):
                    if name not in fields:
                        message = f"{name!r} is not a field of a {label}{did_you_mean(name, fields)}"
                        errors.append(_err(item, (*where, "ignoreChanges", number), message))
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


def _declared_users(manifests: Manifests) -> dict[str, tuple[Loaded, int, User]]:
    users: dict[str, tuple[Loaded, int, User]] = {}
    for item in manifests.loaded:
        for index, user in enumerate(item.model.spec.users or []):
            users.setdefault(user.email.casefold(), (item, index, user))
    return users


def _team_members_declared(manifests: Manifests) -> list[ManifestError]:
    declared = _declared_users(manifests)
    errors = []
    for item in manifests.loaded:
        for c_index, calendar in enumerate(item.model.spec.calendars or []):
            assert isinstance(calendar, Calendar)
            for m_index, member in enumerate(calendar.teamMembers or []):
                if member.user.casefold() not in declared:
                    errors.append(
                        _err(
                            item,
                            ("spec", "calendars", c_index, "teamMembers", m_index, "user"),
                            f"team member {member.user!r} is not declared as a user in any manifest",
                        )
                    )
    return errors


def _users_agree(manifests: Manifests) -> list[ManifestError]:
    """A user is one company-wide account: two manifests may both list it, but must describe it alike."""
    declared = _declared_users(manifests)
    errors = []
    for item in manifests.loaded:
        for index, user in enumerate(item.model.spec.users or []):
            first_item, _first_index, first = declared[user.email.casefold()]
            if first_item is item:
                continue
            differ = [
                f
                for f in sorted(set(user.managed_fields()) & set(first.managed_fields()))
                if getattr(user, f) != getattr(first, f)
            ]
            if differ:
                errors.append(
                    _err(
                        item,
                        ("spec", "users", index),
                        f"user {user.email!r} is declared differently at {first_item.doc.pos} "
                        f"({', '.join(differ)}); a user is one account across locations",
                    )
                )
    return errors


def needs_users(item: Loaded) -> bool:
    spec = item.model.spec
    has_members = any(c.teamMembers for c in spec.calendars or [])
    return bool(spec.users) or has_members or "users" in item.desired.prune


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
        if needs_users(item):
            if not agency_ok:
                errors.append(
                    _err(
                        item,
                        ("spec", "users"),
                        f"users are company-level and need an agency token: set {AGENCY_TOKEN_ENV}",
                    )
                )
            if not (spec.companyId or env.get(COMPANY_ENV)):
                errors.append(
                    _err(item, ("spec",), f"users need the agency's company id: set spec.companyId or {COMPANY_ENV}")
                )
        for index, user in enumerate(spec.users or []):
            if user.passwordEnv and not env.get(user.passwordEnv):
                errors.append(
                    _err(
                        item,
                        ("spec", "users", index, "passwordEnv"),
                        f"environment variable {user.passwordEnv} (the user's initial password) is not set",
                    )
                )
    return errors


def company_id(item: Loaded, env: Mapping[str, str]) -> str | None:
    return item.model.spec.companyId or env.get(COMPANY_ENV) or None
