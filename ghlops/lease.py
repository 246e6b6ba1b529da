"""One apply at a time per location: a lease held in GHL itself.

GHL has no lock API, and it does not keep product, price or calendar names unique, so two applies on one
location (two CI runs, a laptop and CI) would both create the same objects. The lease is a custom value named
``ghlops.lock`` in the location, whose value records who holds it, for which run, and until when.

Taking it is *create, then look*: POST the custom value, then list the location's custom values. The run holds
the lease only when its own is the only unexpired one. If another unexpired lease shows up, the run deletes its
own and waits. Two runs racing can both back off (and retry after a jittered pause), but they can never both
hold it, and that does not depend on GHL refusing a second custom value with the same name (issue 13 says it
does; the sandbox refuses it). When GHL refuses the create as a duplicate, the listing shows who holds it.

- Expiry: a crashed holder's lease stops counting once ``expires`` has passed; the next run deletes it. A lease
  written on this machine by a process that no longer exists (a killed laptop run) stops counting at once.
- A create that may or may not have landed (a timeout after sending) is recognised by its run id in the list.
- Release deletes the lease by its own id, so a run whose lease expired and was taken over cannot delete the
  newer holder's lease.
- ``force_unlock`` is for humans (``ghlops force-unlock LOCATION``), when a holder is known to be gone.
- Renewal: while the apply writes, :class:`Renewer` renews every held lease each third of its TTL from a
  background thread (a PUT of the value with a later expiry, after a look that it is still ours), so an apply
  that writes for longer than the TTL keeps its locations. A renewal that finds the lease gone (force-unlocked,
  or expired and removed by another run) or held by another run marks the location lost: the executor starts
  no more writes there and reports it. A renewal that fails (GHL down) is retried at the next tick; once the
  lease would have expired unrenewed, the location is lost too.

What it cannot protect against: edits made in GHL's UI or by other tools while an apply runs, and the writes
already in flight when a renewal finds a location lost (they finish).
Plans never see the lease: the custom values kind skips it when reading, and manifests may not declare it.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ghlops.errors import AmbiguousWriteError, ApiError, ApiResponseError, PlanRefused
from ghlops.ghl.client import CallContext
from ghlops.ids import id_problem
from ghlops.kinds.custom_values import LEASE_NAME, is_lease
from ghlops.request import Request

logger = logging.getLogger("ghlops.lease")

DEFAULT_TTL_S = 15 * 60.0
DEFAULT_TIMEOUT_S = 0.0
DEFAULT_POLL_S = 5.0
_KIND = "lease"


class Sender(Protocol):
    def send(self, req: Request, *, location_id: str | None = ..., context: CallContext | None = ...) -> Any: ...


class LeaseHeld(PlanRefused):
    """Another run holds a location's lease (and did not let go within --lock-timeout)."""


@dataclass(frozen=True)
class LeaseInfo:
    """What a lease's value says. ``expires`` is None when the value is not one ghlops wrote."""

    holder: str
    run: str
    expires: datetime | None
    host: str = ""
    pid: int | None = None

    def to_value(self) -> str:
        expires = self.expires.strftime("%Y-%m-%dT%H:%M:%SZ") if self.expires else ""
        data: dict[str, object] = {"holder": self.holder, "run": self.run, "expires": expires}
        if self.host:
            data["host"] = self.host
        if self.pid is not None:
            data["pid"] = self.pid
        return json.dumps(data, sort_keys=True)

    @staticmethod
    def from_value(value: object) -> LeaseInfo:
        try:
            data = json.loads(value) if isinstance(value, str) else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return LeaseInfo(holder="unknown (not written by ghlops)", run="", expires=None)
        holder, run, expires = data.get("holder"), data.get("run"), data.get("expires")
        host, pid = data.get("host"), data.get("pid")
        when: datetime | None = None
        if isinstance(expires, str):
            try:
                when = datetime.strptime(expires, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            except ValueError:
                when = None
        return LeaseInfo(
            holder=holder if isinstance(holder, str) and holder else "unknown",
            run=run if isinstance(run, str) else "",
            expires=when,
            host=host if isinstance(host, str) else "",
            pid=pid if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 else None,
        )

    def expired(self, now: datetime) -> bool:
        # A value ghlops cannot read never expires by itself: a human made it, or something else did.
        return self.expires is not None and self.expires <= now

    def describe(self) -> str:
        run = f" (run {self.run})" if self.run else ""
        until = f", until {self.expires.strftime('%Y-%m-%d %H:%M:%S UTC')}" if self.expires else ""
        return f"{self.holder}{run}{until}"


@dataclass(frozen=True)
class LeaseSettings:
    ttl_s: float = DEFAULT_TTL_S
    timeout_s: float = DEFAULT_TIMEOUT_S  # how long to wait for a held lease (--lock-timeout)
    poll_s: float = DEFAULT_POLL_S


def run_id_from(env: Mapping[str, str]) -> str:
    """The run's id: GitHub's run id and attempt in Actions (so a lease names the run to look at), else random."""
    run = env.get("GITHUB_RUN_ID")
    if run:
        attempt = env.get("GITHUB_RUN_ATTEMPT", "1")
        return f"github-{run}-{attempt}-{uuid.uuid4().hex[:6]}"
    return uuid.uuid4().hex[:12]


def holder_from(env: Mapping[str, str]) -> str:
    """Who holds a lease, for the line a waiting run prints: the workflow in CI, else user@host."""
    if env.get("GITHUB_REPOSITORY") and env.get("GITHUB_WORKFLOW"):
        return f"GitHub Actions {env['GITHUB_REPOSITORY']} {env['GITHUB_WORKFLOW']}"
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "someone"
    return f"{user}@{socket.gethostname()}"


def process_alive(pid: int) -> bool:
    """Whether a process of this machine exists (signal 0 checks without signalling)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _list_request(location_id: str) -> Request:
    return Request("GET", ("/locations/", location_id, "/customValues"))


def _leases(client: Sender, location_id: str, label: str) -> list[tuple[str, LeaseInfo]]:
    body = client.send(_list_request(location_id), location_id=location_id, context=CallContext(label, _KIND))
    items = body.get("customValues") if isinstance(body, Mapping) else None
    found: list[tuple[str, LeaseInfo]] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and is_lease(item.get("name")) and isinstance(item.get("id"), str):
            _check_id(item["id"], _list_request(location_id), label)
            found.append((item["id"], LeaseInfo.from_value(item.get("value"))))
    return found


def _check_id(lease_id: str, req: Request, label: str) -> None:
    """A lease id goes into the DELETE that releases it: one that is not id-shaped is refused (issue 13 §4)."""
    problem = id_problem(lease_id, which=True)
    if problem is not None:
        raise ApiResponseError(
            f"unexpected answer: the lock's custom value {LEASE_NAME!r} has the id {problem}; refusing to use it",
            status=200,
            method=req.method,
            endpoint=req.endpoint,
            location=label,
            kind=_KIND,
        )


def _delete(client: Sender, location_id: str, label: str, lease_id: str) -> None:
    req = Request("DELETE", ("/locations/", location_id, "/customValues/", lease_id))
    try:
        client.send(req, location_id=location_id, context=CallContext(label, _KIND, LEASE_NAME))
    except ApiError as exc:
        if exc.status != 404:  # already gone: someone else cleared it
            raise


def read_leases(client: Sender, location_id: str, label: str | None = None) -> list[LeaseInfo]:
    return [info for _, info in _leases(client, location_id, label or location_id)]


def force_unlock(client: Sender, location_id: str, label: str | None = None) -> list[LeaseInfo]:
    """Delete every lease of a location, whoever holds it; returns what they said."""
    label = label or location_id
    leases = _leases(client, location_id, label)
    for lease_id, _ in leases:
        _delete(client, location_id, label, lease_id)
    return [info for _, info in leases]


class Leases:
    """The leases one run holds; ``acquire`` before the live read a plan is built on, ``release_all`` after the
    last write (also on failure)."""

    def __init__(
        self,
        client: Sender,
        *,
        holder: str,
        run: str,
        settings: LeaseSettings | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        host: str | None = None,
        alive: Callable[[int], bool] = process_alive,
    ) -> None:
        self._client = client
        self._holder = holder
        self._run = run
        self._settings = settings or LeaseSettings()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._host = socket.gethostname() if host is None else host
        self._alive = alive
        self.held: dict[str, tuple[str, str]] = {}  # location id -> (label, lease id)
        # location id -> when its lease expires unless renewed (clock seconds)
        self._expires: dict[str, float] = {}
        # location id -> why its lease was lost while held (found by a renewal); no write may start there.
        self._lost: dict[str, str] = {}
        self._lock = threading.Lock()  # held, _expires and _lost: renewals run beside the writes
        self._renewer: Renewer | None = None

    @property
    def ttl_s(self) -> float:
        return self._settings.ttl_s

    def lost(self, location_id: str) -> str | None:
        """Why this location's lease was lost while the run held it (one line naming the location), or None."""
        with self._lock:
            return self._lost.get(location_id)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _value(self) -> tuple[str, float]:
        """The lease's value (holder, run, expiry a TTL from now) and that expiry in clock seconds."""
        expires = (self._now() + timedelta(seconds=self._settings.ttl_s)).replace(microsecond=0)
        value = LeaseInfo(self._holder, self._run, expires, self._host, os.getpid()).to_value()
        return value, expires.timestamp()

    def _create(self, location_id: str, label: str) -> str | None:
        """POST our lease; its id, or None when GHL refused it as a duplicate or the outcome is unknown."""
        value, expires = self._value()
        with self._lock:
            self._expires[location_id] = expires
        req = Request(
            "POST",
            ("/locations/", location_id, "/customValues"),
            body={"name": LEASE_NAME, "value": value},
            id_field=("customValue", "id"),
        )
        try:
            body = self._client.send(req, location_id=location_id, context=CallContext(label, _KIND, LEASE_NAME))
        except AmbiguousWriteError:
            return None  # the listing tells, by our run id
        except ApiError as exc:
            if exc.status in (400, 409, 422) and "exist" in exc.message.casefold():
                return None
            raise
        created = body.get("customValue") if isinstance(body, Mapping) else None
        lease_id = created.get("id") if isinstance(created, Mapping) else None
        if not isinstance(lease_id, str):
            return None
        _check_id(lease_id, req, label)
        return lease_id

    def _gone(self, info: LeaseInfo, now: datetime) -> bool:
        """An expired lease, or one whose holder ran on this machine and no longer exists."""
        if info.expired(now):
            return True
        same_machine = bool(info.host) and info.host == self._host and info.pid is not None
        return same_machine and info.pid != os.getpid() and not self._alive(info.pid or 0)

    def acquire_one(self, location_id: str, label: str) -> None:
        if location_id in self.held:
            return
        deadline = self._clock() + self._settings.timeout_s
        retries_without_holder = 0
        while True:
            mine = self._create(location_id, label)
            leases = _leases(self._client, location_id, label)
            if mine is None:
                mine = next((i for i, info in leases if info.run == self._run), None)
            now = self._now()
            others = [(i, info) for i, info in leases if i != mine]
            for lease_id, info in others:
                if self._gone(info, now):
                    logger.info("location %s: removing the expired lease of %s", label, info.describe())
                    _delete(self._client, location_id, label, lease_id)
            blocking = [info for _, info in others if not self._gone(info, now)]
            if mine is not None and not blocking:
                with self._lock:
                    self.held[location_id] = (label, mine)
                logger.debug("location %s: lease taken (run %s)", label, self._run)
                return
            if mine is not None:
                _delete(self._client, location_id, label, mine)  # back off: someone else has it
            if not blocking:
                # Only expired leases were in the way, and they are gone now: try again at once, a bounded number
                # of times (GHL refusing the create while listing no lease must not loop forever).
                retries_without_holder += 1
                if retries_without_holder > 5:
                    raise LeaseHeld(
                        f"location {label}: GHL refuses the custom value {LEASE_NAME!r} but lists none; "
                        f"check the location's custom values"
                    )
                continue
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise LeaseHeld(
                    f"location {label}: another apply holds its lock: {blocking[0].describe()}; wait for it to "
                    f"finish, raise --lock-timeout, or run `ghlops force-unlock {label}` if that run is gone"
                )
            pause = min(remaining, self._settings.poll_s * (0.5 + self._rng.random()))
            logger.info("location %s: waiting for the lock held by %s", label, blocking[0].describe())
            self._sleep(pause)

    def acquire(self, locations: Sequence[tuple[str, str]], *, workers: int = 1) -> None:
        """Take the lease of each (location id, label), ``workers`` at once (each location's lease is its own:
        two calls, or a bounded wait for another run; one after the other, a thousand leases took longer than the
        writes, issue 15). On any failure every lease taken is released and the first failure, in the
        locations' order, is raised."""
        try:
            if workers <= 1 or len(locations) <= 1:
                for location_id, label in locations:
                    self.acquire_one(location_id, label)
                return
            with ThreadPoolExecutor(max_workers=min(len(locations), workers)) as pool:
                futures = [pool.submit(self.acquire_one, location_id, label) for location_id, label in locations]
            first = next((e for e in (f.exception() for f in futures) if e is not None), None)
            if first is not None:
                raise first
        except BaseException:
            self.release_all(workers=workers)
            raise

    def renew_one(self, location_id: str) -> str | None:
        """Renew one held lease: look that it is still ours and no other run holds the location, then write a
        later expiry. Returns why the lease is lost (and drops it: it is no longer ours to release), or None.
        A call that fails is not a loss until the lease would have expired unrenewed (never raises)."""
        with self._lock:
            if location_id not in self.held:
                return None
            label, lease_id = self.held[location_id]
        why = None
        try:
            leases = _leases(self._client, location_id, label)
            now = self._now()
            mine = next((info for i, info in leases if i == lease_id), None)
            others = [info for i, info in leases if i != lease_id and not self._gone(info, now)]
            if mine is None:
                why = "its lease is gone (force-unlocked, or expired and removed by another run)"
            elif mine.run != self._run:
                why = f"its lease now names another run: {mine.describe()}"
            elif others:
                why = f"another run holds it: {others[0].describe()}"
            else:
                value, expires = self._value()
                req = Request(
                    "PUT",
                    ("/locations/", location_id, "/customValues/", lease_id),
                    body={"name": LEASE_NAME, "value": value},
                )
                self._client.send(req, location_id=location_id, context=CallContext(label, _KIND, LEASE_NAME))
                with self._lock:
                    self._expires[location_id] = expires
                logger.debug("location %s: lease renewed (run %s)", label, self._run)
        except ApiError as exc:
            if exc.status == 404:
                why = "its lease is gone (force-unlocked, or expired and removed by another run)"
            else:
                with self._lock:
                    expired = self._clock() >= self._expires.get(location_id, 0.0)
                if not expired:
                    logger.warning("location %s: could not renew the lock (%s); trying again later", label, exc)
                    return None
                why = f"it could not be renewed before it expired ({exc})"
        if why is None:
            return None
        line = f"location {label}: the lock was lost while applying: {why}; no more writes start there"
        with self._lock:
            self.held.pop(location_id, None)
            self._lost[location_id] = line
        logger.warning("%s", line)
        return line

    def renew_all(self, *, workers: int = 1) -> list[str]:
        """Renew every held lease, ``workers`` at once; one line per location lost, in order (never raises)."""
        with self._lock:
            held = list(self.held)
        if workers <= 1 or len(held) <= 1:
            results = [self.renew_one(location_id) for location_id in held]
        else:
            with ThreadPoolExecutor(max_workers=min(len(held), workers)) as pool:
                results = list(pool.map(self.renew_one, held))
        return [line for line in results if line is not None]

    def release_one(self, location_id: str) -> str | None:
        """Release one held lease; the line saying why it could not be released, or None (never raises)."""
        with self._lock:
            label, lease_id = self.held.pop(location_id)
        try:
            _delete(self._client, location_id, label, lease_id)
        except ApiError as exc:
            return f"location {label}: could not release the lock ({exc}); it expires by itself"
        return None

    def start_renewing(
        self, *, workers: int = 1, interval: float | None = None, wait: Callable[[float], bool] | None = None
    ) -> Renewer:
        """Renew the held leases in the background until :meth:`release_all` (see :class:`Renewer`)."""
        if self._renewer is None:
            self._renewer = Renewer(self, workers=workers, interval=interval, wait=wait).start()
        return self._renewer

    def release_all(self, *, workers: int = 1) -> list[str]:
        """Stop renewing, then release every held lease, ``workers`` at once; one line per lease that could not
        be released, in order (never raises)."""
        renewer, self._renewer = self._renewer, None
        if renewer is not None:
            renewer.stop()
        with self._lock:
            held = list(self.held)
        if workers <= 1 or len(held) <= 1:
            results = [self.release_one(location_id) for location_id in held]
        else:
            with ThreadPoolExecutor(max_workers=min(len(held), workers)) as pool:
                results = list(pool.map(self.release_one, held))
        return [line for line in results if line is not None]


class Renewer:
    """Renews a run's leases from a background thread every ``interval`` seconds (default: a third of the
    TTL, so two renewals can fail before a lease expires) until :meth:`stop`, which waits for a renewal in
    flight to finish (each call is bounded by the client's request deadline). ``wait`` is how the thread waits
    between renewals: ``wait(seconds)`` returns True when the renewer should stop (tests inject one to tick the
    renewals themselves, without wall-clock sleeps)."""

    def __init__(
        self,
        leases: Leases,
        *,
        interval: float | None = None,
        workers: int = 1,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self._leases = leases
        self._interval = leases.ttl_s / 3 if interval is None else interval
        self._workers = workers
        self._stopping = threading.Event()
        self._wait = wait or self._stopping.wait
        self._thread: threading.Thread | None = None

    def start(self) -> Renewer:
        self._thread = threading.Thread(target=self._run, name="ghlops-lease-renewal", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._wait(self._interval) and not self._stopping.is_set():
            try:
                self._leases.renew_all(workers=self._workers)
            except Exception:  # never let the renewal thread die silently; the next tick tries again
                logger.exception("renewing the locks failed")

    def stop(self) -> None:
        """Renew no more (a renewal in flight finishes first)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Renewer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
