"""GET /locations/search: the company's sub-accounts, for an agency token (``ghlops locations``).

Shape from ../shared/ghl-openapi/locations.json (operation ``search-locations``, SearchSuccessfulResponseDto):
``{"locations": [GetLocationSchema...]}`` with ``companyId``, ``skip`` (items to skip, default 0), ``limit``
(default 10) and ``order`` (asc / desc) in the query. The answer carries no total or page count
(GoHighLevel/highlevel-api-docs #164), so a client pages until a page holds fewer than ``limit`` locations.
The documents list both agency and location access; ghlops calls it with the agency token only, and the sandbox
answers only that (a location token is for its own location). A company other than the token's is refused.

Registered before ``locations.ROUTES``, whose ``/locations/{locationId}`` would otherwise take ``search`` as an id.
"""

from __future__ import annotations

from ghlops.sandbox.replies import Reply, error
from ghlops.sandbox.routing import Access, Call, Route

_PAGE_DEFAULT = 10  # locations.json: limit defaults to 10
# Not documented; the sandbox caps a page so clients that page on short pages are exercised.
PAGE_MAX = 100


def search_locations(call: Call) -> Reply:
    company_id = call.arg("companyId") or call.company_id
    if company_id != call.company_id:
        raise error(403, "The token does not have access to this company.", "bare")
    offset, limit = call.page(default=_PAGE_DEFAULT, maximum=PAGE_MAX, offset_name="skip")
    found = [call.store.location(i) for i in call.store.company_locations(company_id)]
    ordered = sorted((loc for loc in found if loc is not None), key=lambda loc: (loc.name.casefold(), loc.id))
    if call.arg("order") == "desc":
        ordered.reverse()
    page = ordered[offset : offset + limit]
    return Reply(
        200,
        {"locations": [{"id": loc.id, "companyId": loc.company_id, "name": loc.name} for loc in page]},
    )


ROUTES = (Route("GET", "/locations/search", search_locations, Access.AGENCY),)
