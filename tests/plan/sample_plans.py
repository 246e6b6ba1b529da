"""Plans built by hand for the renderer tests: every action, warnings, unmanaged objects, errors, hostile names."""

from __future__ import annotations

from ghlops.plan.model import Action, Change, FieldChange, Guard, Plan, Section, Stage, Unmanaged
from ghlops.request import Auth, Ref, Request, SecretInput

HOSTILE = "evil | name <b>bold</b> `tick` ```fence``` @octocat\nsecond line </details>"


def _req(method: str = "PUT", *path: str) -> Request:
    return Request(method, path or ("/x",))


def users_section() -> Section:
    return Section(
        name="users",
        scope_id="co-1",
        is_company=True,
        changes=(
            Change(
                Action.CREATE,
                "users",
                "jane@example.com",
                "jane@example.com",
                (
                    Request(
                        "POST",
                        ("/users/",),
                        auth=Auth.AGENCY,
                        body={"email": "jane@example.com", "password": SecretInput(None), "locationIds": ["loc-a"]},
                        binds=Ref("users", "jane@example.com"),
                        id_field=("id",),
                    ),
                ),
                fields=(
                    FieldChange("email", None, "jane@example.com"),
                    FieldChange("firstName", None, "Jane"),
                    FieldChange("role", None, "admin"),
                ),
                stage=Stage.USERS_FIRST,
            ),
            Change(
                Action.DELETE,
                "users",
                "omar@example.com",
                "omar@example.com",
                (_req("DELETE", "/users/", "u-omar"),),
                fields=(FieldChange("locations", ["downtown-dental"], []),),
                object_id="u-omar",
                warnings=("deleting a user: the user loses access to every location",),
                stage=Stage.USERS_LAST,
            ),
        ),
        touches=(("downtown-dental",), ("downtown-dental",)),
    )


def dental_section() -> Section:
    return Section(
        name="downtown-dental",
        scope_id="ve9EPM428h8vShlRW1KT",
        changes=(
            Change(
                Action.CREATE,
                "tags",
                "new-lead",
                "new-lead",
                (Request("POST", ("/locations/", "ve9EPM428h8vShlRW1KT", "/tags"), body={"name": "new-lead"}),),
                fields=(FieldChange("name", None, "new-lead"),),
            ),
            Change(
                Action.UPDATE,
                "customValues",
                "business_hours",
                "business_hours",
                (_req(),),
                fields=(FieldChange("value", "Mon-Fri 9am-5pm", "Mon-Sat 9am-1pm"),),
                object_id="cv-1",
            ),
            Change(
                Action.REPLACE,
                "customFields",
                "contact/insurance provider",
                "contact/Insurance Provider",
                (_req("DELETE"), _req("POST")),
                fields=(FieldChange("dataType", "TEXT", "LARGE_TEXT"),),
                object_id="cf-1",
                warnings=("deleting a custom field deletes its value on every contact",),
                reason="dataType cannot change in place",
            ),
            Change(
                Action.DELETE,
                "tags",
                "recall-due",
                "recall-due",
                (_req("DELETE"),),
                object_id="t-3",
            ),
        ),
        unmanaged=(Unmanaged("customValues", ("legacy_a", "legacy_b", "legacy_c", "legacy_d")),),
        existing=(("tags", 3), ("customFields", 3), ("customValues", 6), ("users", 2)),
    )


def hostile_section() -> Section:
    return Section(
        name=HOSTILE,
        scope_id="loc|<id>`",
        changes=(
            Change(
                Action.CREATE,
                "tags",
                HOSTILE.casefold(),
                HOSTILE,
                (_req("POST"),),
                fields=(FieldChange("name", None, HOSTILE),),
            ),
            Change(
                Action.UPDATE,
                "customValues",
                "motd",
                "motd | `x` <script>",
                (_req(),),
                fields=(FieldChange("value", "a\nb", "```\n</details>\n| c |"),),
                object_id="cv-9",
                reason="renamed from 'old | <name>'",
            ),
        ),
        unmanaged=(Unmanaged("tags", ("x|y", "<i>", "`z`")),),
    )


def mass_section() -> Section:
    deletes = tuple(
        Change(Action.DELETE, "tags", f"tag-{i:02d}", f"tag-{i:02d}", (_req("DELETE"),), object_id=f"t{i}")
        for i in range(6)
    )
    return Section(name="uptown-ortho", scope_id="Xy7Pq2Lm9Rt4Vb6Nc8Dz", changes=deletes, existing=(("tags", 12),))


def error_section() -> Section:
    return Section(
        name="broken-clinic",
        scope_id="loc-broken",
        errors=("tag 'vip|<b>' is protected and would be deleted",),
    )


def unchanged_section(name: str = "quiet-clinic") -> Section:
    return Section(name=name, scope_id=f"id-{name}", existing=(("tags", 1),))


def sample_plan() -> Plan:
    """Creates, updates, replaces and deletes, a mass change, an error, unmanaged objects, hostile names."""
    return Plan(
        (
            users_section(),
            dental_section(),
            hostile_section(),
            mass_section(),
            error_section(),
            unchanged_section(),
        ),
        Guard(max_delete_percent=25.0, min_existing=10),
    )


def no_change_plan() -> Plan:
    return Plan((unchanged_section("a"), unchanged_section("b")))


def huge_plan(locations: int = 400, changes: int = 60) -> Plan:
    """Far more than a GitHub comment holds: long, multi-byte names in every location."""
    sections = []
    for n in range(locations):
        name = f"location-{n:04d}-{'é' * 20}"
        sections.append(
            Section(
                name=name,
                scope_id=f"id{n:04d}",
                changes=tuple(
                    Change(
                        Action.UPDATE if i % 3 else Action.DELETE,
                        "customValues",
                        f"value-{i}",
                        f"value-{i}-{'ü' * 30}",
                        (_req(),),
                        fields=(FieldChange("value", "x" * 40, "y" * 40),) if i % 3 else (),
                        object_id=f"cv{i}",
                    )
                    for i in range(changes)
                ),
                existing=(("customValues", 1000),),
            )
        )
    return Plan(tuple(sections))


def through_a_plan_file(plan: Plan) -> Plan:
    """The plan as a saved plan file holds it and reads it back (the JSON text, not just the values)."""
    import json

    from ghlops.plan.render_json import render_json
    from ghlops.plan.saved import ManifestSet, SavedPlan, parse_document

    return parse_document(json.loads(render_json(SavedPlan(plan, ManifestSet((), ()))))).plan
