"""Reconcile benchmark: plan then apply N locations x M objects against the sandbox with 50 ms latency.

    python bench/bench_reconcile.py                          # 200 x 60, parallel (8) and sequential (1)
    python bench/bench_reconcile.py --locations 20 --objects 30 --no-sequential   # a quick look
    python bench/bench_reconcile.py --auth oauth             # one agency OAuth credential for every location

The sandbox runs in a child process with GHL's rate limit on (100 requests / 10 s per location) and is seeded
with half of the locations drifted (see bench/workload.py): by default straight into its store, in its own
process (ghlops.sandbox.seed: ghlops's reader, planner and executor with each call handed to the sandbox's
pipeline, no HTTP; 1,000 x 60 in well under a minute); ``--seed-http`` seeds through ghlops apply over HTTP
instead (no latency; minutes at 1,000 locations), as before.
Then, with the latency on, ghlops plans and applies at ``--parallelism``, and again at parallelism 1 after the
drift is restored. For each run it prints the wall times, the requests the sandbox received against the lower
bound (one list call per kind per location, plus pages, plus one price list per live product, plus the users
search once for the company; one write per change), the 429s, and the client process's peak memory. Not a
test: timings depend on the machine; the request counts do not.

``--auth token-map`` (the default) gives each location its own token in ``GHL_LOCATION_TOKENS``. ``--auth oauth``
gives the measured runs only what an agency's CI holds: the OAuth app's client id and secret and a refresh-token
file (plus ``GHL_COMPANY_ID``, not a secret, for users). Each run (plan and apply share one client) then
refreshes the agency token once and mints one location token per location: the lower bound adds one refresh
and N mints to the plan's requests, and the report prints the sandbox's mint and refresh counters against it.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ghlops.commands.apply as apply_module
from bench.memory import PeakMemory
from bench.sandbox_host import RequestStats, SandboxProcess
from bench.workload import LowerBound, Workload
from ghlops.apply import Executor
from ghlops.commands.apply import apply_command
from ghlops.commands.plan import plan_command
from ghlops.ghl import GHLClient
from ghlops.impact import count_impact
from ghlops.live import LiveReader
from ghlops.output import Io
from ghlops.plan.render_text import render_plan
from ghlops.workflow import Settings, calls_in_flight, load, make_client, plan, read


@dataclass
class Phase:
    wall_s: float
    server: RequestStats
    client_requests: int
    client_429: int
    peak_rss_mb: float
    growth_mb: float
    mints: int = 0  # location tokens the sandbox minted during the phase
    refreshes: int = 0  # agency token refreshes the sandbox granted during the phase
    connections: int = 0  # network connections the client opened (ClientStats.connections_opened)


@dataclass
class Run:
    parallelism: int
    load_s: float
    reads_s: float  # the live reads alone, inside the plan phase
    plan: Phase
    apply: Phase
    planned_writes: int
    converged: bool
    plan_digest: str
    apply_code: int = 0
    plan_out_s: float = 0.0  # `ghlops plan --out` end to end (load, reads, diff, impact, render, file)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", type=int, default=200)
    parser.add_argument("--objects", type=int, default=60, help="objects per location (all six kinds)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--no-sequential", action="store_true", help="skip the --parallelism 1 comparison")
    parser.add_argument("--runs", type=int, default=1, help="measured runs per parallelism; medians are printed")
    parser.add_argument("--seed-parallelism", type=int, default=16, help="with --seed-http, and the convergence check")
    parser.add_argument(
        "--seed-http", action="store_true", help="seed through ghlops apply over HTTP (slow) instead of in-process"
    )
    parser.add_argument("--rate-limit-max", type=int, default=100, help="per location, sandbox and client alike")
    parser.add_argument("--rate-limit-window-s", type=float, default=10.0, help="GHL's is 10 s")
    parser.add_argument(
        "--auth",
        choices=("token-map", "oauth"),
        default="token-map",
        help="token-map: one token per location; oauth: one agency OAuth credential, location tokens minted",
    )
    args = parser.parse_args(argv)

    workload = Workload(args.locations, args.objects)
    bound = workload.lower_bound()
    shape = workload.shape
    print(
        f"ghlops reconcile benchmark: {args.locations} locations x {shape.total} objects "
        f"({args.locations * shape.total:,} objects; {shape}), users from a pool of {workload.pool_size}; "
        f"{sum(1 for i in range(args.locations) if workload.drifted(i))} locations drifted; "
        f"sandbox latency {args.latency_ms:g} ms, rate limit {args.rate_limit_max} requests / "
        f"{args.rate_limit_window_s:g} s per location; credentials: "
        + ("one agency OAuth app (client id, secret, refresh-token file)" if args.auth == "oauth" else "token map")
    )
    with tempfile.TemporaryDirectory(prefix="ghlops-bench-") as tmp:
        desired_dir = workload.write(Path(tmp) / "desired", seed=False)
        seed_dir = workload.write(Path(tmp) / "seed", seed=True) if args.seed_http else Path(tmp) / "seed"
        limits = {"rate_limit_max": args.rate_limit_max, "rate_limit_window_s": args.rate_limit_window_s}
        with SandboxProcess(rate_limit=True, **limits) as sb:
            sb.create_locations(list(workload.locations_with_names()))
            measured_env = oauth_env(sb, Path(tmp)) if args.auth == "oauth" else None
            levels = [args.parallelism] + ([1] if not args.no_sequential and args.parallelism != 1 else [])
            repeated = [
                [measure(sb, workload, desired_dir, seed_dir, level, args, measured_env) for _ in range(args.runs)]
                for level in levels
            ]
    runs = [median_run(group) for group in repeated]
    report(runs, bound, args, repeated)
    return 0 if all(r.converged and r.apply_code == 0 for group in repeated for r in group) else 1


def median_run(group: list[Run]) -> Run:
    """The runs' medians of every time and memory figure; counts from the run whose apply time is the median."""
    ordered = sorted(group, key=lambda r: r.apply.wall_s)
    middle = ordered[len(ordered) // 2]

    def phase(pick: str) -> Phase:
        phases = [getattr(r, pick) for r in group]
        base: Phase = getattr(middle, pick)
        return replace(
            base,
            wall_s=statistics.median(p.wall_s for p in phases),
            peak_rss_mb=statistics.median(p.peak_rss_mb for p in phases),
            growth_mb=statistics.median(p.growth_mb for p in phases),
        )

    return replace(
        middle,
        load_s=statistics.median(r.load_s for r in group),
        reads_s=statistics.median(r.reads_s for r in group),
        plan_out_s=statistics.median(r.plan_out_s for r in group),
        plan=phase("plan"),
        apply=phase("apply"),
        converged=all(r.converged for r in group),
        apply_code=max(r.apply_code for r in group),
    )


def oauth_env(sb: SandboxProcess, tmp: Path) -> dict[str, str]:
    """Only the agency OAuth app's credentials: the refresh-token file is shared by the runs, as in CI, so the
    second run refreshes from the token the first one rotated into it."""
    client_id, client_secret, refresh_token = sb.oauth_client()
    refresh_file = tmp / "refresh-token"
    refresh_file.write_text(refresh_token + "\n")
    refresh_file.chmod(0o600)
    return {
        "GHL_BASE_URL": sb.env["GHL_BASE_URL"],
        "GHL_COMPANY_ID": sb.env["GHL_COMPANY_ID"],
        "GHL_OAUTH_CLIENT_ID": client_id,
        "GHL_OAUTH_CLIENT_SECRET": client_secret,
        "GHL_OAUTH_REFRESH_TOKEN_FILE": str(refresh_file),
        "GHLOPS_CREDENTIALS_FILE": str(tmp / "no-credentials-store.json"),
    }


def drift(sb: SandboxProcess, workload: Workload, seed_dir: Path, args: argparse.Namespace) -> None:
    """Make the live state the drifted seed (creates on the first call, restores the drift on later ones)."""
    sb.set_faults(latency_ms=0, rate_limit=False)
    if not args.seed_http:
        calls, seconds = sb.seed_workload(workload.locations, workload.objects)
        # seed_workload empties the rate-limit windows: no wait before measuring.
        print(f"  seeded the drift in the sandbox's process: {calls:,} calls in {seconds:.1f} s (not measured)")
        return
    parallelism, window_s = args.seed_parallelism, args.rate_limit_window_s
    started = time.perf_counter()
    settings = Settings(env=sb.env, parallelism=parallelism, rate_limit=False)
    manifests = load([seed_dir], settings.env)
    with make_client(settings, manifests.loaded) as client:
        result = plan(read(client, manifests.loaded, settings), settings)
        if result.errors:
            raise SystemExit("seeding failed: " + "; ".join(result.errors))
        report = Executor(client, LiveReader(client, parallelism=parallelism), parallelism=parallelism).apply(result)
        requests = client.stats.requests
    if not report.ok:
        raise SystemExit(f"seeding failed: {report.failed[0].section}: {report.failed[0].error}")
    print(f"  seeded the drift: {requests:,} requests in {time.perf_counter() - started:.1f} s (not measured)")
    # The sandbox counts every request in its windows, enforced or not: let them empty before measuring.
    print(f"  waiting {window_s:g} s for the rate-limit windows to empty")
    time.sleep(window_s)


def measure(
    sb: SandboxProcess,
    workload: Workload,
    desired_dir: Path,
    seed_dir: Path,
    parallelism: int,
    args: argparse.Namespace,
    measured_env: dict[str, str] | None = None,
) -> Run:
    """One run: ``ghlops plan`` (read, diff, impact counts) on one client, then ``ghlops apply --auto-approve``
    end to end (load, read, plan, leases, re-read under the leases, writes, release) as the CLI runs it."""
    print(f"run at --parallelism {parallelism}:")
    drift(sb, workload, seed_dir, args)
    sb.set_faults(latency_ms=args.latency_ms, rate_limit=True)
    settings = Settings(
        env=measured_env or sb.env,
        parallelism=parallelism,
        rate_limit_max=args.rate_limit_max,
        rate_limit_window_s=args.rate_limit_window_s,
    )
    memory = PeakMemory()
    gc.collect()

    started = time.perf_counter()
    manifests = load([desired_dir], settings.env)
    load_s = time.perf_counter() - started

    sb.clear_requests()
    memory.reset()
    mints, refreshes = sb.oauth_counters()
    started = time.perf_counter()
    with make_client(settings, manifests.loaded) as client:
        # As `ghlops plan` does: read, plan, then count the contacts the destructive changes cost.
        snapshot = read(client, manifests.loaded, settings)
        reads_s = time.perf_counter() - started
        result = count_impact(client, plan(snapshot, settings), parallelism=parallelism)
        plan_s = time.perf_counter() - started
        plan_phase = Phase(plan_s, sb.stats(), client.stats.requests, client.stats.status_429, *memory.peak())
        plan_phase.connections = client.stats.connections_opened
        now_mints, now_refreshes = sb.oauth_counters()
        plan_phase.mints, plan_phase.refreshes = now_mints - mints, now_refreshes - refreshes
        mints, refreshes = now_mints, now_refreshes
        print(f"  plan: {plan_s:.2f} s (reads {reads_s:.2f} s), {plan_phase.server.total:,} requests")
        planned_writes = sum(len(change.requests) for _, change in result.all_changes())
        text = render_plan(result)
    del snapshot, result

    # `ghlops plan --out` end to end, as the CLI runs it: load, read, diff, impact counts, render, the plan file
    # written. Nothing is written to GHL.
    with tempfile.TemporaryDirectory(prefix="ghlops-bench-plan-") as out_dir:
        started = time.perf_counter()
        out_code = plan_command(
            [desired_dir],
            locations=(),
            detailed_exitcode=False,
            settings=settings,
            io=Io(out=lambda _l: None),
            out=str(Path(out_dir) / "plan.json"),
        )
        plan_out_s = time.perf_counter() - started
    print(f"  plan --out end to end: {plan_out_s:.2f} s, exit {out_code}")
    mints, refreshes = sb.oauth_counters()  # its own client minted and refreshed too: not apply's

    sb.clear_requests()
    memory.reset()
    clients: list[GHLClient] = []
    started = time.perf_counter()
    with capture_client(clients):
        code = apply_command(
            [desired_dir],
            locations=(),
            auto_approve=True,
            settings=settings,
            io=Io(out=lambda _l: None),
            # The drift changes the same objects in half the locations, by design: the mass-update guard would hold it.
            allow_mass_update=True,
        )
    apply_s = time.perf_counter() - started
    (client,) = clients
    apply_phase = Phase(apply_s, sb.stats(), client.stats.requests, client.stats.status_429, *memory.peak())
    apply_phase.connections = client.stats.connections_opened
    now_mints, now_refreshes = sb.oauth_counters()
    apply_phase.mints, apply_phase.refreshes = now_mints - mints, now_refreshes - refreshes
    print(f"  apply: {apply_s:.2f} s, {apply_phase.server.total:,} requests, exit {code}")

    sb.set_faults(latency_ms=0)
    check = Settings(env=sb.env, parallelism=args.seed_parallelism, rate_limit=False)
    sb.set_faults(rate_limit=False)
    with make_client(check, manifests.loaded) as client:
        converged = code == 0 and not plan(read(client, manifests.loaded, check), check).has_changes
    print(f"  converged (a new plan shows no changes): {'yes' if converged else 'NO'}")
    return Run(
        parallelism=parallelism,
        load_s=load_s,
        reads_s=reads_s,
        plan=plan_phase,
        apply=apply_phase,
        planned_writes=planned_writes,
        converged=converged,
        plan_digest=hashlib.sha256(text.encode()).hexdigest()[:12],
        apply_code=code,
        plan_out_s=plan_out_s,
    )


@contextmanager
def capture_client(into: list[GHLClient]) -> Iterator[None]:
    """Keep the client `ghlops apply` makes, to read its statistics (connections opened, 429s) afterwards."""
    namespace = vars(apply_module)  # patched where `ghlops apply` looks the function up
    original = namespace["make_client"]

    def making(settings: Settings, selected: Any) -> GHLClient:
        client: GHLClient = original(settings, selected)
        into.append(client)
        return client

    namespace["make_client"] = making
    try:
        yield
    finally:
        namespace["make_client"] = original


@dataclass(frozen=True)
class Floors:
    """Zero-CPU wall times for the lower bound's requests at the sandbox's latency, with the calls in flight
    ghlops keeps (workflow.calls_in_flight: parallelism x 4; one at --parallelism 1): every call takes exactly the
    latency and a free worker starts the next at once."""

    reads: float
    plan: float
    apply: float

    # Calls that must follow one another whatever the width: the users search, a location's first list, its other
    # lists, its price lists (reads); the lease's POST and GET, the re-read, a user's write, a product then its
    # price, the lease's DELETE (apply). Only small runs ever meet this; at scale the request budget decides.
    READ_DEPTH = 4
    APPLY_DEPTH = READ_DEPTH + 2 + READ_DEPTH + 1 + 2 + 1

    @staticmethod
    def of(bound: LowerBound, parallelism: int, latency_s: float) -> Floors:
        width = calls_in_flight(parallelism)
        reads = max((bound.reads - bound.impact) / width, Floors.READ_DEPTH) * latency_s
        plan_floor = max(bound.reads / width, Floors.READ_DEPTH + (1 if bound.impact else 0)) * latency_s
        # Users are written first, one call each, `parallelism` at once; everything else `width` at once.
        rest = bound.apply_total - bound.user_writes
        apply_floor = max(rest / width + bound.user_writes / max(1, parallelism), Floors.APPLY_DEPTH) * latency_s
        return Floors(reads, plan_floor, apply_floor)


def report(runs: list[Run], bound: LowerBound, args: argparse.Namespace, repeated: list[list[Run]]) -> None:
    latency = args.latency_ms / 1000
    first = runs[0]
    oauth = args.auth == "oauth"
    # Each command's client (plan's, apply's) refreshes once and mints once per location, all while reading.
    mint_bound = args.locations if oauth else 0
    refresh_bound = 1 if oauth else 0
    plan_bound = bound.reads + mint_bound + refresh_bound
    apply_bound = bound.apply_total + mint_bound + refresh_bound
    floors = [Floors.of(bound, r.parallelism, latency) for r in runs]
    per_location = 1024 / max(1, args.locations)  # MB -> KB per location
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, values: list[str]) -> None:
        rows.append((label, values))

    def spread(pick: Any) -> list[str]:
        return [f"{min(map(pick, g)):.2f}-{max(map(pick, g)):.2f} s" for g in repeated]

    row("parallelism", [str(r.parallelism) for r in runs])
    row("calls in flight (parallelism x 4)", [str(calls_in_flight(r.parallelism)) for r in runs])
    row("runs (medians below)", [str(len(g)) for g in repeated])
    row("load manifests (CPU, not network)", [f"{r.load_s:.2f} s" for r in runs])
    row("reads: wall time", [f"{r.reads_s:.2f} s" for r in runs])
    row("reads: range over the runs", spread(lambda r: r.reads_s))
    row("reads: floor", [f"{f.reads:.2f} s" for f in floors])
    row("reads: wall time / floor", [f"{r.reads_s / f.reads:.2f}" for r, f in zip(runs, floors, strict=True)])
    row("plan: wall time (read + diff)", [f"{r.plan.wall_s:.2f} s" for r in runs])
    row("plan: range over the runs", spread(lambda r: r.plan.wall_s))
    row("plan: floor", [f"{f.plan:.2f} s" for f in floors])
    row("plan: wall time / floor", [f"{r.plan.wall_s / f.plan:.2f}" for r, f in zip(runs, floors, strict=True)])
    row("plan --out end to end (load + plan + file)", [f"{r.plan_out_s:.2f} s" for r in runs])
    row("plan --out: range over the runs", spread(lambda r: r.plan_out_s))
    row("plan --out: wall time / plan floor",
        [f"{r.plan_out_s / f.plan:.2f}" for r, f in zip(runs, floors, strict=True)])  # fmt: skip
    row("plan: requests (sandbox / client)", [f"{r.plan.server.total:,} / {r.plan.client_requests:,}" for r in runs])
    if oauth:
        row("plan: lower bound (reads + mints + refresh)", [f"{plan_bound:,}" for _ in runs])
    else:
        row("plan: lower bound", [f"{plan_bound:,}" for _ in runs])
    row("plan: requests / lower bound", [f"{r.plan.server.total / plan_bound:.3f}" for r in runs])
    row("plan: 429 responses", [str(r.plan.server.status_429) for r in runs])
    row("plan: new connections / calls in flight",
        [f"{r.plan.connections} / {calls_in_flight(r.parallelism)}" for r in runs])  # fmt: skip
    row("plan: requests per second", [f"{r.plan.server.total / r.plan.wall_s:.0f}" for r in runs])
    row("plan: peak RSS (growth)", [f"{r.plan.peak_rss_mb:.0f} MB (+{r.plan.growth_mb:.0f} MB)" for r in runs])
    row("plan: growth per location", [f"{r.plan.growth_mb * per_location:.0f} KB" for r in runs])
    row("apply: wall time (ghlops apply, end to end)", [f"{r.apply.wall_s:.2f} s" for r in runs])
    row("apply: range over the runs", spread(lambda r: r.apply.wall_s))
    row("apply: floor", [f"{f.apply:.2f} s" for f in floors])
    row("apply: wall time / floor", [f"{r.apply.wall_s / f.apply:.2f}" for r, f in zip(runs, floors, strict=True)])
    # apply loads the manifests itself: the same CPU work as "load manifests" above, with no network in it.
    row("apply: less the manifest load / floor",
        [f"{(r.apply.wall_s - r.load_s) / f.apply:.2f}" for r, f in zip(runs, floors, strict=True)])  # fmt: skip
    row("apply: requests (sandbox / client)", [f"{r.apply.server.total:,} / {r.apply.client_requests:,}" for r in runs])
    row(
        "apply: lower bound (reads + leases + re-read + writes)",
        [f"{apply_bound:,} = {bound.reads:,} + {bound.leases:,} + {bound.reread:,} + {bound.writes:,}" for _ in runs],
    )
    row("apply: requests / lower bound", [f"{r.apply.server.total / apply_bound:.3f}" for r in runs])
    row("apply: writes the plan holds (lower bound)", [f"{r.planned_writes:,} ({bound.writes:,})" for r in runs])
    row("apply: 429 responses", [str(r.apply.server.status_429) for r in runs])
    row("apply: new connections / calls in flight",
        [f"{r.apply.connections} / {calls_in_flight(r.parallelism)}" for r in runs])  # fmt: skip
    row("apply: peak RSS (growth)", [f"{r.apply.peak_rss_mb:.0f} MB (+{r.apply.growth_mb:.0f} MB)" for r in runs])
    row("apply: growth per location", [f"{r.apply.growth_mb * per_location:.0f} KB" for r in runs])
    if oauth:
        row("oauth: mints (plan + apply)", [f"{r.plan.mints:,} + {r.apply.mints:,}" for r in runs])
        row("oauth: mints lower bound (one per location)", [f"{mint_bound:,}" for _ in runs])
        row("oauth: mints / lower bound", [f"{r.plan.mints / mint_bound:.3f} + {r.apply.mints / mint_bound:.3f}"
                                           for r in runs])  # fmt: skip
        row("oauth: refreshes (plan + apply)", [f"{r.plan.refreshes} + {r.apply.refreshes}" for r in runs])
        row("oauth: refreshes lower bound (one per command)", [str(refresh_bound) for _ in runs])
        # Mints are agency calls: GHL's window per company (max requests per window) paces them.
        floor = max(0, math.ceil(args.locations / args.rate_limit_max) - 1) * args.rate_limit_window_s
        row("oauth: minting floor (agency rate-limit windows)", [f"{floor:.2f} s" for _ in runs])
    row("converged", ["yes" if r.converged else "NO" for r in runs])
    row("plan output digest", [r.plan_digest for r in runs])
    width = max(len(label) for label, _ in rows) + 2
    print()
    for label, values in rows:
        print(label.ljust(width) + "".join(v.rjust(24) for v in values))
    if len(runs) == 2:
        seq = runs[1]
        print()
        print(f"speed-up over --parallelism 1: plan {seq.plan.wall_s / first.plan.wall_s:.1f}x, "
              f"apply {seq.apply.wall_s / first.apply.wall_s:.1f}x, "
              f"plan + apply {(seq.plan.wall_s + seq.apply.wall_s) / (first.plan.wall_s + first.apply.wall_s):.1f}x; "
              f"plan output identical: {'yes' if seq.plan_digest == first.plan_digest else 'NO'}")  # fmt: skip
    print()
    print(
        "memory: growth over the RSS at the start of each phase, in this process, after earlier phases ran in it: "
        "freed memory is reused, so a small growth can understate a phase's need (bench/bench_memory.py measures "
        "ghlops plan --out in a fresh process per size; bench/bench_planner.py --fresh the planner and digest)"
    )
    every = [r for g in repeated for r in g]
    no_429 = all(r.plan.server.status_429 + r.apply.server.status_429 == 0 for r in every)
    plan_exact = all(r.plan.server.total == plan_bound for r in every)
    apply_exact = all(r.apply.server.total == apply_bound for r in every)
    print(
        f"targets: requests == lower bound: plan {'met' if plan_exact else 'MISSED'}, "
        f"apply {'met' if apply_exact else 'MISSED'}; 0 429s: {'met' if no_429 else 'MISSED'}"
    )
    fl = floors[0]

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    connections = all(max(r.plan.connections, r.apply.connections) <= calls_in_flight(r.parallelism) for r in every)
    print(
        f"issue 15 targets at --parallelism {first.parallelism} (medians): reads within 1.15x of their floor: "
        f"{verdict(first.reads_s <= 1.15 * fl.reads)} ({first.reads_s / fl.reads:.2f}x); plan --out end to end "
        f"within 1.3x: {verdict(first.plan_out_s <= 1.3 * fl.plan)} ({first.plan_out_s / fl.plan:.2f}x; read + "
        f"diff alone {first.plan.wall_s / fl.plan:.2f}x); apply within 1.5x: "
        f"{verdict(first.apply.wall_s <= 1.5 * fl.apply)} ({first.apply.wall_s / fl.apply:.2f}x); new connections "
        f"<= calls in flight: {verdict(connections)}; plan memory per location: not measured here (this "
        f"process reuses what seeding freed): bench/bench_memory.py"
    )
    if oauth:
        exact = all(
            (r.plan.mints, r.plan.refreshes, r.apply.mints, r.apply.refreshes) == (mint_bound, refresh_bound) * 2
            for r in every
        )
        print(
            f"oauth targets: mints == {mint_bound} and refreshes == {refresh_bound} per command: "
            f"{'met' if exact else 'MISSED'}"
        )


if __name__ == "__main__":
    sys.exit(main())
