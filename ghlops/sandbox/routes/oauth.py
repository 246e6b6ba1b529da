"""The OAuth endpoints (../shared/ghl-openapi/oauth.json) and the Marketplace consent page they start from.

``/oauth/chooselocation`` stands in for GHL's consent page (https://marketplace.gohighlevel.com/oauth/chooselocation):
it redirects straight back to ``redirect_uri`` with a code, as if the agency admin had chosen "all sub-accounts"
and approved. The app counts as installed on every location of the company, present and future (a bulk
installation with ``installToFutureLocations``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from ghlops.sandbox.replies import HttpError, Reply, error, unprocessable
from ghlops.sandbox.routing import Access, Call, Route

if TYPE_CHECKING:
    from ghlops.sandbox.auth import Gatekeeper


class Redirect(HttpError):
    """A 302 to ``location`` (HttpError is the one way a handler sets response headers)."""

    def __init__(self, location: str) -> None:
        super().__init__(302, {"redirect": location}, {"Location": location})


def _gatekeeper(call: Call) -> Gatekeeper:
    gatekeeper = call.gatekeeper
    if gatekeeper is None:
        raise RuntimeError("OAuth routes need the gatekeeper")  # a wiring bug, answered as a 500
    return gatekeeper


def choose_location(call: Call) -> Reply:
    # The real page is HTML for a person; these 400 texts are OUR GUESS (only ghlops's own tests see them).
    redirect_uri = call.arg("redirect_uri") or ""
    if call.arg("client_id") != _gatekeeper(call).oauth_client.client_id:
        raise error(400, "Invalid client_id", "bare")
    if call.arg("response_type") != "code":
        raise error(400, "response_type must be code", "bare")
    if urlsplit(redirect_uri).scheme not in ("http", "https"):
        raise error(400, "Invalid redirect_uri", "bare")
    code = _gatekeeper(call).issue_code(redirect_uri, call.arg("user_type") or "Company")
    query = {"code": code}
    state = call.arg("state")
    if state is not None:
        query["state"] = state
    separator = "&" if "?" in redirect_uri else "?"
    raise Redirect(f"{redirect_uri}{separator}{urlencode(query)}")


def token(call: Call) -> Reply:
    missing = [name for name in ("client_id", "client_secret", "grant_type") if not call.form.get(name)]
    if missing:
        # 422 with a list of messages is GHL's documented UnprocessableDTO (oauth.json); the wording is OUR GUESS
        # in GHL's usual validator style. The grant's own refusals are explained in Gatekeeper.grant.
        raise unprocessable([f"{name} should not be empty" for name in missing])
    return Reply(200, _gatekeeper(call).grant(call.form))


def location_token(call: Call) -> Reply:
    missing = [name for name in ("companyId", "locationId") if not call.form.get(name)]
    if missing:
        raise unprocessable([f"{name} should not be empty" for name in missing])  # wording: OUR GUESS, as above
    # GHL answers 201 Created here though the spec documents 200 (issue 12's sources); clients must accept both.
    # The 401 for a Private Integration token and the 403 for a location out of reach: see Gatekeeper.mint.
    return Reply(201, _gatekeeper(call).mint(call.identity, call.form["companyId"], call.form["locationId"]))


def installed_locations(call: Call) -> Reply:
    company_id = call.required_arg("companyId")
    app_id = call.required_arg("appId")
    gatekeeper = _gatekeeper(call)
    if call.identity.access is not Access.AGENCY or call.identity.company_id != company_id:
        # The 401 is documented (oauth.json: Agency-Access-Only); the text is the one GHL's location routes give an
        # agency token (see ghlops/sandbox/auth.py), reused here as OUR GUESS.
        raise error(401, "The token is not authorized for this scope.", "bare")
    if app_id != gatekeeper.oauth_client.app_id:
        raise error(400, "App not found", "bare")  # OUR GUESS: status from oauth.json's 400, text invented
    skip, limit = call.page(default=20, maximum=100, offset_name="skip")
    ids = sorted(call.store.company_locations(company_id))
    wanted = call.arg("locationId")
    if wanted:
        ids = [i for i in ids if i == wanted]
    rows = []
    for location_id in ids[skip : skip + limit]:
        location = call.store.location(location_id)
        rows.append(
            {
                "_id": location_id,
                "name": location.name if location else "",
                "address": "",
                "isInstalled": True,
            }
        )
    return Reply(200, {"locations": rows, "count": len(ids), "installToFutureLocations": True})


#: The Marketplace's consent page: not a GHL API operation (served on marketplace.gohighlevel.com).
MARKETPLACE_ROUTES = (Route("GET", "/oauth/chooselocation", choose_location, Access.PUBLIC),)

ROUTES = (
    Route("POST", "/oauth/token", token, Access.PUBLIC),
    Route("POST", "/oauth/locationToken", location_token, Access.ANY),
    Route("GET", "/oauth/installedLocations", installed_locations, Access.ANY),
)
