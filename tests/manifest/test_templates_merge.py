"""Templates: merge precedence by natural key, field by field; remove; protect; errors at the writer's line."""

from __future__ import annotations

from typing import Any

import pytest

from ghlops.errors import ManifestErrors
from ghlops.manifest.loader import Manifests, load_manifests
from ghlops.state import LocationDesired
from tests.manifest.conftest import WriteFile

ENV = {"GHL_TOKEN": "t", "GHL_AGENCY_TOKEN": "a", "GHL_COMPANY_ID": "co"}

BASE = """\
apiVersion: ghlops/v1
kind: Template
metadata:
  name: dental-base
spec:
  customFields:
    - name: Insurance Provider
      dataType: TEXT
      placeholder: e.g. Delta Dental
      position: 2
    - name: Company Size
      dataType: SINGLE_OPTIONS
      options: [a, b]
    - name: Legacy Notes
      dataType: LARGE_TEXT
      protect: true
  customValues:
    - {name: phone, value: "+1 555 0100"}
  tags: [vip, new-lead]
  users:
    - email: jane@example.com
      firstName: Jane
      lastName: Smith
      permissions: {websitesEnabled: true, contactsEnabled: false}
  products:
    - name: Cleaning
      productType: SERVICE
      description: basic
      prices:
        - {name: Standard, type: one_time, amount: 100, currency: USD}
        - name: Monthly
          type: recurring
          amount: 20
          currency: USD
          recurring: {interval: month, intervalCount: 1}
          protect: true
"""

EAST = """\
apiVersion: ghlops/v1
kind: Template
metadata:
  name: us-east
spec:
  customFields:
    - name: insurance provider
      placeholder: Which insurer?
  customValues:
    - {name: phone, value: "+1 555 0199"}
  tags:
    - {name: VIP, protect: true}
"""


def location(body: str, templates: str = "[dental-base, us-east]", name: str = "downtown", lid: str = "L1") -> str:
    return (
        f"apiVersion: ghlops/v1\nkind: Location\nmetadata:\n  name: {name}\nspec:\n  locationId: {lid}\n"
        f"  templates: {templates}\n{body}"
    )


def load(write: WriteFile, loc: str, *extra: tuple[str, str]) -> Manifests:
    write("templates/base.yaml", BASE)
    write("templates/east.yaml", EAST)
    write("loc.yaml", loc)
    for name, text in extra:
        write(name, text)
    return load_manifests(["templates", "loc.yaml", *(name for name, _ in extra)], ENV)


def errors(write: WriteFile, loc: str, *extra: tuple[str, str]) -> list[str]:
    with pytest.raises(ManifestErrors) as caught:
        load(write, loc, *extra)
    return [str(e) for e in caught.value.errors]


def dumped(desired: LocationDesired, kind: str) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json", exclude_unset=True) for e in desired.of(kind)]


def test_later_templates_override_earlier_ones_and_the_location_overrides_all(write: WriteFile) -> None:
    loc = location("  customValues:\n    - {name: Phone, value: '+1 555 0123'}\n")
    (desired,) = load(write, loc).locations
    assert dumped(desired, "customValues") == [{"name": "Phone", "value": "+1 555 0123"}]
    (desired,) = load(write, location("")).locations
    assert dumped(desired, "customValues") == [{"name": "phone", "value": "+1 555 0199"}]


def test_an_entry_that_sets_one_field_keeps_the_inherited_fields(write: WriteFile) -> None:
    (desired,) = load(write, location("")).locations
    assert dumped(desired, "customFields")[0] == {
        "name": "insurance provider",
        "dataType": "TEXT",
        "placeholder": "Which insurer?",
        "position": 2,
    }


def test_nested_mappings_merge_key_by_key_and_lists_are_replaced_whole(write: WriteFile) -> None:
    loc = location(
        "  users:\n    - email: JANE@example.com\n      permissions: {contactsEnabled: true}\n"
        "  customFields:\n    - {name: Company Size, options: [c]}\n"
    )
    (desired,) = load(write, loc).locations
    (jane,) = dumped(desired, "users")
    assert jane["permissions"] == {"websitesEnabled": True, "contactsEnabled": True}
    assert jane["firstName"] == "Jane"
    assert dumped(desired, "customFields")[1]["options"] == ["c"]


def test_merged_entries_keep_template_order_and_the_location_adds_its_own_at_the_end(write: WriteFile) -> None:
    loc = location("  tags: [extra, new-lead]\n")
    (desired,) = load(write, loc).locations
    assert [(t.name, t.protect) for t in desired.of("tags")] == [("VIP", True), ("new-lead", False), ("extra", False)]


def test_remove_drops_an_inherited_entry_and_a_protected_one_becomes_protected(write: WriteFile) -> None:
    loc = location(
        "  prune: all\n"
        "  customFields:\n    - {name: Legacy Notes, remove: true}\n    - {name: Company Size, remove: true}\n"
        "  tags:\n    - {name: vip, remove: true}\n"
    )
    (desired,) = load(write, loc).locations
    assert [f.name for f in desired.of("customFields")] == ["insurance provider"]
    assert [t.name for t in desired.of("tags")] == ["new-lead"]
    assert desired.protected == {"customFields": frozenset({"contact/legacy notes"}), "tags": frozenset({"vip"})}


def test_prices_merge_by_name_within_their_product_and_can_be_removed(write: WriteFile) -> None:
    loc = location(
        "  products:\n    - name: cleaning\n      prices:\n        - {name: monthly, remove: true}\n"
        "        - {name: Standard, amount: 120}\n"
        "        - {name: Yearly, type: one_time, amount: 900, currency: USD}\n"
    )
    (desired,) = load(write, loc).locations
    (product,) = dumped(desired, "products")
    assert product["description"] == "basic"
    assert [(p["name"], p["amount"]) for p in product["prices"]] == [("Standard", 120), ("Yearly", 900)]
    assert [(p._product, p.name) for p in desired.of("prices")] == [("cleaning", "Standard"), ("cleaning", "Yearly")]
    assert desired.protected == {"prices": frozenset({"cleaning/monthly"})}


def test_remove_then_declare_again_replaces_the_inherited_entry_instead_of_merging(write: WriteFile) -> None:
    loc = location(
        "  customFields:\n    - {name: Insurance Provider, remove: true}\n"
        "    - {name: Insurance Provider, dataType: LARGE_TEXT}\n"
    )
    (desired,) = load(write, loc).locations
    assert dumped(desired, "customFields")[-1] == {"name": "Insurance Provider", "dataType": "LARGE_TEXT"}


def test_custom_fields_of_another_model_are_other_entries(write: WriteFile) -> None:
    loc = location("  customFields:\n    - {name: Company Size, model: opportunity, dataType: TEXT}\n")
    (desired,) = load(write, loc).locations
    assert [(f.model, f.name) for f in desired.of("customFields")][1:] == [
        ("contact", "Company Size"),
        ("contact", "Legacy Notes"),
        ("opportunity", "Company Size"),
    ]


def test_removing_what_no_template_declares_is_an_error_with_a_suggestion(write: WriteFile) -> None:
    loc = location("  tags:\n    - {name: vpi, remove: true}\n  customFields:\n    - {name: Nope, remove: yes}\n")
    assert errors(write, loc) == [
        "loc.yaml:9:27: spec.tags[0].remove: nothing to remove: no template of this location declares tag 'vpi' "
        "(did you mean 'VIP'?)",
        "loc.yaml:11:28: spec.customFields[0].remove: expected true or false, got 'yes'",
    ]


def test_an_unknown_template_is_reported_at_the_reference_with_a_suggestion(write: WriteFile) -> None:
    assert errors(write, location("", templates="[dental-bse, us-east, us-east]")) == [
        "loc.yaml:7:15: spec.templates[0]: unknown template 'dental-bse' (did you mean 'dental-base'?)",
        "loc.yaml:7:36: spec.templates[2]: template 'us-east' is listed twice",
        # us-east alone only completes what dental-base declares: its entry lacks a dataType here.
        "templates/east.yaml:7:7: spec.customFields[0]: missing required key 'dataType' (in location downtown)",
    ]


def test_without_any_template_loaded_the_error_says_to_pass_the_template_files(write: WriteFile) -> None:
    write("loc.yaml", location("", templates="base"))
    with pytest.raises(ManifestErrors) as caught:
        load_manifests(["loc.yaml"], ENV)
    assert [str(e) for e in caught.value.errors] == [
        "loc.yaml:7:14: spec.templates: unknown template 'base' (no Template document was loaded: pass the files "
        "or directories that hold templates too)"
    ]


def test_a_bad_value_from_a_template_points_at_the_template_line_and_names_the_locations(write: WriteFile) -> None:
    broken = BASE.replace("dataType: LARGE_TEXT", "dataType: LARGE-TEXT")
    other = location("", templates="[dental-base]", name="uptown", lid="L2")
    assert errors(
        write, location("", templates="[dental-base]"), ("templates/base.yaml", broken), ("b.yaml", other)
    ) == [
        "templates/base.yaml:15:17: spec.customFields[2].dataType: 'LARGE-TEXT' is not one of TEXT, LARGE_TEXT, "
        "NUMERICAL, PHONE, MONETORY, CHECKBOX, SINGLE_OPTIONS, MULTIPLE_OPTIONS, FLOAT, TIME, DATE, TEXTBOX_LIST, "
        "FILE_UPLOAD, SIGNATURE, RADIO, EMAIL, URL (did you mean 'LARGE_TEXT'?) (in locations downtown, uptown)"
    ]


def test_paths_are_those_of_the_document_that_wrote_the_value(write: WriteFile) -> None:
    # The location's first custom field merges into the template's third: errors use each file's own index.
    loc = location("  customFields:\n    - {name: Legacy Notes, plceholder: x}\n    - {name: Own}\n")
    assert errors(write, loc) == [
        "loc.yaml:9:28: spec.customFields[0]: unknown key 'plceholder' (did you mean 'placeholder'?)",
        "loc.yaml:10:7: spec.customFields[1]: missing required key 'dataType'",
    ]


def test_an_incomplete_template_entry_is_an_error_only_where_no_location_completes_it(write: WriteFile) -> None:
    # us-east's custom field sets only a placeholder: dental-base (or the location) must supply the rest.
    completes = location("  customFields:\n    - {name: Insurance Provider, dataType: TEXT}\n", templates="[us-east]")
    (desired,) = load(write, completes).locations
    assert dumped(desired, "customFields") == [
        {"name": "Insurance Provider", "dataType": "TEXT", "placeholder": "Which insurer?"}
    ]
    other = location("", templates="[us-east]", name="uptown", lid="L2")
    assert errors(write, completes, ("b.yaml", other)) == [
        "templates/east.yaml:7:7: spec.customFields[0]: missing required key 'dataType' (in location uptown)"
    ]


def test_an_unused_template_is_checked_on_its_own_allowing_entries_a_location_would_complete(
    write: WriteFile,
) -> None:
    write("t.yaml", EAST.replace("placeholder: Which insurer?", "placeholder: Which insurer?\n      colour: red"))
    with pytest.raises(ManifestErrors) as caught:
        load_manifests(["t.yaml"], ENV)
    assert [str(e) for e in caught.value.errors] == ["t.yaml:9:7: spec.customFields[0]: unknown key 'colour'"]
    write("t.yaml", EAST)
    assert load_manifests(["t.yaml"], ENV).locations == []


def test_a_location_without_templates_loads_as_before(write: WriteFile) -> None:
    write("plain.yaml", location("  tags: [a, b]\n", templates="[]"))
    (desired,) = load_manifests(["plain.yaml"], ENV).locations
    assert [t.name for t in desired.of("tags")] == ["a", "b"]
    assert desired.protected == {}


CALENDAR_BASE = """\
apiVersion: ghlops/v1
kind: Template
metadata:
  name: calendar-base
spec:
  calendars:
    - name: Cleaning
      calendarType: event
      notifications:
        - {notificationType: booked, channel: email, receiverType: contact, subject: Booked, body: See you}
        - notificationType: reminder
          channel: sms
          receiverType: contact
          body: Soon
          beforeTime: [{timeOffset: 1, unit: hours}]
        - {notificationType: followup, channel: email, receiverType: contact, body: Thanks, protect: true}
"""


def _calendar_location(body: str) -> str:
    return location(body, templates="[calendar-base]")


def test_a_calendars_notifications_merge_by_type_channel_and_receiver_and_can_be_removed(write: WriteFile) -> None:
    loc = _calendar_location(
        "  prune: [calendars]\n  calendars:\n    - name: cleaning\n      notifications:\n"
        "        - {notificationType: booked, channel: email, receiverType: contact, subject: Your visit}\n"
        "        - {notificationType: followup, channel: email, receiverType: contact, remove: true}\n"
        "        - {notificationType: booked, channel: sms, receiverType: contact, body: Booked}\n"
    )
    (desired,) = load(write, loc, ("templates/calendar.yaml", CALENDAR_BASE)).locations
    (calendar,) = dumped(desired, "calendars")
    assert calendar["calendarType"] == "event"
    # The location's entry overrides the template's with the same key field by field; the others are kept.
    assert [(n["notificationType"], n["channel"], n.get("subject"), n["body"]) for n in calendar["notifications"]] == [
        ("booked", "email", "Your visit", "See you"),
        ("reminder", "sms", None, "Soon"),
        ("booked", "sms", None, "Booked"),
    ]
    assert [n.calendar_name for n in desired.of("calendarNotifications")] == ["cleaning"] * 3
    assert desired.protected == {"calendarNotifications": frozenset({"cleaning/followup/email/contact"})}


def test_a_bad_notification_value_from_a_template_points_at_the_template_line(write: WriteFile) -> None:
    broken = CALENDAR_BASE.replace("channel: sms", "channel: fax")
    loc = _calendar_location("  calendars:\n    - name: Cleaning\n      notifications:\n"
                             "        - {notificationType: booked, channel: email, receiverType: contact, body: x}\n")
    assert errors(write, loc, ("templates/calendar.yaml", broken)) == [
        "templates/calendar.yaml:12:20: spec.calendars[0].notifications[1].channel: 'fax' is not one of email, "
        "inApp, sms, whatsapp (in location downtown)"
    ]


def test_removing_a_notification_no_template_declares_names_the_calendar(write: WriteFile) -> None:
    loc = _calendar_location("  calendars:\n    - name: Cleaning\n      notifications:\n"
                             "        - {notificationType: booked, channel: sms, receiverType: guest, remove: true}\n")
    (message,) = errors(write, loc, ("templates/calendar.yaml", CALENDAR_BASE))
    assert message.startswith(
        "loc.yaml:11:81: spec.calendars[0].notifications[0].remove: nothing to remove: no template of this location "
        "declares calendar notification 'booked/sms/guest' in calendar 'Cleaning'"
    )
