"""Desired and live state of locations, in the kinds' own models: the two inputs of the planner.

Both sides hold the same entry types (a live tag is a Tag, like a declared one); the live side adds each
object's server id and raw API body, which the planner needs for ids and read-modify-write updates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ghlops.kinds.base import Entry, LiveObject
from ghlops.kinds.users import User


@dataclass
class LocationDesired:
    """One Location document, validated: what the user wants a location to hold."""

    name: str
    location_id: str
    company_id: str | None = None
    token_env: str | None = None
    prune: frozenset[str] = frozenset()
    # Kind name -> entries in manifest order. Prices are listed under "prices", each knowing its product.
    entries: dict[str, list[Entry]] = field(default_factory=dict)
    source: str = ""
    # Natural keys (per kind) marked `protect: true` but no longer declared (e.g. an inherited entry dropped
    # with `remove: true`): the plan refuses to delete them even with prune.
    protected: dict[str, frozenset[str]] = field(default_factory=dict)

    def of(self, kind: str) -> list[Any]:
        return self.entries.get(kind, [])

    @property
    def users(self) -> list[User]:
        return [u for u in self.of("users") if isinstance(u, User)]


@dataclass
class LocationLive:
    """What GHL holds for one location, read through the list endpoints."""

    location_id: str
    objects: dict[str, list[LiveObject[Any]]] = field(default_factory=dict)
    # Objects GHL listed that ghlops cannot match (no id or natural key): one line each, left alone.
    warnings: list[str] = field(default_factory=list)

    def of(self, kind: str) -> list[LiveObject[Any]]:
        return self.objects.get(kind, [])


@dataclass
class CompanyLive:
    """The company's users, read once per run (users are company-level in GHL)."""

    company_id: str
    users: list[LiveObject[User]] = field(default_factory=list)
    read: bool = True  # False when the run did not need users and did not read them
    warnings: list[str] = field(default_factory=list)

    def of(self, kind: str) -> list[LiveObject[Any]]:
        """The company-level objects of a kind (users are the one such kind today)."""
        return list(self.users) if kind == "users" else []
