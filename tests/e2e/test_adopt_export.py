"""`ghlops export` against the sandbox: the exported manifest validates and plans to no changes, all six kinds."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import EXAMPLES, Cli

DENTAL = "ve9EPM428h8vShlRW1KT"

# The comment names every section exported: the profile, calendar groups and links joined them as built-in kinds
# (issue 11); the profile holds the location's name, all a location never edited has.
DENTAL_EXPORT = (
    "# Exported by ghlops from location ve9EPM428h8vShlRW1KT (profile, customFields, customValues, tags, users, "
    "calendarGroups, calendars, products, links).\n"
) + """\
apiVersion: ghlops/v1
kind: Location
metadata:
  name: downtown-dental
spec:
  locationId: ve9EPM428h8vShlRW1KT
  profile:
    name: downtown-dental
  customFields:
    - name: Company Size
      dataType: SINGLE_OPTIONS
      placeholder: Pick one
      options: [1-10, 11-50, 51+]
    - name: Insurance Provider
      dataType: TEXT
      placeholder: e.g. Delta Dental
    - name: Deal Source
      model: opportunity
      dataType: SINGLE_OPTIONS
      options: [Referral, Website, Walk-in]
  customValues:
    - name: business_hours
      value: Mon-Fri 9am-5pm
    - name: front_desk_phone
      value: +1 555 0100
  tags: [new-lead, recall-due, vip]
  users:
    - email: jane@example.com
      firstName: Jane
      lastName: Smith
      type: account
      role: admin
    - email: omar@example.com
      firstName: Omar
      lastName: Haddad
      type: account
      role: user
  calendars:
    - name: Sales Consultation
      calendarType: round_robin
      teamMembers:
        - user: jane@example.com
          priority: 1
        - user: omar@example.com
  products:
    - name: Premium Package
      productType: SERVICE
      description: 10 hours of consulting
      prices:
        - name: Monthly
          type: recurring
          amount: 200
          currency: USD
          recurring:
            interval: month
            intervalCount: 1
        - name: Standard
          type: one_time
          amount: 1500
          currency: USD
"""

# Settings beyond the examples, so every kind round-trips more than its required fields.
RICH = """\
apiVersion: ghlops/v1
kind: Location
metadata: {name: rich}
spec:
  locationId: RichLocation000000001
  customFields:
    - {name: Files, dataType: FILE_UPLOAD, isMultipleFile: true, maxNumberOfFiles: 3, position: 4}
    - {name: Score, dataType: NUMERICAL, placeholder: "0-10"}
    - {name: Colours, model: opportunity, dataType: MULTIPLE_OPTIONS, options: [red, green]}
  customValues:
    - {name: empty, value: ""}
    - {name: multi, value: "line one\\nline two"}
  tags: ["yes", "{{weird}}"]
  users:
    - email: ann@example.com
      firstName: Ann
      lastName: Lee
      phone: "+15550100"
      role: user
      platformLanguage: fr_CA
      permissions: {websitesEnabled: true, contactsEnabled: false, campaignsEnabled: true}
  calendars:
    - name: Walk-ins
      calendarType: event
      description: Same-day slots
      slotDuration: 1
      slotDurationUnit: hours
      slotInterval: 15
      eventColor: "#ff0000"
      autoConfirm: false
      openHours:
        - daysOfTheWeek: [1, 2, 3]
          hours: [{openHour: 9, openMinute: 0, closeHour: 17, closeMinute: 30}]
      teamMembers:
        - {user: ann@example.com, priority: 0.5, isPrimary: true}
    - name: Defaults Only
  products:
    - name: Kit
      productType: PHYSICAL
      availableInStore: true
      seo: {title: Kit, description: A kit}
      prices:
        - {name: Each, type: one_time, amount: 19.99, currency: EUR, compareAtPrice: 25, sku: KIT-1}
"""


def test_export_writes_the_manifest_a_user_would_write_and_plan_shows_no_changes(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    out = tmp_path / "dental.yaml"
    exported = cli("export", "--location-id", DENTAL, "-o", str(out))
    assert exported.exit_code == 0, exported.output
    assert exported.stderr == (
        f"wrote {out}\nnote: 3 custom field(s) sit in folders: GHL offers no API for folders, so ghlops leaves "
        "every field in the folder it is in (folders are not exported)\n"
    )
    assert out.read_text() == DENTAL_EXPORT
    assert cli("validate", str(out)).exit_code == 0
    again = cli("plan", str(out), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert again.output.strip().splitlines()[-1] == "No changes. 1 location matches the manifests."


def test_every_kind_round_trips_with_settings_beyond_the_defaults(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "rich.yaml"
    source.write_text(RICH)
    cli.sb.store.create_location("RichLocation000000001", "Rich Clinic", cli.sb.company_id)
    applied = cli("apply", str(source), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    exported = cli("export", "--location-id", "RichLocation000000001", "--name", "rich-again")
    assert exported.exit_code == 0, exported.output
    out = tmp_path / "export" / "rich.yaml"
    out.parent.mkdir()
    out.write_text(exported.stdout)
    plan = cli("plan", str(out), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes. 1 location matches the manifests." in plan.output
    text = exported.stdout
    assert "  tags: ['yes', '{{weird}}']\n" in text
    # Only the permissions that differ from GHL's documented defaults (in the model's order).
    assert "      permissions:\n        contactsEnabled: false\n        websitesEnabled: true\n" in text
    # A calendar created with a name only: what GHL filled in is left out, its type stays. GHL's lists carry no
    # slug (only a generated widgetSlug), so a slug cannot be exported (issue #9).
    assert "    - name: Defaults Only\n      calendarType: event\n    - name: Walk-ins\n" in text
    assert "eventTitle" not in text and "widgetSlug" not in text and "isActive" not in text
    assert "        - user: ann@example.com\n          isPrimary: true\n" in text
    assert "      value: |-\n        line one\n        line two\n" in text


def test_kinds_limit_the_export_and_no_user_data_is_read_for_them(cli: Cli) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    before = len(cli.sb.requests)
    result = cli("export", "--location-id", DENTAL, "--name", "d", "--kinds", "tags", "--kinds", "customValues")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-6:] == [
        "  customValues:",
        "    - name: business_hours",
        "      value: Mon-Fri 9am-5pm",
        "    - name: front_desk_phone",
        "      value: +1 555 0100",
        "  tags: [new-lead, recall-due, vip]",
    ]
    paths = sorted(r.path for r in cli.sb.requests[before:])
    assert paths == [f"/locations/{DENTAL}/customValues", f"/locations/{DENTAL}/tags"]


def test_user_mistakes_are_one_line_errors(cli: Cli, tmp_path: Path) -> None:
    existing = tmp_path / "x.yaml"
    existing.write_text("keep me")
    cases = [
        (("--kinds", "tag"), "error: --kinds: unknown kind 'tag' (did you mean 'tags'?) (kinds: profile, "
         "customFields, customValues, tags, users, calendarGroups, calendars, products, links)\n"),
        (("--name", "-bad"), "error: --name '-bad' is not a valid name: letters, digits, '.', '_' and '-', "
         "starting with a letter or digit\n"),
        (("-o", str(existing)), f"error: {existing} already exists; pass --force to overwrite it\n"),
    ]  # fmt: skip
    for args, message in cases:
        result = cli("export", "--location-id", DENTAL, *args)
        assert (result.exit_code, result.stderr) == (1, message)
    assert existing.read_text() == "keep me"
    no_agency = cli("export", "--location-id", DENTAL, "--kinds", "users", env={"GHL_AGENCY_TOKEN": ""})
    assert (no_agency.exit_code, no_agency.stderr) == (
        1,
        "error: users are company-level: exporting them needs GHL_AGENCY_TOKEN (or leave users out with --kinds)\n",
    )
    missing = cli("export", "--location-id", "NoSuchLocation", "--name", "x", "--kinds", "tags")
    assert missing.exit_code == 1
    assert missing.stderr.count("\n") == 1 and "Traceback" not in missing.output
    assert cli.env["GHL_AGENCY_TOKEN"] not in missing.output
