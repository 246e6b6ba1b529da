"""Which token a GHL call is sent with.

A location's token comes from the first source that applies (GHL scopes a sub-account token to its own
location, GoHighLevel/highlevel-api-docs #226):

1. the variable the location's manifest names in ``spec.tokenEnv``;
2. ``GHL_LOCATION_TOKENS``: one JSON object ``{"<locationId or manifest name>": "<token>", ...}`` (or that
   object in the file ``GHL_LOCATION_TOKENS_FILE`` names, past the 128 KB one variable may hold);
3. a location token minted from the agency OAuth access token (``POST /oauth/locationToken``, see
   :mod:`ghlops.ghl.oauth`): ``GHL_AGENCY_TOKEN`` when it is an agency OAuth token, or one obtained by
   refreshing with ``GHL_OAUTH_CLIENT_ID``/``GHL_OAUTH_CLIENT_SECRET`` and a refresh token
   (``GHL_OAUTH_REFRESH_TOKEN``, ``GHL_OAUTH_REFRESH_TOKEN_FILE`` or the store `ghlops auth login` writes);
4. ``GHL_TOKEN``.

Company-level calls (users) use ``GHL_AGENCY_TOKEN`` (a PIT or an OAuth token), else the refreshed agency
OAuth token. Everything here is pure (no network): what is missing is known before any call.
Tokens are :class:`~ghlops.secret.Secret` objects from the moment they are read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import NoReturn, Protocol

from ghlops.errors import ConfigError
from ghlops.ghl.credentials_store import credentials_path, load_store, read_secret_file
from ghlops.identity import jwt_claims
from ghlops.request import Auth
from ghlops.secret import Secret

ENV_LOCATION_TOKEN = "GHL_TOKEN"
ENV_AGENCY_TOKEN = "GHL_AGENCY_TOKEN"
ENV_LOCATION_TOKENS = "GHL_LOCATION_TOKENS"
ENV_LOCATION_TOKENS_FILE = "GHL_LOCATION_TOKENS_FILE"  # a path: the same JSON object, in a file
ENV_COMPANY_ID = "GHL_COMPANY_ID"
ENV_CLIENT_ID = "GHL_OAUTH_CLIENT_ID"
ENV_CLIENT_SECRET = "GHL_OAUTH_CLIENT_SECRET"
ENV_REFRESH_TOKEN = "GHL_OAUTH_REFRESH_TOKEN"
ENV_REFRESH_TOKEN_FILE = "GHL_OAUTH_REFRESH_TOKEN_FILE"

#: Every variable that may hold a secret (the token-hygiene tests and `auth status` use it).
SECRET_ENVS = (ENV_LOCATION_TOKEN, ENV_AGENCY_TOKEN, ENV_LOCATION_TOKENS, ENV_CLIENT_SECRET, ENV_REFRESH_TOKEN)

WHAT_TO_SET = (
    f"add it to {ENV_LOCATION_TOKENS}, set spec.tokenEnv, or use an agency OAuth app "
    f"({ENV_AGENCY_TOKEN} from it, or {ENV_CLIENT_ID}, {ENV_CLIENT_SECRET} and {ENV_REFRESH_TOKEN_FILE})"
)


class Source(StrEnum):
    """Where a location's token came from (shown by --debug and `ghlops auth status`, never the token)."""

    TOKEN_ENV = "spec.tokenEnv"
    TOKEN_MAP = ENV_LOCATION_TOKENS
    MINTED = "the agency OAuth token (minted per location)"
    DEFAULT = ENV_LOCATION_TOKEN


def token_kind(token: Secret | None) -> str:
    """``"oauth-company"``, ``"oauth-location"``, ``"pit"`` (anything that is not a JWT) or ``"none"``."""
    if not token:
        return "none"
    claims = jwt_claims(token.reveal())
    if not claims:
        return "pit"
    return "oauth-company" if claims.get("authClass") == "Company" else "oauth-location"


def token_expiry(token: Secret) -> float | None:
    exp = jwt_claims(token.reveal()).get("exp")
    return float(exp) if isinstance(exp, int | float) else None


def token_scopes(token: Secret) -> tuple[str, ...] | None:
    meta = jwt_claims(token.reveal()).get("oauthMeta")
    scopes = meta.get("scopes") if isinstance(meta, dict) else None
    return tuple(str(s) for s in scopes) if isinstance(scopes, list) else None


def parse_token_map(env: Mapping[str, str]) -> dict[str, Secret]:
    """``GHL_LOCATION_TOKENS`` (or the file ``GHL_LOCATION_TOKENS_FILE`` names) as keys → tokens; ConfigError
    (never quoting the value) when malformed.

    The file is for agencies with thousands of locations: Linux refuses one environment variable over 128 KB
    ("Argument list too long" when the process starts), about 1,500 location tokens.
    """
    raw = env.get(ENV_LOCATION_TOKENS, "").strip()
    file_raw = env.get(ENV_LOCATION_TOKENS_FILE, "").strip()
    where = ENV_LOCATION_TOKENS
    if file_raw:
        if raw:
            raise ConfigError(f"set {ENV_LOCATION_TOKENS} or {ENV_LOCATION_TOKENS_FILE}, not both")
        where = f"{ENV_LOCATION_TOKENS_FILE} ({file_raw})"
        try:
            raw = Path(file_raw).expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read {where}: {exc.strerror or type(exc).__name__}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{where} is not UTF-8 text") from None
        if not raw:
            raise ConfigError(f"{where} is empty")
    if not raw:
        return {}
    shape = 'must be a JSON object {"<locationId>": "<token>", ...}'
    try:
        data = json.loads(raw)
    except ValueError:
        raise ConfigError(f"{where} {shape}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where} {shape}")
    tokens: dict[str, Secret] = {}
    for key, value in data.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: the entry for {key!r} must be a non-empty string")
        tokens[str(key)] = Secret(value.strip())
    return tokens


@dataclass(frozen=True)
class OAuthConfig:
    """The agency OAuth credentials configured for a run (nothing fetched yet)."""

    access_token: Secret | None = None  # GHL_AGENCY_TOKEN when it is an agency OAuth token
    client_id: str | None = None
    client_secret: Secret | None = None
    refresh_token: Secret | None = None
    refresh_origin: str | None = None  # ENV_REFRESH_TOKEN, ENV_REFRESH_TOKEN_FILE or "store"
    refresh_file: Path | None = None  # where a rotated refresh token is written (file origin or env+file)
    store_path: Path | None = None  # the credentials store, when it supplied the client or refresh token
    company_id: str | None = None

    @property
    def has_refresh(self) -> bool:
        return bool(self.client_id and self.client_secret and self.refresh_token)

    def refresh_refusal(self) -> str | None:
        """Why refreshing would burn the refresh token (None when a refresh is safe)."""
        if not self.has_refresh:
            return None
        if self.refresh_file is None and self.store_path is None:
            return (
                f"{ENV_REFRESH_TOKEN} is set but there is nowhere to save the refresh token GHL rotates it into "
                f"(the old one stops working once used): set {ENV_REFRESH_TOKEN_FILE} to a writable path, or "
                "refresh only in the token-refresh workflow"
            )
        return None

    @property
    def access_expires_at(self) -> float | None:
        return token_expiry(self.access_token) if self.access_token else None

    def access_valid(self, now: float) -> bool:
        if not self.access_token:
            return False
        expires = self.access_expires_at
        return expires is None or now < expires - 60

    def can_mint(self, now: float) -> bool:
        return self.access_valid(now) or (self.has_refresh and self.refresh_refusal() is None)

    def why_no_mint(self, now: float) -> str:
        if self.access_token and not self.access_valid(now):
            why = f"{ENV_AGENCY_TOKEN} (an agency OAuth token) has expired"
            refusal = self.refresh_refusal()
            if refusal:
                return f"{why}, and {refusal}"
            return f"{why}: run the token-refresh workflow or `ghlops auth refresh`"
        refusal = self.refresh_refusal()
        return refusal or "no agency OAuth credentials"

    def secrets(self) -> tuple[Secret, ...]:
        return tuple(s for s in (self.access_token, self.client_secret, self.refresh_token) if s)


def oauth_config(env: Mapping[str, str]) -> OAuthConfig:
    """The agency OAuth credentials from the environment, then the credentials store (`ghlops auth login`)."""
    agency = _optional_secret(env, ENV_AGENCY_TOKEN)
    access = agency if token_kind(agency) == "oauth-company" else None
    client_id = env.get(ENV_CLIENT_ID, "").strip() or None
    client_secret = _optional_secret(env, ENV_CLIENT_SECRET)
    refresh = _optional_secret(env, ENV_REFRESH_TOKEN)
    origin: str | None = ENV_REFRESH_TOKEN if refresh else None
    file_raw = env.get(ENV_REFRESH_TOKEN_FILE, "").strip()
    refresh_file = Path(file_raw).expanduser() if file_raw else None
    if refresh is None and refresh_file is not None:
        refresh = read_secret_file(refresh_file, f"the refresh-token file ({ENV_REFRESH_TOKEN_FILE})")
        origin = ENV_REFRESH_TOKEN_FILE if refresh else None
    store_path: Path | None = None
    company = env.get(ENV_COMPANY_ID, "").strip() or None
    if not (client_id and client_secret and refresh):
        path = credentials_path(env)
        stored = load_store(path)
        if stored is not None and (client_id is None or client_id == stored.client_id):
            client_id = stored.client_id
            client_secret = client_secret or stored.client_secret
            if refresh is None:
                refresh, origin = stored.refresh_token, "store"
                store_path = path
            company = company or stored.company_id
    if company is None and access is not None:
        claimed = jwt_claims(access.reveal()).get("authClassId")
        company = claimed if isinstance(claimed, str) and claimed else None
    return OAuthConfig(
        access_token=access,
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh,
        refresh_origin=origin,
        refresh_file=refresh_file,
        store_path=store_path,
        company_id=company,
    )


def known_company_id(env: Mapping[str, str]) -> str | None:
    """The agency's company id as far as the credentials tell without a call: ``GHL_COMPANY_ID``, else the one
    `ghlops auth login` stored, else the ``authClassId`` claim of an agency OAuth ``GHL_AGENCY_TOKEN``. None
    when none says (a refresh-token file alone: the company is known only once a refresh answers)."""
    return oauth_config(env).company_id


@dataclass(frozen=True)
class Target:
    """A location a run needs a token for."""

    location_id: str
    name: str | None = None
    token_env: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.location_id})" if self.name and self.name != self.location_id else self.location_id


@dataclass(frozen=True)
class Resolution:
    """Which source serves each location, and one line per location that has none (nothing fetched)."""

    sources: Mapping[str, Source]
    problems: tuple[tuple[Target, str], ...]


def resolve(env: Mapping[str, str], targets: Sequence[Target], *, now: float | None = None) -> Resolution:
    """Decide each location's token source from the environment alone (see the module docstring)."""
    moment = time.time() if now is None else now
    token_map = parse_token_map(env)
    oauth = oauth_config(env) if any(_needs_more(env, t, token_map) for t in targets) else OAuthConfig()
    default = _optional_secret(env, ENV_LOCATION_TOKEN)
    agency = _optional_secret(env, ENV_AGENCY_TOKEN)
    sources: dict[str, Source] = {}
    problems: list[tuple[Target, str]] = []
    for target in targets:
        if target.token_env:
            if env.get(target.token_env, "").strip():
                sources[target.location_id] = Source.TOKEN_ENV
            else:
                problems.append(
                    (target, f"spec.tokenEnv names {target.token_env}, but {target.token_env} is unset or empty")
                )
            continue
        if target.location_id in token_map or (target.name and target.name in token_map):
            sources[target.location_id] = Source.TOKEN_MAP
        elif oauth.can_mint(moment):
            sources[target.location_id] = Source.MINTED
        elif default:
            sources[target.location_id] = Source.DEFAULT
        elif token_kind(agency) == "pit" and not oauth.has_refresh:
            problems.append(
                (
                    target,
                    f"no token of its own, and {ENV_AGENCY_TOKEN} is a Private Integration token, which GHL "
                    "cannot exchange for location tokens (only an agency OAuth token can): " + WHAT_TO_SET,
                )
            )
        elif oauth.access_token or oauth.has_refresh:
            problems.append((target, f"no token of its own, and none can be minted: {oauth.why_no_mint(moment)}"))
        else:
            problems.append((target, f"no token: {WHAT_TO_SET}, or set {ENV_LOCATION_TOKEN} for a single location"))
    return Resolution(sources=MappingProxyType(sources), problems=tuple(problems))


def _needs_more(env: Mapping[str, str], target: Target, token_map: Mapping[str, Secret]) -> bool:
    if target.token_env:
        return False
    return not (target.location_id in token_map or (target.name and target.name in token_map))


def describe_problems(problems: Sequence[tuple[Target, str]]) -> str:
    return "\n".join(f"location {target.label}: {message}" for target, message in problems)


class Minter(Protocol):
    """Mints and renews OAuth tokens (:class:`ghlops.ghl.oauth.AgencyOAuth`); kept abstract so this module
    stays free of HTTP."""

    def agency_token(self) -> Secret: ...

    def mint(self, location_id: str) -> Secret: ...

    def renew(self, location_id: str | None, stale: Secret) -> Secret | None: ...

    def secrets(self) -> tuple[Secret, ...]: ...


class Credentials:
    """The tokens of one run. ``per_location`` maps a location id to that location's own token."""

    def __init__(
        self,
        location_default: Secret | None = None,
        agency: Secret | None = None,
        per_location: Mapping[str, Secret] | None = None,
        *,
        oauth: OAuthConfig | None = None,
        sources: Mapping[str, Source] | None = None,
        token_envs: Mapping[str, str] | None = None,
    ) -> None:
        self.location_default = location_default
        # An agency OAuth token is the minter's to serve (it may expire and be refreshed mid-run).
        self.agency = agency if token_kind(agency) in ("pit", "none") or oauth is None else None
        self.per_location: Mapping[str, Secret] = MappingProxyType(dict(per_location or {}))
        self.oauth = oauth
        self.sources: Mapping[str, Source] = MappingProxyType(dict(sources or {}))
        # The variable each TOKEN_ENV location's token came from (spec.tokenEnv, export's --token-env): messages
        # name it, never its value.
        self.token_envs: Mapping[str, str] = MappingProxyType(dict(token_envs or {}))
        self._minter: Minter | None = None

    @staticmethod
    def from_env(
        env: Mapping[str, str],
        token_env_by_location: Mapping[str, str] | None = None,
        *,
        targets: Sequence[Target] | None = None,
    ) -> Credentials:
        """Read tokens from ``env``; ``token_env_by_location`` maps location id → the ``spec.tokenEnv`` name,
        ``targets`` names every location of the run (with its manifest name, for the token map).

        Every location must have a source: ConfigError with one line per location that has none. Error
        messages name variables, never values.
        """
        for location_id, var in (token_env_by_location or {}).items():
            if not var:
                raise ConfigError(f"location {location_id}: spec.tokenEnv is empty")
        chosen = list(targets or [])
        known = {t.location_id for t in chosen}
        for location_id, var in (token_env_by_location or {}).items():
            if location_id not in known:
                chosen.append(Target(location_id, token_env=var))
        chosen = [
            Target(t.location_id, t.name, t.token_env or (token_env_by_location or {}).get(t.location_id))
            for t in chosen
        ]
        resolution = resolve(env, chosen)
        if resolution.problems:
            raise ConfigError(describe_problems(resolution.problems))
        token_map = parse_token_map(env)
        per_location: dict[str, Secret] = {}
        token_envs: dict[str, str] = {}
        for target in chosen:
            source = resolution.sources.get(target.location_id)
            if source is Source.TOKEN_ENV and target.token_env:
                per_location[target.location_id] = Secret(env[target.token_env].strip())
                token_envs[target.location_id] = target.token_env
            elif source is Source.TOKEN_MAP:
                found = token_map.get(target.location_id) or token_map.get(target.name or "")
                if found:
                    per_location[target.location_id] = found
        # Locations outside the manifests (export --location-id ...) still find their map entry.
        for key, token in token_map.items():
            per_location.setdefault(key, token)
        oauth = oauth_config(env)
        usable = oauth.access_token is not None or oauth.has_refresh
        return Credentials(
            location_default=_optional_secret(env, ENV_LOCATION_TOKEN),
            agency=_optional_secret(env, ENV_AGENCY_TOKEN),
            per_location=per_location,
            oauth=oauth if usable else None,
            sources=resolution.sources,
            token_envs=token_envs,
        )

    # -- the minter ------------------------------------------------------------------------------------------

    def bind(self, minter: Minter) -> None:
        """Attach the OAuth minter (the HTTP client does, once it has a connection pool)."""
        self._minter = minter

    @property
    def minter(self) -> Minter | None:
        return self._minter

    # -- choosing -------------------------------------------------------------------------------------------

    def source_of(self, location_id: str | None) -> Source | None:
        if location_id is None:
            return Source.DEFAULT if self.location_default else None
        if location_id in self.sources:
            return self.sources[location_id]
        if location_id in self.per_location:
            return Source.TOKEN_MAP
        if self.oauth is not None:
            return Source.MINTED
        return Source.DEFAULT if self.location_default else None

    def check(self, auth: Auth, location_id: str | None) -> None:
        """ConfigError when no source can serve the call (nothing is fetched)."""
        if auth is Auth.AGENCY:
            if not (self.agency or self.oauth is not None):
                raise ConfigError(f"users need an agency token: set {ENV_AGENCY_TOKEN}")
            return
        source = self.source_of(location_id)
        if source is None or (source is Source.DEFAULT and not self.location_default):
            self._missing(location_id)

    def token_for(self, auth: Auth, location_id: str | None) -> Secret:
        """The token for a call, minting a location token when that is its source. ConfigError when none."""
        if auth is Auth.AGENCY:
            if self.agency:
                return self.agency
            if self.oauth is not None and self._minter is not None:
                return self._minter.agency_token()
            raise ConfigError(f"users need an agency token: set {ENV_AGENCY_TOKEN}")
        if location_id is not None:
            own = self.per_location.get(location_id)
            if own:
                return own
            if self.source_of(location_id) is Source.MINTED and self._minter is not None:
                return self._minter.mint(location_id)
        if self.location_default:
            return self.location_default
        self._missing(location_id)

    def renew(self, auth: Auth, location_id: str | None, stale: Secret) -> Secret | None:
        """A replacement for a token GHL answered 401 "Invalid JWT" to, when it is an OAuth one (else None)."""
        if self._minter is None:
            return None
        if auth is Auth.AGENCY and not self.agency:
            return self._minter.renew(None, stale)
        if auth is Auth.LOCATION and location_id and self.source_of(location_id) is Source.MINTED:
            return self._minter.renew(location_id, stale)
        return None

    @staticmethod
    def _missing(location_id: str | None) -> NoReturn:
        if location_id is None:
            raise ConfigError(f"no location token: set {ENV_LOCATION_TOKEN}")
        raise ConfigError(f"no token for location {location_id}: {WHAT_TO_SET}, or set {ENV_LOCATION_TOKEN}")

    def all_secrets(self) -> tuple[Secret, ...]:
        """Every token held (minted ones included), for :func:`ghlops.secret.redact`."""
        found: list[Secret] = []
        extra = self._minter.secrets() if self._minter is not None else ()
        oauth = self.oauth.secrets() if self.oauth is not None else ()
        for secret in (self.location_default, self.agency, *self.per_location.values(), *oauth, *extra):
            if secret and secret not in found:
                found.append(secret)
        return tuple(found)

    def __repr__(self) -> str:
        def mask(secret: Secret | None) -> str:
            return "None" if secret is None else repr(secret)

        per_location = ", ".join(f"{loc!r}: {mask(s)}" for loc, s in sorted(self.per_location.items()))
        return (
            f"Credentials(location_default={mask(self.location_default)}, agency={mask(self.agency)}, "
            f"per_location={{{per_location}}})"
        )


def _optional_secret(env: Mapping[str, str], name: str) -> Secret | None:
    value = env.get(name, "").strip()
    return Secret(value) if value else None
