"""The planner: desired + live -> Plan. Pure: no HTTP, no YAML, no clock, no randomness.

Matching is by natural key only. Creates and updates follow the registry's dependency order, deletes the
reverse, so no call ever references something missing. Company-level kinds (users) plan themselves once per
company (their kind's ``plan_company``): created before the locations that reference them, losing memberships
only after those locations are done. References between kinds are generic: each kind declares them, and the
planner resolves them against live objects first, then against what the manifests declare.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ghlops.identity import Identity

# natural and index_live live with the kinds (the users kind plans its company with them too).
from ghlops.kinds.base import Entry, Kind, LiveObject, Resolver, Scope, index_live, natural
from ghlops.kinds.registry import BY_NAME, COMPANY_KINDS, LOCATION_KINDS, section_of
from ghlops.plan.diff import field_changes, managed_fields
from ghlops.plan.model import Action, Change, FieldChange, Guard, Plan, Section, Unmanaged
from ghlops.request import Ref
from ghlops.state import CompanyLive, LocationDesired, LocationLive

logger = logging.getLogger(__name__)

DEFAULT_GUARD = Guard()
NOBODY = Identity()


@dataclass
class _KindResult:
    upserts: list[Change] = field(default_factory=list)
    deletes: list[Change] = field(default_factory=list)
    unmanaged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Live objects matched to an entry under another name (renamedFrom), by their live key: renamed in place.
    renamed: dict[str, tuple[Entry, LiveObject[Any]]] = field(default_factory=dict)


# Location kinds other kinds reference or hold as children: only their live ids need resolving (the others' would
# cost a key per live object for nothing).
_REFERENCED: tuple[Kind[Any], ...] = tuple(
    k
    for k in LOCATION_KINDS
    if any(r.target == k.name for other in LOCATION_KINDS for r in other.references)
    or any(other.parent == k.name for other in LOCATION_KINDS)
)


def build_plan(
    desired: Sequence[LocationDesired],
    live: Mapping[str, LocationLive],
    companies: Mapping[str, CompanyLive],
    guard: Guard = DEFAULT_GUARD,
    me: Identity = NOBODY,
) -> Plan:
    """Plan every desired location (keyed in ``live`` by location id) and the company-level objects of their
    companies."""
    planner = Planner(desired, companies, guard, me)
    return planner.plan([planner.location(d, live[d.location_id]) for d in desired])


class Planner:
    """build_plan in steps, for a caller that has one location's live state at a time (plan --out plans each
    location as soon as it is read and lets its live objects go: issue 15's memory).

    The company-level sections are planned first, from the manifests and the companies' live state alone; each
    location's section then needs only its own live state (see :meth:`location`); :meth:`plan` puts the
    sections together in the manifests' order. The result is build_plan's, whatever order the locations are
    planned in."""

    def __init__(
        self,
        desired: Sequence[LocationDesired],
        companies: Mapping[str, CompanyLive],
        guard: Guard = DEFAULT_GUARD,
        me: Identity = NOBODY,
    ) -> None:
        self._companies = companies
        self._guard = guard
        self._sections: list[Section] = []
        self._unmanaged_company: dict[tuple[str, str], list[str]] = {}
        names_by_id = {d.location_id: d.name for d in desired}
        company_ids = sorted({d.company_id or "" for d in desired})
        members_by_company = {c: [d for d in desired if (d.company_id or "") == c] for c in company_ids}
        # Natural keys of company-level objects some selected manifest declares, per company and kind.
        self._declared_company: dict[str, dict[str, set[str]]] = {
            c: {k.name: {k.key(e) for d in members for e in d.of(k.name)} for k in COMPANY_KINDS}
            for c, members in members_by_company.items()
        }
        for company_id in company_ids:
            members = members_by_company[company_id]
            company = companies.get(company_id)
            if company is None or not company.read:
                continue
            for kind in COMPANY_KINDS:
                referenced = {d.location_id: _referenced_keys(d, kind.name) for d in members}
                section, unmanaged = kind.plan_company(
                    company_id, members, company.of(kind.name), names_by_id, me, referenced
                )
                for location_id, keys in unmanaged.items():
                    self._unmanaged_company[(location_id, kind.name)] = keys
                if section.changes or section.errors:
                    self._sections.append(section)
        # Per company, once (not once per location: that would grow with locations x users).
        self._shared: dict[str, Resolver] = {}
        self._counted: dict[str, dict[tuple[str, str], int]] = {}

    def location(self, d: LocationDesired, live: LocationLive) -> Section:
        """One location's section: needs only its own live state (and the company's, given at the start)."""
        company_id = d.company_id or ""
        company = self._companies.get(company_id)
        if company_id not in self._shared:
            self._shared[company_id] = resolver_for(company)
            self._counted[company_id] = _members(company)
        users = self._shared[company_id]
        # Each location gets its own resolver (the planner adds the location's own ids); the company maps, only
        # ever written by resolver_for, are shared.
        resolver = Resolver(
            user_id_by_email=users.user_id_by_email, user_email_by_id=users.user_email_by_id, ids=dict(users.ids)
        )
        company_read = company is not None and company.read
        section = plan_location(d, live, resolver, self._declared_company.get(company_id, {}), company_read)
        extra = tuple(
            Unmanaged(k.name, tuple(self._unmanaged_company[(d.location_id, k.name)]))
            for k in COMPANY_KINDS
            if self._unmanaged_company.get((d.location_id, k.name))
        )
        existing = tuple((k.name, self._counted[company_id].get((d.location_id, k.name), 0)) for k in COMPANY_KINDS)
        return replace(section, unmanaged=(*extra, *section.unmanaged), existing=(*section.existing, *existing))

    def plan(self, location_sections: Sequence[Section]) -> Plan:
        """The plan: the company sections, then ``location_sections`` (one per desired location, in the
        manifests' order)."""
        plan = Plan((*self._sections, *location_sections), self._guard)
        for note in plan.notes:
            # Once per run: what the plan cannot see is the user's to know, through the CLI's warning lines.
            logger.warning("note: %s", note)
        return plan


def _members(company: CompanyLive | None) -> dict[tuple[str, str], int]:
    """How many company-level objects of each kind belong to each location (the mass-change guard's base)."""
    counts: dict[tuple[str, str], int] = {}
    if company is None or not company.read:
        return counts
    for kind in COMPANY_KINDS:
        for obj in company.of(kind.name):
            for location_id in set(kind.locations_of(obj)):
                counts[(location_id, kind.name)] = counts.get((location_id, kind.name), 0) + 1
    return counts


def _referenced_keys(desired: LocationDesired, target: str) -> set[str]:
    """The natural keys of ``target`` objects that a location's entries reference."""
    kind = BY_NAME[target]
    keys = set()
    for source in LOCATION_KINDS:
        if not any(r.target == target for r in source.references):
            continue
        for entry in desired.of(source.name):
            for found in source.referenced(entry):
                if found.reference.target == target:
                    keys.add(kind.reference_key(found.value))
    return keys


def resolver_for(company: CompanyLive | None) -> Resolver:
    """A resolver knowing the company-level objects' ids by natural key (and back)."""
    resolver = Resolver()
    if company is not None:
        for kind in COMPANY_KINDS:
            for obj in company.of(kind.name):
                resolver.add(kind.name, kind.key(obj.obj), obj.id)
    return resolver


def plan_location(
    desired: LocationDesired,
    live: LocationLive,
    resolver: Resolver,
    declared_company: Mapping[str, set[str]] | None = None,
    company_read: bool = True,
) -> Section:
    results: dict[str, _KindResult] = {}
    unmanaged: list[Unmanaged] = []
    for kind in _REFERENCED:
        for obj in live.of(kind.name):
            resolver.ids.setdefault((kind.name, kind.key(obj.obj)), obj.id)
    reference_errors = _unresolved(desired, resolver, declared_company or {}, company_read)
    # Per kind, the keys of objects this plan replaces (deleted, then created under a new id).
    replaced: dict[str, set[str]] = {}
    for kind in LOCATION_KINDS:
        if kind.parent is not None:
            parent = BY_NAME[kind.parent]
            declared = {parent.key(p) for p in desired.of(parent.name)}
            gone = replaced.get(parent.name, set())
            renamed = results[parent.name].renamed
            # Children of undeclared parents are the parent's business: kept with it or deleted with it. Those of a
            # replaced parent go with its delete (GHL deletes a calendar's notifications with it): not live, so the
            # declared ones are created again under the new parent, by ref, in the same plan. Those of a parent
            # renamed in place stay with it: matched under its new name.
            children = [_readopt(kind, c, renamed) for c in live.of(kind.name)]
            live_objs = [c for c in children if kind.parent_key(c.obj) in declared - gone]
        else:
            live_objs = live.of(kind.name)
        result = diff_kind(
            kind,
            desired.of(kind.name),
            live_objs,
            resolver,
            desired.location_id,
            section_of(kind) in desired.prune,
            protected=desired.protected.get(kind.name, frozenset()),
        )
        results[kind.name] = result
        for entry, obj in result.renamed.values():
            # Renamed in place, it keeps its id: references to it by its new name resolve to that id.
            resolver.ids[(kind.name, kind.key(entry))] = obj.id
        replaced[kind.name] = {c.key for c in result.upserts if c.action is Action.REPLACE}
        for key in replaced[kind.name]:
            # The live id dies with the replace: later kinds (children, references) name the new object by ref.
            resolver.ids.pop((kind.name, key), None)
        if result.unmanaged:
            unmanaged.append(Unmanaged(kind.name, tuple(result.unmanaged)))
    for kind in LOCATION_KINDS:
        result = results[kind.name]
        if result.deletes and any(r.target == kind.name for k in LOCATION_KINDS for r in k.references):
            result.deletes = _still_referenced(kind, result.deletes, desired, live, results, reference_errors)
    changes: list[Change] = []
    for kind in LOCATION_KINDS:
        changes.extend(results[kind.name].upserts)
    for kind in reversed(LOCATION_KINDS):
        changes.extend(results[kind.name].deletes)
    errors = reference_errors + [e for kind in LOCATION_KINDS for e in results[kind.name].errors]
    notes = tuple(dict.fromkeys(n for kind in LOCATION_KINDS for n in results[kind.name].notes))
    return Section(
        name=desired.name,
        scope_id=desired.location_id,
        changes=tuple(changes),
        unmanaged=tuple(unmanaged),
        errors=tuple(errors),
        existing=tuple((kind.name, len(live.of(kind.name))) for kind in LOCATION_KINDS),
        notes=notes,
    )


def _unresolved(
    desired: LocationDesired, resolver: Resolver, declared_company: Mapping[str, set[str]], company_read: bool
) -> list[str]:
    """References that match no live object and nothing the manifests declare: plan errors naming them.

    A reference may name a live object no manifest declares (a team member who is an existing user)."""
    errors = []
    declared_here: dict[str, set[str]] = {}
    for kind in LOCATION_KINDS:
        for entry in desired.of(kind.name):
            for found in kind.referenced(entry):
                target = BY_NAME[found.reference.target]
                if target.scope is Scope.COMPANY and not company_read:
                    continue  # not read in this run: nothing to resolve against
                key = target.reference_key(found.value)
                if resolver.knows(target.name, key):
                    continue
                if target.scope is Scope.COMPANY:
                    declared = declared_company.get(target.name, set())
                else:
                    if target.name not in declared_here:
                        declared_here[target.name] = {target.key(e) for e in desired.of(target.name)}
                    declared = declared_here[target.name]
                if key in declared:
                    continue
                errors.append(
                    f"{kind.label} {kind.display(entry)!r}: {found.reference.label} {found.value!r} matches no "
                    f"live {target.label} and no {target.label} the manifests declare"
                )
    return errors


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
    prune = prune and not kind.singleton  # a singleton is never deleted
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
                    result.renamed[old_key] = (entry, current)
                    break
        if current is None and kind.singleton:
            # One object per location that GHL always has (its profile): never created, only updated.
            result.errors.append(f"{kind.label} {kind.display(entry)!r} does not exist live; ghlops only updates it")
            continue
        if current is None:
            result.upserts.append(_create(kind, entry, resolver, location_id))
            continue
        claimed.add(kind.key(current.obj))
        changes = field_changes(kind, entry, current, resolver)
        unreadable = kind.unreadable(entry, current, managed_fields(entry))
        if unreadable:
            # Not readable: never the sole cause of an update, sent along with one (see Kind.not_readable).
            result.notes.extend(kind.unreadable_note(f) for f in unreadable)
            changes = tuple(c for c in changes if c.field not in unreadable)
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
                    creates=Ref(kind.name, key),
                    parent=_parent(kind, entry, resolver),
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
                requests=kind.update_requests(location_id, current, entry, _sent(changes, unreadable), resolver),
                reason=reason,
            )
        )
    # A singleton no manifest declares is simply not managed (every location has its profile): never reported.
    leftovers = sorted(
        (obj for key, obj in index.items() if key not in claimed and key not in desired_keys and not kind.singleton),
        key=lambda o: natural(kind.display(o.obj)),
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


def _still_referenced(
    target: Kind[Any],
    deletes: list[Change],
    desired: LocationDesired,
    live: LocationLive,
    results: Mapping[str, _KindResult],
    errors: list[str],
) -> list[Change]:
    """Deletes (prune) of objects other objects still name (a calendar group its calendars are in).

    A declared entry naming one is a plan error: the manifests contradict themselves. A live object naming one
    that the plan neither deletes nor moves (no manifest declares it, or its entry leaves that field alone) is a
    warning on the delete: GHL's delete leaves it behind without the object (calendars.json's DELETE
    /calendars/groups/{groupId} is the UI's "delete group only": its calendars stay, ungrouped; see
    ghlops/sandbox/routes/calendar_groups.py). Entries moving out of it need no more: their updates come before
    every delete in the plan, and the executor runs a kind's changes after those of the kinds referencing it."""
    doomed = {c.key: c for c in deletes}
    doomed_ids = {c.object_id: c for c in deletes if c.object_id}
    stays: dict[str, list[tuple[str, str]]] = {}
    for source in LOCATION_KINDS:
        refs = [r for r in source.references if r.target == target.name]
        id_fields = [f for f, t in source.id_references if t == target.name]
        if not refs and not id_fields:
            continue
        fields = {r.path[0] for r in refs} | set(id_fields)
        entries = {source.key(e): e for e in desired.of(source.name)}
        for entry in entries.values():
            for name in _names(source, entry, target, id_fields, doomed, doomed_ids):
                errors.append(
                    f"{source.label} {source.display(entry)!r}: {name}, which this plan deletes ({target.name} "
                    f"prune, and no manifest declares it): declare the {target.label} or name another"
                )
        result = results[source.name]
        renamed = {old: entry for old, (entry, _) in result.renamed.items()}
        gone = {c.object_id for c in result.deletes}
        for obj in live.of(source.name):
            key = source.key(obj.obj)
            entry = renamed.get(key) or entries.get(key)
            if obj.id in gone or (entry is not None and fields & set(entry.managed_fields())):
                continue  # deleted first, or its entry decides where it goes (checked above)
            for change_key in {c.key for c in _named(source, obj.obj, target, id_fields, doomed, doomed_ids)}:
                stays.setdefault(change_key, []).append((source.label, source.display(obj.obj)))
    kept = []
    for change in deletes:
        named = sorted(set(stays.get(change.key, ())), key=lambda n: (n[0], natural(n[1])))
        if named:
            shown = ", ".join(f"{label} {name!r}" for label, name in named)
            change = replace(change, warnings=(*change.warnings, f"still in it, and no manifest moves them: {shown}"))
        kept.append(change)
    return kept


def _named(
    source: Kind[Any],
    obj: Entry,
    target: Kind[Any],
    id_fields: Sequence[str],
    doomed: Mapping[str, Change],
    doomed_ids: Mapping[str, Change],
) -> list[Change]:
    """The deletes among ``doomed`` whose objects ``obj`` names, by natural key or by id."""
    found = [
        doomed[target.reference_key(f.value)]
        for f in source.referenced(obj)
        if f.reference.target == target.name and target.reference_key(f.value) in doomed
    ]
    found.extend(doomed_ids[i] for i in (_id_in(obj, f) for f in id_fields) if i in doomed_ids)
    return found


def _id_in(obj: Entry, field_name: str) -> str:
    value = getattr(obj, field_name, None)
    return value if isinstance(value, str) else ""


def _names(
    source: Kind[Any],
    entry: Entry,
    target: Kind[Any],
    id_fields: Sequence[str],
    doomed: Mapping[str, Change],
    doomed_ids: Mapping[str, Change],
) -> list[str]:
    """How a declared entry names objects the plan deletes, for messages: "group 'Surgery'"."""
    managed = set(entry.managed_fields())
    names = [
        f"{f.reference.label} {f.value!r}"
        for f in source.referenced(entry)
        if f.reference.target == target.name and f.path[0] in managed and target.reference_key(f.value) in doomed
    ]
    names.extend(
        f"{f} {_id_in(entry, f)!r} ({target.label} {doomed_ids[_id_in(entry, f)].display!r})"
        for f in id_fields
        if f in managed and _id_in(entry, f) in doomed_ids
    )
    return names


def _readopt(
    kind: Kind[Any], child: LiveObject[Any], renamed: Mapping[str, tuple[Entry, LiveObject[Any]]]
) -> LiveObject[Any]:
    """A live child of a parent renamed in place, as the child of the parent's entry (its key has the new name)."""
    key = kind.parent_key(child.obj)
    if key is None or key not in renamed:
        return child
    obj = child.obj.model_copy()
    kind.adopt_parent(obj, renamed[key][0])
    return replace(child, obj=obj)


def _sent(changes: Sequence[FieldChange], unreadable: Sequence[str]) -> list[str]:
    """The fields an update sends: those that changed, then the managed ones GHL doesn't return (their live value
    is unknown, and a read-modify-write of the others must not drop them)."""
    changed = [c.field for c in changes]
    return changed + [f for f in unreadable if f not in changed]


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
        creates=Ref(kind.name, kind.key(entry)),
        parent=_parent(kind, entry, resolver),
    )


def _parent(kind: Kind[Any], entry: Entry, resolver: Resolver) -> str | Ref | None:
    """A child's parent as its id when it exists live, else the ref its create fills."""
    if kind.parent is None:
        return None
    key = kind.parent_key(entry)
    return None if key is None else resolver.ref(kind.parent, key)
