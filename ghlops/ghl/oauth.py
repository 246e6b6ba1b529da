"""Agency OAuth: refresh the agency access token without ever losing the refresh token, mint location tokens.

GHL facts this relies on (../shared/ghl-openapi/oauth.json; https://highlevel.stoplight.io/docs/integrations/
OAuth 2.0 pages):

* ``POST /oauth/token`` (form-encoded, no bearer) with ``grant_type=refresh_token`` answers a new access token
  AND a new refresh token; the old refresh token stops working once used. So the successor is saved (atomic,
  0600) BEFORE the new access token is used, and a run refreshes at most once, all threads sharing it.
* ``POST /oauth/locationToken`` (form-encoded ``companyId``, ``locationId``; Version 2021-07-28) exchanges an
  agency OAuth token for a location token; GHL answers 200 or 201. Only an agency OAuth token may call it.
* An expired or revoked OAuth token gets 401 "Invalid JWT": the minted token is re-minted once (and the agency
  token refreshed once) before the call fails.

Minted tokens live in memory only. :class:`TokenAuth` is the httpx auth flow every GHL call goes through.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ghlops.errors import ApiError, ConfigError, TransportError, one_line
from ghlops.ghl.auth import Credentials, OAuthConfig, token_expiry
from ghlops.ghl.credentials_store import (
    StoredCredentials,
    check_writable,
    load_store,
    save_store,
    write_secret_file,
)
from ghlops.ghl.error_body import message_from_response
from ghlops.ghl.ratelimit import AGENCY_KEY, RateLimiter
from ghlops.ghl.retry import RETRIED_SERVER_STATUSES, parse_retry_after
from ghlops.ghl.transport_errors import describe
from ghlops.redact import remember as remember_secret
from ghlops.request import VERSION_DEFAULT, Auth
from ghlops.secret import Secret, redact

logger = logging.getLogger("ghlops.http")

TOKEN_PATH = "/oauth/token"
LOCATION_TOKEN_PATH = "/oauth/locationToken"
INSTALLED_LOCATIONS_PATH = "/oauth/installedLocations"
INVALID_JWT = "Invalid JWT"

# Renew a token this long before GHL says it expires, so a call never starts with one about to lapse.
_EXPIRY_MARGIN_S = 60.0
# Tries of a mint or an installations read on a 429, a 5xx or a dropped connection, and the longest pause.
_OAUTH_ATTEMPTS = 3
_MAX_PAUSE_S = 5.0


@dataclass(frozen=True)
class TokenSet:
    """What a grant answered (secrets masked in every repr)."""

    access_token: Secret
    refresh_token: Secret | None
    expires_at: float | None
    company_id: str | None
    scopes: tuple[str, ...]
    raw: Mapping[str, Any]


def is_invalid_jwt(response: httpx.Response) -> bool:
    if response.status_code != 401:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and str(body.get("message", "")).strip() == INVALID_JWT


class OAuthHttp:
    """Form-encoded OAuth calls over the client's connection pool; failures leave as :mod:`ghlops.errors`."""

    def __init__(
        self,
        http: httpx.Client,
        base_url: str,
        user_agent: str,
        secrets: Callable[[], tuple[Secret, ...]],
        *,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._http = http
        self._base_url = base_url
        self._user_agent = user_agent
        self._secrets = secrets
        # Calls made with the agency token (mints, installations) count against the agency's burst window
        # (GHL meters each app per resource, Location or Company, 100 / 10 s: the rate-limit section of
        # https://highlevel.stoplight.io/docs/integrations/ ; that a mint counts against the Company is our reading,
        # and the sandbox's): 500 locations minting at once would otherwise bounce off 429s. The
        # client's limiter shares that window with its users calls; without one, a window of GHL's defaults
        # that the answers' X-RateLimit-* headers tighten.
        self._limiter = limiter if limiter is not None else RateLimiter()
        self._adopt = limiter is None  # a window of our own takes the size GHL's first answer advertises
        self._adopt_lock = threading.Lock()

    def call(
        self,
        method: str,
        path: str,
        *,
        form: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        bearer: Secret | None = None,
        location: str | None = None,
        versioned: bool = True,
        attempts: int = 1,
    ) -> tuple[int, Any]:
        """One OAuth call; ``attempts`` > 1 retries a 429, a 5xx or a dropped connection (only for calls that
        are safe to repeat: a mint or a read, never the refresh grant, whose refresh token may be spent)."""
        headers = {"Accept": "application/json", "User-Agent": self._user_agent}
        if versioned:
            headers["Version"] = VERSION_DEFAULT
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer.reveal()}"
        secrets = self._secrets() + tuple(Secret(v) for v in (form or {}).values() if v)
        metered = bearer is not None  # the token grant takes no bearer and is not metered per resource
        attempt = 0
        while True:
            attempt += 1
            if metered:
                self._limiter.acquire(AGENCY_KEY)
            try:
                response = self._http.request(method, self._base_url + path, data=form, params=params, headers=headers)
            except httpx.TransportError as exc:
                if metered:
                    self._limiter.settle(AGENCY_KEY)
                if attempt < attempts:
                    self._pause(attempt, None)
                    continue
                raise TransportError(
                    redact(describe(exc, 30.0), secrets),
                    method=method,
                    endpoint=path,
                    location=location,
                ) from None
            logger.debug("%s %s -> %s (OAuth; body not logged)", method, path, response.status_code)
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if metered:
                self._limiter.settle(AGENCY_KEY)
                self._adopt_window(response.headers)
                self._limiter.observe(AGENCY_KEY, response.headers)
                if response.status_code == 429:
                    self._limiter.penalize(AGENCY_KEY, retry_after)
            if (response.status_code == 429 or response.status_code in RETRIED_SERVER_STATUSES) and attempt < attempts:
                if not (metered and response.status_code == 429):  # the limiter already holds the next try back
                    self._pause(attempt, retry_after)
                continue
            break
        if 200 <= response.status_code < 300:
            try:
                return response.status_code, response.json()
            except ValueError:
                raise ApiError(
                    "invalid JSON", status=response.status_code, method=method, endpoint=path, location=location
                ) from None
        message = message_from_response(response.status_code, response.headers.get("Content-Type"), response.content)
        if attempt > 1:
            message = f"{message} (after {attempt} attempts)"
        raise ApiError(
            redact(one_line(message), secrets),
            status=response.status_code,
            method=method,
            endpoint=path,
            location=location,
        )

    def _adopt_window(self, headers: httpx.Headers) -> None:
        """Size our own window from ``X-RateLimit-Max`` and ``X-RateLimit-Interval-Milliseconds`` once (GHL
        advertises 100 per 10 000 ms, the default; a sandbox may advertise a smaller, shorter window)."""
        if not self._adopt:
            return
        with self._adopt_lock:
            if not self._adopt:
                return
            self._adopt = False
            try:
                maximum = int(headers.get("X-RateLimit-Max", ""))
                window_s = float(headers.get("X-RateLimit-Interval-Milliseconds", "")) / 1000
            except ValueError:
                return
            if maximum >= 1 and window_s > 0:
                self._limiter = RateLimiter(maximum, window_s)

    @staticmethod
    def _pause(attempt: int, retry_after: float | None) -> None:
        # Short and bounded: a mint is one small call, and a run waiting minutes on it helps nobody.
        time.sleep(min(retry_after if retry_after is not None else 0.25 * 2 ** (attempt - 1), _MAX_PAUSE_S))


class AgencyOAuth:
    """The run's agency OAuth state: one refresh at most, one mint per location, all thread-safe."""

    def __init__(self, config: OAuthConfig, http: OAuthHttp, *, clock: Callable[[], float] = time.time) -> None:
        self._config = config
        self._http = http
        self._clock = clock
        self._lock = threading.Lock()  # guards the access token and the refresh
        self._access: Secret | None = config.access_token
        self._expires_at: float | None = config.access_expires_at
        self._company_id = config.company_id
        self._refresh_token = config.refresh_token
        self._refreshed = False
        self._minted: dict[str, Secret] = {}
        self._reminted: set[str] = set()
        self._location_locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._all: list[Secret] = []
        self.mints = 0
        self.refreshes = 0
        self.last_grant: TokenSet | None = None

    # -- the agency token -----------------------------------------------------------------------------------

    def agency_token(self) -> Secret:
        with self._lock:
            if self._access is not None and not self._expiring():
                return self._access
            return self._refresh_locked("the agency access token is missing or expired")

    def refresh(self) -> TokenSet:
        """Refresh now (`ghlops auth refresh`): the rotated refresh token is saved before this returns."""
        with self._lock:
            self._refresh_locked("asked to")
        assert self.last_grant is not None
        return self.last_grant

    @property
    def company_id(self) -> str | None:
        return self._company_id

    def _expiring(self) -> bool:
        return self._expires_at is not None and self._clock() >= self._expires_at - _EXPIRY_MARGIN_S

    def _refresh_locked(self, why: str) -> Secret:
        config = self._config
        if self._refreshed:
            raise ConfigError(
                "the agency OAuth token was refused again right after this run refreshed it; "
                "check the app's installation and scopes (`ghlops auth status`)"
            )
        if not config.has_refresh:
            raise ConfigError(
                f"the agency OAuth token cannot be renewed ({why}): set GHL_OAUTH_CLIENT_ID, "
                "GHL_OAUTH_CLIENT_SECRET and GHL_OAUTH_REFRESH_TOKEN_FILE, or run the token-refresh workflow"
            )
        refusal = config.refresh_refusal()
        if refusal:
            raise ConfigError(f"refusing to refresh the agency OAuth token: {refusal}")
        # Where the successor goes must be writable before the old refresh token is spent.
        if config.refresh_file is not None:
            check_writable(config.refresh_file, "the rotated refresh token")
        elif config.store_path is not None:
            check_writable(config.store_path, "the rotated refresh token")
        assert config.client_id and config.client_secret and self._refresh_token
        self._refreshed = True
        _, body = self._http.call(
            "POST",
            TOKEN_PATH,
            form={
                "client_id": config.client_id,
                "client_secret": config.client_secret.reveal(),
                "grant_type": "refresh_token",
                "refresh_token": self._refresh_token.reveal(),
                "user_type": "Company",
            },
            versioned=False,
        )
        grant = _token_set(body, self._clock())
        self._remember(grant.access_token)
        if grant.refresh_token:
            self._remember(grant.refresh_token)
            self._save_refresh_token(grant.refresh_token, grant.company_id)
            self._refresh_token = grant.refresh_token
        self.refreshes += 1
        # Only now, with the successor safely on disk, is the new access token used.
        self._access = grant.access_token
        self._expires_at = grant.expires_at
        self._company_id = self._company_id or grant.company_id
        self.last_grant = grant
        return grant.access_token

    def _save_refresh_token(self, token: Secret, company_id: str | None) -> None:
        config = self._config
        if config.refresh_file is not None:
            write_secret_file(config.refresh_file, token.reveal() + "\n")
        elif config.store_path is not None:
            stored = load_store(config.store_path)
            assert config.client_id and config.client_secret
            save_store(
                config.store_path,
                StoredCredentials(
                    client_id=config.client_id,
                    client_secret=config.client_secret,
                    refresh_token=token,
                    company_id=(stored.company_id if stored else None) or company_id,
                    white_label=stored.white_label if stored else False,
                ),
            )

    # -- location tokens ------------------------------------------------------------------------------------

    def mint(self, location_id: str) -> Secret:
        with self._location_lock(location_id):
            token = self._minted.get(location_id)
            if token is not None:
                return token
            return self._mint_locked(location_id)

    def renew(self, location_id: str | None, stale: Secret) -> Secret | None:
        if location_id is None:
            with self._lock:
                if self._access is not None and self._access != stale:
                    return self._access  # another thread already refreshed
                return self._refresh_locked("GHL answered Invalid JWT")
        with self._location_lock(location_id):
            current = self._minted.get(location_id)
            if current is not None and current != stale:
                return current
            if location_id in self._reminted:
                return None
            self._reminted.add(location_id)
            self._minted.pop(location_id, None)
            return self._mint_locked(location_id)

    def _mint_locked(self, location_id: str) -> Secret:
        company_id = self._company_id
        agency = self.agency_token()
        company_id = company_id or self._company_id
        if not company_id:
            raise ConfigError("minting a location token needs the agency's company id: set GHL_COMPANY_ID")
        form = {"companyId": company_id, "locationId": location_id}

        def post(bearer: Secret) -> Any:
            _, answer = self._http.call(
                "POST", LOCATION_TOKEN_PATH, form=form, bearer=bearer, location=location_id, attempts=_OAUTH_ATTEMPTS
            )
            return answer

        try:
            try:
                body = post(agency)
            except ApiError as exc:
                if not (exc.status == 401 and INVALID_JWT in str(exc)):
                    raise
                fresh = self.renew(None, agency)
                if fresh is None:
                    raise
                body = post(fresh)
        except ApiError as exc:
            if exc.endpoint != LOCATION_TOKEN_PATH:
                raise  # the refresh on the way failed: its own message says why
            if exc.status == 401 and INVALID_JWT not in str(exc):
                raise ConfigError(
                    f"location {location_id}: GHL refused to mint a location token ({exc}); "
                    "only an agency OAuth token can (a Private Integration token cannot)"
                ) from None
            if exc.status in (400, 403):
                # GHL answers so for a location outside the agency or one the app is not installed on.
                raise ApiError(
                    f"{exc.message}: is the app installed on this location? (`ghlops auth status` lists where it is)",
                    status=exc.status,
                    method="POST",
                    endpoint=LOCATION_TOKEN_PATH,
                    location=location_id,
                ) from None
            raise
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
            raise ApiError(
                "the answer has no access_token",
                status=200,
                method="POST",
                endpoint=LOCATION_TOKEN_PATH,
                location=location_id,
            )
        token = Secret(body["access_token"])
        self._remember(token)
        refresh = body.get("refresh_token")
        if isinstance(refresh, str) and refresh:
            # GHL now answers a location refresh token too (highlevel-api-docs #285): never kept, never shown.
            self._remember(Secret(refresh))
        with self._lock:
            self.mints += 1
        self._minted[location_id] = token
        return token

    def _location_lock(self, location_id: str) -> threading.Lock:
        with self._locks_lock:
            return self._location_locks.setdefault(location_id, threading.Lock())

    def _remember(self, secret: Secret) -> None:
        remember_secret(secret)  # masked in every output (ghlops.redact)
        with self._locks_lock:
            self._all.append(secret)

    def secrets(self) -> tuple[Secret, ...]:
        with self._locks_lock:
            return tuple(self._all) + self._config.secrets()


def _token_set(body: Any, now: float) -> TokenSet:
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise ApiError("the answer has no access_token", status=200, method="POST", endpoint=TOKEN_PATH)
    access = Secret(body["access_token"])
    refresh = body.get("refresh_token")
    remember_secret(access, refresh if isinstance(refresh, str) else None)
    expires_in = body.get("expires_in")
    expires_at = now + float(expires_in) if isinstance(expires_in, int | float) else token_expiry(access)
    scope = body.get("scope")
    company = body.get("companyId")
    return TokenSet(
        access_token=access,
        refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
        expires_at=expires_at,
        company_id=company if isinstance(company, str) and company else None,
        scopes=tuple(scope.split()) if isinstance(scope, str) else (),
        raw={k: v for k, v in body.items() if k not in ("access_token", "refresh_token")},
    )


def exchange_code(
    http: OAuthHttp, client_id: str, client_secret: Secret, code: Secret, redirect_uri: str, now: float
) -> TokenSet:
    """The authorization-code grant (`ghlops auth login`)."""
    _, body = http.call(
        "POST",
        TOKEN_PATH,
        form={
            "client_id": client_id,
            "client_secret": client_secret.reveal(),
            "grant_type": "authorization_code",
            "code": code.reveal(),
            "user_type": "Company",
            "redirect_uri": redirect_uri,
        },
        versioned=False,
    )
    return _token_set(body, now)


class TokenAuth(httpx.Auth):
    """The Authorization header of one GHL call, with one retry on 401 "Invalid JWT" for OAuth tokens."""

    requires_response_body = True

    def __init__(self, credentials: Credentials, auth: Auth, location_id: str | None) -> None:
        self._credentials = credentials
        self._auth = auth
        self._location_id = location_id

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._credentials.token_for(self._auth, self._location_id)
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        response = yield request
        if is_invalid_jwt(response):
            fresh = self._credentials.renew(self._auth, self._location_id, token)
            if fresh is not None and fresh != token:
                request.headers["Authorization"] = f"Bearer {fresh.reveal()}"
                yield request


def describe_grant(grant: TokenSet) -> str:
    """A safe one-line summary of a grant (no secret): company, expiry, scope count."""
    expires = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(grant.expires_at)) if grant.expires_at else "unknown"
    return f"company {grant.company_id or 'unknown'}, expires {expires}, {len(grant.scopes)} scopes"
