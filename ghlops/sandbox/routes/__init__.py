"""The emulated endpoints, one module per GHL API; ``ROUTES`` is the whole table in matching order."""

from __future__ import annotations

from ghlops.sandbox.routes import (
    calendar_groups,
    calendar_notifications,
    calendars,
    contacts,
    links,
    locations,
    locations_search,
    oauth,
    products,
    users,
)
from ghlops.sandbox.routing import Route

# /users/search must be tried before /users/{userId}; each module lists its literal paths first.
ROUTES: tuple[Route, ...] = (
    *oauth.ROUTES,
    *locations_search.ROUTES,  # before locations: /locations/search is not /locations/{locationId}
    *locations.ROUTES,
    *calendar_groups.ROUTES,  # before calendars: /calendars/groups is not /calendars/{calendarId}
    *calendar_notifications.ROUTES,
    *calendars.ROUTES,
    *products.ROUTES,
    *users.ROUTES,
    *contacts.ROUTES,
    *links.ROUTES,
)
