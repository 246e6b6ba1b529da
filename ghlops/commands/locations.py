"""`ghlops locations [PATHS...]`: the company's locations, which a manifest names and which have a token.

For adopting many sub-accounts: the agency token lists the company's locations (``GET /locations/search``,
``companyId``, ``skip`` / ``limit``; locations.json operation ``search-locations``). GHL's answer reports no total
(GoHighLevel/highlevel-api-docs #164) and may cap a page below the limit asked for, so pages are read until an
empty one. Reading is tolerant: an item without an id is one warning line and left out, a missing name shows
as ``-``. Whether a location has a token comes from the same decision a plan makes
(:func:`ghlops.ghl.auth.resolve`), from the environment alone: no token is fetched or minted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghlops.commands import exit_codes
from ghlops.errors import ApiResponseError, ConfigError
from ghlops.ghl import GHLClient, RateLimiter, base_url_from_env
from ghlops.ghl.auth import (
    ENV_AGENCY_TOKEN,
    ENV_COMPANY_ID,
    ENV_LOCATION_TOKEN,
    Credentials,
    Source,
    Target,
    known_company_id,
    resolve,
)
from ghlops.manifest.loader import Loaded
from ghlops.output import Io
from ghlops.request import Auth, Request
from ghlops.workflow import Settings, load

PAGE_SIZE = 100
# A company with more sub-accounts than this is beyond what one listing should page through blindly.
MAX_LOCATIONS = 100_000
_ENDPOINT = "/locations/search"


@dataclass(frozen=True)
class CompanyLocation:
    location_id: str
    name: str | None


def search_request(company_id: str, skip: int) -> Request:
    return Request(
        "GET",
        (_ENDPOINT,),
        auth=Auth.AGENCY,
        params=(("companyId", company_id), ("skip", str(skip)), ("limit", str(PAGE_SIZE))),
    )


def parse_page(body: Any, warnings: list[str]) -> tuple[list[CompanyLocation], int]:
    """One answer's locations and how many items it listed (``skip`` counts those, usable or not); ValueError
    when the answer is not ``{"locations": [...]}``."""
    if not isinstance(body, Mapping) or not isinstance(body.get("locations"), list):
        raise ValueError("expected an object with a 'locations' array")
    found = []
    for item in body["locations"]:
        location_id = item.get("id") if isinstance(item, Mapping) else None
        if not isinstance(location_id, str) or not location_id:
            warnings.append("GHL listed a location without an id; left out")
            continue
        name = item.get("name")
        found.append(CompanyLocation(location_id, name if isinstance(name, str) and name.strip() else None))
    return found, len(body["locations"])


def read_company_locations(client: GHLClient, company_id: str, warnings: list[str]) -> list[CompanyLocation]:
    """Every location of the company, paged by ``skip`` until an empty page (or one with nothing new)."""
    seen: dict[str, CompanyLocation] = {}
    skip = 0
    while True:
        req = search_request(company_id, skip)
        body = client.send(req)
        try:
            page, listed = parse_page(body, warnings)
        except ValueError as exc:
            raise ApiResponseError(
                f"unexpected answer from GHL: {exc}", status=200, method=req.method, endpoint=req.endpoint
            ) from exc
        new = [loc for loc in page if loc.location_id not in seen]
        if not listed:
            return list(seen.values())
        if page and not new:
            # A server that ignored skip would answer the same page for ever.
            warnings.append(f"GHL answered skip={skip} with locations already listed; stopped paging there")
            return list(seen.values())
        for loc in new:
            seen[loc.location_id] = loc
        skip += listed
        if skip >= MAX_LOCATIONS:  # counted in items listed, so pages of unusable items end too
            warnings.append(f"stopped after {MAX_LOCATIONS:,} listed locations")
            return list(seen.values())


def _token_label(source: Source | None, target: Target) -> str:
    if source is None:
        return "no"
    if source is Source.TOKEN_ENV:
        return target.token_env or source.value
    if source is Source.MINTED:
        return "minted"
    return source.value


def _company_id(env: Mapping[str, str], loaded: Sequence[Loaded]) -> str:
    company = known_company_id(env)
    if company:
        return company
    declared = sorted({i.model.spec.companyId for i in loaded if i.model.spec.companyId})
    if len(declared) == 1:
        return declared[0]
    if len(declared) > 1:
        raise ConfigError(f"the manifests name several companies ({', '.join(declared)}): set {ENV_COMPANY_ID}")
    raise ConfigError(f"which company? set {ENV_COMPANY_ID} (or use an agency OAuth token, which names it)")


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def locations_command(paths: Sequence[str | Path], *, settings: Settings, io: Io) -> int:
    env = settings.env
    loaded = load(paths, env, offline=True).loaded if paths else []
    credentials = Credentials.from_env(env)
    if credentials.agency is None and credentials.oauth is None:
        raise ConfigError(
            f"ghlops locations lists the company's locations with an agency token: set {ENV_AGENCY_TOKEN} "
            "(an agency Private Integration token with locations.readonly, or run ghlops auth login)"
        )
    company_id = _company_id(env, loaded)
    limiter = RateLimiter(settings.rate_limit_max, settings.rate_limit_window_s) if settings.rate_limit else None
    warnings: list[str] = []
    with GHLClient(base_url_from_env(env), credentials, transport=settings.transport, limiter=limiter) as client:
        found = read_company_locations(client, company_id, warnings)
    by_id = {item.desired.location_id: item for item in loaded}
    targets = [
        Target(
            loc.location_id,
            by_id[loc.location_id].desired.name if loc.location_id in by_id else None,
            by_id[loc.location_id].desired.token_env if loc.location_id in by_id else None,
        )
        for loc in found
    ]
    sources = resolve(env, targets).sources
    ordered = sorted(zip(found, targets, strict=True), key=lambda p: ((p[0].name or "").casefold(), p[0].location_id))
    rows = [["NAME", "ID", "MANIFEST", "TOKEN"]]
    for loc, target in ordered:
        rows.append(
            [
                loc.name or "-",
                loc.location_id,
                target.name or "-",
                _token_label(sources.get(loc.location_id), target),
            ]
        )
    for warning in dict.fromkeys(warnings):  # once each, however many pages repeat it
        io.err(f"warning: {warning}")
    if found:
        for line in _table(rows):
            io.out(line)
    named = sum(1 for t in targets if t.name)
    with_token = sum(1 for loc in found if loc.location_id in sources)
    noun = "location" if len(found) == 1 else "locations"
    io.out(
        f"{len(found)} {noun} in company {company_id}: {named} named by a manifest, "
        f"{with_token} with a token, {len(found) - with_token} without."
    )
    listed = {loc.location_id for loc in found}
    for item in loaded:
        if item.desired.location_id not in listed:
            io.out(
                f"note: manifest location {item.desired.name} ({item.desired.location_id}) is not among "
                f"company {company_id}'s locations"
            )
    if any(sources.get(loc.location_id) is Source.DEFAULT for loc in found):
        io.out(
            f"note: {ENV_LOCATION_TOKEN} is one location's token: GHL answers 403 for every other location "
            "(give each its own token, or use an agency OAuth app)"
        )
    return exit_codes.OK
