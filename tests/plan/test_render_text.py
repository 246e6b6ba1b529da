"""The text plan (terminal and CI logs): exact output for list fields, renames, refusals, the apply estimate,
the heading that names a created object once, and names that try to forge lines or drive the terminal."""

from __future__ import annotations

from ghlops.kinds import CALENDARS
from ghlops.kinds.base import Resolver
from ghlops.plan.model import Action, Change, FieldChange, Guard, Impact, OptionImpact, Plan, Section, Stage
from ghlops.plan.planner import diff_kind
from ghlops.plan.render_text import Style, render_apply_summary, render_plan, summary_line
from ghlops.request import Request

LOC = "ve9EPM428h8vShlRW1KT"


def put() -> Request:
    return Request("PUT", ("/x",))


def one(*changes: Change, name: str = "downtown-dental", **section: object) -> Plan:
    return Plan((Section(name, LOC, tuple(changes), **section),))  # type: ignore[arg-type]


def update(kind: str, display: str, *fields: FieldChange, **change: object) -> Change:
    return Change(Action.UPDATE, kind, display.casefold(), display, (put(),), fields=fields, object_id="x1", **change)  # type: ignore[arg-type]


# -- list fields item by item ---------------------------------------------------------------------------------------


def test_team_member_changes_show_one_line_per_added_removed_and_changed_member_without_server_defaults() -> None:
    users = {"u1": "jane@example.com", "u2": "omar@example.com", "u3": "lee@example.com"}
    resolver = Resolver(user_id_by_email={v: k for k, v in users.items()}, user_email_by_id=users)
    live = CALENDARS.live(
        {
            "id": "cal-1",
            "name": "Consultations",
            "teamMembers": [
                # What GHL answers: every member with its defaults and keys ghlops doesn't model.
                {"userId": "u1", "priority": 1, "isPrimary": False, "selected": True,
                 "locationConfigurations": [{"kind": "custom", "location": "Room 1", "position": 0}]},
                {"userId": "u2", "priority": 0.5, "isPrimary": False, "selected": True},
            ],
        },
        resolver,
    )  # fmt: skip
    entry = CALENDARS.model.model_validate(
        {
            "name": "Consultations",
            "teamMembers": [
                {"user": "jane@example.com", "priority": 0.5},
                {"user": "lee@example.com", "priority": 0.5, "isPrimary": True},
            ],
        }
    )
    planned = diff_kind(CALENDARS, [entry], [live], resolver, LOC, prune=False)
    text = render_plan(one(*planned.upserts))
    assert text.splitlines()[:5] == [
        f"Location downtown-dental ({LOC})",
        "  ~ calendar Consultations",
        "      - member omar@example.com",
        "      + member lee@example.com priority 0.5 isPrimary true",
        "      ~ member jane@example.com priority 1 -> 0.5",
    ]


def test_a_member_whose_meeting_location_changes_shows_that_key_old_and_new() -> None:
    change = update(
        "calendars",
        "Consultations",
        FieldChange(
            "teamMembers",
            [{"user": "jane@example.com", "locationConfigurations": [{"kind": "custom", "location": "Room 1"}]}],
            [{"user": "jane@example.com", "locationConfigurations": [{"kind": "custom", "location": "Room 2"}]}],
        ),
    )
    assert render_plan(one(change)).splitlines()[2] == (
        '      ~ member jane@example.com locationConfigurations [{"kind": "custom", "location": "Room 1"}] -> '
        '[{"kind": "custom", "location": "Room 2"}]'
    )


def test_option_changes_show_added_and_removed_options_and_warn_that_contacts_keep_removed_values() -> None:
    change = update(
        "customFields", "contact/Plan", FieldChange("options", ["Gold", "Silver", "Bronze"], ["Gold", "Bronze", "Iron"])
    )
    assert render_plan(one(change)).splitlines() == [
        "! 1 destructive change:",
        "!   downtown-dental: update custom field contact/Plan",
        "",
        f"Location downtown-dental ({LOC})",
        "  ~ custom field contact/Plan",
        '      - option "Silver"',
        '      + option "Iron"',
        "      ! contacts holding a removed option keep a value that is no longer offered",
        "",
        "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete across 1 location.",
        "Apply: 1 write across 1 location, under a minute at GHL's rate limits.",
    ]


def test_counted_contacts_of_a_removed_option_follow_the_warning() -> None:
    change = update(
        "customFields",
        "contact/Plan",
        FieldChange("options", ["Gold", "Silver"], ["Gold"]),
        impact=Impact(12, options=(OptionImpact("Silver", 12),)),
    )
    assert render_plan(one(change)).splitlines()[1:9] == [
        "!   downtown-dental: update custom field contact/Plan: 12 contacts hold a removed option",
        "!   contacts affected in total: 12",
        "",
        f"Location downtown-dental ({LOC})",
        "  ~ custom field contact/Plan",
        '      - option "Silver"',
        "      ! contacts holding a removed option keep a value that is no longer offered",
        '      ! 12 contacts hold "Silver", no longer offered',
    ]


def test_reordered_options_show_the_order_old_and_new() -> None:
    change = update("customFields", "contact/Plan", FieldChange("options", ["Gold", "Silver"], ["Silver", "Gold"]))
    assert render_plan(one(change)).splitlines()[2] == '      options order: ["Gold", "Silver"] -> ["Silver", "Gold"]'


def test_other_list_fields_still_show_old_and_new_whole() -> None:
    change = update("products", "Cleaning", FieldChange("collectionIds", ["a"], ["a", "b"]))
    assert render_plan(one(change)).splitlines()[2] == '      collectionIds: ["a"] -> ["a", "b"]'


# -- the heading names a created object once ------------------------------------------------------------------------


def test_a_create_shows_every_field_but_the_name_its_heading_already_shows_even_with_slashes_in_it() -> None:
    # The old renderer compared the name with the display's last "/" segment: "Before/After" was shown twice.
    change = Change(
        Action.CREATE,
        "customFields",
        "contact/before/after",
        "contact/Before/After",
        (Request("POST", ("/x",)),),
        fields=(
            FieldChange("name", None, "Before/After"),
            FieldChange("model", None, "contact"),
            FieldChange("dataType", None, "TEXT"),
        ),
    )
    assert render_plan(one(change)).splitlines()[1:4] == [
        "  + custom field contact/Before/After",
        '      model: "contact"',
        '      dataType: "TEXT"',
    ]


def test_a_user_create_leaves_out_its_email_and_an_update_of_a_name_shows_it() -> None:
    create = Change(
        Action.CREATE,
        "users",
        "jane@example.com",
        "jane@example.com",
        (Request("POST", ("/users/",)),),
        fields=(FieldChange("email", None, "jane@example.com"), FieldChange("firstName", None, "Jane")),
        stage=Stage.USERS_FIRST,
    )
    renamed = update("tags", "vip", FieldChange("name", "VIP", "vip"), reason="renamed from 'VIP'")
    users = Section("users", "co-1", (create,), is_company=True, touches=(("downtown-dental",),))
    text = render_plan(Plan((users, Section("downtown-dental", LOC, (renamed,)))))
    assert text.splitlines()[:8] == [
        "Users of company co-1",
        "  + user jane@example.com",
        '      firstName: "Jane"',
        "",
        f"Location downtown-dental ({LOC})",
        "  ~ tag vip (renamed from 'VIP')",
        '      name: "VIP" -> "vip"',
        "",
    ]


# -- rename hints ----------------------------------------------------------------------------------------------------


def renamed_field_plan() -> Plan:
    deleted = Change(
        Action.DELETE,
        "customFields",
        "contact/insurance",
        "contact/Insurance",
        (Request("DELETE", ("/x",)),),
        object_id="cf-1",
        fields=(
            FieldChange("name", "Insurance", None),
            FieldChange("model", "contact", None),
            FieldChange("dataType", "TEXT", None),
            FieldChange("placeholder", "Carrier", None),
        ),
        warnings=("deleting a custom field erases the value every contact holds for this field",),
    )
    created = Change(
        Action.CREATE,
        "customFields",
        "contact/insurance provider",
        "contact/Insurance Provider",
        (Request("POST", ("/x",)),),
        fields=(FieldChange("name", None, "Insurance Provider"), FieldChange("dataType", None, "TEXT")),
    )
    return one(created, deleted)


def test_a_delete_and_a_create_whose_fields_match_otherwise_suggest_renamed_from() -> None:
    assert render_plan(renamed_field_plan()) == "\n".join(
        [
            "! 1 destructive change:",
            "!   downtown-dental: delete custom field contact/Insurance",
            "!     looks like a rename to contact/Insurance Provider: add renamedFrom: [Insurance] to it to keep "
            "the id and every contact's value",
            "",
            f"Location downtown-dental ({LOC})",
            "  - custom field contact/Insurance",
            "      ! deleting a custom field erases the value every contact holds for this field",
            "  + custom field contact/Insurance Provider",
            '      dataType: "TEXT"',
            "      # looks like a rename: add renamedFrom: [Insurance] to keep the id and every contact's value",
            "",
            "Plan: 1 to create, 0 to update, 0 to replace, 1 to delete across 1 location.",
            "Apply: 2 writes across 1 location, under a minute at GHL's rate limits.",
        ]
    )


# -- refused plans ----------------------------------------------------------------------------------------------------


def test_a_plan_refused_by_protect_says_so_instead_of_no_changes() -> None:
    plan = one(errors=("tag 'vip' is protected and would be deleted",))
    assert render_plan(plan) == "\n".join(
        [
            f"Location downtown-dental ({LOC})",
            "  error: tag 'vip' is protected and would be deleted",
            "",
            "Plan refused: 1 error in downtown-dental; nothing will be applied until it is fixed.",
        ]
    )


def test_a_refused_plan_with_changes_elsewhere_names_every_failing_section_and_counts_the_rest() -> None:
    fine = Section("uptown", "loc-2", (update("tags", "a", FieldChange("name", "A", "a")),))
    users = Section("users", "co-1", errors=("refusing to delete user me@example.com: ...",), is_company=True)
    broken = Section("downtown", LOC, errors=("one", "two"))
    assert summary_line(Plan((users, fine, broken))) == (
        "Plan refused: 3 errors in users of company co-1, downtown; nothing will be applied until they are fixed. "
        "Without them: 0 to create, 1 to update, 0 to replace, 0 to delete across 1 location."
    )


def test_a_plan_the_mass_change_guard_holds_says_apply_refuses_it() -> None:
    deletes = tuple(
        Change(Action.DELETE, "tags", f"t{i}", f"t{i}", (Request("DELETE", ("/x",)),), object_id=f"i{i}")
        for i in range(4)
    )
    plan = Plan((Section("downtown", LOC, deletes, existing=(("tags", 10),)),), Guard(25.0, 10))
    assert summary_line(plan) == (
        "Plan: 0 to create, 0 to update, 0 to replace, 4 to delete across 1 location. "
        "Refused by the mass-change guard: apply needs --allow-mass-delete."
    )
    assert (
        render_plan(plan).splitlines()[-1] == "Apply: 4 writes across 1 location, under a minute at GHL's rate limits."
    )


def test_a_plan_over_the_contacts_limit_says_apply_refuses_it() -> None:
    change = Change(
        Action.DELETE, "tags", "vip", "vip", (Request("DELETE", ("/x",)),), object_id="t1", impact=Impact(500)
    )
    plan = Plan((Section("downtown", LOC, (change,)),), Guard(max_contacts_affected=100))
    assert summary_line(plan).endswith(" Refused by --max-contacts-affected: apply needs --allow-mass-delete.")


def test_a_plan_without_changes_or_errors_still_ends_with_no_changes() -> None:
    assert render_plan(Plan((Section("a", "1"), Section("b", "2")))) == "No changes. 2 locations match the manifests."


# -- the apply estimate -----------------------------------------------------------------------------------------------


def big_plan(locations: int = 30, writes: int = 60) -> Plan:
    return Plan(
        tuple(
            Section(
                f"clinic-{n:02d}",
                f"loc-{n:02d}",
                tuple(update("customValues", f"v{i}", FieldChange("value", "a", "b")) for i in range(writes)),
            )
            for n in range(locations)
        )
    )


def test_the_last_line_estimates_the_apply_at_the_default_parallelism_and_ghls_rate_limits() -> None:
    # 30 locations x 600 writes at 10 writes/s each: 60 s a location, 8 at a time: 4 rounds.
    assert render_plan(big_plan(writes=600)).splitlines()[-1] == (
        "Apply: 18,000 writes across 30 locations, about 4 min at GHL's rate limits."
    )


def test_the_estimate_follows_the_parallelism_the_command_passes() -> None:
    assert render_plan(big_plan(writes=600), parallelism=1).splitlines()[-1] == (
        "Apply: 18,000 writes across 30 locations, about 30 min at GHL's rate limits."
    )


def test_a_refused_plan_has_no_estimate() -> None:
    plan = Plan((*big_plan(locations=1).sections, Section("broken", "loc-x", errors=("boom",))))
    assert render_plan(plan).splitlines()[-1].startswith("Plan refused: 1 error in broken;")


# -- nothing from data reaches the terminal raw ----------------------------------------------------------------------


def test_newlines_and_escape_sequences_in_names_values_errors_and_unmanaged_keys_are_shown_escaped() -> None:
    from ghlops.plan.model import Unmanaged

    evil = "x\n  - tag forged\x1b[2J\x1b]0;title\x07\u2028\x85\u202e"
    plan = Plan(
        (
            Section(evil, f"id{evil}", (update("customValues", evil, FieldChange("value", evil, "ok")),),
                    unmanaged=(Unmanaged("tags", (evil,)),)),
            Section("broken", "loc-b", errors=(f"tag {evil!r} is protected",)),
        )
    )  # fmt: skip
    shown = r"x\n  - tag forged\x1b[2J\x1b]0;title\x07\u2028\x85\u202e"
    lines = render_plan(plan, colour=True).split("\n")
    assert lines[0] == f"\x1b[1mLocation {shown} (id{shown})\x1b[0m"
    assert lines[1] == f"\x1b[33m  ~ custom value {shown}\x1b[0m"
    assert lines[2] == r'      value: "x\n  - tag forged\u001b[2J\u001b]0;title\u0007\u2028\x85\u202e" -> "ok"'
    assert "\x1b[2J" not in "".join(lines) and "\x07" not in "".join(lines)
    assert len(render_plan(plan).splitlines()) == len(lines) == 9


def test_style_escapes_before_it_colours() -> None:
    assert Style(True)("a\x1b[31mb", "red") == "\x1b[31ma\\x1b[31mb\x1b[0m"
    assert Style(False)("a\rb") == "a\\rb"


def test_the_apply_summary_escapes_errors_quoting_names() -> None:
    change = update("tags", "a\nb", FieldChange("name", "A", "a"))
    assert render_apply_summary(0, [("loc\x1b[0m", change, "HTTP 400: bad name 'a\nb'")], 0) == (
        "failed: loc\\x1b[0m: update tag a\\nb: HTTP 400: bad name 'a\\nb'\nApply: 0 applied, 1 failed, 0 skipped."
    )
