"""Calendar notifications end to end against the sandbox (issue 11, section 3): children of their calendar, matched
by (notificationType, channel, receiverType), created one per POST (an array of one), updated partially, pruned
with the calendars section (soft-deleted ones are gone), selected users by email; export plans no changes. Every
request is checked against the GHL OpenAPI documents."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import openapi_contract
from tests.e2e.conftest import EXAMPLES, Cli

LOC = "ve9EPM428h8vShlRW1KT"

MANIFEST = """\
apiVersion: ghlops/v1
kind: Location
metadata:
  name: downtown-dental
spec:
  locationId: ve9EPM428h8vShlRW1KT
{prune}  calendars:
    - name: Sales Consultation
      calendarType: round_robin
      notifications:
        - notificationType: booked
          channel: email
          receiverType: contact
          subject: Your visit is booked
          body: See you soon
        - notificationType: reminder
          channel: sms
          receiverType: contact
          body: {reminder}
          beforeTime: [{{timeOffset: 1, unit: hours}}]
{in_app}    - name: Implant Consult
      calendarType: event
      notifications:
        - notificationType: confirmation
          channel: email
          receiverType: guest
          isActive: false
"""

IN_APP = """\
        - notificationType: booked
          channel: inApp
          receiverType: business
          selectedUsers: [Jane@Example.com, sub_account_admin]
"""


def _write(tmp_path: Path, *, prune: bool = False, reminder: str = "See you in an hour", in_app: bool = True) -> str:
    path = tmp_path / "dental.yaml"
    path.write_text(
        MANIFEST.format(
            prune="  prune: [calendars]\n" if prune else "", reminder=reminder, in_app=IN_APP if in_app else ""
        )
    )
    return str(path)


def _calendar_ids(cli: Cli) -> dict[str, str]:
    return {c["name"]: c["id"] for c in cli.sb.store.find("calendar", owner=LOC)}


def _notifications(cli: Cli, calendar_id: str) -> list[dict[str, object]]:
    return cli.sb.store.find("calendarNotification", parent=calendar_id)


def _no_changes(cli: Cli, path: str) -> None:
    again = cli("plan", path, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert again.output.strip().splitlines()[-1] == "No changes. 1 location matches the manifests."


def _conformance(cli: Cli) -> list[str]:
    found: list[str] = []
    for r in cli.sb.requests:
        found.extend(openapi_contract.problems(r.method, urlsplit(r.path).path, r.query, r.headers, r.json))
    return found


@pytest.mark.skipif(not openapi_contract.available(), reason=openapi_contract.SKIP_REASON)
def test_calendar_notifications_converge_update_in_place_and_prune_with_their_calendar(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0  # jane, and Sales Consultation
    jane = next(u["id"] for u in cli.sb.store.users() if u["email"] == "jane@example.com")
    path = _write(tmp_path)
    assert cli("validate", path).exit_code == 0
    cli.sb.clear_requests()
    applied = cli("apply", path, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    calendars = _calendar_ids(cli)
    sales, implant = calendars["Sales Consultation"], calendars["Implant Consult"]
    posts = [(r.path, r.json) for r in cli.sb.requests if r.changes and r.path.endswith("/notifications")]
    # One notification per POST, an array of one; the new calendar's notification waits for its create (it is sent
    # to the new calendar's id). Writes of one location run side by side, so their order is not fixed.
    assert sorted(posts, key=repr) == sorted([
        (f"/calendars/{sales}/notifications", [{"notificationType": "booked", "channel": "email",
          "receiverType": "contact", "subject": "Your visit is booked", "body": "See you soon"}]),
        (f"/calendars/{sales}/notifications", [{"notificationType": "reminder", "channel": "sms",
          "receiverType": "contact", "body": "See you in an hour",
          "beforeTime": [{"timeOffset": 1, "unit": "hours"}]}]),
        (f"/calendars/{sales}/notifications", [{"notificationType": "booked", "channel": "inApp",
          "receiverType": "business", "selectedUsers": [jane, "sub_account_admin"]}]),
        (f"/calendars/{implant}/notifications", [{"notificationType": "confirmation", "channel": "email",
          "receiverType": "guest", "isActive": False}]),
    ], key=repr)  # fmt: skip
    assert [n["isActive"] for n in _notifications(cli, sales)] == [True, True, True]
    _no_changes(cli, path)
    # Each managed calendar's notifications are one list call, without limit or skip (highlevel-api-docs #3).
    lists = [r for r in cli.sb.requests if r.method == "GET" and r.path.endswith("/notifications")]
    assert lists and all(r.query == {} for r in lists)

    # Without prune, a notification the manifest no longer declares is left alone; the changed one is updated.
    path = _write(tmp_path, reminder="Tomorrow at 9", in_app=False)
    cli.sb.clear_requests()
    applied = cli("apply", path, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    reminder = next(n for n in _notifications(cli, sales) if n["notificationType"] == "reminder")
    assert [(r.method, r.path, r.json) for r in cli.sb.requests if r.changes] == [
        ("PUT", f"/calendars/{sales}/notifications/{reminder['_id']}", {"body": "Tomorrow at 9"})
    ]
    assert len(_notifications(cli, sales)) == 3
    _no_changes(cli, path)

    # Pruned with the calendars section: soft-deleted (GHL keeps it with deleted: true), and then not live.
    path = _write(tmp_path, prune=True, reminder="Tomorrow at 9", in_app=False)
    cli.sb.clear_requests()
    applied = cli("apply", path, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    in_app = next(n for n in _notifications(cli, sales) if n["channel"] == "inApp")
    assert [(r.method, r.path) for r in cli.sb.requests if r.changes] == [
        ("DELETE", f"/calendars/{sales}/notifications/{in_app['_id']}")
    ]
    assert in_app["deleted"] is True
    _no_changes(cli, path)
    assert _conformance(cli) == []


@pytest.mark.skipif(not openapi_contract.available(), reason=openapi_contract.SKIP_REASON)
def test_an_export_of_calendars_carries_their_notifications_and_plans_no_changes(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    assert cli("apply", _write(tmp_path), "--auto-approve").exit_code == 0
    out = tmp_path / "exported.yaml"
    exported = cli("export", "--location-id", LOC, "--name", "downtown-dental", "--kinds", "calendars", "-o", str(out))
    assert exported.exit_code == 0, exported.output
    text = out.read_text()
    assert (
        "      notifications:\n"
        "        - notificationType: confirmation\n"
        "          channel: email\n"
        "          receiverType: guest\n"
        "          isActive: false\n"
    ) in text
    # Selected users by email, the keyword as it is.
    assert "          selectedUsers: [jane@example.com, sub_account_admin]\n" in text
    assert cli("validate", str(out)).exit_code == 0
    _no_changes(cli, str(out))
    assert _conformance(cli) == []


def test_a_selected_user_matching_no_user_is_a_plan_error_naming_it(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    path = tmp_path / "dental.yaml"
    path.write_text(_write(tmp_path) and Path(_write(tmp_path)).read_text().replace("Jane@Example.com", "ghost@x.io"))
    result = cli("plan", str(path))
    assert result.exit_code == 1
    assert (
        "calendar notification 'Sales Consultation/booked/inApp/business': selected user 'ghost@x.io' matches no "
        "live user and no user the manifests declare"
    ) in result.output


def test_two_notifications_with_the_same_type_channel_and_receiver_are_a_validation_error(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "dental.yaml"
    text = Path(_write(tmp_path)).read_text()
    path.write_text(text.replace("notificationType: reminder\n          channel: sms", "notificationType: booked\n"
                                 "          channel: email"))  # fmt: skip
    result = cli("validate", "--offline", str(path))
    assert result.exit_code == 1, result.output
    assert "booked/email/contact" in result.output


@pytest.mark.skipif(not openapi_contract.available(), reason=openapi_contract.SKIP_REASON)
def test_a_replaced_calendar_gets_its_notifications_again_under_the_new_calendar_in_the_same_apply(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    path = _write(tmp_path, prune=True, in_app=False)
    assert cli("apply", path, "--auto-approve").exit_code == 0
    old = _calendar_ids(cli)["Implant Consult"]
    # GHL cannot change a calendar's type: a replace, and its notifications go with the deleted calendar.
    path = tmp_path / "dental.yaml"
    path.write_text(path.read_text().replace("calendarType: event", "calendarType: class_booking"))
    planned = cli("plan", str(path))
    assert planned.exit_code == 0, planned.output
    assert "+ calendar notification Implant Consult/confirmation/email/guest" in planned.output
    cli.sb.clear_requests()
    applied = cli("apply", str(path), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    new = _calendar_ids(cli)["Implant Consult"]
    assert new != old
    writes = [(r.method, r.path, r.json) for r in cli.sb.requests if r.changes]
    # No delete of the old calendar's notifications (they went with it): the delete, the create, then the
    # notification under the new calendar's id.
    assert [(m, p) for m, p, _ in writes] == [
        ("DELETE", f"/calendars/{old}"),
        ("POST", "/calendars/"),
        ("POST", f"/calendars/{new}/notifications"),
    ]
    assert [(n["notificationType"], n["isActive"]) for n in _notifications(cli, new)] == [("confirmation", False)]
    _no_changes(cli, str(path))
    assert _conformance(cli) == []


def test_the_run_log_and_the_apply_summary_name_each_created_notifications_id_from_the_array_answer(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    log = tmp_path / "run.jsonl"
    applied = cli("apply", _write(tmp_path, in_app=False), "--auto-approve", "--log-file", str(log))
    assert applied.exit_code == 0, applied.output
    calendars = _calendar_ids(cli)
    # GHL's POST answers an array of the created notifications (calendars.json, create-event-notification): each
    # create's id is the answer's item with the natural key it sent.
    stored = {
        f"{name}/{n['notificationType']}/{n['channel']}/{n['receiverType']}": n["_id"]
        for name, calendar_id in calendars.items()
        for n in _notifications(cli, calendar_id)
    }
    assert len(stored) == 3
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    logged = {e["object"]: e["createdId"] for e in lines if e["kind"] == "calendarNotifications"}
    assert logged == stored
    for display, notification_id in stored.items():
        assert f"calendar notification {display} (id {notification_id})" in applied.output


def _notification_lists(cli: Cli) -> list[str]:
    """The calendars whose notifications were listed (an apply reads once to plan and once before writing)."""
    return sorted({r.path for r in cli.sb.requests if r.method == "GET" and r.path.endswith("/notifications")})


ONLY_SALES = """\
apiVersion: ghlops/v1
kind: Location
metadata:
  name: downtown-dental
spec:
  locationId: ve9EPM428h8vShlRW1KT
{prune}  calendars:
    - name: {name}
{renamed}      calendarType: round_robin
      notifications:
        - notificationType: booked
          channel: email
          receiverType: contact
          subject: Your visit is booked
          body: See you soon
        - notificationType: reminder
          channel: sms
          receiverType: contact
          body: See you in an hour
          beforeTime: [{{timeOffset: 1, unit: hours}}]
"""


@pytest.mark.skipif(not openapi_contract.available(), reason=openapi_contract.SKIP_REASON)
def test_notifications_are_read_only_for_the_calendars_the_manifest_declares(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    assert cli("apply", _write(tmp_path, in_app=False), "--auto-approve").exit_code == 0
    calendars = _calendar_ids(cli)
    sales, implant = calendars["Sales Consultation"], calendars["Implant Consult"]
    path = tmp_path / "only-sales.yaml"
    # Implant Consult is not managed: its notifications are never planned, so never read.
    path.write_text(ONLY_SALES.format(prune="", name="Sales Consultation", renamed=""))
    cli.sb.clear_requests()
    _no_changes(cli, str(path))
    assert _notification_lists(cli) == [f"/calendars/{sales}/notifications"]

    # Pruned, Implant Consult is deleted; its notifications go with it (GHL's delete), unread and undeleted.
    path.write_text(ONLY_SALES.format(prune="  prune: [calendars]\n", name="Sales Consultation", renamed=""))
    cli.sb.clear_requests()
    applied = cli("apply", str(path), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert [(r.method, r.path) for r in cli.sb.requests if r.changes] == [("DELETE", f"/calendars/{implant}")]
    assert _notification_lists(cli) == [f"/calendars/{sales}/notifications"]
    _no_changes(cli, str(path))

    # Renamed in place (renamedFrom): the live calendar still has its old name, its notifications are read and
    # matched under the new one, so only the rename is planned.
    renamed = "      renamedFrom: [Sales Consultation]\n"
    path.write_text(ONLY_SALES.format(prune="  prune: [calendars]\n", name="Sales Call", renamed=renamed))
    cli.sb.clear_requests()
    applied = cli("apply", str(path), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert [(r.method, r.path, r.json) for r in cli.sb.requests if r.changes] == [
        ("PUT", f"/calendars/{sales}", {"name": "Sales Call"})
    ]
    assert _notification_lists(cli) == [f"/calendars/{sales}/notifications"]
    _no_changes(cli, str(path))
    assert _conformance(cli) == []
