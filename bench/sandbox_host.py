"""The GHL sandbox in a child process, driven over a pipe.

In the benchmark the sandbox stands in for GHL's servers: run in the measured process it would share the GIL
(and one of the machine's two cores) with the client being measured, and its memory would count as ghlops's.
Only the public Sandbox API is used: the store to create locations, the fault config, the request log, the
OAuth app and the gatekeeper's mint and refresh counters.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlencode


@dataclass(frozen=True)
class RequestStats:
    """What the sandbox received since its request log was last cleared."""

    total: int
    by_status: dict[int | None, int]
    by_method: dict[str, int]
    faults: int
    oauth: int = 0  # of ``total``: calls to /oauth/* (refreshes and mints)

    @property
    def api(self) -> int:
        """Requests other than the OAuth ones: what the reads' and writes' lower bounds count."""
        return self.total - self.oauth

    @property
    def status_429(self) -> int:
        return self.by_status.get(429, 0)


def _serve(conn: Connection, faults: dict[str, Any]) -> None:
    from ghlops.sandbox import FaultConfig, Sandbox
    from ghlops.sandbox.seed import sandbox_env

    sb = Sandbox(db_path=":memory:", port=0, faults=FaultConfig(**faults)).start()
    conn.send(sandbox_env(sb))
    while True:
        command, args = conn.recv()
        if command == "stop":
            sb.stop()
            conn.send(None)
            return
        if command == "create_locations":
            for location_id, name in args:
                sb.store.create_location(location_id, name, sb.company_id)
            # The new locations' own tokens join the token map (as under GHL, each has its own).
            conn.send(sandbox_env(sb))
        elif command == "seed_workload":
            # The workload's state straight into the store (ghlops/sandbox/seed.py): seconds, not minutes.
            import time

            from bench.workload import Workload
            from ghlops.sandbox.seed import seed_direct

            locations, objects, drifted = args
            started = time.perf_counter()
            desired = Workload(locations, objects).desired_models(seed=drifted, company_id=sb.company_id)
            calls = seed_direct(sb, desired)
            del desired
            sb.reset_rate_limits()
            sb.clear_requests()
            conn.send((calls, time.perf_counter() - started, sandbox_env(sb)))
        elif command == "faults":
            for name, value in args.items():
                setattr(sb.faults, name, value)
            conn.send(None)
        elif command == "clear":
            sb.clear_requests()
            conn.send(None)
        elif command == "stats":
            entries = sb.requests
            conn.send(
                RequestStats(
                    total=len(entries),
                    by_status=dict(Counter(r.status for r in entries)),
                    by_method=dict(Counter(r.method for r in entries)),
                    faults=sum(1 for r in entries if r.fault),
                    oauth=sum(1 for r in entries if r.path.startswith("/oauth/")),
                )
            )
        elif command == "targets":
            # (method, path with its query, location id) of every request since the log was cleared.
            conn.send(
                [
                    (r.method, r.path + ("?" + urlencode(r.query, doseq=True) if r.query else ""), r.location_id)
                    for r in sb.requests
                ]
            )
        elif command == "oauth_client":
            # The agency's OAuth app as an installation leaves it: client id, secret and a live refresh token.
            conn.send((sb.oauth_client_id, sb.oauth_client_secret, sb.issue_refresh_token()))
        elif command == "oauth_counters":
            conn.send((sb.gatekeeper.mints, sb.gatekeeper.refreshes))
        else:
            conn.send(ValueError(f"unknown command {command!r}"))


class SandboxProcess:
    """``with SandboxProcess(rate_limit=True) as sb: ... sb.env ...``"""

    def __init__(self, **faults: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, faults), name="ghlops-sandbox", daemon=True)
        self._process.start()
        self.env: dict[str, str] = self._conn.recv()

    def _call(self, command: str, args: Any = None) -> Any:
        self._conn.send((command, args))
        answer = self._conn.recv()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def create_locations(self, pairs: Sequence[tuple[str, str]]) -> None:
        self.env = self._call("create_locations", list(pairs))

    def seed_workload(self, locations: int, objects: int, *, drifted: bool = True) -> tuple[int, float]:
        """Make the live state bench/workload.py's (drifted: its seed; else its desired state) in the sandbox
        process itself, through ghlops's reader and executor but no HTTP (ghlops.sandbox.seed); creates the
        locations. Empties the request log and the rate-limit windows. Returns (calls made, seconds taken)."""
        calls, seconds, self.env = self._call("seed_workload", (locations, objects, drifted))
        return calls, seconds

    def set_faults(self, **values: Any) -> None:
        self._call("faults", values)

    def clear_requests(self) -> None:
        self._call("clear")

    def oauth_client(self) -> tuple[str, str, str]:
        """(client id, client secret, a fresh refresh token) of the sandbox's agency OAuth app."""
        found: tuple[str, str, str] = self._call("oauth_client")
        return found

    def oauth_counters(self) -> tuple[int, int]:
        """(location tokens minted, refreshes granted) since the sandbox started."""
        found: tuple[int, int] = self._call("oauth_counters")
        return found

    @property
    def pid(self) -> int:
        """The sandbox process's id (its CPU time is read from /proc by bench/profile_reads.py)."""
        pid = self._process.pid
        assert pid is not None
        return pid

    def request_targets(self) -> list[tuple[str, str, str | None]]:
        """(method, path and query, location id) of each request received since the log was cleared."""
        found: list[tuple[str, str, str | None]] = self._call("targets")
        return found

    def stats(self) -> RequestStats:
        stats: RequestStats = self._call("stats")
        return stats

    def close(self) -> None:
        if self._process.is_alive():
            self._call("stop")
        self._process.join(timeout=10)

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
