"""Where the CPU of a read goes: ghlops's live reads against the sandbox, in CPU time, beside bare httpx.

    python -m bench.profile_reads                                # 100 x 60, 50 ms latency, parallelism 8
    python -m bench.profile_reads --profile /tmp/reads.prof      # also a cProfile of the ghlops read phase
    python -m bench.profile_reads --locations 200 --runs 3

Wall time on a shared machine says little; CPU time per request does. For each run it prints, per request:

* the client's CPU (this process's user + system time over the read phase, ``time.process_time``),
* the sandbox's CPU (its child process's user + system time over the same phase, from ``/proc``), since the
  sandbox runs on the same two cores: the read floor (zero CPU) assumes a server that costs nothing,
* the same figures for bare httpx sending the same GETs (same URLs, headers and tokens, as many threads as
  ghlops keeps calls in flight, one pooled ``httpx.Client``): what the HTTP library alone costs.

Not a test: the figures depend on the machine; the request counts do not.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import unittest.mock
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bench.sandbox_host import SandboxProcess
from bench.workload import Workload
from ghlops.ghl import client as client_module
from ghlops.ghl import transport as transport_module
from ghlops.workflow import Settings, calls_in_flight, load, make_client, read

_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)


@dataclass(frozen=True)
class Sample:
    requests: int
    wall_s: float
    client_cpu_s: float
    server_cpu_s: float

    def line(self, label: str) -> str:
        per = 1000 / max(1, self.requests)
        return (
            f"  {label:<13} {self.requests:>6,} requests  wall {self.wall_s:6.2f} s  "
            f"client CPU {self.client_cpu_s * per:5.3f} ms/request  sandbox CPU {self.server_cpu_s * per:5.3f} "
            f"ms/request  ({self.requests / self.wall_s:4.0f} requests/s)"
        )


class Profiler:
    """CPU-time profile of every thread: yappi when installed (``pip install yappi``), else cProfile, which sees
    only the calling thread (the reads run on worker threads, so it shows little)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            import yappi
        except ImportError:
            self._yappi: Any = None
            self._cprofile = cProfile.Profile()
        else:
            self._yappi = yappi
            yappi.set_clock_type("cpu")

    def __enter__(self) -> None:
        if self._yappi is not None:
            self._yappi.start(builtins=True)
        else:
            self._cprofile.enable()

    def __exit__(self, *exc: object) -> None:
        if self._yappi is not None:
            self._yappi.stop()
        else:
            self._cprofile.disable()

    def save(self) -> str:
        if self._yappi is not None:
            self._yappi.get_func_stats().save(str(self.path), type="pstat")
            return "yappi, CPU time, all threads"
        self._cprofile.dump_stats(str(self.path))
        return "cProfile, the main thread only"


def httpcore_pool_transport(
    limits: httpx.Limits, on_connect: Callable[[], None], proxy: httpx.Proxy | None = None
) -> httpx.HTTPTransport:
    """ghlops's network transport as it was before OwnConnectionPool: httpcore's own pool (for --compare-pool)."""
    transport = httpx.HTTPTransport(verify=True, limits=limits, proxy=proxy)
    pool: Any = transport._pool
    pool._network_backend = transport_module._Backend(pool._network_backend, on_connect)
    return transport


def ghlops_reads(
    sb: SandboxProcess, desired: Path, settings: Settings, profile: Profiler | None, *, httpcore_pool: bool = False
) -> Sample:
    manifests = load([desired], settings.env)
    patch = (
        unittest.mock.patch.object(client_module, "network_transport", httpcore_pool_transport)
        if httpcore_pool
        else contextlib.nullcontext()
    )
    with patch, make_client(settings, manifests.loaded) as client:
        sb.clear_requests()
        server0, cpu0, wall0 = process_cpu_s(sb.pid), time.process_time(), time.perf_counter()
        with profile or contextlib.nullcontext():
            read(client, manifests.loaded, settings)
        wall, cpu, server = time.perf_counter() - wall0, time.process_time() - cpu0, process_cpu_s(sb.pid) - server0
        return Sample(sb.stats().total, wall, cpu, server)


def threaded_gets(
    sb: SandboxProcess, urls: list[tuple[str, dict[str, str]]], width: int, get: Callable[[str, dict[str, str]], Any]
) -> Sample:
    """``get`` each of the URLs on ``width`` threads (each takes the next URL when it is free), measured."""
    work = iter(urls)
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                item = next(work, None)
            if item is None:
                return
            get(*item)

    sb.clear_requests()
    server0, cpu0, wall0 = process_cpu_s(sb.pid), time.process_time(), time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(width)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall, cpu, server = time.perf_counter() - wall0, time.process_time() - cpu0, process_cpu_s(sb.pid) - server0
    return Sample(sb.stats().total, wall, cpu, server)


def httpx_reads(
    sb: SandboxProcess, urls: list[tuple[str, dict[str, str]]], width: int, *, own_pool: bool = False
) -> Sample:
    """The same GETs through one bare httpx.Client on ``width`` threads: the HTTP library's own cost (with
    httpcore's pool, or with ghlops's own connection pool under it)."""
    limits = httpx.Limits(max_connections=max(width, 100), max_keepalive_connections=width)
    transport = transport_module.network_transport(limits, lambda: None) if own_pool else None
    with httpx.Client(limits=limits, trust_env=False, transport=transport) as http:
        return threaded_gets(sb, urls, width, lambda url, headers: http.get(url, headers=headers).json())


def urllib3_reads(sb: SandboxProcess, urls: list[tuple[str, dict[str, str]]], width: int) -> Sample | None:
    """The same GETs through urllib3 (when installed): what a leaner HTTP library costs, for reference."""
    try:
        import urllib3
    except ImportError:
        return None
    with urllib3.PoolManager(maxsize=width, retries=False) as http:
        return threaded_gets(
            sb, urls, width, lambda url, headers: json.loads(http.request("GET", url, headers=headers).data)
        )


def recorded_gets(sb: SandboxProcess, env: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """The location GETs the last read made, with their locations' tokens (the users search is left out)."""
    tokens: dict[str, str] = json.loads(env.get("GHL_LOCATION_TOKENS", "{}"))
    base = env["GHL_BASE_URL"].rstrip("/")
    out: list[tuple[str, dict[str, str]]] = []
    for method, target, location in sb.request_targets():
        if method != "GET" or location not in tokens:
            continue
        headers = {"Authorization": f"Bearer {tokens[location]}", "Version": "2021-07-28", "Accept": "application/json"}
        out.append((base + target, headers))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", type=int, default=100)
    parser.add_argument("--objects", type=int, default=60)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="write a cProfile of ghlops's read phases (all runs) here")
    parser.add_argument("--no-httpx", action="store_true", help="skip the bare httpx comparison")
    parser.add_argument(
        "--compare-pool", action="store_true", help="also run ghlops over httpcore's own connection pool"
    )
    args = parser.parse_args(argv)
    workload = Workload(args.locations, args.objects)
    width = calls_in_flight(args.parallelism)
    profile = Profiler(args.profile) if args.profile else None
    ours: list[Sample] = []
    pooled: list[Sample] = []
    bare: list[Sample] = []
    bare_own: list[Sample] = []
    lean: list[Sample] = []
    print(
        f"read CPU profile: {args.locations} locations x {workload.shape.total} objects, sandbox latency "
        f"{args.latency_ms:g} ms, parallelism {args.parallelism} ({width} calls in flight); {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="ghlops-bench-") as tmp:
        desired = workload.write(Path(tmp) / "desired", seed=False)
        with SandboxProcess(rate_limit=False) as sb:
            sb.create_locations(list(workload.locations_with_names()))
            calls, seconds = sb.seed_workload(workload.locations, workload.objects)
            print(f"  seeded the drift in the sandbox's process: {calls:,} calls in {seconds:.1f} s (not measured)")
            sb.set_faults(latency_ms=args.latency_ms, rate_limit=False)
            settings = Settings(env=sb.env, parallelism=args.parallelism, rate_limit=False)
            for _ in range(args.runs):
                ours.append(ghlops_reads(sb, desired, settings, profile))
                print(ours[-1].line("ghlops"))
                if args.compare_pool:
                    pooled.append(ghlops_reads(sb, desired, settings, None, httpcore_pool=True))
                    print(pooled[-1].line("httpcore pool"))
                if not args.no_httpx:
                    urls = recorded_gets(sb, dict(sb.env))
                    bare.append(httpx_reads(sb, urls, width))
                    print(bare[-1].line("bare httpx"))
                    bare_own.append(httpx_reads(sb, urls, width, own_pool=True))
                    print(bare_own[-1].line("httpx own pool"))
                    sample = urllib3_reads(sb, urls, width)
                    if sample is not None:
                        lean.append(sample)
                        print(sample.line("bare urllib3"))
    floor_s = max(1, ours[0].requests if ours else 0) / width * args.latency_ms / 1000
    print(f"medians (ratio: wall / the zero-CPU floor of {floor_s:.2f} s for these requests at {width} in flight):")
    for label, samples in (
        ("ghlops", ours),
        ("httpcore pool", pooled),
        ("bare httpx", bare),
        ("httpx own pool", bare_own),
        ("bare urllib3", lean),
    ):
        if samples:
            mid = median(samples)
            print(f"{mid.line(label)}  {mid.wall_s / floor_s:4.2f}x")
    if profile is not None:
        how = profile.save()
        print(f"profile ({how}) written to {args.profile}: python -m pstats {args.profile}")
    return 0


def median(samples: list[Sample]) -> Sample:
    def mid(pick: Any) -> Any:
        return statistics.median(pick(s) for s in samples)

    return Sample(
        int(mid(lambda s: s.requests)),
        mid(lambda s: s.wall_s),
        mid(lambda s: s.client_cpu_s),
        mid(lambda s: s.server_cpu_s),
    )


if __name__ == "__main__":
    sys.exit(main())
