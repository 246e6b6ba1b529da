"""The saved-plan document without HTTP: typed parsing of anything, what a plan depends on, and how a saved plan
is compared with the plan made again."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ghlops.apply import ApplyReport, Outcome, Result
from ghlops.commands.apply import created_lines
from ghlops.errors import ConfigError, PlanRefused
from ghlops.identity import Identity
from ghlops.kinds import TAGS, USERS
from ghlops.kinds.base import LiveObject, Resolver
from ghlops.kinds.calendars import Calendar
from ghlops.kinds.tags import Tag
from ghlops.kinds.users import User
from ghlops.plan.model import Action, Change
from ghlops.plan.planner import build_plan
from ghlops.plan.render_json import render_json
from ghlops.plan.saved import (
    Dependency,
    ManifestFile,
    ManifestSet,
    SavedPlan,
    Selection,
    dependencies,
    dependencies_of,
    differences,
    parse_document,
    plan_text,
    read_plan,
    verify,
    write_plan,
)
from ghlops.plan.saved import document as plan_document
from ghlops.state import CompanyLive, LocationDesired, LocationLive
from tests.plan.sample_plans import sample_plan

DIGEST = "sha256:" + "ab" * 32


def saved() -> SavedPlan:
    plan = sample_plan()
    return SavedPlan(
        plan=plan,
        manifests=ManifestSet(("ghl",), (ManifestFile("ghl/a.yaml", DIGEST),)),
        depends={s.scope_id: (Dependency("tags", "vip", "vip", DIGEST),) for s in plan.locations},
    )


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(render_json(saved()))
    return loaded


def parse_error(doc: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_document(doc)
    return str(caught.value)


def test_a_saved_plan_reads_back_with_its_dependencies() -> None:
    again = parse_document(document())
    assert again.plan == saved().plan
    assert again.depends == saved().depends
    assert plan_document(again) == plan_document(saved())


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("locations", 0, "changes", 0, "requests", 0, "method"), 5, "requests[0].method: must be a string"),
        (("locations", 0, "changes", 0, "requests", 0, "method"), "TRACE", "not an HTTP method ghlops sends"),
        (("locations", 0, "changes", 0, "action"), "explode", "changes[0].action: explode is not allowed here"),
        (("locations", 0, "changes", 0, "stage"), [1], "changes[0].stage: must be one of 0, 1, 2"),
        (("locations", 0, "changes", 0, "kind"), "widgets", "changes[0].kind: not a kind ghlops plans"),
        (("locations", 0, "dependsOn", 0, "digest"), "md5:0", "dependsOn[0].digest: must be sha256: and 64 hex"),
        (("companies", 0, "touches"), [], "companies[0].touches: 0 entries for 2 changes"),
        (("guard", "maxDeletePercent"), 1e309, "guard.maxDeletePercent: must be a number"),
        (("manifests", "files", 0), "ghl/a.yaml", "manifests.files[0]: must be an object"),
    ],
)
def test_a_wrong_value_anywhere_is_one_line_naming_its_path(path: tuple[Any, ...], value: Any, message: str) -> None:
    doc = document()
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    error = parse_error(doc)
    assert error.startswith("not a valid ghlops plan file: ") and message in error, error
    assert "\n" not in error


def test_a_location_twice_in_one_file_is_refused() -> None:
    doc = document()
    doc["locations"].append(doc["locations"][0])
    assert "appears twice" in parse_error(doc)


def test_a_body_nested_beyond_any_real_plan_is_refused_without_recursing(tmp_path: Path) -> None:
    doc = document()
    deep: Any = 1
    for _ in range(150):
        deep = {"a": deep}
    doc["locations"][0]["changes"][0]["requests"][0]["body"] = deep
    assert parse_error(doc).endswith("nested more than 100 levels")
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc).replace('{"a": 1}', "[" * 5000 + "]" * 5000))
    with pytest.raises(ConfigError) as caught:
        read_plan(path)
    assert str(caught.value) == f"{path}: not a ghlops plan file (JSON nested more than 100 levels)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'{"formatVersion": NaN}', "invalid JSON: NaN is not a JSON number"),
        (b'{"formatVersion": 2, "x": "\xff"}', "not UTF-8 text"),
        (b"", "invalid JSON at line 1"),
        (b'{"formatVersion": ' + b"9" * 5000 + b"}", "invalid JSON: Exceeds the limit"),
        (b'{"formatVersion": 1}', "plan file format 1 is from an earlier ghlops"),
        (b'{"formatVersion": true}', "plan file format True is not supported (this ghlops reads 2)"),
        (b'{"formatVersion": [1]}', "plan file format '?' is not supported (this ghlops reads 2)"),
        (b'{"formatVersion": {"a": 1}}', "plan file format '?' is not supported (this ghlops reads 2)"),
        (
            b'{"formatVersion": 2, "x": "a\\ud800b"}',
            "not a ghlops plan file (a \\u escape names half a surrogate pair)",
        ),
        (b'{"formatVersion": 2, "x": "\\udfff"}', "not a ghlops plan file (a \\u escape names half a surrogate pair)"),
    ],
)
def test_files_that_are_not_plans_are_one_line(tmp_path: Path, text: bytes, message: str) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(text)
    with pytest.raises(ConfigError) as caught:
        read_plan(path)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value), str(caught.value)


def test_a_plan_file_with_escaped_characters_outside_the_basic_plane_reads_back(tmp_path: Path) -> None:
    doc = document()
    doc["locations"][0]["changes"][0]["display"] = "vip \U0001f600"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc, ensure_ascii=True))  # the emoji as a \ud83d\ude00 pair
    assert "\\ud83d\\ude00" in path.read_text()
    assert read_plan(path).plan.locations[0].changes[0].display == "vip \U0001f600"


# -- what a plan depends on --------------------------------------------------------------------------------------


def tag(tid: str, name: str) -> LiveObject[Any]:
    return TAGS.live({"id": tid, "name": name, "locationId": "L1"}, Resolver())


def user(uid: str, email: str, locations: list[str]) -> LiveObject[Any]:
    raw = {
        "id": uid,
        "email": email,
        "firstName": "F",
        "lastName": "L",
        "roles": {"type": "account", "role": "user", "locationIds": locations},
    }
    return USERS.live(raw, Resolver())


def location(prune: tuple[str, ...] = (), **entries: list[Any]) -> LocationDesired:
    d = LocationDesired(name="clinic", location_id="L1", company_id="co", prune=frozenset(prune))
    d.entries.update(entries)
    return d


def keys(deps: tuple[Dependency, ...]) -> list[tuple[str, str, bool]]:
    return [(d.kind, d.key, d.digest is not None) for d in deps]


def test_a_plan_depends_on_declared_objects_and_renamed_ones_not_on_unmanaged_ones() -> None:
    d = location(tags=[Tag(name="VIP"), Tag.model_validate({"name": "walk-in", "renamedFrom": ["walkin"]})])
    live = LocationLive("L1", {"tags": [tag("t1", "vip"), tag("t2", "walkin"), tag("t3", "auto-created")]})
    assert keys(dependencies(d, live, None)) == [
        ("tags", "vip", True),
        ("tags", "walk-in", False),
        ("tags", "walkin", True),
    ]


def test_in_a_pruned_kind_a_plan_depends_on_every_live_object() -> None:
    d = location(prune=("tags",), tags=[Tag(name="vip")])
    live = LocationLive("L1", {"tags": [tag("t1", "vip"), tag("t3", "old")]})
    assert keys(dependencies(d, live, None)) == [("tags", "old", True), ("tags", "vip", True)]


def test_a_plan_depends_on_declared_and_referenced_users_and_on_members_when_it_prunes_users() -> None:
    cal = Calendar.model_validate({"name": "Cal", "teamMembers": [{"user": "lee@x.com"}]})
    d = location(
        users=[User.model_validate({"email": "jane@x.com", "firstName": "J", "lastName": "S"})], calendars=[cal]
    )
    company = CompanyLive(
        "co", users=[user("u1", "jane@x.com", ["L1"]), user("u2", "lee@x.com", ["L2"]), user("u3", "max@x.com", ["L1"])]
    )
    deps = dependencies_of([d], {"L1": LocationLive("L1")}, {"co": company})["L1"]
    assert keys(deps) == [("calendars", "cal", False), ("users", "jane@x.com", True), ("users", "lee@x.com", True)]
    pruning = replace(d, prune=frozenset({"users"}))
    deps = dependencies_of([pruning], {"L1": LocationLive("L1")}, {"co": company})["L1"]
    assert ("users", "max@x.com", True) in keys(deps)


def test_each_location_depends_only_on_the_users_it_names_among_thousands() -> None:
    # #15: the former live digest scanned every company user for every location; now users are indexed once.
    users = [user(f"u{i}", f"user{i}@x.com", [f"L{i % 300}"]) for i in range(3000)]
    company = CompanyLive("co", users=users)
    desired = [replace(location(), name=f"c{i}", location_id=f"L{i}") for i in range(300)]
    live = {d.location_id: LocationLive(d.location_id) for d in desired}
    for d in desired[:10]:
        d.entries["users"] = [
            User.model_validate({"email": f"user{int(d.location_id[1:])}@x.com", "firstName": "U", "lastName": "S"})
        ]
    found = dependencies_of(desired, live, {"co": company})
    assert len(found) == 300 and found["L3"] == (
        Dependency("users", "user3@x.com", "user3@x.com", found["L3"][0].digest),
    )


# -- the check itself ---------------------------------------------------------------------------------------------


def _saved_for(d: LocationDesired, live: LocationLive) -> SavedPlan:
    plan = build_plan([d], {"L1": live}, {})
    return SavedPlan(plan, ManifestSet((), ()), dependencies_of([d], {"L1": live}, {}))


def test_verify_returns_the_plan_made_again_and_refuses_a_changed_dependency_naming_it() -> None:
    d = location(tags=[Tag(name="vip"), Tag(name="new")])
    live = LocationLive("L1", {"tags": [tag("t1", "vip")]})
    saved_plan = _saved_for(d, live)
    again = verify(saved_plan, [d], {"L1": live}, {}, Identity())
    assert differences(saved_plan.plan, again) == [] and again.has_changes
    moved = LocationLive("L1", {"tags": [tag("t1", "vip"), tag("t9", "new")]})
    with pytest.raises(PlanRefused) as caught:
        verify(saved_plan, [d], {"L1": moved}, {}, Identity())
    assert str(caught.value).splitlines() == [
        "plan is stale: location clinic, tag 'new' was created in GHL since the plan was made",
        "run plan again and review the new plan",
    ]


def test_verify_refuses_a_reordered_or_repeated_change_in_one_line() -> None:
    d = location(tags=[Tag(name="a"), Tag(name="b")])
    live = LocationLive("L1")
    saved_plan = _saved_for(d, live)
    (section,) = saved_plan.plan.sections
    for changes in (tuple(reversed(section.changes)), (*section.changes, section.changes[0])):
        tampered = replace(saved_plan, plan=replace(saved_plan.plan, sections=(replace(section, changes=changes),)))
        with pytest.raises(PlanRefused) as caught:
            verify(tampered, [d], {"L1": live}, {}, Identity())
        assert len(str(caught.value).splitlines()) == 1
        assert "another order" in str(caught.value) or "repeats a change" in str(caught.value)


# -- the apply summary's created objects ---------------------------------------------------------------------------


def test_the_summary_lists_created_objects_with_their_new_id_when_the_outcome_carries_it() -> None:
    create = Change(Action.CREATE, "tags", "vip", "vip", ())
    update = Change(Action.UPDATE, "tags", "new", "new", ())
    report = ApplyReport(
        [
            Outcome("clinic", create, Result.APPLIED, created_id="t123"),
            Outcome("clinic", replace(create, display="other"), Result.APPLIED),
            Outcome("clinic", update, Result.APPLIED),
            Outcome("clinic", replace(create, display="failed"), Result.FAILED, "HTTP 500"),
        ]
    )
    assert created_lines(report) == ["created: clinic: tag vip (id t123)", "created: clinic: tag other"]


# -- writing the file a location at a time (issue 15) ---------------------------------------------------------


def _variants() -> list[SavedPlan]:
    full = saved()
    users_only = replace(full, plan=replace(full.plan, sections=full.plan.companies))
    one = replace(full, plan=replace(full.plan, sections=full.plan.locations[:1]))
    nothing = replace(full, plan=replace(full.plan, sections=()), depends={})
    odd = replace(full, selection=Selection(("dental-*", "ünïcode ✓ \u2028"), "2/3"))
    return [full, users_only, one, nothing, odd]


@pytest.mark.parametrize("index", range(5))
def test_the_plan_text_in_pieces_is_render_json_byte_for_byte(index: int) -> None:
    plan = _variants()[index]
    pieces = list(plan_text(plan))
    assert "".join(pieces) == render_json(plan) + "\n"
    assert all(piece.endswith("\n") for piece in pieces)  # what masking piece by piece relies on
    assert len(pieces) == (1 if not plan.plan.locations else len(plan.plan.locations) + 2)


def test_the_plan_text_of_a_planned_location_is_render_json_byte_for_byte() -> None:
    d = location(prune=("tags",), tags=[Tag(name="vip"), Tag(name='naïve "quoted" \\ back')])
    live = LocationLive("L1", {"tags": [tag("t1", "old"), tag("t2", "vip")]})
    plan = _saved_for(d, live)
    assert "".join(plan_text(plan)) == render_json(plan) + "\n"


def test_write_plan_masks_secrets_in_every_piece_and_takes_the_whole_text_for_one_with_a_line_break(
    tmp_path: Path,
) -> None:
    from ghlops import redact

    plan = saved()
    text = render_json(plan) + "\n"
    first, last = plan.plan.locations[0].name, plan.plan.locations[-1].name
    out = tmp_path / "plan.json"
    with redact.session():
        redact.remember(first, last)
        write_plan(out, plan)
        assert out.read_text(encoding="utf-8") == redact.scrub(text)
        assert first not in out.read_text(encoding="utf-8")
    spanning = '},\n    {\n      "name": "'  # the text around a piece's end: only the whole text masks it
    assert spanning in text
    with redact.session():
        redact.remember(spanning)
        write_plan(out, plan)
        assert out.read_text(encoding="utf-8") == redact.scrub(text) and spanning not in out.read_text()


def test_write_plan_refuses_a_symlink_keeps_the_file_mode_and_leaves_nothing_behind(tmp_path: Path) -> None:
    import os

    plan = saved()
    out = tmp_path / "plan.json"
    out.write_text("old")
    os.chmod(out, 0o600)
    write_plan(out, plan)
    assert out.read_text(encoding="utf-8") == render_json(plan) + "\n"
    assert out.stat().st_mode & 0o777 == 0o600
    link = tmp_path / "link.json"
    link.symlink_to(out)
    with pytest.raises(ConfigError, match="refusing to write through a symlink"):
        write_plan(link, plan)
    with pytest.raises(ConfigError, match="does not exist"):
        write_plan(tmp_path / "missing" / "plan.json", plan)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "plan.json"]
