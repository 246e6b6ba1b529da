"""The sandbox's state in SQLite: locations and their tokens, API objects, users' password hashes.

Objects are stored as the JSON the API returns, so reads are a plain load and tests can snapshot exactly what
a client would see. One connection behind a re-entrant lock keeps it safe under the threaded server; handlers
wrap check-then-write sequences (uniqueness rules) in :meth:`Store.transaction` so they are atomic.
"""

from __future__ import annotations

import json
import random
import sqlite3
import string
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from ghlops.kinds import registry

JsonObject = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS locations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    company_id TEXT NOT NULL,
    name TEXT NOT NULL,
    token TEXT
);
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    owner TEXT NOT NULL,
    parent TEXT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_by_owner ON objects (kind, owner, seq);
CREATE INDEX IF NOT EXISTS objects_by_parent ON objects (kind, parent, seq);
CREATE TABLE IF NOT EXISTS credentials (
    user_id TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS queued_removals (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    lists_left INTEGER NOT NULL
);
"""

_SHORT_ID_ALPHABET = string.ascii_letters + string.digits


class Kind(StrEnum):
    """Store names the built-in routes use; every registered kind's name is in KINDS (plugins included)."""

    TAG = "tag"
    CUSTOM_FIELD = "customField"
    CUSTOM_VALUE = "customValue"
    CALENDAR = "calendar"
    PRODUCT = "product"
    PRICE = "price"
    USER = "user"
    LINK = "link"
    CONTACT = "contact"  # seeded from contacts fixtures (ghlops/sandbox/contacts.py)


#: The kinds the store holds: every registered kind's store name (ghlops.kinds.registry), plus contacts.
KINDS: tuple[str, ...] = (*(k.stored_as for k in registry.KINDS if k.stored_as), Kind.CONTACT.value)


@dataclass
class PageCaps:
    """The most items one page of a list answer holds, whatever ``limit`` the client asked for.

    GHL answers fewer items than asked for and reports the real total, so a client must page on the total
    (issue 9, section 3). The OpenAPI documents give no maximum; these follow their own examples and
    defaults: products and prices document ``limit`` with the example 20 (products.json), users search a
    default of 25 (users.json). Mutable, so a test can make pages as short as it needs.
    """

    products: int = 20
    prices: int = 20
    users: int = 25


@dataclass(frozen=True)
class Location:
    id: str
    company_id: str
    name: str
    token: str | None


@dataclass(frozen=True)
class Stored:
    """An object with its bookkeeping: ``owner`` is the location (the company for users), ``parent`` the
    product of a price."""

    id: str
    owner: str
    parent: str | None
    data: JsonObject


class Store:
    def __init__(self, db_path: str | Path = ":memory:", *, company_id: str, seed: int = 0) -> None:
        self.company_id = company_id
        self._lock = threading.RLock()
        self._depth = 0
        # Ids get their own stream so that turning random faults on does not change which ids objects get.
        self._ids = random.Random(f"ids:{seed}")
        self._traces = random.Random(f"traces:{seed}")
        self._db = sqlite3.connect(str(db_path), check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)
        self.page_caps = PageCaps()
        # GHL queues user deletion ("Will take effect in a few minutes"): a deleted user stays listed for this
        # many further list answers. Counted in list calls, not seconds, so tests never depend on timing.
        self.removal_lag = 1

    # -- transactions and ids -------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the store for a read-check-write sequence; nested uses join the outer transaction."""
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._db.execute("COMMIT")

    def new_uuid(self) -> str:
        """A fresh UUID for a ``traceId``, from its own seeded stream (so it never shifts which ids objects get)."""
        with self._lock:
            return str(uuid.UUID(int=self._traces.getrandbits(128), version=4))

    def new_id(self, *, hex_id: bool = False) -> str:
        """A fresh id in GHL's style: 20 alphanumerics, or a 24-hex Mongo ``_id`` for products and prices.

        A file database may already hold ids this seed produced in an earlier run, so draws are checked.
        """
        with self._lock:
            while True:
                if hex_id:
                    candidate = f"{self._ids.getrandbits(96):024x}"
                else:
                    candidate = "".join(self._ids.choice(_SHORT_ID_ALPHABET) for _ in range(20))
                if self._db.execute("SELECT 1 FROM objects WHERE id = ?", (candidate,)).fetchone() is None:
                    return candidate

    # -- locations and tokens -------------------------------------------------------------------------------

    def create_location(self, location_id: str, name: str, company_id: str | None = None) -> None:
        """Make a location exist (calling again renames it and may move it to another company)."""
        company = company_id or self.company_id
        with self._lock:
            self._db.execute(
                "INSERT INTO locations (id, company_id, name) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET company_id = excluded.company_id, name = excluded.name",
                (location_id, company, name),
            )

    def set_location_token(self, location_id: str, token: str) -> None:
        """Give a location its own token, valid for that location only."""
        with self._lock:
            cursor = self._db.execute("UPDATE locations SET token = ? WHERE id = ?", (token, location_id))
            if cursor.rowcount == 0:
                raise KeyError(f"location {location_id!r} does not exist: create_location() it first")

    def location(self, location_id: str) -> Location | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, company_id, name, token FROM locations WHERE id = ?", (location_id,)
            ).fetchone()
        return Location(*row) if row else None

    def location_of_token(self, token: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT id FROM locations WHERE token = ?", (token,)).fetchone()
        return str(row[0]) if row else None

    def company_locations(self, company_id: str) -> set[str]:
        with self._lock:
            rows = self._db.execute("SELECT id FROM locations WHERE company_id = ?", (company_id,)).fetchall()
        return {str(r[0]) for r in rows}

    # -- objects --------------------------------------------------------------------------------------------

    def add(self, kind: str, obj_id: str, owner: str, data: JsonObject, *, parent: str | None = None) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO objects (id, kind, owner, parent, data) VALUES (?, ?, ?, ?, ?)",
                (obj_id, str(kind), owner, parent, json.dumps(data)),
            )

    def get(self, kind: str, obj_id: str) -> Stored | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, owner, parent, data FROM objects WHERE kind = ? AND id = ?", (str(kind), obj_id)
            ).fetchone()
        return Stored(row[0], row[1], row[2], json.loads(row[3])) if row else None

    def find(self, kind: str, *, owner: str | None = None, parent: str | None = None) -> list[JsonObject]:
        """Objects of a kind in creation order, optionally only one owner's or one parent's."""
        with self._lock:
            return [data for _, data in self._rows(str(kind), owner=owner, parent=parent)]

    def field_values(self, kind: str, field: str, *, owner: str) -> list[Any]:
        """One top-level field of every object of a kind one owner holds, in creation order: a uniqueness check
        without decoding every object (a company's users, thousands of them when a benchmark seeds them)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT json_extract(data, ?) FROM objects WHERE kind = ? AND owner = ? ORDER BY seq",
                ("$." + json.dumps(field), str(kind), owner),
            ).fetchall()
        return [r[0] for r in rows]

    def replace(self, kind: str, obj_id: str, data: JsonObject) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE objects SET data = ? WHERE kind = ? AND id = ?",
                (json.dumps(data), str(kind), obj_id),
            )

    def remove(self, kind: str, obj_id: str) -> bool:
        with self._lock:
            cursor = self._db.execute("DELETE FROM objects WHERE kind = ? AND id = ?", (str(kind), obj_id))
            self._db.execute("DELETE FROM objects WHERE parent = ?", (obj_id,))
            self._db.execute("DELETE FROM credentials WHERE user_id = ?", (obj_id,))
            self._db.execute("DELETE FROM queued_removals WHERE id = ?", (obj_id,))
            return cursor.rowcount > 0

    # -- queued removals (GHL deletes users in the background) ------------------------------------------------

    def queue_removal(self, kind: str, obj_id: str) -> None:
        """Remove an object once ``removal_lag`` more list answers of its kind have shown it.

        Queuing again (a second DELETE) changes nothing; with no lag the object goes at once.
        """
        with self._lock:
            if self.removal_lag <= 0:
                self.remove(kind, obj_id)
                return
            self._db.execute(
                "INSERT INTO queued_removals (id, kind, lists_left) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (obj_id, str(kind), self.removal_lag),
            )

    def queued(self, kind: str, obj_id: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM queued_removals WHERE kind = ? AND id = ?", (str(kind), obj_id)
            ).fetchone()
        return row is not None

    def listed(self, kind: str) -> None:
        """A list answer of ``kind`` was given: count it against every queued removal of that kind."""
        with self._lock:
            self._db.execute("UPDATE queued_removals SET lists_left = lists_left - 1 WHERE kind = ?", (str(kind),))
            self._finish_removals("kind = ? AND lists_left <= 0", (str(kind),))

    def tick(self) -> None:
        """Let the background work finish: every queued removal happens now."""
        with self._lock:
            self._finish_removals("1 = 1", ())

    def _finish_removals(self, where: str, args: tuple[str, ...]) -> None:
        rows = self._db.execute(f"SELECT id, kind FROM queued_removals WHERE {where}", args).fetchall()
        for obj_id, kind in rows:
            self.remove(str(kind), obj_id)
            self._db.execute("DELETE FROM queued_removals WHERE id = ?", (obj_id,))

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO credentials (user_id, password_hash) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash",
                (user_id, password_hash),
            )

    def password_hash(self, user_id: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT password_hash FROM credentials WHERE user_id = ?", (user_id,)).fetchone()
        return str(row[0]) if row else None

    # -- views for tests ------------------------------------------------------------------------------------

    def snapshot(self, location_id: str) -> JsonObject:
        """Everything a location holds, as the API returns it, one key per registered location kind (children,
        like a product's prices, nested in their parent under the parent's field)."""
        with self._lock:
            out: JsonObject = {}
            for kind in registry.LOCATION_KINDS:
                if kind.parent is None and kind.stored_as:
                    out[kind.name] = [
                        self._nested(kind, obj_id, data)
                        for obj_id, data in self._rows(kind.stored_as, owner=location_id)
                    ]
            return out

    def _nested(self, kind: Any, obj_id: str, data: JsonObject) -> JsonObject:
        for child in registry.children(kind.name):
            if child.stored_as and child.parent_field:
                data[child.parent_field] = [
                    self._nested(child, cid, cdata) for cid, cdata in self._rows(child.stored_as, parent=obj_id)
                ]
        return data

    def _rows(self, kind: str, *, owner: str | None = None, parent: str | None = None) -> list[tuple[str, JsonObject]]:
        # Callers hold the lock.
        sql = "SELECT id, data FROM objects WHERE kind = ?"
        args: list[str] = [kind]
        if owner is not None:
            sql += " AND owner = ?"
            args.append(owner)
        if parent is not None:
            sql += " AND parent = ?"
            args.append(parent)
        rows = self._db.execute(sql + " ORDER BY seq", args).fetchall()
        return [(str(r[0]), json.loads(r[1])) for r in rows]

    def users(self, company_id: str | None = None) -> list[JsonObject]:
        """Users as the API returns them (never with a password), all companies' unless one is named."""
        return self.find(Kind.USER, owner=company_id)

    def close(self) -> None:
        with self._lock:
            self._db.close()
