"""Which token a GHL call is sent with.

Three sources, all environment variables (tokens never live in manifests or plans):

* ``GHL_TOKEN``: the default location (sub-account) token, a Private Integration token of that location;
* the variable a manifest names in ``spec.tokenEnv``: the token for that one location, overriding the default;
* ``GHL_AGENCY_TOKEN``: the agency (company) token, needed for company-level endpoints such as users.

Tokens are :class:`~ghlops.secret.Secret` objects from the moment they are read; only the HTTP client reveals
them, where the ``Authorization`` header is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ghlops.errors import ConfigError
from ghlops.request import Auth
from ghlops.secret import Secret

ENV_LOCATION_TOKEN = "GHL_TOKEN"
ENV_AGENCY_TOKEN = "GHL_AGENCY_TOKEN"


@dataclass(frozen=True, eq=False)
class Credentials:
    """The tokens of one run. ``per_location`` maps a location id to that location's own token."""

    location_default: Secret | None = None
    agency: Secret | None = None
    per_location: Mapping[str, Secret] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Frozen means frozen: keep a read-only copy so a caller's dict cannot change the tokens later.
        object.__setattr__(self, "per_location", MappingProxyType(dict(self.per_location)))

    @staticmethod
    def from_env(
        env: Mapping[str, str], token_env_by_location: Mapping[str, str] | None = None
    ) -> Credentials:
        """Read tokens from ``env``; ``token_env_by_location`` maps location id → the ``spec.tokenEnv`` name.

        ``GHL_TOKEN`` and ``GHL_AGENCY_TOKEN`` are optional here (a missing one only fails the calls that need
        it, see :meth:`token_for`), but a variable a manifest names explicitly must be set and non-empty.
        Error messages name variables, never values.
        """
        per_location: dict[str, Secret] = {}
        for location_id, var in (token_env_by_location or {}).items():
            if not var:
                raise ConfigError(f"location {location_id}: spec.tokenEnv is empty")
            value = env.get(var, "").strip()
            if not value:
                raise ConfigError(
                    f"location {location_id}: spec.tokenEnv names {var}, but {var} is unset or empty"
                )
            per_location[location_id] = Secret(value)
        return Credentials(
            location_default=_optional_secret(env, ENV_LOCATION_TOKEN),
            agency=_optional_secret(env, ENV_AGENCY_TOKEN),
            per_location=per_location,
        )

    def token_for(self, auth: Auth, location_id: str | None) -> Secret:
        """The token for a call; a location's own token wins over ``GHL_TOKEN``. ConfigError when none."""
        if auth is Auth.AGENCY:
            if self.agency:
                return self.agency
            raise ConfigError(f"users need an agency token: set {ENV_AGENCY_TOKEN}")
        if location_id is not None:
            own = self.per_location.get(location_id)
            if own:
                return own
        if self.location_default:
            return self.location_default
        if location_id is None:
            raise ConfigError(f"no location token: set {ENV_LOCATION_TOKEN}")
        raise ConfigError(
            f"no token for location {location_id}: set {ENV_LOCATION_TOKEN} "
            "or the variable named in spec.tokenEnv"
        )

    def all_secrets(self) -> tuple[Secret, ...]:
        """Every token held, for :func:`ghlops.secret.redact`."""
        found: list[Secret] = []
        for secret in (self.location_default, self.agency, *self.per_location.values()):
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
