"""The impact counter (ghlops/impact.py) against a fake client: which searches, and what a plan says."""

from __future__ import annotations

import threading
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ghlops.errors import ApiError, TransportError
from ghlops.ghl.client import ClientStats
from ghlops.ghl.faces import ReadingClient
from ghlops.ghl.retry import is_idempotent
from ghlops.impact import OPPORTUNITY_UNSUPPORTED, TOO_LONG, count_impact
from ghlops.plan.model import Action, Change, FieldChange, Guard, Impact, OptionImpact, Plan, Section
from ghlops.plan.render_text import render_plan
from ghlops.request import Request
from tests.plan.sample_plans import through_a_plan_file

LOC = "loc1"


class FakeGhl:
    """The client's reading face (ghlops.ghl.faces.ReadingClient): answers each search with the total its filters
    map to, or raises the exception they map to. Like the real client, ``search`` refuses a POST that is not a
    read; it has no ``send``, so a counter that tried to write would fail here."""

    def __init__(self, totals: dict[str, Any]) -> None:
        self.totals = totals
        self.sent: list[tuple[Request, str | None]] = []
        self._lock = threading.Lock()

    @property
    def stats(self) -> ClientStats:
        return ClientStats()

    def get(self, req: Request, *, location_id: str | None = None, context: Any = None) -> Any:
        raise AssertionError(f"the impact counter only searches, it sent GET {req.endpoint}")

    def search(self, req: Request, *, location_id: str | None = None, context: Any = None) -> Any:
        if req.method != "POST" or not is_idempotent("POST", req.endpoint):
            raise ValueError(f"search() sends only read-only searches, not {req.method} {req.endpoint}")
        with self._lock:
            self.sent.append((req, location_id))
        filt = req.body["filters"][0]
        answer = self.totals[f"{filt['field']} {filt['operator']} {filt.get('value', '')}".strip()]
        if isinstance(answer, Exception):
            raise answer
        return answer


def change(action: Action, kind: str, display: str, **kw: Any) -> Change:
    key = display.casefold()
    return Change(action, kind, key, display, (Request("DELETE", ("/x",)),), object_id=kw.pop("oid", "F1"), **kw)


def plan_of(*changes: Change, limit: int | None = None) -> Plan:
    return Plan((Section("clinic", LOC, tuple(changes)),), Guard(max_contacts_affected=limit))


def test_each_kind_of_destructive_change_gets_its_own_search_and_count() -> None:
    ghl = FakeGhl(
        {
            "customFields.F1 exists": {"contacts": [{}], "total": 1284},
            "tags eq legacy-promo": {"contacts": [], "total": 312},
            "customFields.F2 eq 51+": {"contacts": [], "total": 45},
            "customFields.F2 eq 11-50": {"contacts": [], "total": 0},
        }
    )
    options = FieldChange("options", ["1-10", "11-50", "51+"], ["1-10"])
    plan = plan_of(
        change(Action.REPLACE, "customFields", "contact/Insurance Provider"),
        change(Action.DELETE, "tags", "legacy-promo", oid="T1"),
        change(Action.UPDATE, "customFields", "contact/Company Size", oid="F2", fields=(options,)),
        change(Action.DELETE, "customValues", "hours"),
        change(Action.UPDATE, "customFields", "contact/Notes", fields=(FieldChange("placeholder", "a", "b"),)),
    )
    assert isinstance(ghl, ReadingClient) and not hasattr(ghl, "send")  # the counter needs only the reading face
    counted = count_impact(ghl, plan)
    assert [c.impact for c in counted.locations[0].changes] == [
        Impact(1284),
        Impact(312),
        Impact(45, None, (OptionImpact("11-50", 0), OptionImpact("51+", 45))),
        None,
        None,
    ]
    assert all(req.method == "POST" and req.path == ("/contacts/search",) for req, _ in ghl.sent)
    assert {loc for _, loc in ghl.sent} == {LOC}
    assert all(req.body["locationId"] == LOC and req.body["pageLimit"] == 1 for req, _ in ghl.sent)
    assert len(ghl.sent) == 4
    assert counted.contacts_affected().total == 1284 + 312 + 45
    # The input plan is untouched: changes are values, impact comes on new ones.
    assert all(c.impact is None for c in plan.locations[0].changes)


def test_an_opportunity_field_is_unknown_without_any_search() -> None:
    ghl = FakeGhl({})
    counted = count_impact(ghl, plan_of(change(Action.DELETE, "customFields", "opportunity/Deal Source")))
    assert counted.locations[0].changes[0].impact == Impact(None, OPPORTUNITY_UNSUPPORTED)
    assert ghl.sent == []


def test_failed_or_malformed_answers_are_unknown_with_their_reason() -> None:
    ghl = FakeGhl(
        {
            "customFields.F1 exists": ApiError("Invalid field customFields.F1", status=400, method="POST"),
            "tags eq old": TransportError("connection refused", status=None),
            "customFields.F3 exists": {"contacts": []},
        }
    )
    counted = count_impact(
        ghl,
        plan_of(
            change(Action.DELETE, "customFields", "contact/A"),
            change(Action.DELETE, "tags", "old"),
            change(Action.DELETE, "customFields", "contact/C", oid="F3"),
        ),
    )
    assert [c.impact for c in counted.locations[0].changes] == [
        Impact(None, "the contacts search failed: HTTP 400: Invalid field customFields.F1"),
        Impact(None, "the contacts search failed: no response: connection refused"),
        Impact(None, "unexpected answer from POST /contacts/search: no total in the answer"),
    ]
    text = render_plan(counted)
    assert (
        "      ! contacts affected: unknown (the contacts search failed: HTTP 400: Invalid field customFields.F1)"
        in text
    )
    assert "!   contacts affected in total: 0 (3 counts unknown)" in text


def test_one_unknown_option_makes_the_update_unknown_but_keeps_the_known_counts() -> None:
    ghl = FakeGhl(
        {
            "customFields.F1 eq a": {"total": 3},
            "customFields.F1 eq b": ApiError("Bad Gateway", status=502),
        }
    )
    options = FieldChange("options", ["a", "b", "c"], ["c"])
    counted = count_impact(ghl, plan_of(change(Action.UPDATE, "customFields", "contact/X", fields=(options,))))
    impact = counted.locations[0].changes[0].impact
    assert impact == Impact(
        None,
        "the contacts search failed: HTTP 502: Bad Gateway",
        (OptionImpact("a", 3), OptionImpact("b", None, "the contacts search failed: HTTP 502: Bad Gateway")),
    )
    text = render_plan(counted)
    assert '      ! 3 contacts hold "a", no longer offered\n' in text
    assert '      ! contacts holding "b": unknown (the contacts search failed: HTTP 502: Bad Gateway)\n' in text


def test_singular_counts_read_as_english() -> None:
    ghl = FakeGhl({"customFields.F1 exists": {"total": 1}, "tags eq vip": {"total": 1}})
    text = render_plan(
        count_impact(
            ghl, plan_of(change(Action.DELETE, "customFields", "contact/A"), change(Action.DELETE, "tags", "vip"))
        )
    )
    assert "      ! 1 contact holds a value for this field (erased by the delete)\n" in text
    assert "      ! 1 contact carries this tag\n" in text


def test_the_guard_counts_the_total_against_its_limit_and_unknowns_do_not_trip_it() -> None:
    counted = Plan(
        (
            Section(
                "clinic",
                LOC,
                (
                    Change(Action.DELETE, "tags", "a", "a", (), impact=Impact(600)),
                    Change(Action.DELETE, "tags", "b", "b", (), impact=Impact(401)),
                    Change(Action.DELETE, "tags", "c", "c", (), impact=Impact(None, "down")),
                ),
            ),
        ),
        Guard(max_contacts_affected=1000),
    )
    affected = counted.contacts_affected()
    assert (affected.total, affected.unknown, affected.over) == (1001, 1, True)
    assert not Plan(counted.sections, Guard(max_contacts_affected=1001)).contacts_affected().over
    assert not Plan(counted.sections, Guard()).contacts_affected().over


counts = st.one_of(st.none(), st.integers(min_value=0, max_value=10**9))


@given(
    contacts=counts,
    options=st.lists(st.tuples(st.text(min_size=1), counts), max_size=4),
    limit=st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)),
)
def test_impact_and_guard_survive_the_json_round_trip(
    contacts: int | None, options: list[tuple[str, int | None]], limit: int | None
) -> None:
    impact = Impact(
        contacts,
        None if contacts is not None else "why",
        tuple(OptionImpact(o, n, None if n is not None else "why") for o, n in options),
    )
    plan = Plan(
        (Section("clinic", LOC, (Change(Action.DELETE, "tags", "a", "a", (), impact=impact),)),),
        Guard(max_contacts_affected=limit),
    )
    assert through_a_plan_file(plan) == plan


def test_a_value_longer_than_the_search_accepts_is_unknown_without_a_search() -> None:
    ghl = FakeGhl({})
    long_tag = "t" * 76
    counted = count_impact(ghl, plan_of(change(Action.DELETE, "tags", long_tag)))
    assert counted.locations[0].changes[0].impact == Impact(None, TOO_LONG)
    assert ghl.sent == []
