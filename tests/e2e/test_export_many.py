"""`ghlops export --all`, repeated `--location-id` and `--full` against the sandbox (issue 14, sections 5 and 7):
one manifest per location into -d DIR, locations without a token skipped with one line, files checked before any
is written, and a full export that manages GHL's defaults so drift on them shows."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import EXAMPLES, Cli
from tests.e2e.test_adopt_export import DENTAL, RICH

UPTOWN = "Xy7Pq2Lm9Rt4Vb6Nc8Dz"
NO_TOKEN = "NoToken000000000001"
RICH_ID = "RichLocation000000001"
MANY_FILES = ["downtown-dental-NoToken000000000001.yaml", "downtown-dental-ve9EPM428h8vShlRW1KT.yaml",
              "uptown-ortho.yaml"]  # fmt: skip
PIT_NO_MINT = (
    "no token of its own, and GHL_AGENCY_TOKEN is a Private Integration token, which GHL cannot exchange for "
    "location tokens (only an agency OAuth token can): add it to GHL_LOCATION_TOKENS, or use an agency OAuth app "
    "(GHL_AGENCY_TOKEN from it, or GHL_OAUTH_CLIENT_ID, GHL_OAUTH_CLIENT_SECRET and GHL_OAUTH_REFRESH_TOKEN_FILE)"
)
FOLDERS = "custom field(s) sit in folders: GHL offers no API for folders, so ghlops leaves every field in the " \
    "folder it is in (folders are not exported)"  # fmt: skip


def seeded(cli: Cli) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    # A second "Downtown Dental": its slug collides with the example's, and the agency's PIT cannot mint its token.
    cli.sb.store.create_location(NO_TOKEN, "Downtown Dental", cli.sb.company_id)


def test_export_all_writes_each_location_with_a_token_and_skips_the_others_with_one_line(
    cli: Cli, tmp_path: Path
) -> None:
    seeded(cli)
    out = tmp_path / "adopted"
    result = cli("export", "--all", "-d", str(out), env={"GHL_AGENCY_TOKEN": cli.sb.agency_token})
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"wrote {out}/downtown-dental-ve9EPM428h8vShlRW1KT.yaml",
        f"note: downtown-dental-ve9EPM428h8vShlRW1KT.yaml: 3 {FOLDERS}",
        f"wrote {out}/uptown-ortho.yaml",
        f"note: uptown-ortho.yaml: 2 {FOLDERS}",
        f"skipped location Downtown Dental ({NO_TOKEN}): {PIT_NO_MINT}",
        f"export: 2 written, 1 skipped ({out})",
    ]
    # Names don't depend on which locations had a token: the skipped one keeps its file name reserved.
    assert sorted(p.name for p in out.iterdir()) == MANY_FILES[1:]
    dental = (out / MANY_FILES[1]).read_text()
    assert dental.startswith("# Exported by ghlops from location ve9EPM428h8vShlRW1KT (profile, customFields,")
    assert (
        "metadata:\n  name: downtown-dental-ve9EPM428h8vShlRW1KT\nspec:\n  locationId: ve9EPM428h8vShlRW1KT\n" in dental
    )
    plan = cli("plan", str(out), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert plan.output.strip().splitlines()[-1] == "No changes. 2 locations match the manifests."


def test_export_all_with_an_agency_oauth_token_writes_every_location_and_plan_converges(
    cli: Cli, tmp_path: Path
) -> None:
    seeded(cli)
    result = cli("export", "--all", "-d", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == f"export: 3 written, 0 skipped ({tmp_path})"
    assert sorted(p.name for p in tmp_path.iterdir()) == MANY_FILES
    plan = cli("plan", str(tmp_path), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert plan.output.strip().splitlines()[-1] == "No changes. 3 locations match the manifests."


def test_every_location_is_read_once_per_kind_through_the_shared_reader(cli: Cli, tmp_path: Path) -> None:
    seeded(cli)
    cli.sb.clear_requests()
    assert cli("export", "--location-id", DENTAL, "--location-id", UPTOWN, "-d", str(tmp_path)).exit_code == 0
    gets = [(r.path, json.dumps(r.query, sort_keys=True)) for r in cli.sb.requests if r.method == "GET"]
    paths = [path for path, _ in gets]
    # The location's own record is the profile read: its name comes from there, not from a second GET.
    assert paths.count(f"/locations/{DENTAL}") == paths.count(f"/locations/{UPTOWN}") == 1
    assert len(gets) == len(set(gets))  # nothing read twice (users once for the company)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["downtown-dental.yaml", "uptown-ortho.yaml"]


def test_existing_files_are_refused_before_any_is_written_and_force_overwrites_them(cli: Cli, tmp_path: Path) -> None:
    seeded(cli)
    (tmp_path / "uptown-ortho.yaml").write_text("keep me")
    refused = cli("export", "--all", "-d", str(tmp_path))
    assert (refused.exit_code, refused.stderr) == (
        1, f"error: {tmp_path}/uptown-ortho.yaml already exists; pass --force to overwrite it\n"
    )  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == ["uptown-ortho.yaml"]
    assert (tmp_path / "uptown-ortho.yaml").read_text() == "keep me"
    forced = cli("export", "--all", "-d", str(tmp_path), "--force")
    assert forced.exit_code == 0, forced.output
    assert (tmp_path / "uptown-ortho.yaml").read_text().startswith("# Exported by ghlops from location ")


def test_a_symlink_where_a_manifest_goes_is_refused_even_with_force(cli: Cli, tmp_path: Path) -> None:
    seeded(cli)
    target = tmp_path / "elsewhere.txt"
    target.write_text("not yours")
    out = tmp_path / "out"
    out.mkdir()
    (out / "uptown-ortho.yaml").symlink_to(target)
    refused = cli("export", "--all", "-d", str(out), "--force")
    assert (refused.exit_code, refused.stderr) == (
        1,
        f"error: refusing to write through a symlink: {out}/uptown-ortho.yaml; remove it or write elsewhere\n",
    )
    assert target.read_text() == "not yours"
    assert sorted(p.name for p in out.iterdir()) == ["uptown-ortho.yaml"]


def test_repeated_location_ids_skip_a_location_ghl_refuses_and_write_the_others(cli: Cli, tmp_path: Path) -> None:
    seeded(cli)
    tokens = json.loads(cli.env["GHL_LOCATION_TOKENS"])
    env = {"GHL_LOCATION_TOKENS": json.dumps({**tokens, NO_TOKEN: tokens[DENTAL]})}  # a token of another location
    result = cli("export", "--location-id", NO_TOKEN, "--location-id", DENTAL, "-d", str(tmp_path), env=env)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"wrote {tmp_path}/downtown-dental.yaml"
    assert lines[-2].startswith(
        f"skipped location {NO_TOKEN}: location {NO_TOKEN}: tags: GET /locations/{NO_TOKEN}/tags -> HTTP 403"
    )
    assert lines[-1] == f"export: 1 written, 1 skipped ({tmp_path})"
    assert [p.name for p in tmp_path.iterdir()] == ["downtown-dental.yaml"]


def test_conflicting_or_incomplete_options_are_one_line_usage_errors(cli: Cli, tmp_path: Path) -> None:
    cases = [
        (("--all", "--location-id", DENTAL, "-d", str(tmp_path)),
         "error: --all and --location-id are mutually exclusive (see ghlops export --help)"),
        ((), "error: pass --location-id ID (repeatable) or --all (see ghlops export --help)"),
        (("--all",), "error: --all and several --location-id write one manifest per location: pass -d DIR"),
        (("--location-id", DENTAL, "--location-id", UPTOWN),
         "error: --all and several --location-id write one manifest per location: pass -d DIR"),
        (("--all", "-d", str(tmp_path), "-o", str(tmp_path / "x.yaml")),
         "error: -o writes one manifest; -d DIR takes one per location"),
        (("--all", "-d", str(tmp_path), "--name", "x"),
         "error: --name names one manifest; with several locations each is named from its location"),
        (("--location-id", DENTAL, "--location-id", UPTOWN, "-d", str(tmp_path), "--token-env", "T"),
         "error: --token-env holds one location's token; several locations need their own (GHL_LOCATION_TOKENS or "
         "an agency OAuth app)"),
    ]  # fmt: skip
    cli.sb.clear_requests()
    for args, message in cases:
        result = cli("export", *args)
        assert (result.exit_code, result.stderr) == (1, message + "\n"), args
    assert cli.sb.requests == []
    assert list(tmp_path.iterdir()) == []


def test_the_no_token_hint_names_token_env_not_spec_token_env(cli: Cli) -> None:
    env = {"GHL_LOCATION_TOKENS": "", "GHL_AGENCY_TOKEN": ""}
    result = cli("export", "--location-id", DENTAL, "--kinds", "tags", env=env)
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: no token for location {DENTAL}: pass --token-env VAR naming the variable that holds its token, "
        "add it to GHL_LOCATION_TOKENS, or use an agency OAuth app (GHL_AGENCY_TOKEN from it, or "
        "GHL_OAUTH_CLIENT_ID, GHL_OAUTH_CLIENT_SECRET and GHL_OAUTH_REFRESH_TOKEN_FILE), or set GHL_TOKEN\n",
    )
    unset = cli("export", "--location-id", DENTAL, "--token-env", "DENTAL_TOKEN", env=env)
    assert (unset.exit_code, unset.stderr) == (
        1,
        "error: --token-env names DENTAL_TOKEN, but DENTAL_TOKEN is unset or empty\n",
    )


def test_a_token_env_token_that_does_not_reach_the_location_is_named_by_its_variable(cli: Cli) -> None:
    other = json.loads(cli.env["GHL_LOCATION_TOKENS"])[UPTOWN]
    env = {"GHL_LOCATION_TOKENS": "", "GHL_AGENCY_TOKEN": "", "DENTAL_TOKEN": other}
    result = cli("export", "--location-id", DENTAL, "--kinds", "tags", "--token-env", "DENTAL_TOKEN", env=env)
    assert result.exit_code == 1
    assert f"; the token from DENTAL_TOKEN does not reach location {DENTAL}: give it its own token" in result.stderr
    assert "spec.tokenEnv does not reach" not in result.stderr and other not in result.output


# -- --full ------------------------------------------------------------------------------------------------------


def test_full_export_makes_drift_on_a_default_visible_and_the_default_export_does_not(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    short, full = tmp_path / "short.yaml", tmp_path / "full.yaml"
    assert cli("export", "--location-id", DENTAL, "-o", str(short)).exit_code == 0
    assert cli("export", "--location-id", DENTAL, "--full", "-o", str(full)).exit_code == 0
    assert "slotDuration" not in short.read_text()
    assert "      slotDuration: 30\n" in full.read_text()
    assert full.read_text().startswith(f"# Exported by ghlops from location {DENTAL} (profile, ")
    assert "links; --full).\n" in full.read_text().splitlines()[0] + "\n"
    # Someone changes the slot length in GHL's UI.
    calendar = next(c for c in cli.sb.store.find("calendar", owner=DENTAL) if c["name"] == "Sales Consultation")
    cli.sb.store.replace("calendar", calendar["id"], {**calendar, "slotDuration": 90})
    drift = cli("plan", str(full), "--detailed-exitcode")
    assert drift.exit_code == 2, drift.output
    assert "slotDuration: 90 -> 30" in drift.output
    # A nested default too: Omar's priority (0.5, GHL's default for a team member) raised to 1 in the UI.
    members = [{**m, "priority": 1} if m.get("priority") == 0.5 else m for m in calendar["teamMembers"]]
    cli.sb.store.replace("calendar", calendar["id"], {**calendar, "teamMembers": members})
    drift = cli("plan", str(full), "--detailed-exitcode")
    assert drift.exit_code == 2, drift.output
    assert "~ member omar@example.com priority 1 -> 0.5" in drift.output
    blind = cli("plan", str(short), "--detailed-exitcode")  # both changes invisible without --full
    assert blind.exit_code == 0, blind.output


def test_full_export_then_plan_shows_no_changes_for_every_kind(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "rich.yaml"
    source.write_text(RICH)
    cli.sb.store.create_location(RICH_ID, "Rich Clinic", cli.sb.company_id)
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    assert cli("apply", str(source), "--auto-approve").exit_code == 0
    out = tmp_path / "full"
    result = cli("export", "--all", "--full", "-d", str(out))
    assert result.exit_code == 0, result.output
    text = (out / "rich-clinic.yaml").read_text()
    kept = ["  profile:\n", "  customFields:\n", "  customValues:\n", "  tags:", "  users:\n", "  calendars:\n",
            "  products:\n", "      isActive: true\n", "      model: contact\n", "      teamMembers: []\n",
            "          priority: 0.5\n", "        campaignsReadOnly: false\n"]  # fmt: skip
    assert [k for k in kept if k not in text] == []
    plan = cli("plan", str(out), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert plan.output.strip().splitlines()[-1] == "No changes. 3 locations match the manifests."
