"""Gateway checks GHL makes before any service sees a call, and the tokens the sandbox issues.

Tokens are scoped as GHL scopes them (GoHighLevel/highlevel-api-docs #226 and the per-operation ``security``
of ../shared/ghl-openapi): a sub-account token (a location's Private Integration token or an OAuth location
token) reaches only its own location (403 elsewhere); an agency token cannot call location-level routes (401
"The token is not authorized for this scope."); only an agency *OAuth* token can be exchanged for location
tokens at ``POST /oauth/locationToken`` (a PIT gets 401). OAuth tokens are JWT-shaped like GHL's and expire
after ``token_ttl`` seconds (GHL: 86399, https://highlevel.stoplight.io/docs/integrations/ OAuth 2.0 page).

A *shared* location token valid for every location is not how GHL behaves; it exists only when a caller asks
for it (``Sandbox(location_token=...)``), for tests that poke many locations directly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from ghlops.sandbox.replies import error, no_location_access, unauthorized
from ghlops.sandbox.routing import Access, Identity, Route
from ghlops.sandbox.store import Store
from ghlops.secret import Secret

PUBLISHED_VERSIONS = frozenset({"2021-04-15", "2021-07-28", "2023-02-21", "v3"})

DEFAULT_TOKEN_TTL_S = 86399

_INVALID_TOKEN = "Invalid token: access token is invalid"
_INVALID_JWT = "Invalid JWT"
_AGENCY_ONLY = "This route is not yet supported by the IAM Service."
NOT_IN_SCOPE = "The token is not authorized for this scope."

#: The scopes the sandbox's OAuth app is granted: what ghlops needs for every kind (see ghlops.ghl.scopes).
GRANTED_SCOPES = (
    "locations.readonly",
    "locations/customFields.readonly",
    "locations/customFields.write",
    "locations/customValues.readonly",
    "locations/customValues.write",
    "locations/tags.readonly",
    "locations/tags.write",
    "calendars.readonly",
    "calendars.write",
    "products.readonly",
    "products.write",
    "products/prices.readonly",
    "products/prices.write",
    "users.readonly",
    "users.write",
    "oauth.readonly",
    "oauth.write",
)


@dataclass(frozen=True)
class OAuthClient:
    """The sandbox's Marketplace app: ``app_id`` is the part of the client id before the dash, as in GHL."""

    client_id: str
    client_secret: Secret
    app_id: str


@dataclass
class _OAuthState:
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (redirect_uri, user_type)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # live refresh token -> user type
    used_refresh_tokens: set[str] = field(default_factory=set)
    revoked: set[str] = field(default_factory=set)  # access tokens answered 401 "Invalid JWT" from now on
    refuse_mints: dict[str, int] = field(default_factory=dict)  # location id -> minted tokens still to revoke
    refreshes: int = 0
    mints: int = 0


class Gatekeeper:
    """Knows the sandbox's tokens and decides who a caller is and what it may touch."""

    def __init__(
        self,
        store: Store,
        *,
        agency_token: Secret,
        company_id: str,
        shared_location_token: Secret | None = None,
        oauth_client: OAuthClient | None = None,
        token_ttl_s: float = DEFAULT_TOKEN_TTL_S,
        clock: Callable[[], float] | None = None,
    ) -> None:
        import time

        self._store = store
        self._company_id = company_id
        self._shared = shared_location_token
        self._clock = clock or time.time
        self.token_ttl_s = token_ttl_s
        self._signing_key = secrets.token_bytes(32)
        self.oauth_client = oauth_client or OAuthClient(
            client_id=f"{secrets.token_hex(12)}-{secrets.token_hex(4)}",
            client_secret=Secret(str(uuid.uuid4())),
            app_id="",
        )
        if not self.oauth_client.app_id:
            self.oauth_client = replace(self.oauth_client, app_id=self.oauth_client.client_id.split("-")[0])
        self._lock = threading.Lock()
        self._tokens: dict[str, Identity] = {agency_token.reveal(): Identity(Access.AGENCY, company_id=company_id)}
        self._agency_pit = agency_token
        self._pits: dict[str, str] = {}  # location id -> its Private Integration token
        self._oauth = _OAuthState()

    # -- issuing --------------------------------------------------------------------------------------------

    @property
    def agency_pit(self) -> Secret:
        return self._agency_pit

    @property
    def shared_location_token(self) -> Secret | None:
        return self._shared

    def location_pit(self, location_id: str) -> str:
        """The location's Private Integration token (issued on first ask, one per location)."""
        with self._lock:
            token = self._pits.get(location_id)
            if token is None:
                token = f"pit-{uuid.uuid4()}"
                self._pits[location_id] = token
                self._tokens[token] = Identity(Access.LOCATION, location_id, company_id=self._company_id)
            return token

    def issue_refresh_token(self, user_type: str = "Company") -> str:
        """A live refresh token, as if an agency admin had just installed the app (what `ghlops sandbox` prints)."""
        token = self._jwt({"authClass": user_type, "authClassId": self._company_id, "type": "refresh"})
        with self._lock:
            self._oauth.refresh_tokens[token] = user_type
        return token

    def issue_agency_access_token(self) -> str:
        """A fresh agency (Company) OAuth access token."""
        return self._access_token("Company", self._company_id)

    def issue_code(self, redirect_uri: str, user_type: str = "Company") -> str:
        code = secrets.token_hex(20)
        with self._lock:
            self._oauth.codes[code] = (redirect_uri, user_type)
        return code

    @property
    def refreshes(self) -> int:
        return self._oauth.refreshes

    @property
    def mints(self) -> int:
        return self._oauth.mints

    @property
    def used_refresh_tokens(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._oauth.used_refresh_tokens)

    def refuse_next_mints(self, location_id: str, count: int = 1) -> None:
        """The next ``count`` location tokens minted for ``location_id`` are refused with 401 "Invalid JWT" on
        every use, as GHL refuses an OAuth token that was revoked (the app re-installed, the token rotated
        server-side) while its exp claim still looks valid to the caller."""
        with self._lock:
            self._oauth.refuse_mints[location_id] = self._oauth.refuse_mints.get(location_id, 0) + count

    def revoke(self, token: str) -> None:
        """Refuse ``token`` with 401 "Invalid JWT" from now on (a revoked OAuth access token)."""
        with self._lock:
            self._oauth.revoked.add(token)

    def issued(self) -> frozenset[str]:
        """Every token and refresh token the sandbox has issued (the token-hygiene tests grep for them)."""
        with self._lock:
            return frozenset({*self._tokens, *self._oauth.refresh_tokens, *self._oauth.used_refresh_tokens})

    def _access_token(self, user_type: str, class_id: str) -> str:
        now = self._clock()
        claims = {
            "authClass": user_type,
            "authClassId": class_id,
            "source": "INTEGRATION",
            "sourceId": self.oauth_client.client_id,
            "channel": "OAUTH",
            "primaryAuthClassId": class_id,
            "oauthMeta": {
                "scopes": list(GRANTED_SCOPES),
                "client": self.oauth_client.app_id,
                "versionId": self.oauth_client.app_id,
                "clientKey": self.oauth_client.client_id,
            },
            "iat": int(now),
            "exp": now + self.token_ttl_s,
        }
        token = self._jwt(claims)
        access = Access.AGENCY if user_type == "Company" else Access.LOCATION
        identity = Identity(
            access,
            None if user_type == "Company" else class_id,
            company_id=self._company_id,
            oauth=True,
            expires_at=now + self.token_ttl_s,
        )
        with self._lock:
            self._tokens[token] = identity
        return token

    def _jwt(self, claims: Mapping[str, object]) -> str:
        def part(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        # A nonce keeps two tokens issued within the same second distinct.
        body = {**claims, "jti": secrets.token_hex(8)}
        head = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = part(json.dumps(body, separators=(",", ":")).encode())
        signature = hmac.new(self._signing_key, f"{head}.{payload}".encode(), hashlib.sha256).digest()
        return f"{head}.{payload}.{part(signature)}"

    # -- OAuth grants ---------------------------------------------------------------------------------------

    def grant(self, form: Mapping[str, str]) -> dict[str, object]:
        """``POST /oauth/token``: the authorization-code and refresh-token grants; refresh tokens rotate."""
        # Every refusal text below is OUR GUESS: GHL publishes no list of its /oauth/token error messages (asked
        # for in GoHighLevel/highlevel-api-docs #249, open), and the maintainers say some refresh failures come
        # back as 400 (same issue: "We are sending 400 as status code", e.g. "Location is not active"). ghlops
        # relies only on a 4xx here being a refusal, never on the wording.
        client = self.oauth_client
        if form.get("client_id") != client.client_id or form.get("client_secret") != client.client_secret.reveal():
            raise error(401, "Invalid client credentials", "bare")
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                found = self._oauth.codes.pop(form.get("code", ""), None)
                if found is None:
                    raise error(401, "Invalid grant: authorization code is invalid", "bare")
                redirect_uri, user_type = found
                if form.get("redirect_uri") and form["redirect_uri"] != redirect_uri:
                    raise error(401, "Invalid grant: redirect_uri does not match", "bare")
            elif grant_type == "refresh_token":
                token = form.get("refresh_token", "")
                if token in self._oauth.used_refresh_tokens:
                    raise error(401, "Invalid grant: refresh token is invalid", "bare")
                found_type = self._oauth.refresh_tokens.pop(token, None)
                if found_type is None:
                    raise error(401, "Invalid grant: refresh token is invalid", "bare")
                user_type = found_type
                self._oauth.used_refresh_tokens.add(token)
                self._oauth.refreshes += 1
            else:
                raise error(422, ["grant_type must be one of authorization_code, refresh_token"], "nest")
        access = self._access_token(user_type, self._company_id)
        refresh = self.issue_refresh_token(user_type)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(self.token_ttl_s),
            "refresh_token": refresh,
            "scope": " ".join(GRANTED_SCOPES),
            "userType": user_type,
            "companyId": self._company_id,
            "userId": "sandbox-installer",
            "isBulkInstallation": True,
            "installToFutureLocations": True,
            "approveAllLocations": True,
        }

    def mint(self, identity: Identity, company_id: str, location_id: str) -> dict[str, object]:
        """``POST /oauth/locationToken``: an agency OAuth token buys a location token (never a PIT)."""
        if identity.access is not Access.AGENCY or not identity.oauth:
            # The 401 is documented (../shared/ghl-openapi/oauth.json: Agency-Access-Only; GHL's page "Get Location
            # Access Token from Agency Token": "OAuth access token only (Private Integration Tokens are not
            # accepted)", https://marketplace.gohighlevel.com/docs/ghl/oauth/get-location-access-token.md). The
            # message is OUR GUESS: GHL documents only its UnauthorizedDTO shape here, not the wording.
            raise unauthorized("This authClass is not yet supported", "bare")
        location = self._store.location(location_id)
        if company_id != identity.company_id or location is None or location.company_id != company_id:
            # OUR GUESS, status and text: oauth.json lists only 200/400/401/422 for this operation, and we found no
            # report of GHL's answer for a location outside the agency or without the app. We answer as GHL's
            # location routes do for a location out of reach (403, never 404); ghlops treats any 4xx here as "not
            # installed there" and says so.
            raise no_location_access()
        token = self._access_token("Location", location_id)
        with self._lock:
            self._oauth.mints += 1
            left = self._oauth.refuse_mints.get(location_id, 0)
            if left:
                self._oauth.refuse_mints[location_id] = left - 1
                self._oauth.revoked.add(token)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(self.token_ttl_s),
            # GHL's response schema gained a refresh token here (GoHighLevel/highlevel-api-docs #285, 2026-05).
            # ghlops never keeps it (a location token is minted again next run), but must never show it either.
            "refresh_token": self.issue_refresh_token("Location"),
            "scope": " ".join(GRANTED_SCOPES),
            "locationId": location_id,
            "userId": "sandbox-installer",
        }

    # -- checks ---------------------------------------------------------------------------------------------

    def identify(self, headers: Mapping[str, str]) -> Identity:
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthorized(_INVALID_TOKEN)
        if self._shared is not None and token == self._shared.reveal():
            return Identity(Access.LOCATION, company_id=self._company_id)
        with self._lock:
            identity = self._tokens.get(token)
            revoked = token in self._oauth.revoked
        if revoked:
            raise unauthorized(_INVALID_JWT, "bare")
        if identity is not None:
            if identity.expires_at is not None and self._clock() >= identity.expires_at:
                raise unauthorized(_INVALID_JWT, "bare")
            return identity
        location_id = self._store.location_of_token(token)
        if location_id is not None:
            return Identity(Access.LOCATION, location_id, company_id=self._company_id)
        if token.count(".") == 2:
            raise unauthorized(_INVALID_JWT, "bare")
        raise unauthorized(_INVALID_TOKEN)

    @staticmethod
    def check_version(headers: Mapping[str, str]) -> None:
        version = headers.get("version")
        if version is None or not version.strip():
            raise unauthorized("Version header was not found", "bare")
        if version.strip() not in PUBLISHED_VERSIONS:
            raise unauthorized("Invalid version header", "bare")

    @staticmethod
    def check_route_access(identity: Identity, route: Route) -> None:
        """Location routes refuse agency tokens and agency routes refuse location tokens, as GHL does."""
        needed = route.access
        if needed is Access.AGENCY and identity.access is not Access.AGENCY:
            raise unauthorized(_AGENCY_ONLY)
        if needed is Access.LOCATION and identity.access is Access.AGENCY:
            raise unauthorized(route.agency_refusal or NOT_IN_SCOPE, "bare")

    def check_location(self, identity: Identity, location_id: str, company_id: str) -> None:
        """The location must exist and the token must reach it; GHL says 403 for both, never 404."""
        location = self._store.location(location_id)
        if location is None:
            raise no_location_access()
        if identity.access is Access.AGENCY:
            if location.company_id != company_id:
                raise no_location_access()
        elif identity.location_id is not None and identity.location_id != location_id:
            raise no_location_access()
