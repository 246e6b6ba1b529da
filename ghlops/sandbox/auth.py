"""Gateway checks GHL makes before any service sees a call: the bearer token and the ``Version`` header."""

from __future__ import annotations

from collections.abc import Mapping

from ghlops.sandbox.replies import no_location_access, unauthorized
from ghlops.sandbox.routing import Access, Identity
from ghlops.sandbox.store import Store
from ghlops.secret import Secret

PUBLISHED_VERSIONS = frozenset({"2021-04-15", "2021-07-28", "2023-02-21", "v3"})

_INVALID_TOKEN = "Invalid token: access token is invalid"
_AGENCY_ONLY = "This route is not yet supported by the IAM Service."


class Gatekeeper:
    """Knows the sandbox's tokens and decides who a caller is and what it may touch."""

    def __init__(self, store: Store, *, location_token: Secret, agency_token: Secret) -> None:
        self._store = store
        self._location_token = location_token
        self._agency_token = agency_token

    def identify(self, headers: Mapping[str, str]) -> Identity:
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthorized(_INVALID_TOKEN)
        if token == self._agency_token.reveal():
            return Identity(Access.AGENCY)
        if token == self._location_token.reveal():
            return Identity(Access.LOCATION)
        location_id = self._store.location_of_token(token)
        if location_id is None:
            raise unauthorized(_INVALID_TOKEN)
        return Identity(Access.LOCATION, location_id)

    @staticmethod
    def check_version(headers: Mapping[str, str]) -> None:
        version = headers.get("version")
        if version is None or not version.strip():
            raise unauthorized("Version header was not found", "bare")
        if version.strip() not in PUBLISHED_VERSIONS:
            raise unauthorized("Invalid version header", "bare")

    @staticmethod
    def check_route_access(identity: Identity, needed: Access) -> None:
        """Location routes refuse the agency token and agency routes refuse location tokens, as GHL does."""
        if needed is Access.AGENCY and identity.access is not Access.AGENCY:
            raise unauthorized(_AGENCY_ONLY)
        if needed is Access.LOCATION and identity.access is Access.AGENCY:
            raise no_location_access()

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
