"""Pure planner benchmark: build_plan on already-fetched state, no HTTP, no YAML.

    python bench/bench_planner.py                                  # 250, 500 and 1,000 locations x 200 objects
    python bench/bench_planner.py --locations 20,40 --objects 30   # a quick look
    python bench/bench_planner.py --fresh                          # planner + saved-plan digest, 250..4,000 x 60

``--fresh`` runs each size in a fresh Python process and measures what ``plan --out`` adds to the pure
planner: the saved plan's digest (ghlops.plan.saved.dependencies_of: what each location's plan depends on)
and the plan file's text (render_json). Per size it prints the CPU time of each (best of ``--repeat``, ms per
location) and the memory they take beyond their inputs: the peak RSS growth of the process while they run
(VmHWM reset just before) and tracemalloc's peak in a separate run, both in KB per location, plus the
inputs' own memory (desired and live state as the loader and the reader hold them) per location.

Desired state is the manifests' (validated models, as the loader makes them); live state is the drifted
workload of bench/workload.py shaped like GHL's list answers and parsed by the kinds, as the live reader does.
Building those inputs is not measured. For each size it prints the planning time (best of ``--repeat``), the
time per location and its ratio to the smallest size's (constant = linear), and the planner's peak memory
(tracemalloc, measured in a separate run because tracing slows Python down).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workload import Workload
from ghlops.kinds import BY_NAME, PRICES, USERS
from ghlops.kinds.base import LiveObject
from ghlops.kinds.products import Price
from ghlops.manifest.loader import to_desired
from ghlops.manifest.model import LocationDocument
from ghlops.plan.model import Plan
from ghlops.plan.planner import build_plan, resolver_for
from ghlops.state import CompanyLive, LocationDesired, LocationLive

TARGET_S = 5.0
TARGET_LOCATIONS = 1000
TARGET_OBJECTS = 200


def inputs(workload: Workload) -> tuple[list[LocationDesired], dict[str, LocationLive], dict[str, CompanyLive]]:
    """The planner's inputs for the workload: desired (as loaded), live (as read), company users (as read)."""
    company_id = "bench-company"
    users = [USERS.live(raw, resolver_for(None)) for raw in workload.live_users()]
    company = CompanyLive(company_id=company_id, users=users)
    resolver = resolver_for(company)
    desired: list[LocationDesired] = []
    live: dict[str, LocationLive] = {}
    for i in range(workload.locations):
        doc = {
            "apiVersion": "ghlops/v1",
            "kind": "Location",
            "metadata": {"name": workload.name(i)},
            "spec": {**workload.desired_spec(i), "companyId": company_id},
        }
        item = to_desired(LocationDocument.model_validate(doc), SimpleNamespace(pos="bench"))  # type: ignore[arg-type]
        desired.append(item)
        raw = workload.live_raw(i)
        objects: dict[str, list[LiveObject[Any]]] = {}
        for kind_name, raws in raw.items():
            if kind_name == "prices":
                continue
            kind = BY_NAME[kind_name]
            objects[kind_name] = [kind.live(r, resolver) for r in raws]
        names = {p.id: p.obj.name for p in objects["products"]}
        prices = []
        for r in raw["prices"]:
            price = PRICES.live(r, resolver)
            assert isinstance(price.obj, Price)
            price.obj.with_product(names[r["product"]])
            prices.append(price)
        objects["prices"] = prices
        live[item.location_id] = LocationLive(location_id=item.location_id, objects=objects)
    return desired, live, {company_id: company}


def time_plan(
    desired: list[LocationDesired], live: dict[str, LocationLive], companies: dict[str, CompanyLive], repeat: int
) -> tuple[float, Plan]:
    best = float("inf")
    result: Plan | None = None
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = build_plan(desired, live, companies)
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


def peak_memory(
    desired: list[LocationDesired], live: dict[str, LocationLive], companies: dict[str, CompanyLive]
) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        plan = build_plan(desired, live, companies)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del plan
    return peak / 1024 / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", help="comma-separated sizes (250,500,1000; with --fresh 250..4000)")
    parser.add_argument("--objects", type=int, help=f"objects per location ({TARGET_OBJECTS}; with --fresh 60)")
    parser.add_argument("--repeat", type=int, default=3, help="plan each size this many times; report the best")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc run")
    parser.add_argument("--fresh", action="store_true", help="planner + digest + plan file, a process per size")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        return child(args.child, args.objects, args.repeat, not args.no_memory)
    if args.fresh:
        return fresh(args)
    args.locations = args.locations or "250,500,1000"
    args.objects = args.objects or TARGET_OBJECTS
    sizes = [int(n) for n in args.locations.split(",")]

    print(f"ghlops pure planner benchmark: {', '.join(f'{n:,}' for n in sizes)} locations x {args.objects} objects")
    rows = []
    for n in sizes:
        workload = Workload(n, args.objects)
        started = time.perf_counter()
        desired, live, companies = inputs(workload)
        built = time.perf_counter() - started
        seconds, result = time_plan(desired, live, companies, args.repeat)
        changes = sum(1 for _ in result.all_changes())
        memory = None if args.no_memory else peak_memory(desired, live, companies)
        rows.append((n, seconds, changes, memory))
        print(
            f"  {n:,} locations: inputs built in {built:.1f} s (not measured); plan {seconds:.3f} s, "
            f"{changes:,} changes" + ("" if memory is None else f", peak {memory:.1f} MB")
        )
        del desired, live, companies, result
        gc.collect()

    print()
    base_per_location = rows[0][1] / rows[0][0]
    header = f"{'locations':>10} {'objects':>9} {'plan':>9} {'per location':>13} {'vs first':>9} {'changes':>9}"
    print(header + f" {'peak memory':>12} {'per location':>13}")
    for n, seconds, changes, memory in rows:
        per = seconds / n
        line = (
            f"{n:>10,} {n * Workload(1, args.objects).shape.total:>9,} {seconds:>8.3f}s {per * 1000:>11.3f}ms "
            f"{per / base_per_location:>8.2f}x {changes:>9,}"
        )
        if memory is not None:
            line += f" {memory:>10.1f}MB {memory * 1024 / n:>11.1f}KB"
        print(line)
    largest_n, largest_s, _, _ = rows[-1]
    ratios = [(s / n) / base_per_location for n, s, _, _ in rows]
    linear = max(ratios) / min(ratios) <= 1.5
    print()
    if largest_n == TARGET_LOCATIONS and args.objects == TARGET_OBJECTS:
        verdict = "met" if largest_s < TARGET_S else "MISSED"
        print(f"target: {TARGET_LOCATIONS:,} x {TARGET_OBJECTS} under {TARGET_S:g} s: {verdict} ({largest_s:.2f} s)")
    print(f"linear (time per location within 1.5x across sizes): {'yes' if linear else 'NO'}")
    return 0


# -- --fresh: planner, digest and plan file per size, each size in its own process ---------------------------

STAGES = ("planner", "digest", "plan file")


def fresh(args: argparse.Namespace) -> int:
    import json
    import subprocess

    sizes = [int(n) for n in (args.locations or "250,500,1000,2000,4000").split(",")]
    objects = args.objects or 60
    print(
        f"ghlops planner + saved-plan digest + plan file, a fresh process per size: "
        f"{', '.join(f'{n:,}' for n in sizes)} locations x {objects} objects (CPU time, best of {args.repeat})"
    )
    rows: list[dict[str, Any]] = []
    for n in sizes:
        command = [sys.executable, str(Path(__file__).resolve()), "--child", str(n), "--objects", str(objects)]
        command += ["--repeat", str(args.repeat)] + (["--no-memory"] if args.no_memory else [])
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"the {n}-location process failed:\n{done.stderr[-3000:]}")
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"  {n:,} locations: inputs {row['inputs_kb'] / 1024:.0f} MB; "
            + ", ".join(f"{stage} {row['cpu_s'][stage]:.3f} s" for stage in STAGES)
            + f"; peak RSS growth {row['rss_kb'] / 1024:.1f} MB"
            + ("" if row["traced_kb"] is None else f", traced peak {row['traced_kb'] / 1024:.1f} MB")
        )
    print()
    header = f"{'locations':>10}" + "".join(f" {stage + ' ms/loc':>17}" for stage in STAGES)
    print(header + f" {'inputs KB/loc':>14} {'RSS KB/loc':>11} {'traced KB/loc':>14} {'traced slope':>13}")
    previous: dict[str, Any] | None = None
    for row in rows:
        n = row["locations"]
        line = f"{n:>10,}" + "".join(f" {row['cpu_s'][stage] * 1000 / n:>17.3f}" for stage in STAGES)
        traced = row["traced_kb"]
        slope = ""
        if traced is not None and previous is not None and previous["traced_kb"] is not None:
            slope = f"{(traced - previous['traced_kb']) / (n - previous['locations']):.1f}"
        line += f" {row['inputs_kb'] / n:>14.1f} {row['rss_kb'] / n:>11.1f}"
        line += f" {'' if traced is None else f'{traced / n:.1f}':>14} {slope:>13}"
        print(line)
        previous = row
    print("traced slope: extra traced KB per extra location from the size above (linear: about the figure itself)")
    for stage in STAGES:
        per = [row["cpu_s"][stage] / row["locations"] for row in rows]
        spread = max(per) / max(min(per), 1e-12)
        print(f"{stage}: time per location within 1.5x across sizes: {'yes' if spread <= 1.5 else 'NO'} "
              f"({spread:.2f}x)")  # fmt: skip
    return 0


def child(n: int, objects: int | None, repeat: int, memory: bool) -> int:
    """One size: build the inputs, then time and measure the planner, the digest and the plan file's text."""
    import json

    from bench.memory import PeakMemory, _status_kb
    from ghlops.plan.render_json import render_json
    from ghlops.plan.saved import ManifestSet, SavedPlan, dependencies_of

    workload = Workload(n, objects or 60)
    gc.collect()
    before_inputs = _status_kb("VmRSS") or 0.0
    desired, live, companies = inputs(workload)
    gc.collect()
    inputs_kb = (_status_kb("VmRSS") or 0.0) - before_inputs

    def stages() -> dict[str, float]:
        spent: dict[str, float] = {}
        started = time.process_time()
        result = build_plan(desired, live, companies)
        spent["planner"] = time.process_time() - started
        started = time.process_time()
        depends = dependencies_of(desired, live, companies)
        spent["digest"] = time.process_time() - started
        started = time.process_time()
        text = render_json(SavedPlan(plan=result, manifests=ManifestSet((), ()), depends=depends))
        spent["plan file"] = time.process_time() - started
        del text, depends, result
        return spent

    memory_probe = PeakMemory()
    gc.collect()
    memory_probe.reset()
    best = stages()  # the first run also gives the RSS growth: nothing of it was allocated before
    _, growth_mb = memory_probe.peak()
    for _ in range(repeat - 1):
        gc.collect()
        best = {stage: min(best[stage], spent) for stage, spent in stages().items()}
    traced_kb = None
    if memory:
        gc.collect()
        tracemalloc.start()
        try:
            stages()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        traced_kb = peak / 1024
    print(
        json.dumps(
            {
                "locations": n,
                "cpu_s": best,
                "inputs_kb": inputs_kb,
                "rss_kb": growth_mb * 1024,
                "traced_kb": traced_kb,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
