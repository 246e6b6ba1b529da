"""`ghlops validate` of N manifests, side by side: the pure-Python YAML parser against the C (libyaml) path.

Writes N manifests of M objects each (the benchmarks' shared workload, ``bench/workload.py``: 1,000 clinics x
60 objects over all six kinds), then runs ``ghlops validate DIR`` as a user would (a fresh process each time,
with placeholder credentials so every check runs; nothing is sent anywhere: validate makes no API call),
alternating ``GHLOPS_YAML_PARSER=pure`` with the default path, and prints the median of each and their ratio.
The issue's target (#15) is a ratio of at least 5.

    python -m bench.bench_validate                 # 1,000 x 60, 3 runs each
    python -m bench.bench_validate --locations 250 --runs 5
    git archive 3029aa0 ghlops | tar -x -C /tmp/ghlops-before   # also time the code before the C path:
    python -m bench.bench_validate --baseline /tmp/ghlops-before
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.workload import Workload

TARGET_RATIO = 5.0
# Placeholders so that validate runs its credential checks too; validate never calls GHL.
ENV = {"GHL_TOKEN": "bench-token", "GHL_AGENCY_TOKEN": "bench-agency-token", "GHL_COMPANY_ID": "BenchCompany00000001"}


def time_validate(directory: Path, parser: str, source: Path | None = None) -> tuple[float, float, str]:
    """Wall time and CPU time (user + system) of one ``ghlops validate`` process, and its output line.

    On a shared machine the wall time swings with the other processes' load; the CPU time is the work the run
    itself did, so both are reported and the ratio is given for each."""
    env = {**os.environ, **ENV}
    env.pop("GHLOPS_YAML_PARSER", None)
    if parser == "pure":
        env["GHLOPS_YAML_PARSER"] = "pure"
    if source is not None:  # another checkout of ghlops (its parent directory holds the ghlops package)
        env["PYTHONPATH"] = str(source)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ghlops", "validate", str(directory)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
        raise SystemExit(f"validate failed ({parser} parser, exit {done.returncode}): {' / '.join(tail)}")
    return seconds, cpu, done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", type=int, default=1000)
    parser.add_argument("--objects", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3, help="runs of each path; medians are compared")
    parser.add_argument("--dir", type=Path, default=None, help="write the manifests here (default: a temp dir)")
    parser.add_argument(
        "--baseline", type=Path, default=None, help="also time this source tree (e.g. ghlops before the C path)"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ghlops-bench-validate-") as scratch:
        directory = args.dir or Path(scratch) / "manifests"
        Workload(args.locations, args.objects).write(directory, seed=False)
        files = sorted(directory.glob("*.yaml"))
        size = sum(path.stat().st_size for path in files)
        print(
            f"ghlops validate: {len(files):,} manifests x {args.objects} objects ({size / 1024 / 1024:.1f} MB), "
            f"{args.runs} runs of each parser path, alternating"
        )
        paths = ["pure", "c"] + (["before"] if args.baseline else [])
        wall: dict[str, list[float]] = {path: [] for path in paths}
        cpu: dict[str, list[float]] = {path: [] for path in paths}
        for run in range(1, args.runs + 1):
            for path in paths:
                source = args.baseline if path == "before" else None
                seconds, used, line = time_validate(directory, "pure" if path == "before" else path, source)
                wall[path].append(seconds)
                cpu[path].append(used)
                print(f"  run {run} {path:>4}: {seconds:6.2f} s wall, {used:6.2f} s CPU  {line}")
    print()
    print(f"{'':>12} {'median':>9} {'min':>8} {'max':>8} {'per file':>10}")
    for label, times in (("wall", wall), ("CPU", cpu)):
        for path, name in (("pure", "pure"), ("c", "C"), ("before", "before")):
            if path not in times:
                continue
            values = times[path]
            print(
                f"{name + ' ' + label:>12} {statistics.median(values):>8.2f}s {min(values):>7.2f}s "
                f"{max(values):>7.2f}s {statistics.median(values) / len(files) * 1000:>8.2f}ms"
            )
    wall_ratio = statistics.median(wall["pure"]) / statistics.median(wall["c"])
    cpu_ratio = statistics.median(cpu["pure"]) / statistics.median(cpu["c"])
    print()
    for label, ratio in (("wall time", wall_ratio), ("CPU time", cpu_ratio)):
        verdict = "meets" if ratio >= TARGET_RATIO else "misses"
        print(f"C path vs pure path, median {label}: {ratio:.1f}x faster (target >= {TARGET_RATIO:.0f}x: {verdict} it)")
    if "before" in wall:
        for label, times in (("wall time", wall), ("CPU time", cpu)):
            ratio = statistics.median(times["before"]) / statistics.median(times["c"])
            print(f"C path vs the baseline source tree, median {label}: {ratio:.1f}x faster")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
