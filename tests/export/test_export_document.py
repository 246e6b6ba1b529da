"""Live state -> manifest data: natural keys, defaults left out, stable order; YAML that reads back the same."""

from __future__ import annotations

from typing import Any

from ghlops.export import export_sections, location_document, template_document
from ghlops.kinds import CALENDARS, CUSTOM_FIELDS, CUSTOM_VALUES, PRICES, PRODUCTS, TAGS, USERS
from ghlops.kinds.base import Kind, LiveObject, Resolver
from ghlops.kinds.products import Price
from ghlops.manifest.flatten import plain
from ghlops.manifest.yaml_io import load_text
from ghlops.manifest.yaml_out import to_yaml
from ghlops.state import LocationLive

LID = "LOC1"
RESOLVER = Resolver(user_email_by_id={"u1": "jane@example.com", "u2": "omar@example.com"})


def live(kind: Kind[Any], raw: dict[str, Any]) -> LiveObject[Any]:
    return kind.live(raw, RESOLVER)


def price(raw: dict[str, Any], product: str) -> LiveObject[Any]:
    obj = PRICES.live(raw, RESOLVER)
    assert isinstance(obj.obj, Price)
    obj.obj.with_product(product)
    return obj


def location() -> LocationLive:
    state = LocationLive(location_id=LID)
    state.objects = {
        "tags": [live(TAGS, {"id": "t2", "name": "vip"}), live(TAGS, {"id": "t1", "name": "new-lead"})],
        "customFields": [
            live(
                CUSTOM_FIELDS,
                {"id": "f1", "name": "Size", "fieldKey": "contact.size", "dataType": "SINGLE_OPTIONS",
                 "position": 0, "picklistOptions": ["1-10", "11+"], "model": "contact", "placeholder": ""},
            ),
            live(
                CUSTOM_FIELDS,
                {"id": "f2", "name": "Deal", "dataType": "TEXT", "position": 3, "picklistOptions": [],
                 "model": "opportunity"},
            ),
        ],
        "customValues": [live(CUSTOM_VALUES, {"id": "v1", "name": "hours", "value": "9-5"})],
        "calendars": [
            live(
                CALENDARS,
                {"id": "c1", "name": "Consult", "calendarType": "round_robin", "slug": "consult",
                 "widgetSlug": "consult", "isActive": True, "eventColor": "#039be5", "slotDuration": 45,
                 "slotInterval": 30, "eventTitle": "{{contact.name}}", "autoConfirm": False, "groupId": "g1",
                 "teamMembers": [{"userId": "u2", "priority": 0.5, "isPrimary": False},
                                 {"userId": "u1", "priority": 1, "isPrimary": True}]},
            )
        ],
        "products": [
            live(
                PRODUCTS,
                {"_id": "p1", "name": "Cleaning", "productType": "SERVICE", "isTaxesEnabled": False,
                 "isLabelEnabled": False, "taxInclusive": True, "collectionIds": ["col1"], "locationId": LID},
            )
        ],
        "prices": [
            price({"_id": "pr2", "name": "Standard", "type": "one_time", "amount": 100.0, "currency": "USD"},
                  "Cleaning"),
            price({"_id": "pr1", "name": "Monthly", "type": "recurring", "amount": 20.5, "currency": "USD",
                   "recurring": {"interval": "month", "intervalCount": 1}}, "Cleaning"),
        ],
    }  # fmt: skip
    return state


USERS_LIVE = [
    USERS.live(
        {"id": "u1", "email": "jane@example.com", "firstName": "Jane", "lastName": "Smith",
         "roles": {"type": "account", "role": "admin", "locationIds": [LID]},
         "permissions": {"campaignsEnabled": True, "websitesEnabled": True, "contactsEnabled": True}},
        RESOLVER,
    ),
    USERS.live(
        {"id": "u3", "email": "elsewhere@example.com", "firstName": "E", "lastName": "W",
         "roles": {"type": "account", "role": "user", "locationIds": ["OTHER"]}},
        RESOLVER,
    ),
]  # fmt: skip

EXPECTED: dict[str, list[Any]] = {
    "customFields": [
        {"name": "Size", "dataType": "SINGLE_OPTIONS", "options": ["1-10", "11+"]},
        {"name": "Deal", "model": "opportunity", "dataType": "TEXT", "position": 3},
    ],
    "customValues": [{"name": "hours", "value": "9-5"}],
    "tags": ["new-lead", "vip"],
    "users": [
        {"email": "jane@example.com", "firstName": "Jane", "lastName": "Smith", "type": "account", "role": "admin",
         "permissions": {"websitesEnabled": True}},
    ],
    "calendars": [
        {"name": "Consult", "calendarType": "round_robin", "slug": "consult", "groupId": "g1",
         "teamMembers": [{"user": "jane@example.com", "priority": 1, "isPrimary": True},
                         {"user": "omar@example.com"}],
         "slotDuration": 45, "autoConfirm": False},
    ],
    "products": [
        {"name": "Cleaning", "productType": "SERVICE", "collectionIds": ["col1"], "taxInclusive": True,
         "prices": [
             {"name": "Monthly", "type": "recurring", "amount": 20.5, "currency": "USD",
              "recurring": {"interval": "month", "intervalCount": 1}},
             {"name": "Standard", "type": "one_time", "amount": 100, "currency": "USD"},
         ]},
    ],
}  # fmt: skip


def test_export_uses_natural_keys_leaves_out_ids_and_documented_defaults_and_sorts_by_key() -> None:
    exported = export_sections(location(), USERS_LIVE)
    assert exported.sections == EXPECTED
    assert list(exported.sections) == ["customFields", "customValues", "tags", "users", "calendars", "products"]
    assert list(exported.sections["calendars"][0]) == [
        "name", "calendarType", "slug", "groupId", "teamMembers", "slotDuration", "autoConfirm"
    ]  # model order  # fmt: skip
    assert exported.notes == []


def test_kinds_filter_the_sections_and_empty_sections_are_left_out() -> None:
    exported = export_sections(location(), None, ["tags", "customValues", "users"])
    assert exported.sections == {"customValues": EXPECTED["customValues"], "tags": EXPECTED["tags"]}


def test_a_clone_leaves_out_ids_of_objects_ghlops_does_not_manage_and_says_so() -> None:
    exported = export_sections(location(), USERS_LIVE, for_clone=True)
    assert "groupId" not in exported.sections["calendars"][0]
    assert "collectionIds" not in exported.sections["products"][0]
    assert exported.notes == [
        "calendar 'Consult': left out groupId: ids of objects ghlops does not manage belong to the source "
        "location; set them in the new manifest if the target has its own",
        "product 'Cleaning': left out collectionIds: ids of objects ghlops does not manage belong to the source "
        "location; set them in the new manifest if the target has its own",
    ]


def test_a_team_member_no_user_list_knows_is_kept_by_id_with_a_note() -> None:
    state = LocationLive(location_id=LID)
    state.objects["calendars"] = [live(CALENDARS, {"id": "c", "name": "C", "teamMembers": [{"userId": "zz"}]})]
    exported = export_sections(state, [], ["calendars"])
    assert exported.sections["calendars"] == [{"name": "C", "teamMembers": [{"user": "id:zz"}]}]
    assert exported.notes == [
        "calendar 'C': team member zz is not a user of this company that ghlops can see; it is exported by id and "
        "validate will reject it"
    ]


def test_the_yaml_reads_back_as_the_same_document() -> None:
    document = location_document("downtown", LID, EXPECTED, token_env="DOWNTOWN_TOKEN")
    text = to_yaml(document, comment="Exported by ghlops")
    docs, errors = load_text(text, "out.yaml")
    assert errors == []
    assert plain(docs[0].data) == document
    assert text.splitlines()[:9] == [
        "# Exported by ghlops",
        "apiVersion: ghlops/v1",
        "kind: Location",
        "metadata:",
        "  name: downtown",
        "spec:",
        "  locationId: LOC1",
        "  tokenEnv: DOWNTOWN_TOKEN",
        "  customFields:",
    ]
    assert "    - name: Size\n      dataType: SINGLE_OPTIONS\n      options: [1-10, 11+]\n" in text
    assert "  tags: [new-lead, vip]\n" in text


def test_awkward_strings_survive_the_round_trip() -> None:
    values = ["yes", "no", "on", "null", "~", "123", "1.5", "", "#x", "{{contact.name}}", "a: b", "- x",
              "multi\nline\n", " padded ", "'quoted'", '"dq"', "@at", "`tick`", "100%", "${ENV}", "é ü"]  # fmt: skip
    document = template_document("t", {"customValues": [{"name": f"v{i}", "value": v} for i, v in enumerate(values)]})
    docs, errors = load_text(to_yaml(document), "out.yaml")
    assert errors == []
    assert [v["value"] for v in plain(docs[0].data)["spec"]["customValues"]] == values


def test_a_full_export_keeps_the_defaults_at_every_depth_in_model_order_but_never_an_id_reference() -> None:
    exported = export_sections(location(), USERS_LIVE, ["calendars", "customFields"], full=True)
    consult = exported.sections["calendars"][0]
    assert list(consult) == [
        "name", "calendarType", "slug", "widgetSlug", "eventTitle", "eventColor", "groupId", "isActive",
        "teamMembers", "slotDuration", "slotInterval", "autoConfirm",
    ]  # model order, the defaults back in their places  # fmt: skip
    assert consult["slotInterval"] == 30 and consult["isActive"] is True and consult["eventColor"] == "#039be5"
    # Team members keep their defaults too (omar's priority 0.5, isPrimary false), still sorted by user.
    assert consult["teamMembers"] == [
        {"user": "jane@example.com", "priority": 1, "isPrimary": True},
        {"user": "omar@example.com", "priority": 0.5, "isPrimary": False},
    ]
    assert "group" not in consult  # "id:g1": a group no read knows is not a name validate accepts
    size, _ = exported.sections["customFields"]
    assert (size["model"], size["position"], size["placeholder"]) == ("contact", 0, "")
