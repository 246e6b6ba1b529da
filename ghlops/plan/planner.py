"""The planner: desired + live -> Plan. Pure: no HTTP, no YAML, no clock, no randomness.

Matching is by natural key only. Creates and updates follow the kinds' dependency order, deletes the reverse,
so no call ever references something missing. Users are company-level and planned once per company: they are
created before the locations that reference them and lose memberships only after those locations are done.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ghlops.identity import Identity
from ghlops.kinds import CALENDARS, LOCATION_KINDS, PRICES, PRODUCTS, USERS
from ghlops.kinds.base import Entry, Kind, LiveObject, Resolver
from ghlops.kinds.calendars import Calendar
from ghlops.kinds.users import User, UserType, location_ids
from ghlops.plan.diff import field_changes, managed_fields
from ghlops.plan.model import Action, Change, FieldChange, Guard, Plan, Section, Stage, Unmanaged
from ghlops.state import CompanyLive, LocationDesired, LocationLive

DEFAULT_GUARD = Guard()
NOBODY = Identity()


@dataclass
class _KindResult:
    upserts: list[Change] = field(default_factory=list)
    deletes: list[Change] = field(default_factory=list)
    unmanaged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def build_plan(
    desired: Sequence[LocationDesired],
    live: Mapping[str, LocationLive],
    companies: Mapping[str, CompanyLive],
    guard: Guard = DEFAULT_GUARD,
    me: Identity = NOBODY,
) -> Plan:
    """Plan every desired location (keyed in ``live`` by location id) and the users of their companies."""
    sections: list[Section] = []
    location_sections: list[Section] = []
    unmanaged_users: dict[str, list[str]] = {}
    names_by_id = {d.location_id: d.name for d in desired}
    for company_id in sorted({d.company_id or "" for d in desired}):
        members = [d for d in desired if (d.company_id or "") == company_id]
        company = companies.get(company_id)
        if company is None or not company.read:
            continue
        section, unmanaged = plan_users(company_id, members, company, names_by_id, me)
        unmanaged_users.update(unmanaged)
        if section.changes or section.errors:
            sections.append(section)
    # Per company, once (not once per location: that would grow with locations x users).
    per_company: dict[str, tuple[Resolver, Counter[str]]] = {}
    for d in desired:
        company = companies.get(d.company_id or "")
        if (d.company_id or "") not in per_company:
            members_of: Counter[str] = Counter()
            if company is not None and company.read:
                for u in company.users:
                    members_of.update(set(location_ids(u.raw)))
            per_company[d.company_id or ""] = (resolver_for(company), members_of)
        users, members_of = per_company[d.company_id or ""]
        # Each location gets its own resolver (the planner adds the location's product ids); the user maps,
        # only ever written by resolver_for, are shared.
        resolver = Resolver(user_id_by_email=users.user_id_by_email, user_email_by_id=users.user_email_by_id)
        section = plan_location(d, live[d.location_id], resolver)
        extra = unmanaged_users.get(d.location_id)
        member_count = members_of[d.location_id]
        section = replace(
            section,
            unmanaged=(Unmanaged("users", tuple(extra)), *section.unmanaged) if extra else section.unmanaged,
            existing=(*section.existing, ("users", member_count)),
        )
        location_sections.append(section)
    return Plan((*sections, *location_sections), guard)


def resolver_for(company: CompanyLive | None) -> Resolver:
    resolver = Resolver()
    if company is not None:
        for u in company.users:
            resolver.user_id_by_email.setdefault(u.obj.email.casefold(), u.id)
            resolver.user_email_by_id[u.id] = u.obj.email.casefold()
    return resolver


def plan_location(desired: LocationDesired, live: LocationLive, resolver: Resolver) -> Section:
    results: dict[str, _KindResult] = {}
    unmanaged: list[Unmanaged] = []
    for kind in LOCATION_KINDS:
        if kind is PRICES:
            declared = {PRODUCTS.key(p) for p in desired.of("products")}
            for p in live.of("products"):
                resolver.ids[("products", PRODUCTS.key(p.obj))] = p.id
            # Prices of undeclared products are the product's business: kept with it or deleted with it.
            live_objs = [p for p in live.of("prices") if p.obj._product.casefold() in declared]
            prune = "products" in desired.prune
        else:
            live_objs = live.of(kind.name)
            prune = kind.name in desired.prune
        result = diff_kind(
            kind,
            desired.of(kind.name),
            live_objs,
            resolver,
            desired.location_id,
            prune,
            protected=desired.protected.get(kind.name, frozenset()),
        )
        results[kind.name] = result
        if result.unmanaged:
            unmanaged.append(Unmanaged(kind.name, tuple(result.unmanaged)))
    changes: list[Change] = []
    for kind in LOCATION_KINDS:
        changes.extend(results[kind.name].upserts)
    for kind in reversed(LOCATION_KINDS):
        changes.extend(results[kind.name].deletes)
    errors = [e for kind in LOCATION_KINDS for e in results[kind.name].errors]
    return Section(
        name=desired.name,
        scope_id=desired.location_id,
        changes=tuple(changes),
        unmanaged=tuple(unmanaged),
        errors=tuple(errors),
        existing=tuple((kind.name, len(live.of(kind.name))) for kind in LOCATION_KINDS),
    )


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


def diff_kind(
    kind: Kind[Any],
    desired: Sequence[Entry],
    live: Sequence[LiveObject[Any]],
    resolver: Resolver,
    location_id: str,
    prune: bool,
    protected: frozenset[str] = frozenset(),
) -> _KindResult:
    result = _KindResult()
    index, result.errors = index_live(kind, live)
    desired_keys = {kind.key(e) for e in desired}
    claimed: set[str] = set()
    for entry in desired:
        key = kind.key(entry)
        current = index.get(key)
        reason = None
        if current is None:
            for old in getattr(entry, "renamedFrom", []):
                old_key = kind.key_for_name(entry, old)
                if old_key in index and old_key not in desired_keys and old_key not in claimed:
                    current, reason = index[old_key], f"renamed from {old!r}"
                    break
        if current is None:
            result.upserts.append(_create(kind, entry, resolver, location_id))
            continue
        claimed.add(kind.key(current.obj))
        changes = field_changes(kind, entry, current, resolver)
        if not changes:
            continue
        immutable = [c.field for c in changes if c.field in kind.immutable]
        if immutable:
            if entry.protect:
                result.errors.append(
                    f"{kind.label} {kind.display(entry)!r} is protected and would be replaced "
                    f"({', '.join(immutable)} cannot change in place)"
                )
                continue
            result.upserts.append(
                Change(
                    action=Action.REPLACE,
                    kind=kind.name,
                    key=key,
                    display=kind.display(entry),
                    object_id=current.id,
                    fields=changes,
                    requests=(
                        kind.delete_request(location_id, current),
                        kind.create_request(location_id, entry, resolver),
                    ),
                    warnings=_warnings(kind),
                    reason=f"{', '.join(immutable)} cannot change in place",
                )
            )
            continue
        result.upserts.append(
            Change(
                action=Action.UPDATE,
                kind=kind.name,
                key=key,
                display=kind.display(entry),
                object_id=current.id,
                fields=changes,
                requests=(kind.update_request(location_id, current, entry, [c.field for c in changes], resolver),),
                reason=reason,
            )
        )
    leftovers = sorted(
        (obj for key, obj in index.items() if key not in claimed and key not in desired_keys),
        key=lambda o: kind.display(o.obj).casefold(),
    )
    for obj in leftovers:
        if prune and kind.key(obj.obj) in protected:
            result.errors.append(f"{kind.label} {kind.display(obj.obj)!r} is protected and would be deleted")
        elif prune:
            result.deletes.append(
                Change(
                    action=Action.DELETE,
                    kind=kind.name,
                    key=kind.key(obj.obj),
                    display=kind.display(obj.obj),
                    object_id=obj.id,
                    requests=(kind.delete_request(location_id, obj),),
                    warnings=_warnings(kind),
                )
            )
        else:
            result.unmanaged.append(kind.display(obj.obj))
    return result


def _warnings(kind: Kind[Any]) -> tuple[str, ...]:
    return (f"deleting a {kind.label} {kind.delete_warning}",) if kind.delete_warning else ()


def _create(kind: Kind[Any], entry: Entry, resolver: Resolver, location_id: str) -> Change:
    request = kind.create_request(location_id, entry, resolver)
    return Change(
        action=Action.CREATE,
        kind=kind.name,
        key=kind.key(entry),
        display=kind.display(entry),
        fields=tuple(
            FieldChange(f, None, kind.compare_value(f, entry, resolver))
            for f in managed_fields(entry)
            if getattr(entry, f) not in (None, []) and f not in kind.children
        ),
        requests=(request,),
    )


def plan_users(
    company_id: str,
    locations: Sequence[LocationDesired],
    company: CompanyLive,
    names_by_id: Mapping[str, str],
    me: Identity = NOBODY,
) -> tuple[Section, dict[str, list[str]]]:
    """User changes of one company, and per location the live members no manifest declares (unmanaged)."""
    resolver = resolver_for(company)
    declared: dict[str, User] = {}
    wanted: dict[str, list[str]] = {}
    for d in locations:
        for user in d.users:
            key = USERS.key(user)
            declared.setdefault(key, user)
            _add(wanted, key, d.location_id)
    for d in locations:
        # A calendar's team member must belong to the calendar's location, so membership follows from it.
        for cal in d.of(CALENDARS.name):
            assert isinstance(cal, Calendar)
            for member in cal.teamMembers or []:
                if member.user.casefold() in declared:
                    _add(wanted, member.user.casefold(), d.location_id)
    index, errors = index_live(USERS, company.users)
    scope = [d.location_id for d in locations]
    pruned = {d.location_id for d in locations if "users" in d.prune}

    def names(ids: Sequence[str]) -> list[str]:
        return [names_by_id.get(i, i) for i in ids]

    # Users a location removed from its templates while they were `protect: true`: prune never removes them.
    guarded = {d.location_id: d.protected.get(USERS.name, frozenset()) for d in locations}

    def unprotected(key: str, email: str, removed: list[str]) -> list[str]:
        blocked = [i for i in removed if key in guarded.get(i, frozenset())]
        errors.extend(f"user {email!r} is protected and would be removed from location {n}" for n in names(blocked))
        return [i for i in removed if i not in blocked]

    first: list[tuple[Change, tuple[str, ...]]] = []
    last: list[tuple[Change, tuple[str, ...]]] = []
    for key, user in declared.items():
        locs = wanted[key]
        current = index.get(key)
        if current is None:
            change = _create_user(user, company_id, locs, resolver)
            first.append((change, tuple(names(locs))))
            continue
        now = location_ids(current.raw)
        added = [i for i in locs if i not in now]
        removed = unprotected(key, user.email, [i for i in now if i in pruned and i not in locs])
        fields = list(field_changes(USERS, user, current, resolver))
        if fields or added:
            joined = now + added
            membership = [FieldChange("locations", names(now), names(joined))] if added else []
            first.append(
                (
                    Change(
                        action=Action.UPDATE,
                        kind="users",
                        key=key,
                        display=user.email,
                        object_id=current.id,
                        fields=(*fields, *membership),
                        requests=(
                            USERS.update_user_request(
                                current, user, [f.field for f in fields], joined if added else None, resolver
                            ),
                        ),
                        stage=Stage.USERS_FIRST,
                    ),
                    tuple(names(added or [i for i in locs])),
                )
            )
            now = joined
        if removed:
            last.append((_shrink(current, now, removed, names), tuple(names(removed))))
    unmanaged: dict[str, list[str]] = {}
    for key, current in index.items():
        if key in declared:
            continue
        now = location_ids(current.raw)
        in_scope = [i for i in now if i in scope]
        removed = unprotected(key, current.obj.email, [i for i in in_scope if i in pruned])
        for i in in_scope:
            if i not in pruned:
                unmanaged.setdefault(i, []).append(current.obj.email)
        if removed:
            last.append((_shrink(current, now, removed, names), tuple(names(removed))))
    ordered = first + sorted(last, key=lambda pair: pair[0].display.casefold())
    errors.extend(_lockouts([c for c, _ in ordered], index, me))
    return (
        Section(
            name="users",
            scope_id=company_id,
            changes=tuple(c for c, _ in ordered),
            errors=tuple(errors),
            is_company=True,
            touches=tuple(t for _, t in ordered),
        ),
        unmanaged,
    )


def _lockouts(changes: Sequence[Change], index: Mapping[str, LiveObject[User]], me: Identity) -> list[str]:
    """Deleting or demoting the user whose token runs ghlops would lock the run out of its own account."""
    if not me.known:
        return []
    errors = []
    for change in changes:
        live = index.get(change.key)
        is_me = (me.email is not None and change.key == me.email) or (
            live is not None and me.user_id is not None and live.id == me.user_id
        )
        if not is_me:
            continue
        if change.action is Action.DELETE:
            errors.append(f"refusing to delete user {change.display}: it is the user whose token runs ghlops")
        demoted = [f for f in change.fields if f.field == "role" and f.old == "admin" and f.new != "admin"]
        demoted += [f for f in change.fields if f.field == "type" and f.old == "agency" and f.new != "agency"]
        if demoted:
            errors.append(f"refusing to demote user {change.display}: it is the user whose token runs ghlops")
    return errors


def _add(wanted: dict[str, list[str]], key: str, location_id: str) -> None:
    ids = wanted.setdefault(key, [])
    if location_id not in ids:
        ids.append(location_id)


def _create_user(user: User, company_id: str, location_ids: Sequence[str], resolver: Resolver) -> Change:
    return Change(
        action=Action.CREATE,
        kind="users",
        key=USERS.key(user),
        display=user.email,
        fields=tuple(
            FieldChange(f, None, USERS.compare_value(f, user, resolver))
            for f in user.managed_fields()
            if getattr(user, f) is not None
        ),
        requests=(USERS.create_user_request(company_id, user, location_ids, resolver),),
        stage=Stage.USERS_FIRST,
    )


def _shrink(current: LiveObject[User], now: list[str], removed: list[str], names: Any) -> Change:
    """Remove memberships; delete the account only when it would belong to no location at all."""
    remaining = [i for i in now if i not in removed]
    if not remaining and current.obj.type == UserType.account:
        return Change(
            action=Action.DELETE,
            kind="users",
            key=USERS.key(current.obj),
            display=current.obj.email,
            object_id=current.id,
            fields=(FieldChange("locations", names(now), []),),
            requests=(USERS.delete_request("", current),),
            warnings=(f"deleting a user: {USERS.delete_warning}",),
            stage=Stage.USERS_LAST,
        )
    return Change(
        action=Action.UPDATE,
        kind="users",
        key=USERS.key(current.obj),
        display=current.obj.email,
        object_id=current.id,
        fields=(FieldChange("locations", names(now), names(remaining)),),
        requests=(USERS.update_user_request(current, None, [], remaining, Resolver()),),
        stage=Stage.USERS_LAST,
    )
