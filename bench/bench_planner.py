"""Pure planner benchmark: build_plan on already-fetched state, no HTTP, no YAML.

    python bench/bench_planner.py                                  # 250, 500 and 1,000 locations x 200 objects
    python bench/bench_planner.py --locations 20,40 --objects 30   # a quick look

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
    parser.add_argument("--locations", default="250,500,1000", help="comma-separated sizes")
    parser.add_argument("--objects", type=int, default=TARGET_OBJECTS, help="objects per location")
    parser.add_argument("--repeat", type=int, default=3, help="plan each size this many times; report the best")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc run")
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
