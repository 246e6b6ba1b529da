"""The saved-plan steps plan, apply and show share: make one from a run, open one for apply (its manifests
unchanged, its plan re-derived and verified), merge the shards of a matrix run for show.

The plan file's format and its checks are :mod:`ghlops.plan.saved`; how a plan is written out is
:mod:`ghlops.output`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ghlops.errors import ConfigError, GhlopsError, PlanRefused
from ghlops.identity import whoami
from ghlops.impact import count_impact
from ghlops.manifest.discovery import discover
from ghlops.manifest.loader import Loaded, Manifests
from ghlops.plan.model import Plan, Section
from ghlops.plan.planner import Planner
from ghlops.plan.saved import (
    RUN_PLAN_AGAIN,
    CompanyUsers,
    Dependency,
    SavedPlan,
    Selection,
    check_version,
    company_users,
    dependencies_of,
    manifest_set,
    read_plan,
    stale_manifests,
    verify,
)
from ghlops.plan.saved import dependencies as location_dependencies
from ghlops.selection import Shard, in_shard
from ghlops.state import CompanyLive, LocationDesired, LocationLive
from ghlops.workflow import Settings, Snapshot, load, make_client, read_each, select


def make_saved_plan(
    paths: Sequence[str | Path],
    locations: Sequence[str],
    settings: Settings,
    shard: Shard | None = None,
    *,
    impact: bool = True,
) -> SavedPlan:
    """Load and select, read live state, plan (and count what its destructive changes cost in contacts, unless
    ``impact`` is off); keep what the plan depends on, so apply --plan can tell whether it still holds.

    Each location is planned, and what its plan depends on taken, as soon as it is read; its live objects are
    then let go (issue 15: the run holds the live state of the locations being read, not of all of them). The
    plan is build_plan's over the whole snapshot, the dependencies dependencies_of's."""
    manifests = load(paths, settings.env, keep_trees=False)
    selected = in_shard(select(manifests, locations), shard)
    planning = _PlanAsRead([item.desired for item in selected], settings)
    with make_client(settings, selected) as client:
        read_each(client, selected, settings, planning.start)
        result = planning.plan()
        if impact and not result.errors:  # a plan with errors is refused anyway
            result = count_impact(client, result, parallelism=settings.parallelism)
    return SavedPlan(
        plan=result,
        manifests=manifest_set(paths, manifests.files),
        depends=planning.depends(),
        selection=Selection(tuple(locations), str(shard) if shard else None),
    )


class _PlanAsRead:
    """make_saved_plan's planner: each location's section and dependencies, from its live state alone."""

    def __init__(self, desired: Sequence[LocationDesired], settings: Settings) -> None:
        self._desired = list(desired)
        self._settings = settings
        self._planner: Planner | None = None
        self._users: dict[str, CompanyUsers] = {}
        self._sections: list[Section | None] = [None] * len(self._desired)
        self._depends: list[tuple[Dependency, ...] | None] = [None] * len(self._desired)

    def start(self, companies: Mapping[str, CompanyLive]) -> Callable[[int, LocationLive], None]:
        """Once the companies are read: plan their sections; the function returned plans one location."""
        self._planner = Planner(self._desired, companies, self._settings.guard, whoami(self._settings.env))
        self._users = company_users(companies)
        return self._location

    def _location(self, index: int, live: LocationLive) -> None:
        assert self._planner is not None
        desired = self._desired[index]
        self._sections[index] = self._planner.location(desired, live)
        self._depends[index] = location_dependencies(desired, live, self._users.get(desired.company_id or ""))

    def plan(self) -> Plan:
        assert self._planner is not None
        sections = [s for s in self._sections if s is not None]
        if len(sections) != len(self._sections):  # pragma: no cover - a read that failed raised before this
            raise RuntimeError("a location was read but not planned")
        return self._planner.plan(sections)

    def depends(self) -> dict[str, tuple[Dependency, ...]]:
        return {d.location_id: deps for d, deps in zip(self._desired, self._depends, strict=True) if deps is not None}


def dependencies(snapshot: Snapshot) -> dict[str, tuple[Dependency, ...]]:
    """What each location's plan depends on (see ghlops.plan.saved.dependencies)."""
    return dependencies_of(snapshot.desired, snapshot.live, snapshot.companies)


def re_derive(saved: SavedPlan, snapshot: Snapshot, settings: Settings) -> Plan:
    """The plan apply --plan runs: made again from the manifests and live state just read, refused (PlanRefused)
    unless it is exactly the saved one (see ghlops.plan.saved.verify)."""
    return verify(saved, snapshot.desired, snapshot.live, snapshot.companies, whoami(settings.env))


def distinct_files(plan_files: Sequence[str]) -> None:
    """Refuse a plan file given twice (by the same path or another path to the same file)."""
    seen: dict[Path, str] = {}
    for name in plan_files:
        try:
            identity = Path(name).resolve()
        except (OSError, RuntimeError):
            identity = Path(name).absolute()
        if identity in seen:
            same = f"{name!r}" if seen[identity] == name else f"{name!r} (the same file as {seen[identity]!r})"
            raise ConfigError(f"plan file {same} is given twice; give each plan once")
        seen[identity] = name


def open_for_apply(
    plan_files: str | Sequence[str], paths: Sequence[str | Path], locations: Sequence[str], shard: str | None
) -> SavedPlan:
    """The saved plan apply --plan executes: one file, no PATH, --location or --shard of its own (the plan names
    them)."""
    files = [plan_files] if isinstance(plan_files, str) else list(plan_files)
    distinct_files(files)
    if len(files) != 1:
        raise ConfigError(f"apply takes one --plan FILE, got {len(files)}; apply each shard's plan in its own run")
    if paths or locations or shard:
        raise ConfigError(
            "apply --plan takes no PATH, --location or --shard: the plan names its manifests and locations"
        )
    saved = read_plan(files[0])
    check_version(saved)
    return saved


def unchanged_manifests(saved: SavedPlan) -> list[str]:
    """The plan's manifest paths, once their files are known to be the ones the plan was made from (before any
    API call: PlanRefused names each file changed, added or removed)."""
    paths = list(saved.manifests.paths)
    try:
        files = discover(paths)
    except GhlopsError as exc:
        first = (str(exc).splitlines() or [""])[0]
        first = first if first.isprintable() else repr(first)  # the paths come from the plan file
        raise ConfigError(
            f"cannot find the plan's manifests ({first}); run apply --plan in the directory plan ran in"
        ) from None
    stale = stale_manifests(saved, files)
    if stale:
        raise PlanRefused("\n".join([*stale, RUN_PLAN_AGAIN]))
    return paths


def select_saved(saved: SavedPlan, manifests: Manifests) -> list[Loaded]:
    """The manifests' locations the plan covers, by location id (the manifests are already known unchanged)."""
    wanted = {s.scope_id for s in saved.plan.locations}
    return [item for item in manifests.loaded if item.desired.location_id in wanted]


def merged(plans: Sequence[SavedPlan], names: Sequence[str] = ()) -> SavedPlan:
    """Several saved plans (the shards of one matrix run) as one, for show: sections side by side. A location
    in two of them is refused (it would be counted twice)."""
    if len(plans) == 1:
        return plans[0]
    first = plans[0]
    owner: dict[str, int] = {}
    for n, p in enumerate(plans):
        for s in p.plan.locations:
            if s.scope_id in owner:
                a, b = (names[i] if i < len(names) else f"plan {i + 1}" for i in (owner[s.scope_id], n))
                raise ConfigError(f"location {s.name!r} is in both {a} and {b}; show each location's plan once")
            owner[s.scope_id] = n
    sections = tuple(s for p in plans for s in p.plan.companies) + tuple(s for p in plans for s in p.plan.locations)
    depends: dict[str, tuple[Dependency, ...]] = {}
    for p in plans:
        depends.update(p.depends)
    shards = sorted({p.selection.shard for p in plans if p.selection.shard})
    return SavedPlan(
        plan=Plan(sections, first.plan.guard),
        manifests=first.manifests,
        depends=depends,
        selection=Selection(first.selection.locations, None if not shards else ", ".join(shards)),
        ghlops_version=first.ghlops_version,
        format_version=first.format_version,
    )
