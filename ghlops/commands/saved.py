"""What plan, apply and show share about saved plans and output formats (kept out of the command modules)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ghlops.commands.io import Io
from ghlops.errors import ConfigError, GhlopsError, PlanRefused
from ghlops.impact import count_impact
from ghlops.manifest.loader import Loaded, Manifests
from ghlops.manifest.yaml_io import discover
from ghlops.plan.model import Plan
from ghlops.plan.render_json import render_json
from ghlops.plan.render_markdown import render_markdown
from ghlops.plan.render_text import render_plan
from ghlops.plan.saved import (
    STALE_MANIFESTS,
    SavedPlan,
    Selection,
    check_version,
    live_digest,
    manifest_set,
    read_plan,
)
from ghlops.selection import Shard, in_shard
from ghlops.workflow import Settings, Snapshot, load, make_client, plan, read, select

FORMATS = ("text", "json", "markdown")
STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def make_saved_plan(
    paths: Sequence[str | Path],
    locations: Sequence[str],
    settings: Settings,
    shard: Shard | None = None,
    *,
    impact: bool = True,
) -> SavedPlan:
    """Load and select, read live state, plan (and count what its destructive changes cost in contacts, unless
    ``impact`` is off); keep the digests that let apply --plan check staleness."""
    manifests = load(paths, settings.env)
    selected = in_shard(select(manifests, locations), shard)
    with make_client(settings, selected) as client:
        snapshot = read(client, selected, settings)
        result = plan(snapshot, settings)
        if impact and not result.errors:  # a plan with errors is refused anyway
            result = count_impact(client, result, parallelism=settings.parallelism)
    return SavedPlan(
        plan=result,
        manifests=manifest_set(paths, manifests.files),
        live=digests(snapshot),
        selection=Selection(tuple(locations), str(shard) if shard else None),
    )


def digests(snapshot: Snapshot) -> dict[str, str]:
    """The live digest of every location read (see ghlops.plan.saved.live_digest)."""
    return {
        item.desired.location_id: live_digest(
            item.desired,
            snapshot.live[item.desired.location_id],
            snapshot.companies.get(item.desired.company_id or ""),
        )
        for item in snapshot.selected
    }


def title(saved: SavedPlan) -> str:
    return "ghlops plan" + (f" (shard {saved.selection.shard})" if saved.selection.shard else "")


def render(saved: SavedPlan, fmt: str, *, colour: bool = False) -> str:
    if fmt == "json":
        return render_json(saved)
    if fmt == "markdown":
        return render_markdown(saved.plan, title=title(saved)).rstrip("\n")
    if fmt == "text":
        return render_plan(saved.plan, colour=colour)
    raise ConfigError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")


def publish_step_summary(saved: SavedPlan, env: Mapping[str, str], io: Io) -> None:
    """In GitHub Actions, append the markdown plan to the job summary (a warning, never a failure, if it can't)."""
    target = env.get(STEP_SUMMARY_ENV)
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as summary:
            summary.write(render_markdown(saved.plan, title=title(saved)) + "\n")
    except OSError as exc:
        io.err(f"warning: cannot append the plan to {STEP_SUMMARY_ENV} ({target}): {exc.strerror or exc}")


def open_for_apply(
    plan_file: str, paths: Sequence[str | Path], locations: Sequence[str], shard: str | None
) -> SavedPlan:
    """The saved plan apply --plan executes: no PATH, --location or --shard of its own (the plan names them)."""
    if paths or locations or shard:
        raise ConfigError(
            "apply --plan takes no PATH, --location or --shard: the plan names its manifests and locations"
        )
    saved = read_plan(plan_file)
    check_version(saved)
    return saved


def unchanged_manifests(saved: SavedPlan) -> list[str]:
    """The plan's manifest paths, once their files are known to be the ones the plan was made from."""
    paths = list(saved.manifests.paths)
    try:
        now = manifest_set(paths, discover(paths))
    except GhlopsError as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(
            f"cannot find the plan's manifests ({first}); run apply --plan in the directory plan ran in"
        ) from None
    if now.digest != saved.manifests.digest:
        raise PlanRefused(STALE_MANIFESTS)
    return paths


def select_saved(saved: SavedPlan, manifests: Manifests) -> list[Loaded]:
    """The manifests' locations the plan covers, by location id (the manifests are already known unchanged)."""
    wanted = {s.scope_id for s in saved.plan.locations}
    return [item for item in manifests.loaded if item.desired.location_id in wanted]


def merged(plans: Sequence[SavedPlan]) -> SavedPlan:
    """Several saved plans (the shards of one matrix run) as one, for show: sections and digests side by side."""
    if len(plans) == 1:
        return plans[0]
    first = plans[0]
    sections = tuple(s for p in plans for s in p.plan.companies) + tuple(s for p in plans for s in p.plan.locations)
    live: dict[str, str] = {}
    for p in plans:
        live.update(p.live)
    shards = sorted({p.selection.shard for p in plans if p.selection.shard})
    return SavedPlan(
        plan=Plan(sections, first.plan.guard),
        manifests=first.manifests,
        live=live,
        selection=Selection(first.selection.locations, None if not shards else ", ".join(shards)),
        ghlops_version=first.ghlops_version,
        format_version=first.format_version,
    )
