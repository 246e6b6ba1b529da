"""The :class:`Sandbox`: a GHL API v2 emulator on 127.0.0.1 for the demo, end-to-end tests and benchmarks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from ghlops.sandbox.app import App, Incoming, Outcome
from ghlops.sandbox.auth import DEFAULT_TOKEN_TTL_S, Gatekeeper, OAuthClient
from ghlops.sandbox.faults import FaultConfig, FaultKind, Faults, InjectedFault
from ghlops.sandbox.ratelimit import RateLimiter
from ghlops.sandbox.recorder import RecordedRequest, RequestLog
from ghlops.sandbox.routes import ROUTES
from ghlops.sandbox.routes.oauth import MARKETPLACE_ROUTES
from ghlops.sandbox.routing import Router
from ghlops.sandbox.server import SandboxServer
from ghlops.sandbox.store import Store
from ghlops.secret import Secret

logger = logging.getLogger(__name__)

# How often the serving loop looks for a stop request: stop() waits up to this long, and test suites start
# and stop a sandbox per test, so it is kept small (an idle wakeup costs next to nothing).
_POLL_INTERVAL_S = 0.01


class Sandbox:
    """Serve the emulated API over real HTTP.

    ``start()`` serves from a daemon thread, ``serve_forever()`` blocks until Ctrl-C or ``stop()``. State
    lives in ``store`` and survives ``stop()``, so tests can inspect it afterwards.
    """

    def __init__(
        self,
        db_path: str | Path = ":memory:",
        host: str = "127.0.0.1",
        port: int = 0,
        location_token: str | None = None,
        agency_token: str = "sandbox-agency-token",
        company_id: str = "sandbox-company",
        faults: FaultConfig | None = None,
        *,
        token_ttl_s: float = DEFAULT_TOKEN_TTL_S,
        oauth_client: OAuthClient | None = None,
        clock: Callable[[], float] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``location_token``, when given, is a shared token valid for every location: GHL has no such thing,
        so it is off by default and only tests poking many locations directly ask for it. Every location has
        its own token (:meth:`token_for`); ``agency_token`` is the agency's Private Integration token.

        Time is injected: ``clock`` (wall time, seconds) dates tokens, ``monotonic`` times the rate-limit windows,
        ``sleep`` waits out ``faults.latency_ms``; tests pass their own instead of waiting on real time."""
        config = faults if faults is not None else FaultConfig()
        self._host = host
        self._port = port
        self.company_id = company_id
        self.store = Store(db_path, company_id=company_id, seed=config.seed)
        self.gatekeeper = Gatekeeper(
            self.store,
            agency_token=Secret(agency_token),
            company_id=company_id,
            shared_location_token=Secret(location_token) if location_token else None,
            oauth_client=oauth_client,
            token_ttl_s=token_ttl_s,
            clock=clock,
        )
        self._faults = Faults(config)
        self._log = RequestLog()
        self._app = App(
            store=self.store,
            router=Router((*ROUTES, *MARKETPLACE_ROUTES)),
            gatekeeper=self.gatekeeper,
            faults=self._faults,
            limiter=RateLimiter(),
            log=self._log,
            company_id=company_id,
            monotonic=monotonic,
            sleep=sleep,
        )
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._agency_access: str | None = None

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Bind and serve from a daemon thread; returns self so ``sb = Sandbox().start()`` reads well."""
        with self._lock:
            if self._server is not None:
                raise RuntimeError("sandbox already started")
            server = self._bind()
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": _POLL_INTERVAL_S},
                name=f"ghlops-sandbox:{server.server_address[1]}",
                daemon=True,
            )
            self._thread.start()
        logger.info("sandbox serving on %s", self.url)
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until Ctrl-C or :meth:`stop` from another thread."""
        with self._lock:
            if self._server is not None:
                raise RuntimeError("sandbox already started")
            server = self._bind()
        logger.info("sandbox serving on %s", self.url)
        try:
            server.serve_forever(poll_interval=_POLL_INTERVAL_S)
        except KeyboardInterrupt:
            logger.info("sandbox interrupted")
        finally:
            self._close(server)

    def stop(self) -> None:
        """Stop serving, cut open connections and free the port. Safe to call twice."""
        with self._lock:
            server, thread = self._server, self._thread
            self._thread = None
        if server is None:
            return
        if thread is not None:
            server.shutdown()
            thread.join(timeout=5)
            self._close(server)
        else:
            # serve_forever() runs in another thread; its finally block closes the server.
            server.shutdown()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def location_token(self) -> str:
        """The shared every-location token; only a sandbox made with ``location_token=`` has one."""
        shared = self.gatekeeper.shared_location_token
        if shared is None:
            raise RuntimeError("this sandbox scopes tokens like GHL: use token_for(location_id)")
        return shared.reveal()

    @property
    def agency_token(self) -> str:
        """The agency's Private Integration token: company-level routes only, cannot mint location tokens."""
        return self.gatekeeper.agency_pit.reveal()

    def token_for(self, location_id: str) -> str:
        """The location's own Private Integration token (valid for that location only)."""
        return self.gatekeeper.location_pit(location_id)

    def location_tokens(self) -> dict[str, str]:
        """A token map for every location of the sandbox's company: what ``GHL_LOCATION_TOKENS`` holds."""
        return {loc: self.token_for(loc) for loc in sorted(self.store.company_locations(self.company_id))}

    @property
    def agency_access_token(self) -> str:
        """An agency OAuth access token (one per sandbox), as `ghlops auth refresh` would obtain."""
        with self._lock:
            if self._agency_access is None:
                self._agency_access = self.gatekeeper.issue_agency_access_token()
            return self._agency_access

    @property
    def oauth_client_id(self) -> str:
        return self.gatekeeper.oauth_client.client_id

    @property
    def oauth_client_secret(self) -> str:
        return self.gatekeeper.oauth_client.client_secret.reveal()

    def issue_refresh_token(self) -> str:
        """A live agency refresh token, as if the app had just been installed on the agency."""
        return self.gatekeeper.issue_refresh_token()

    @property
    def url(self) -> str:
        server = self._server
        if server is None:
            raise RuntimeError("sandbox is not serving: call start() first")
        host, port = server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _bind(self) -> SandboxServer:
        self._server = SandboxServer((self._host, self._port), self._app)
        return self._server

    def _close(self, server: SandboxServer) -> None:
        server.close_connections()
        server.server_close()
        with self._lock:
            if self._server is server:
                self._server = None

    # -- faults and request log -----------------------------------------------------------------------------

    @property
    def faults(self) -> FaultConfig:
        return self._faults.config

    @faults.setter
    def faults(self, config: FaultConfig) -> None:
        self._faults.config = config

    def inject(
        self,
        kind: FaultKind,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        status: int = 500,
        retry_after: float | None = None,
    ) -> None:
        """Make the next ``times`` requests matching method and path fail.

        ``reset`` drops the connection before the work, ``ambiguous`` after it (committed), ``status`` answers
        ``status`` (with ``Retry-After`` when given) without doing the work.
        """
        self._faults.inject(InjectedFault(kind, method, path_contains, times, status, retry_after))

    def handle(self, incoming: Incoming) -> Outcome:
        """Answer one request through the whole pipeline (faults, gateway, routing, rate limit, handler, request
        log) without a socket: what :mod:`ghlops.sandbox.seed` seeds through."""
        return self._app.handle(incoming)

    def reset_rate_limits(self) -> None:
        """Forget every request counted in the rate-limit windows (they count even when not enforced), so a
        benchmark measures from empty windows right after seeding instead of waiting a window out."""
        self._app.reset_rate_limits()

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._log.entries()

    def clear_requests(self) -> None:
        self._log.clear()
