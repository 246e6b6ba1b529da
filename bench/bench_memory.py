"""Peak memory of ``ghlops plan --out`` per location, each size in a fresh process (issue 15: 150 KB per location).

    python bench/bench_memory.py                                   # 250, 500, 1,000 locations x 60 objects
    python bench/bench_memory.py --locations 250,1000,4000         # up to 4,000 (~6 min, mostly seeding)
    python bench/bench_memory.py --locations 1000 --tracemalloc    # what holds the memory at the peak

For each size a sandbox (its own process) is seeded with bench/workload.py's drifted state straight into its
store (ghlops.sandbox.seed: seconds, not the minutes ghlops apply over HTTP takes), the desired manifests are
written as YAML, and ``ghlops plan --out`` runs in a fresh Python process: the real command, parsing the files,
reading over HTTP, planning, counting impact, writing the plan file. That process reports its resident memory
after its imports (``ghlops.cli`` and everything ``plan`` imports) and its peak (Linux's VmHWM, else
ru_maxrss); the growth between the two, divided by the locations, is the figure per location. Linearity shows as
the same figure at every size, and as the slope between consecutive sizes (extra KB per extra location).

``--tracemalloc`` traces the child's allocations instead (slower; its RSS then includes the tracing's own
memory, so no RSS figure is printed): a thread snapshots the traced memory each time it grows 10% past the last
snapshot, and the largest snapshot (the peak) is grouped by the innermost ghlops frame of each allocation
(file:line: who made it) and by the frame that allocated (file:line: what it is), the top ``--top`` of each
printed with MB and KB per location.

Not a test: the figures depend on the Python build and the allocator, not on the machine's load.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import linecache
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPO = Path(__file__).resolve().parents[1]
TARGET_KB = 150.0
TARGET_LOCATIONS = 1000


@dataclass(frozen=True)
class Measured:
    locations: int
    after_imports_kb: float
    peak_kb: float
    cpu_s: float
    wall_s: float
    seed_s: float
    code: int

    @property
    def growth_kb(self) -> float:
        return max(0.0, self.peak_kb - self.after_imports_kb)

    @property
    def per_location_kb(self) -> float:
        return self.growth_kb / max(1, self.locations)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", default="250,500,1000", help="comma-separated sizes")
    parser.add_argument("--objects", type=int, default=60, help="objects per location")
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="sandbox latency (memory barely depends on it)")
    parser.add_argument("--tracemalloc", action="store_true", help="print what holds the memory at the peak")
    parser.add_argument("--top", type=int, default=15, help="holders printed per grouping (--tracemalloc)")
    parser.add_argument("--frames", type=int, default=12, help="frames kept per allocation (--tracemalloc)")
    parser.add_argument("--keep", metavar="DIR", help="leave the manifests and plan files in DIR")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.locations.split(",")]

    mode = "tracemalloc" if args.tracemalloc else "peak RSS"
    print(
        f"ghlops plan --out memory ({mode}), fresh process per size: {', '.join(f'{n:,}' for n in sizes)} "
        f"locations x {args.objects} objects, --parallelism {args.parallelism}, latency {args.latency_ms:g} ms"
    )
    rows: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="ghlops-bench-memory-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        for n in sizes:
            measured, report = measure(n, args, root / f"n{n}")
            rows.append(measured)
            if args.tracemalloc:
                print(report)
            else:
                print(
                    f"  {n:,} locations: seeded in {measured.seed_s:.1f} s; plan exit {measured.code}, "
                    f"{measured.cpu_s:.1f} s CPU, peak {measured.peak_kb / 1024:.0f} MB "
                    f"(+{measured.growth_kb / 1024:.0f} MB over {measured.after_imports_kb / 1024:.0f} MB "
                    "after imports)"
                )
    if args.tracemalloc:
        return 0 if all(r.code in (0, 2) for r in rows) else 1
    print()
    print(f"{'locations':>10} {'peak RSS':>10} {'after imports':>14} {'growth':>10} {'per location':>13} {'slope':>12}")
    previous: Measured | None = None
    for r in rows:
        slope = ""
        if previous is not None and r.locations != previous.locations:
            slope = f"{(r.peak_kb - previous.peak_kb) / (r.locations - previous.locations):.1f} KB"
        print(
            f"{r.locations:>10,} {r.peak_kb / 1024:>8.0f}MB {r.after_imports_kb / 1024:>12.0f}MB "
            f"{r.growth_kb / 1024:>8.0f}MB {r.per_location_kb:>11.1f}KB {slope:>12}"
        )
        previous = r
    print("slope: extra peak KB per extra location from the size above (linear: about the per-location figure)")
    # Linear means a constant cost per extra location: the slopes between sizes agree. (The per-location average
    # also carries the run's fixed cost, a few MB, which weighs more at the smallest size.)
    sized = sorted((r for r in rows if r.locations >= 100), key=lambda r: r.locations)
    slopes = [
        (b.peak_kb - a.peak_kb) / (b.locations - a.locations)
        for a, b in itertools.pairwise(sized)
        if b.locations > a.locations
    ]
    if len(slopes) >= 2 and min(slopes) > 0:
        spread = max(slopes) / min(slopes)
        print(f"linear (slopes between sizes >= 100 within 1.25x): {'yes' if spread <= 1.25 else 'NO'} "
              f"({spread:.2f}x: {', '.join(f'{s:.1f}' for s in slopes)} KB per extra location)")  # fmt: skip
    elif len(sized) >= 2:
        figures = [r.per_location_kb for r in sized]
        spread = max(figures) / min(figures)
        print(f"linear (KB per location within 1.25x): {'yes' if spread <= 1.25 else 'NO'} ({spread:.2f}x)")
    at_target = [r for r in rows if r.locations == TARGET_LOCATIONS]
    if at_target and args.objects == 60:
        kb = at_target[0].per_location_kb
        print(f"issue 15 target: plan peak at 1,000 x 60 <= {TARGET_KB:g} KB per location: "
              f"{'met' if kb <= TARGET_KB else 'MISSED'} ({kb:.0f} KB)")  # fmt: skip
    return 0 if all(r.code in (0, 2) for r in rows) else 1


def measure(n: int, args: argparse.Namespace, where: Path) -> tuple[Measured, str]:
    """Seed a fresh sandbox with the workload at ``n`` locations, then run the plan in a fresh process."""
    from bench.sandbox_host import SandboxProcess
    from bench.workload import Workload

    workload = Workload(n, args.objects)
    desired_dir = workload.write(where / "desired", seed=False)
    with SandboxProcess(rate_limit=False, latency_ms=args.latency_ms) as sb:
        _, seed_s = sb.seed_workload(n, args.objects)
        result_file = where / "result.json"
        env = {
            **sb.env,
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GHLOPS_PROGRESS": "0",
            "GHLOPS_CREDENTIALS_FILE": str(where / "no-credentials-store.json"),
        }
        # The token map in a file, as an agency this size must keep it: past ~1,500 locations one variable is
        # over Linux's 128 KB and the process would not start ("Argument list too long").
        token_file = where / "location-tokens.json"
        token_file.write_text(env.pop("GHL_LOCATION_TOKENS", "{}"))
        env["GHL_LOCATION_TOKENS_FILE"] = str(token_file)
        command = [sys.executable, str(Path(__file__).resolve()), "--child", str(result_file)]
        if args.tracemalloc:
            command += ["--child-trace", str(args.frames), "--child-top", str(args.top)]
        command += ["--", "plan", "--parallelism", str(args.parallelism), "--out", str(where / "plan.json")]
        command.append(str(desired_dir))
        done = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if not result_file.exists():
        raise SystemExit(f"the plan process failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    found: dict[str, Any] = json.loads(result_file.read_text())
    if found["code"] not in (0, 2):
        print(done.stderr[-3000:], file=sys.stderr)
    measured = Measured(
        locations=n,
        after_imports_kb=found["after_imports_kb"],
        peak_kb=found["peak_kb"],
        cpu_s=found["cpu_s"],
        wall_s=found["wall_s"],
        seed_s=seed_s,
        code=found["code"],
    )
    return measured, str(found.get("report", ""))


# -- the child: one `ghlops plan` in this process ------------------------------------------------------------


def _status_kb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def _peak_kb() -> float:
    return _status_kb("VmHWM") or float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


class PeakSnapshots:
    """Snapshots of the traced memory each time it grows 10% past the last one; the last is the peak's."""

    def __init__(self, interval_s: float = 0.05, growth: float = 1.10) -> None:
        self.best: tracemalloc.Snapshot | None = None
        self.best_size = 0
        self._interval_s = interval_s
        self._growth = growth
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="bench-peak-snapshots", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._take()  # the end may be the peak (the plan file written last)

    def _watch(self) -> None:
        while not self._stop.wait(self._interval_s):
            current, _ = tracemalloc.get_traced_memory()
            if current > self.best_size * self._growth:
                self._take()

    def _take(self) -> None:
        current, _ = tracemalloc.get_traced_memory()
        if current <= self.best_size:
            return
        snapshot = tracemalloc.take_snapshot()
        self.best, self.best_size = snapshot, current


_GHLOPS = os.sep + "ghlops" + os.sep


def _where(frame: tracemalloc.Frame, *, source: bool = False) -> str:
    name = frame.filename
    line = linecache.getline(frame.filename, frame.lineno).strip() if source else ""
    for marker in (_GHLOPS, os.sep + "site-packages" + os.sep, os.sep + "lib" + os.sep + "python"):
        index = name.rfind(marker)
        if index >= 0:
            name = name[index + 1 :]
            break
    return f"{name}:{frame.lineno}" + (f"  {line[:70]}" if line else "")


def holders(snapshot: tracemalloc.Snapshot, locations: int, top: int) -> str:
    """The snapshot's memory grouped by the innermost ghlops frame (who) and by the allocating frame (what)."""
    snapshot = snapshot.filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]
    )
    by_owner: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_site: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_module: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    total = 0
    for stat in snapshot.statistics("traceback"):
        frames = list(stat.traceback)  # oldest first
        owner = next((f for f in reversed(frames) if _GHLOPS in f.filename), None)
        site = frames[-1] if frames else None
        for rows, key in (
            (by_owner, _where(owner, source=True) if owner else "(no ghlops frame)"),
            (by_site, _where(site, source=True) if site else "?"),
            (by_module, _where(owner).rsplit(":", 1)[0] if owner else "(no ghlops frame)"),
        ):
            rows[key][0] += stat.size
            rows[key][1] += stat.count
        total += stat.size

    def table(title: str, rows: dict[str, list[int]], count: int) -> list[str]:
        lines = [f"  {title}:", f"  {'MB':>8} {'KB/loc':>8} {'blocks':>10}  where"]
        for key, (size, blocks) in sorted(rows.items(), key=lambda kv: -kv[1][0])[:count]:
            lines.append(f"  {size / 2**20:>8.1f} {size / 1024 / max(1, locations):>8.1f} {blocks:>10,}  {key}")
        return lines

    lines = [
        f"  {locations:,} locations: traced memory at the peak {total / 2**20:.1f} MB "
        f"({total / 1024 / max(1, locations):.1f} KB per location)",
        *table("by ghlops module (innermost ghlops frame's file)", by_module, top),
        *table("by innermost ghlops frame (who allocated)", by_owner, top),
        *table("by allocating frame (what was allocated)", by_site, top),
    ]
    return "\n".join(lines)


def child(result_file: str, trace_frames: int, top: int, cli_args: list[str]) -> int:
    """Run ``ghlops <cli_args>`` here; write this process's memory figures to ``result_file`` as JSON."""
    import ghlops.cli
    import ghlops.commands.plan
    import ghlops.ghl.client
    import ghlops.impact
    import ghlops.plan.render_text
    import ghlops.plan.saved
    import ghlops.saved_plans
    import ghlops.workflow

    gc.collect()
    after_imports = _status_kb("VmRSS") or _peak_kb()
    watcher: PeakSnapshots | None = None
    if trace_frames:
        tracemalloc.start(trace_frames)
        watcher = PeakSnapshots()
        watcher.start()
    started, cpu = time.perf_counter(), time.process_time()
    try:
        code = ghlops.cli.main.main(cli_args, standalone_mode=False)
    except SystemExit as exc:  # each command ends in sys.exit(its code)
        code = exc.code if isinstance(exc.code, int) else 1
    cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - started
    peak = _peak_kb()
    report = ""
    if watcher is not None:
        watcher.stop()
        tracemalloc.stop()
        locations = int(os.environ.get("BENCH_LOCATIONS", "0")) or _count_manifests(cli_args[-1])
        report = holders(watcher.best, locations, top) if watcher.best is not None else "  (no snapshot)"
    Path(result_file).write_text(
        json.dumps(
            {
                "after_imports_kb": after_imports,
                "peak_kb": peak,
                "cpu_s": cpu_s,
                "wall_s": wall_s,
                "code": int(code or 0),
                "report": report,
            }
        )
    )
    return 0


def _count_manifests(directory: str) -> int:
    return sum(1 for _ in Path(directory).glob("*.yaml"))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        rest = sys.argv[2:]
        result, trace, top = rest[0], 0, 15
        rest = rest[1:]
        while rest and rest[0] != "--":
            if rest[0] == "--child-trace":
                trace = int(rest[1])
            elif rest[0] == "--child-top":
                top = int(rest[1])
            rest = rest[2:]
        sys.exit(child(result, trace, top, rest[1:]))
    sys.exit(main())
