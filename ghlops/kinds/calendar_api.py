"""What GHL's calendars API has in common for the kinds under it (calendars, calendar groups, notifications)."""

from __future__ import annotations

#: The ``Version`` header every /calendars endpoint wants (calendars.json documents 2021-04-15 for each of them).
VERSION_CALENDARS = "2021-04-15"
