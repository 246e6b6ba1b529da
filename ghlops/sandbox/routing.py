"""Routes: which handler answers a method and path, the credential it needs and the location it touches."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ghlops.sandbox.replies import Reply, unprocessable
from ghlops.sandbox.store import Kind, Store

if TYPE_CHECKING:
    from ghlops.sandbox.auth import Gatekeeper


class Access(StrEnum):
    """The credential a route needs."""

    LOCATION = "location"  # a location token with access to the location the call touches
    AGENCY = "agency"  # the agency (company) token
    ANY = "any"  # either (read-only location lookup)
    PUBLIC = "public"  # no bearer token at all (the OAuth token endpoint, the consent page)


@dataclass(frozen=True)
class Identity:
    """Who a token is. ``location_id`` None on a location token means the shared test token (every location).

    ``oauth`` tells an OAuth access token from a Private Integration token; ``expires_at`` is epoch seconds.
    """

    access: Access
    location_id: str | None = None
    company_id: str | None = None
    oauth: bool = False
    expires_at: float | None = None


@dataclass(frozen=True)
class Call:
    """One authenticated call as a handler sees it."""

    store: Store
    method: str
    path: str
    params: Mapping[str, str]
    query: Mapping[str, Sequence[str]]
    body: Any
    identity: Identity
    company_id: str
    # Set when the route names a location and access to it was checked.
    location_id: str | None = None
    # A form-encoded body (the OAuth endpoints), name -> first value.
    form: Mapping[str, str] = field(default_factory=dict)
    # The OAuth routes issue and exchange tokens through it.
    gatekeeper: Gatekeeper | None = None

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def required_arg(self, name: str) -> str:
        value = self.arg(name)
        if not value:
            raise unprocessable([f"{name} should not be empty", f"{name} must be a string"])
        return value

    def page(self, *, default: int, maximum: int, offset_name: str = "offset") -> tuple[int, int]:
        """(offset, limit) from the query; a missing or zero limit means the default, maximum caps it."""
        offset = self._count_arg(offset_name) or 0
        limit = self._count_arg("limit") or default
        return offset, min(limit, maximum)

    def _count_arg(self, name: str) -> int | None:
        raw = self.arg(name)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            raise unprocessable([f"{name} must be a number conforming to the specified constraints"]) from None
        if value < 0:
            raise unprocessable([f"{name} must not be less than 0"])
        return value

    @property
    def location(self) -> str:
        if self.location_id is None:
            raise RuntimeError("route has no location scope")  # a routing table bug, answered as a 500
        return self.location_id


Handler = Callable[[Call], Reply]
# Finds the location a call touches from its path params, query and raw body (None when it names none).
Locator = Callable[[Store, Mapping[str, str], Mapping[str, Sequence[str]], Any], str | None]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    access: Access = Access.LOCATION
    locate: Locator | None = None
    # What an agency token hears on a location route, when GHL says something else than the usual scope error.
    agency_refusal: str | None = None
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template.rstrip("/"))
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.match(path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items()}


class Router:
    def __init__(self, routes: Sequence[Route]) -> None:
        self._routes = list(routes)

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        # Express routes ignore a trailing slash, so "/calendars" and "/calendars/" are the same route.
        normalized = path.rstrip("/") or "/"
        for route in self._routes:
            if route.method != method:
                continue
            params = route.match(normalized)
            if params is not None:
                return route, params
        return None


# -- locators ------------------------------------------------------------------------------------------------


def from_path(name: str) -> Locator:
    def locate(store: Store, params: Mapping[str, str], query: Mapping[str, Sequence[str]], body: Any) -> str | None:
        return params.get(name)

    return locate


def from_query(name: str) -> Locator:
    def locate(store: Store, params: Mapping[str, str], query: Mapping[str, Sequence[str]], body: Any) -> str | None:
        values = query.get(name)
        return values[0] if values and values[0] else None

    return locate


def from_body(name: str) -> Locator:
    def locate(store: Store, params: Mapping[str, str], query: Mapping[str, Sequence[str]], body: Any) -> str | None:
        value = body.get(name) if isinstance(body, dict) else None
        return value if isinstance(value, str) and value else None

    return locate


def owner_of(kind: Kind, param: str) -> Locator:
    """The location that owns the object named in the path (calendar routes carry no location id)."""

    def locate(store: Store, params: Mapping[str, str], query: Mapping[str, Sequence[str]], body: Any) -> str | None:
        stored = store.get(kind, params[param])
        return stored.owner if stored else None

    return locate
