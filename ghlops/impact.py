"""What a destructive change costs in contact data, counted live between planning and rendering.

The planner is pure, so it only says *that* a change erases contact data. This reader says *how much*: for
every change that takes data from contacts (a custom field deleted or replaced, a tag deleted, dropdown
options removed by an update) it asks GHL's contacts search how many contacts of that location hold the value,
and returns the plan with an :class:`~ghlops.plan.model.Impact` on each of those changes (new values through
``dataclasses.replace``: changes are immutable).

The search (``POST /contacts/search``) is a POST but a read: it changes nothing in GHL (its OAuth scope is
``contacts.readonly`` in ../shared/ghl-openapi/contacts.json): it goes through the client's reading face
(``ReadingClient.search``, which refuses any POST that is not a read), and is retried like any read. One
search per count, side by side within the client's rate limiter, each asking for a single contact (only
``total`` is needed). A count that fails or that
GHL cannot make is "unknown" with its reason; it never fails the plan.

What GHL documents about the body (see README, "Contacts affected", for sources and what is unverified):
``locationId`` and ``pageLimit`` are required (422 without them: GoHighLevel/highlevel-api-docs#31);
``filters`` is a list of ``{field, operator, value}`` combined with AND; the operators include ``eq``,
``not_eq``, ``contains``, ``exists`` and ``not_exists`` (``exists`` takes no value); custom fields are
addressed by id as ``customFields.<id>`` (by name they match nothing: GoHighLevel/highlevel-api-docs#42).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from ghlops.errors import ApiError, GhlopsError, one_line
from ghlops.ghl.client import CallContext
from ghlops.ghl.faces import ReadingClient
from ghlops.live import READS_PER_LOCATION
from ghlops.plan.model import Action, Change, Impact, OptionImpact, Plan, Section
from ghlops.request import Request

SEARCH_PATH = "/contacts/search"
# Only the answer's total is read; one contact per answer keeps it small (GHL allows up to 500).
PAGE_LIMIT = 1
# GoHighLevel/highlevel-api-docs#11: the public opportunities search takes no filters array, so there is no
# documented way to count opportunities holding a custom field's value. Say so rather than guess.
OPPORTUNITY_UNSUPPORTED = "GHL's opportunity search documents no custom-field filter"
# GHL's contacts search takes filter values of at most 75 characters (its Contacts Search documentation).
MAX_VALUE = 75
TOO_LONG = f"GHL's contacts search takes values of at most {MAX_VALUE} characters"


@dataclass(frozen=True)
class Count:
    """One count to make: which change (by section and change index), which option of it, and the search."""

    section: int
    change: int
    option: str | None
    request: Request
    location_id: str
    location: str


def search_request(location_id: str, filters: Sequence[Mapping[str, Any]]) -> Request:
    body = {"locationId": location_id, "page": 1, "pageLimit": PAGE_LIMIT, "filters": [dict(f) for f in filters]}
    return Request("POST", (SEARCH_PATH,), body=body)


def field_filter(field_id: str, operator: str, value: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"field": f"customFields.{field_id}", "operator": operator}
    if value is not None:
        found["value"] = value
    return found


def filters_for(change: Change) -> list[tuple[str | None, list[dict[str, Any]]]] | str:
    """The searches a change needs, as (removed option or None, filters); or why it cannot be counted."""
    if change.kind == "tags":
        # GHL stores tags lower-cased; the live tag's name is what contacts carry.
        if len(change.display) > MAX_VALUE:
            return TOO_LONG
        return [(None, [{"field": "tags", "operator": "eq", "value": change.display}])]
    if change.object_id is None:
        return "the field has no id to search by"
    if change.key.startswith("opportunity/"):
        return OPPORTUNITY_UNSUPPORTED
    if change.destructive:
        return [(None, [field_filter(change.object_id, "exists")])]
    if any(len(option) > MAX_VALUE for option in change.removed_options):
        return TOO_LONG
    return [(option, [field_filter(change.object_id, "eq", option)]) for option in change.removed_options]


def total_of(body: Any) -> int:
    """The answer's ``total``; ValueError when the answer has none (GHL answers ``{contacts, total}``)."""
    total = body.get("total") if isinstance(body, Mapping) else None
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise ValueError("no total in the answer")
    return total


class ImpactCounter:
    """Counts the contacts each change of a plan costs, through the GHL client (read-only)."""

    def __init__(self, client: ReadingClient, *, parallelism: int = 8) -> None:
        self._client = client
        # As many searches in flight as the live reader allows reads; the client's limiter paces each location.
        self._workers = max(1, parallelism) * READS_PER_LOCATION

    def count(self, plan: Plan) -> Plan:
        """The plan with an impact on every change that costs contact data."""
        counts: list[Count] = []
        unsupported: dict[tuple[int, int], str] = {}
        for s, section in enumerate(plan.sections):
            if section.is_company:
                continue
            for i, change in enumerate(section.changes):
                if not change.costs_contact_data:
                    continue
                wanted = filters_for(change)
                if isinstance(wanted, str):
                    unsupported[(s, i)] = wanted
                    continue
                for option, filters in wanted:
                    request = search_request(section.scope_id, filters)
                    counts.append(Count(s, i, option, request, section.scope_id, section.name))
        results = self._run(counts)
        by_change: dict[tuple[int, int], list[tuple[Count, int | str]]] = {}
        for count, result in zip(counts, results, strict=True):
            by_change.setdefault((count.section, count.change), []).append((count, result))
        sections = list(plan.sections)
        for (s, i), reason in unsupported.items():
            sections[s] = _with_impact(sections[s], i, Impact.unknown(reason))
        for (s, i), found in by_change.items():
            sections[s] = _with_impact(sections[s], i, _impact(sections[s].changes[i], found))
        return replace(plan, sections=tuple(sections))

    def _run(self, counts: Sequence[Count]) -> list[int | str]:
        """Each count's total, or the reason it is unknown; in the order given, whatever finishes first."""
        if len(counts) <= 1 or self._workers == 1:
            return [self._one(c) for c in counts]
        workers = min(self._workers, len(counts))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ghlops-impact") as pool:
            return list(pool.map(self._one, counts))

    def _one(self, count: Count) -> int | str:
        try:
            body = self._client.search(
                count.request, location_id=count.location_id, context=CallContext(None, None, None)
            )
            return total_of(body)
        except ApiError as exc:
            return _failure(exc)
        except GhlopsError as exc:
            return one_line(str(exc), 200)
        except ValueError as exc:
            return f"unexpected answer from POST {SEARCH_PATH}: {exc}"


def _failure(exc: ApiError) -> str:
    """Why a search failed, in a few words: the status and GHL's message (tokens are already redacted)."""
    # The client knows the search is a read (ghlops.ghl.retry.READ_ONLY_POSTS): it retries a 5xx like a GET's,
    # and never calls a failed search an ambiguous write.
    status = f"HTTP {exc.status}" if exc.status is not None else "no response"
    return one_line(f"the contacts search failed: {status}: {exc.message}", 200)


def _with_impact(section: Section, index: int, impact: Impact) -> Section:
    changes = list(section.changes)
    changes[index] = replace(changes[index], impact=impact)
    return replace(section, changes=tuple(changes))


def _impact(change: Change, results: Sequence[tuple[Count, int | str]]) -> Impact:
    if change.action is Action.UPDATE:
        options = tuple(
            OptionImpact(str(c.option), r if isinstance(r, int) else None, r if isinstance(r, str) else None)
            for c, r in results
        )
        missing = [o for o in options if o.contacts is None]
        if missing:
            return Impact(None, missing[0].reason, options)
        return Impact(sum(o.contacts or 0 for o in options), None, options)
    (_, result), *_ = results
    return Impact(result, None) if isinstance(result, int) else Impact.unknown(result)


def count_impact(client: ReadingClient, plan: Plan, *, parallelism: int = 8) -> Plan:
    """The plan with live contact counts on its destructive changes (see :class:`ImpactCounter`)."""
    return ImpactCounter(client, parallelism=parallelism).count(plan)
