"""The benchmarks' workload: N locations x M objects over all six kinds, half of the locations drifted.

Everything is a pure function of (N, M), so two runs (or the parallel and the sequential run) see the same
manifests, the same live state and the same lower bound.

Per location the M objects are spread like a real clinic's configuration (M = 60: 15 tags, 12 custom
fields, 12 custom values, 4 calendars, 5 products with 2 prices each, 2 users). Users are company-level: each
location declares its users from a shared pool (about five locations per user), as staff do across an
agency's clinics.

Drift: every odd-numbered location is drifted. In a drifted location, of each kind's objects (taken in order)
every fifth one, starting with the first, is missing live, and every fifth one starting with the third holds a
changed value (a custom field's placeholder, a custom value, a calendar's description, a product's description,
a price's amount). A missing product takes its prices with it. A drifted location also lacks the membership of
its last user. Even-numbered locations match their manifests exactly.

``desired_spec`` gives the manifest (the ``spec`` of a Location document), ``seed_spec`` the drifted live state
as a manifest (with ``prune`` on every kind, so applying it also restores the drift after a run), and
``lower_bound`` the fewest requests a plan and an apply can possibly make for it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from ghlops.live import TOP_KINDS
from ghlops.sandbox.store import PageCaps
from ghlops.state import LocationDesired

PAGE_SIZE = 100  # the limit ghlops asks for on products, prices and the users search
# GHL answers shorter pages than asked for (and the real total); the sandbox caps them as GHL's documents'
# examples do (ghlops.sandbox.store.PageCaps: products and prices 20, users 25), so the lower bound counts
# pages of those sizes.
_CAPS = PageCaps()
# One list call per location for each top-level location kind (page 1): from the registry, as the reader reads.
LIST_KINDS = len(TOP_KINDS)
PRICES_PER_PRODUCT = 2
FIELD_TYPES = ("TEXT", "SINGLE_OPTIONS", "LARGE_TEXT", "NUMERICAL")
USERS_PER_POOL_USER = 5  # locations sharing one user, roughly

Spec = dict[str, Any]


@dataclass(frozen=True)
class Shape:
    """How many objects of each kind one location declares."""

    tags: int
    custom_fields: int
    custom_values: int
    calendars: int
    products: int
    users: int

    @staticmethod
    def of(objects: int) -> Shape:
        if objects < 10:
            raise ValueError("at least 10 objects per location (one of every kind)")

        def part(share: int) -> int:
            return max(1, round(objects * share / 60))

        users, calendars, products = part(2), part(4), part(5)
        custom_fields, custom_values = part(12), part(12)
        tags = objects - users - calendars - products * (1 + PRICES_PER_PRODUCT) - custom_fields - custom_values
        return Shape(tags, custom_fields, custom_values, calendars, products, users)

    @property
    def total(self) -> int:
        return (
            self.tags
            + self.custom_fields
            + self.custom_values
            + self.calendars
            + self.products * (1 + PRICES_PER_PRODUCT)
            + self.users
        )


@dataclass(frozen=True)
class Workload:
    locations: int
    objects: int

    @property
    def shape(self) -> Shape:
        return Shape.of(self.objects)

    @property
    def pool_size(self) -> int:
        per = self.shape.users
        return max(per, math.ceil(self.locations * per / USERS_PER_POOL_USER))

    # -- names -------------------------------------------------------------------------------------------------
    @staticmethod
    def name(i: int) -> str:
        return f"clinic-{i:05d}"

    @staticmethod
    def location_id(i: int) -> str:
        return f"BenchLoc{i:06d}xxxxxx"  # 20 characters, like GHL's ids

    @staticmethod
    def drifted(i: int) -> bool:
        return i % 2 == 1

    def user_indexes(self, i: int) -> list[int]:
        per = self.shape.users
        return [(i * per + k) % self.pool_size for k in range(per)]

    @staticmethod
    def user(u: int) -> Spec:
        return {
            "email": f"staff{u:05d}@bench.example.com",
            "firstName": f"Staff{u}",
            "lastName": "Bench",
            "role": "admin" if u % 7 == 0 else "user",
            "type": "account",
        }

    def dropped_user(self, i: int) -> int | None:
        """The pool user whose membership a drifted location lacks live (never the calendars' team member)."""
        users = self.user_indexes(i)
        return users[-1] if self.drifted(i) and len(users) >= 2 else None

    # -- manifests ---------------------------------------------------------------------------------------------
    def desired_spec(self, i: int) -> Spec:
        return self._spec(i, seed=False)

    def seed_spec(self, i: int) -> Spec:
        return self._spec(i, seed=True)

    def _spec(self, i: int, *, seed: bool) -> Spec:
        drift = seed and self.drifted(i)
        shape = self.shape
        name = self.name(i)

        def keep(j: int) -> bool:
            return not (drift and j % 5 == 0)

        def changed(j: int) -> bool:
            return drift and j % 5 == 2

        users = [u for u in self.user_indexes(i) if not (drift and u == self.dropped_user(i))]
        spec: Spec = {"locationId": self.location_id(i)}
        spec["tags"] = [f"tag-{j:03d}-{name}" for j in range(shape.tags) if keep(j)]
        fields = []
        for j in range(shape.custom_fields):
            if not keep(j):
                continue
            data_type = FIELD_TYPES[j % len(FIELD_TYPES)]
            field: Spec = {
                "name": f"Field {j:03d}",
                "model": "opportunity" if j % 3 == 2 else "contact",
                "dataType": data_type,
                "placeholder": f"placeholder {j}" + (" (old)" if changed(j) else ""),
            }
            if data_type == "SINGLE_OPTIONS":
                field["options"] = ["Small", "Medium", "Large"]
            fields.append(field)
        spec["customFields"] = fields
        spec["customValues"] = [
            {"name": f"value_{j:03d}", "value": f"value {j} of {name}" + (" (old)" if changed(j) else "")}
            for j in range(shape.custom_values)
            if keep(j)
        ]
        first_user = self.user(self.user_indexes(i)[0])["email"]
        calendars = []
        for j in range(shape.calendars):
            if not keep(j):
                continue
            calendar: Spec = {
                "name": f"Calendar {j:03d}",
                "calendarType": "event",
                "slotDuration": 30 + 15 * (j % 3),
                "description": f"bookings {j}" + (" (old)" if changed(j) else ""),
            }
            if j == 0 and shape.users >= 2:
                calendar["teamMembers"] = [{"user": first_user}]
            calendars.append(calendar)
        spec["calendars"] = calendars
        products = []
        price_index = 0
        for p in range(shape.products):
            if not keep(p):
                continue
            prices = []
            for k in range(PRICES_PER_PRODUCT):
                j = price_index
                price_index += 1
                if not keep(j):
                    continue
                amount = 100 * (p + 1) + k + (7 if changed(j) else 0)
                price: Spec = {"name": f"Price {k}", "type": "one_time", "amount": amount, "currency": "USD"}
                if k % 2 == 1:
                    price.update(type="recurring", recurring={"interval": "month", "intervalCount": 1})
                prices.append(price)
            products.append(
                {
                    "name": f"Product {p:03d}",
                    "productType": "SERVICE",
                    "description": f"service {p} of {name}" + (" (old)" if changed(p) else ""),
                    "prices": prices,
                }
            )
        spec["products"] = products
        spec["users"] = [self.user(u) for u in users]
        if seed:
            # Applying the seed after a run deletes what the run created, so the drift can be restored.
            spec["prune"] = ["tags", "customFields", "customValues", "products", "calendars", "users"]
        return spec

    # -- lower bound -------------------------------------------------------------------------------------------
    def lower_bound(self) -> LowerBound:
        """The fewest requests a plan (reads) and an apply (writes) can make for this workload."""
        reads = 0
        writes = 0
        impact = 0
        changed = 0
        reread = 0
        live_users: set[int] = set()
        dropped: set[int] = set()
        for i in range(self.locations):
            seed = self.seed_spec(i)
            desired = self.desired_spec(i)
            live_products = len(seed["products"])
            own = LIST_KINDS + _extra_pages(live_products, _CAPS.products)
            # + one price list per live product (more pages when a product has more prices than a page holds)
            own += live_products * (1 + _extra_pages(PRICES_PER_PRODUCT, _CAPS.prices))
            # + one notifications list per live calendar the manifest declares (never paged: GHL's list takes no
            # limit, issue #3); ghlops reads notifications only under declared calendars (live.declared_parents)
            own += notification_lists(desired, seed)
            searches = _impact_searches(desired, seed)  # one contacts search per change that costs contact data
            reads += own + searches
            impact += searches
            live_users.update(self._seed_users(i))
            drop = self.dropped_user(i)
            if drop is not None:
                dropped.add(drop)
            location_writes = _changes(desired, seed)
            writes += location_writes
            if location_writes:
                changed += 1
                reread += own
        users_search = 1 + _extra_pages(len(live_users), _CAPS.users)  # the users search, once for the company
        reads += users_search
        # A user is created when no location's live state has it, else updated once for all its new memberships.
        writes += len(dropped)
        return LowerBound(
            reads=reads,
            writes=writes,
            changed_locations=changed,
            reread=reread + (users_search if changed else 0),
            user_writes=len(dropped),
            impact=impact,
        )

    def _seed_users(self, i: int) -> list[int]:
        return [u for u in self.user_indexes(i) if u != self.dropped_user(i)]

    # -- live state as GHL's API returns it (for the pure planner benchmark) ----------------------------------
    def user_id(self, u: int) -> str:
        return f"User{u:06d}xxxxxxxxxx"

    def live_users(self) -> list[Spec]:
        """The company's users as the users search returns them, with the memberships of the drifted state."""
        members: dict[int, list[str]] = {}
        for i in range(self.locations):
            for u in self._seed_users(i):
                members.setdefault(u, []).append(self.location_id(i))
        return [
            {
                "id": self.user_id(u),
                "name": f"{user['firstName']} {user['lastName']}",
                **user,
                "extension": "",
                "roles": {"type": user.pop("type"), "role": user.pop("role"), "locationIds": members[u]},
                "deleted": False,
            }
            for u in sorted(members)
            for user in [self.user(u)]
        ]

    def live_raw(self, i: int) -> dict[str, list[Spec]]:
        """Location ``i``'s drifted live state, kind by kind, shaped like the sandbox's (and GHL's) answers."""
        seed = self.seed_spec(i)
        lid = self.location_id(i)

        def oid(kind: str, j: int) -> str:
            return f"{kind[:4]}{i:06d}{j:05d}".ljust(20, "x")

        raw: dict[str, list[Spec]] = {
            "tags": [{"id": oid("tag", j), "name": t, "locationId": lid} for j, t in enumerate(seed["tags"])],
            "customFields": [
                {
                    "id": oid("fld", j),
                    "name": f["name"],
                    "fieldKey": f"{f['model']}.{f['name'].lower().replace(' ', '_')}",
                    "placeholder": f["placeholder"],
                    "dataType": f["dataType"],
                    "position": 0,
                    "picklistOptions": f.get("options", []),
                    "locationId": lid,
                    "model": f["model"],
                }
                for j, f in enumerate(seed["customFields"])
            ],
            "customValues": [
                {
                    "id": oid("val", j),
                    "name": v["name"],
                    "fieldKey": "{{ custom_values." + v["name"] + " }}",
                    "value": v["value"],
                    "locationId": lid,
                }
                for j, v in enumerate(seed["customValues"])
            ],
            "calendars": [
                {
                    "id": oid("cal", j),
                    "locationId": lid,
                    "isActive": True,
                    "eventType": "RoundRobin_OptimizeForAvailability",
                    "widgetType": "classic",
                    "eventTitle": "{{contact.name}}",
                    "eventColor": "#039be5",
                    "slotInterval": 30,
                    "appoinmentPerSlot": 1,
                    "autoConfirm": True,
                    "slug": c["name"].lower().replace(" ", "-"),
                    **{k: v for k, v in c.items() if k != "teamMembers"},
                    "slotDuration": float(c["slotDuration"]),
                    "teamMembers": [
                        {
                            "userId": self.user_id(self.user_indexes(i)[0]),
                            "meetingLocationType": "custom",
                            "isPrimary": False,
                        }
                        for _ in c.get("teamMembers", [])
                    ],
                }
                for j, c in enumerate(seed["calendars"])
            ],
            "products": [],
            "prices": [],
        }
        stamp = "2026-01-01T00:00:00.000Z"
        for p, product in enumerate(seed["products"]):
            pid = oid("prod", p)
            raw["products"].append(
                {
                    "_id": pid,
                    "locationId": lid,
                    "isTaxesEnabled": False,
                    "isLabelEnabled": False,
                    "taxInclusive": False,
                    "createdAt": stamp,
                    "updatedAt": stamp,
                    **{k: v for k, v in product.items() if k != "prices"},
                }
            )
            for k, price in enumerate(product["prices"]):
                raw["prices"].append(
                    {
                        "_id": oid("pric", p * 100 + k),
                        "locationId": lid,
                        "product": pid,
                        "createdAt": stamp,
                        "updatedAt": stamp,
                        **price,
                        "amount": float(price["amount"]),
                    }
                )
        return raw

    # -- validated models (no YAML: fast seeding and the pure planner benchmark) ----------------------------
    def document(self, i: int, *, seed: bool) -> Spec:
        """Location ``i``'s manifest document, as :meth:`write` writes it."""
        return {
            "apiVersion": "ghlops/v1",
            "kind": "Location",
            "metadata": {"name": self.name(i)},
            "spec": self.seed_spec(i) if seed else self.desired_spec(i),
        }

    def desired_models(self, *, seed: bool, company_id: str) -> list[LocationDesired]:
        """Every location's desired state as the loader makes it from :meth:`write`'s files (validated models;
        the company from the environment, as ``GHL_COMPANY_ID`` gives it), without writing or parsing YAML."""
        from types import SimpleNamespace

        from ghlops.manifest.loader import to_desired
        from ghlops.manifest.model import LocationDocument

        found = []
        for i in range(self.locations):
            model = LocationDocument.model_validate(self.document(i, seed=seed))
            item = to_desired(model, SimpleNamespace(pos=f"{self.name(i)}.yaml"))  # type: ignore[arg-type]
            item.company_id = model.spec.companyId or company_id
            found.append(item)
        return found

    # -- files -------------------------------------------------------------------------------------------------
    def write(self, directory: Path, *, seed: bool) -> Path:
        """One YAML manifest per location under ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        yaml = YAML()
        yaml.default_flow_style = None
        for i in range(self.locations):
            doc = self.document(i, seed=seed)
            with (directory / f"{self.name(i)}.yaml").open("w", encoding="utf-8") as handle:
                yaml.dump(doc, handle)
        return directory

    def locations_with_names(self) -> Iterator[tuple[str, str]]:
        for i in range(self.locations):
            yield self.location_id(i), self.name(i)


@dataclass(frozen=True)
class LowerBound:
    """The fewest requests: ``reads`` of a plan (impact searches included), ``writes`` of an apply (user writes
    included), and what ``ghlops apply`` adds around the writes (ghlops/commands/apply.py): the lease of each
    changed location (POST, GET, DELETE: ghlops/lease.py) and the re-read of the changed locations under their
    leases (replan_leased: their lists and the users search, no impact searches)."""

    reads: int
    writes: int
    changed_locations: int = 0
    reread: int = 0
    user_writes: int = 0
    impact: int = 0

    LEASE_REQUESTS = 3  # per changed location: POST the lease, GET the list, DELETE it after the last write

    @property
    def leases(self) -> int:
        return self.LEASE_REQUESTS * self.changed_locations

    @property
    def apply_total(self) -> int:
        """Every request `ghlops apply` makes end to end: its plan's reads, the leases, the re-read, the writes."""
        return self.reads + self.leases + self.reread + self.writes


def notification_lists(desired: Spec, seed: Spec) -> int:
    """Notification lists a read of one location makes: one per live calendar whose name (compared as GHL
    compares names, case-insensitively) the manifest declares, by its name or an earlier one (``renamedFrom``).
    Live calendars the manifest does not declare are not read under."""
    declared: set[str] = set()
    for calendar in desired.get("calendars", []):
        declared.add(calendar["name"].casefold())
        declared.update(old.casefold() for old in calendar.get("renamedFrom", []))
    return sum(1 for calendar in seed.get("calendars", []) if calendar["name"].casefold() in declared)


def _extra_pages(items: int, page: int) -> int:
    return max(0, math.ceil(items / min(page, PAGE_SIZE)) - 1)


def _changes(desired: Spec, seed: Spec) -> int:
    """Writes one location needs: one per missing or changed object of the location's own kinds."""
    count = 0
    for section in ("tags", "customFields", "customValues", "calendars"):
        count += _diff_count(desired[section], seed[section])
    live_products = {p["name"]: p for p in seed["products"]}
    for product in desired["products"]:
        live = live_products.get(product["name"])
        if live is None:
            count += 1 + len(product["prices"])
            continue
        count += int(_without(product, "prices") != _without(live, "prices"))
        count += _diff_count(product["prices"], live["prices"])
    return count


def _impact_searches(desired: Spec, seed: Spec) -> int:
    """Contacts searches the plan makes (ghlops/impact.py): one per pruned tag or contact custom field, per
    contact custom field replaced (its dataType changed), per dropdown option an update removes. Opportunity
    fields are never searched (GHL documents no filter to count them). The manifests prune nothing and keep
    every dataType and option, so this is 0 for this workload; it is here so the bound stays honest if they do."""
    prune = set(desired.get("prune", []))
    count = 0
    if "tags" in prune:
        wanted = {t.casefold() for t in desired["tags"]}
        count += sum(1 for t in seed["tags"] if t.casefold() not in wanted)
    wanted_fields = {(f["model"], f["name"]): f for f in desired["customFields"]}
    for live in seed["customFields"]:
        if live["model"] != "contact":
            continue
        field = wanted_fields.get((live["model"], live["name"]))
        if field is None:
            count += int("customFields" in prune)
        elif field["dataType"] != live["dataType"]:
            count += 1
        else:
            count += sum(1 for o in live.get("options") or [] if o not in (field.get("options") or []))
    return count


def _diff_count(desired: Sequence[Any], live: Sequence[Any]) -> int:
    def key(item: Any) -> Any:
        return item["name"] if isinstance(item, Mapping) else item

    live_by_key = {key(item): item for item in live}
    return sum(1 for item in desired if live_by_key.get(key(item)) != item)


def _without(item: Mapping[str, Any], field: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != field}
