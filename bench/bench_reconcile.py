"""Reconcile benchmark: plan then apply N locations x M objects against the sandbox with 50 ms latency.

    python bench/bench_reconcile.py                          # 200 x 60, parallel (8) and sequential (1)
    python bench/bench_reconcile.py --locations 20 --objects 30 --no-sequential   # a quick look
    python bench/bench_reconcile.py --auth oauth             # one agency OAuth credential for every location

The sandbox runs in a child process with GHL's rate limit on (100 requests / 10 s per location) and is seeded
(fast: no latency, through ghlops apply itself) with half of the locations drifted (see bench/workload.py).
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
import hashlib
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.memory import PeakMemory
from bench.sandbox_host import RequestStats, SandboxProcess
from bench.workload import LowerBound, Workload
from ghlops.apply import Executor
from ghlops.impact import count_impact
from ghlops.live import LiveReader
from ghlops.plan.render_text import render_plan
from ghlops.workflow import Settings, load, make_client, plan, read


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


@dataclass
class Run:
    parallelism: int
    load_s: float
    plan: Phase
    apply: Phase
    planned_writes: int
    converged: bool
    plan_digest: str


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", type=int, default=200)
    parser.add_argument("--objects", type=int, default=60, help="objects per location (all six kinds)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--no-sequential", action="store_true", help="skip the --parallelism 1 comparison")
    parser.add_argument("--seed-parallelism", type=int, default=16)
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
        seed_dir = workload.write(Path(tmp) / "seed", seed=True)
        limits = {"rate_limit_max": args.rate_limit_max, "rate_limit_window_s": args.rate_limit_window_s}
        with SandboxProcess(rate_limit=True, **limits) as sb:
            sb.create_locations(list(workload.locations_with_names()))
            measured_env = oauth_env(sb, Path(tmp)) if args.auth == "oauth" else None
            runs = [measure(sb, workload, desired_dir, seed_dir, args.parallelism, args, measured_env)]
            if not args.no_sequential and args.parallelism != 1:
                runs.append(measure(sb, workload, desired_dir, seed_dir, 1, args, measured_env))
    report(runs, bound, args)
    return 0 if all(r.converged for r in runs) else 1


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


def drift(sb: SandboxProcess, seed_dir: Path, parallelism: int, window_s: float) -> None:
    """Make the live state the drifted seed (creates on the first call, restores the drift on later ones)."""
    sb.set_faults(latency_ms=0, rate_limit=False)
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
    print(f"run at --parallelism {parallelism}:")
    drift(sb, seed_dir, args.seed_parallelism, args.rate_limit_window_s)
    sb.set_faults(latency_ms=args.latency_ms, rate_limit=True)
    settings = Settings(
        env=measured_env or sb.env,
        parallelism=parallelism,
        rate_limit_max=args.rate_limit_max,
        rate_limit_window_s=args.rate_limit_window_s,
    )
    memory = PeakMemory()

    started = time.perf_counter()
    manifests = load([desired_dir], settings.env)
    load_s = time.perf_counter() - started

    sb.clear_requests()
    memory.reset()
    mints, refreshes = sb.oauth_counters()
    started = time.perf_counter()
    with make_client(settings, manifests.loaded) as client:
        # As `ghlops plan` does: read, plan, then count the contacts the destructive changes cost.
        result = count_impact(client, plan(read(client, manifests.loaded, settings), settings), parallelism=parallelism)
        plan_s = time.perf_counter() - started
        plan_phase = Phase(plan_s, sb.stats(), client.stats.requests, client.stats.status_429, *memory.peak())
        now_mints, now_refreshes = sb.oauth_counters()
        plan_phase.mints, plan_phase.refreshes = now_mints - mints, now_refreshes - refreshes
        mints, refreshes = now_mints, now_refreshes
        print(f"  plan: {plan_s:.2f} s, {plan_phase.server.total:,} requests")
        planned_writes = sum(len(change.requests) for _, change in result.all_changes())
        text = render_plan(result)

        sb.clear_requests()
        client.reset_stats()
        memory.reset()
        started = time.perf_counter()
        report = Executor(client, LiveReader(client, parallelism=parallelism), parallelism=parallelism).apply(result)
        apply_s = time.perf_counter() - started
        apply_phase = Phase(apply_s, sb.stats(), client.stats.requests, client.stats.status_429, *memory.peak())
        now_mints, now_refreshes = sb.oauth_counters()
        apply_phase.mints, apply_phase.refreshes = now_mints - mints, now_refreshes - refreshes
        print(f"  apply: {apply_s:.2f} s, {apply_phase.server.total:,} requests, ok={report.ok}")

    sb.set_faults(latency_ms=0)
    check = Settings(env=sb.env, parallelism=args.seed_parallelism, rate_limit=False)
    sb.set_faults(rate_limit=False)
    with make_client(check, manifests.loaded) as client:
        converged = report.ok and not plan(read(client, manifests.loaded, check), check).has_changes
    print(f"  converged (a new plan shows no changes): {'yes' if converged else 'NO'}")
    return Run(
        parallelism=parallelism,
        load_s=load_s,
        plan=plan_phase,
        apply=apply_phase,
        planned_writes=planned_writes,
        converged=converged,
        plan_digest=hashlib.sha256(text.encode()).hexdigest()[:12],
    )


def report(runs: list[Run], bound: LowerBound, args: argparse.Namespace) -> None:
    latency = args.latency_ms / 1000
    first = runs[0]
    oauth = args.auth == "oauth"
    # One run (plan and apply share a client) refreshes once and mints once per location, all while planning.
    mint_bound = args.locations if oauth else 0
    refresh_bound = 1 if oauth else 0
    plan_bound = bound.reads + mint_bound + refresh_bound
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, values: list[str]) -> None:
        rows.append((label, values))

    row("parallelism", [str(r.parallelism) for r in runs])
    row("load manifests (CPU, not network)", [f"{r.load_s:.2f} s" for r in runs])
    row("plan: wall time (read + diff)", [f"{r.plan.wall_s:.2f} s" for r in runs])
    row("plan: requests (sandbox / client)", [f"{r.plan.server.total:,} / {r.plan.client_requests:,}" for r in runs])
    if oauth:
        row("plan: lower bound (reads + mints + refresh)", [f"{plan_bound:,}" for _ in runs])
    else:
        row("plan: lower bound", [f"{plan_bound:,}" for _ in runs])
    row("plan: requests / lower bound", [f"{r.plan.server.total / plan_bound:.3f}" for r in runs])
    row("plan: 429 responses", [str(r.plan.server.status_429) for r in runs])
    target = [1.5 * plan_bound / r.parallelism * latency for r in runs]
    row("plan: target 1.5 x (bound / parallelism x latency)", [f"{t:.2f} s" for t in target])
    row("plan: wall time / target", [f"{r.plan.wall_s / t:.2f}" for r, t in zip(runs, target, strict=True)])
    row("plan: requests per second", [f"{r.plan.server.total / r.plan.wall_s:.0f}" for r in runs])
    row("plan: peak RSS (growth)", [f"{r.plan.peak_rss_mb:.0f} MB (+{r.plan.growth_mb:.0f} MB)" for r in runs])
    row("apply: wall time", [f"{r.apply.wall_s:.2f} s" for r in runs])
    row("apply: requests (sandbox / client)", [f"{r.apply.server.total:,} / {r.apply.client_requests:,}" for r in runs])
    row("apply: lower bound (one per change)", [f"{bound.writes:,}" for _ in runs])
    row("apply: requests / lower bound", [f"{r.apply.server.total / bound.writes:.3f}" for r in runs])
    row("apply: writes the plan holds", [f"{r.planned_writes:,}" for r in runs])
    row("apply: 429 responses", [str(r.apply.server.status_429) for r in runs])
    row("apply: bound / parallelism x latency", [f"{bound.writes / r.parallelism * latency:.2f} s" for r in runs])
    row("apply: peak RSS (growth)", [f"{r.apply.peak_rss_mb:.0f} MB (+{r.apply.growth_mb:.0f} MB)" for r in runs])
    if oauth:
        row("oauth: mints (plan + apply)", [f"{r.plan.mints:,} + {r.apply.mints:,}" for r in runs])
        row("oauth: mints lower bound (one per location)", [f"{mint_bound:,}" for _ in runs])
        row("oauth: mints / lower bound", [f"{(r.plan.mints + r.apply.mints) / mint_bound:.3f}" for r in runs])
        row("oauth: refreshes (plan + apply)", [f"{r.plan.refreshes} + {r.apply.refreshes}" for r in runs])
        row("oauth: refreshes lower bound (one per run)", [str(refresh_bound) for _ in runs])
        # Mints are agency calls: GHL's window per company (max requests per window) paces them.
        floor = max(0, math.ceil(args.locations / args.rate_limit_max) - 1) * args.rate_limit_window_s
        row("oauth: minting floor (agency rate-limit windows)", [f"{floor:.2f} s" for _ in runs])
        row(
            "oauth: refreshes / lower bound",
            [f"{(r.plan.refreshes + r.apply.refreshes) / refresh_bound:.3f}" for r in runs],
        )
    row("converged", ["yes" if r.converged else "NO" for r in runs])
    row("plan output digest", [r.plan_digest for r in runs])
    width = max(len(label) for label, _ in rows) + 2
    print()
    for label, values in rows:
        print(label.ljust(width) + "".join(v.rjust(22) for v in values))
    if len(runs) == 2:
        seq = runs[1]
        print()
        print(f"speed-up over --parallelism 1: plan {seq.plan.wall_s / first.plan.wall_s:.1f}x, "
              f"apply {seq.apply.wall_s / first.apply.wall_s:.1f}x, "
              f"plan + apply {(seq.plan.wall_s + seq.apply.wall_s) / (first.plan.wall_s + first.apply.wall_s):.1f}x; "
              f"plan output identical: {'yes' if seq.plan_digest == first.plan_digest else 'NO'}")  # fmt: skip
    print()
    no_429 = all(r.plan.server.status_429 + r.apply.server.status_429 == 0 for r in runs)
    print(
        f"targets: requests == lower bound: plan {'met' if first.plan.server.total == plan_bound else 'MISSED'}, "
        f"apply {'met' if first.apply.server.total == bound.writes else 'MISSED'}; 0 429s: "
        f"{'met' if no_429 else 'MISSED'}; plan within 1.5x of bound / parallelism x latency: "
        f"{'met' if first.plan.wall_s <= target[0] else 'MISSED'}"
    )
    if oauth:
        exact = all(
            (r.plan.mints + r.apply.mints, r.plan.refreshes + r.apply.refreshes) == (mint_bound, refresh_bound)
            for r in runs
        )
        print(
            f"oauth targets: mints == {mint_bound} and refreshes == {refresh_bound} in every run: "
            f"{'met' if exact else 'MISSED'}"
        )


if __name__ == "__main__":
    sys.exit(main())
