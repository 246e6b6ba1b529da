"""Saved plans over real HTTP against the sandbox: plan --out, apply --plan, the stale-plan check, show."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from ghlops import __version__
from ghlops.kinds import BY_NAME
from ghlops.sandbox.recorder import RecordedRequest
from ghlops.sandbox.store import Kind as StoreKind
from tests.e2e.conftest import EXAMPLES, Cli

DENTAL = "ve9EPM428h8vShlRW1KT"
ORTHO = "Xy7Pq2Lm9Rt4Vb6Nc8Dz"
RUN_PLAN_AGAIN = "error: run plan again and review the new plan"


def stale(location: str, what: str) -> str:
    return f"error: plan is stale: location {location}, {what} since the plan was made"


def copy_examples(tmp_path: Path) -> Path:
    target = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def writes(cli: Cli) -> list[RecordedRequest]:
    # The apply lease's create and delete (ghlops/lease.py) are bookkeeping, not changes the plan made.
    return [r for r in cli.sb.requests if r.changes]


def add_tag_through_the_api(cli: Cli, location_id: str, name: str) -> None:
    headers = {"Authorization": f"Bearer {cli.sb.token_for(location_id)}", "Version": "2021-07-28"}
    answer = httpx.post(f"{cli.sb.url}/locations/{location_id}/tags", json={"name": name}, headers=headers)
    assert answer.status_code in (200, 201), answer.text


def saved_plan(cli: Cli, tmp_path: Path, *paths: str, extra: tuple[str, ...] = ()) -> Path:
    out = tmp_path / "plan.json"
    result = cli("plan", *(paths or (str(EXAMPLES),)), "--out", str(out), *extra)
    assert result.exit_code == 0, result.output + result.stderr
    assert f"Saved the plan to {out}" in result.stderr
    return out


# -- matching what was sent against what the plan file says -------------------------------------------------


def path_pattern(parts: list[Any]) -> str:
    return "".join(re.escape(p) if isinstance(p, str) else "[^/]+" for p in parts)


def body_matches(saved: Any, sent: Any) -> bool:
    """Equal, where a {"$ref"} is any id and a {"$secret"} any password, filled in at apply time."""
    if isinstance(saved, dict) and set(saved) in ({"$ref"}, {"$secret"}):
        return isinstance(sent, str) and sent != ""
    if isinstance(saved, dict):
        return (
            isinstance(sent, dict) and set(saved) == set(sent) and all(body_matches(saved[k], sent[k]) for k in saved)
        )
    if isinstance(saved, list):
        return isinstance(sent, list) and len(saved) == len(sent) and all(map(body_matches, saved, sent))
    return bool(saved == sent)


def saved_requests_in_order(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Company users first (stage 0), then each location in order, then membership removals (stage 2)."""
    firsts = [c for company in document["companies"] for c in company["changes"] if c["stage"] == 0]
    lasts = [c for company in document["companies"] for c in company["changes"] if c["stage"] == 2]
    changes = firsts + [c for loc in document["locations"] for c in loc["changes"]] + lasts
    return [r for c in changes for r in c["requests"]]


def assert_sent_exactly(document: dict[str, Any], sent: list[RecordedRequest]) -> None:
    expected = saved_requests_in_order(document)
    assert len(sent) == len(expected), [f"{r.method} {r.path}" for r in sent]
    for want, got in zip(expected, sent, strict=True):
        assert got.method == want["method"]
        assert re.fullmatch(path_pattern(want["path"]), urlsplit(got.path).path), (want["path"], got.path)
        assert {k: [v] for k, v in want["params"]} == got.query
        assert body_matches(want["body"], got.json), (want["body"], got.json)


# -- plan --out ---------------------------------------------------------------------------------------------


def test_plan_out_saves_versions_manifest_digests_what_each_location_depends_on_and_the_ordered_requests(
    cli: Cli, tmp_path: Path
) -> None:
    out = saved_plan(cli, tmp_path)
    document = json.loads(out.read_text())
    assert document["formatVersion"] == 2
    assert document["ghlopsVersion"] == __version__
    assert document["manifests"]["paths"] == [str(EXAMPLES)]
    files = document["manifests"]["files"]
    assert [f["path"] for f in files] == [
        (EXAMPLES / "downtown-dental.yaml").as_posix(),
        (EXAMPLES / "uptown-ortho.yaml").as_posix(),
    ]
    assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", f["digest"]) for f in files)
    assert [(loc["name"], loc["locationId"]) for loc in document["locations"]] == [
        ("downtown-dental", DENTAL),
        ("uptown-ortho", ORTHO),
    ]
    # Nothing exists yet: the plan depends on the absence of every object it creates, and of the users it names.
    ortho = {(d["kind"], d["key"]): d["digest"] for d in document["locations"][1]["dependsOn"]}
    assert ortho == {
        ("calendars", "ortho consult"): None,
        ("customFields", "contact/braces type"): None,
        ("customFields", "contact/treatment plan"): None,
        ("customValues", "business_hours"): None,
        ("prices", "clear aligner plan/full"): None,
        ("products", "clear aligner plan"): None,
        ("tags", "consult-booked"): None,
        ("tags", "financing"): None,
        ("users", "jane@example.com"): None,
    }
    assert document["counts"] == {"create": 22, "update": 0, "replace": 0, "delete": 0}
    jane = document["companies"][0]["changes"][0]
    assert jane["requests"][0]["body"]["password"] == {"$secret": None}
    calendar = document["locations"][0]["changes"][-1]
    assert calendar["kind"] == "calendars"
    members = calendar["requests"][0]["body"]["teamMembers"]
    assert [m["userId"] for m in members] == [{"$ref": "users/jane@example.com"}, {"$ref": "users/omar@example.com"}]
    assert writes(cli) == []


def test_a_saved_plan_holds_no_token_and_no_password(cli: Cli, tmp_path: Path) -> None:
    manifests = copy_examples(tmp_path)
    edit(
        manifests / "downtown-dental.yaml",
        "      lastName: Smith\n",
        "      lastName: Smith\n      passwordEnv: JANE_PW\n",
    )
    edit(
        manifests / "uptown-ortho.yaml",
        "      lastName: Smith\n",
        "      lastName: Smith\n      passwordEnv: JANE_PW\n",
    )
    out = tmp_path / "plan.json"
    password = "Correct-Horse-Battery-9!"
    result = cli("plan", str(manifests), "--out", str(out), env={"JANE_PW": password})
    assert result.exit_code == 0, result.output + result.stderr
    text = out.read_text()
    for secret in (*cli.sb.location_tokens().values(), cli.sb.agency_access_token, password):
        assert secret not in text
    assert '"$secret": "JANE_PW"' in text
    assert '"$secret": null' in text  # omar's password is generated at apply time

    applied = cli("apply", "--plan", str(out), "--auto-approve", env={"JANE_PW": password})
    assert applied.exit_code == 0, applied.output + applied.stderr
    (jane,) = [u for u in cli.sb.store.users() if u["email"] == "jane@example.com"]
    assert cli.sb.store.password_hash(jane["id"])


# -- apply --plan ---------------------------------------------------------------------------------------------


def test_an_unchanged_saved_plan_is_applied_exactly_and_then_nothing_is_left(cli: Cli, tmp_path: Path) -> None:
    out = saved_plan(cli, tmp_path)
    document = json.loads(out.read_text())
    cli.sb.clear_requests()

    applied = cli("apply", "--plan", str(out), "--auto-approve", "--parallelism", "1")

    assert applied.exit_code == 0, applied.output + applied.stderr
    assert "Apply: 22 applied, 0 failed, 0 skipped." in applied.output
    assert_sent_exactly(document, writes(cli))
    again = cli("plan", str(EXAMPLES), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert again.output.strip().splitlines()[-1] == "No changes. 2 locations match the manifests."


def test_an_unmanaged_object_appearing_live_leaves_the_plan_valid_and_apply_goes_ahead(
    cli: Cli, tmp_path: Path
) -> None:
    out = saved_plan(cli, tmp_path)
    document = json.loads(out.read_text())
    # As GHL does when a workflow tags a contact with a tag that does not exist yet.
    add_tag_through_the_api(cli, DENTAL, "walk-in")
    cli.sb.clear_requests()

    applied = cli("apply", "--plan", str(out), "--auto-approve", "--parallelism", "1")

    assert applied.exit_code == 0, applied.output + applied.stderr
    assert "Apply: 22 applied, 0 failed, 0 skipped." in applied.output
    assert_sent_exactly(document, writes(cli))
    assert sorted(t["name"] for t in cli.sb.store.snapshot(DENTAL)["tags"]) == [
        "new-lead",
        "recall-due",
        "vip",
        "walk-in",
    ]


def test_an_object_created_live_under_a_key_the_plan_creates_makes_it_stale_naming_it(cli: Cli, tmp_path: Path) -> None:
    out = saved_plan(cli, tmp_path)
    add_tag_through_the_api(cli, DENTAL, "vip")
    cli.sb.clear_requests()

    refused = cli("apply", "--plan", str(out), "--auto-approve")

    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        stale("downtown-dental", "tag 'vip' was created in GHL"),
        RUN_PLAN_AGAIN,
    ]
    assert writes(cli) == []


def test_an_applied_plan_cannot_be_applied_twice_and_the_refusal_names_what_it_created(
    cli: Cli, tmp_path: Path
) -> None:
    out = saved_plan(cli, tmp_path)
    document = json.loads(out.read_text())
    assert cli("apply", "--plan", str(out), "--auto-approve").exit_code == 0
    cli.sb.clear_requests()

    again = cli("apply", "--plan", str(out), "--auto-approve")

    assert again.exit_code == 1
    lines = again.stderr.strip().splitlines()
    expected = [
        stale(loc["name"], f"{BY_NAME[d['kind']].label} {d['name']!r} was created in GHL")
        for loc in document["locations"]
        for d in loc["dependsOn"]
    ]
    assert lines == [*expected, RUN_PLAN_AGAIN]
    assert stale("uptown-ortho", "calendar 'Ortho Consult' was created in GHL") in lines
    assert writes(cli) == []


def test_a_user_change_stales_only_the_locations_whose_plan_depends_on_that_user(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    manifests = copy_examples(tmp_path)
    edit(manifests / "uptown-ortho.yaml", "tags: [consult-booked, financing]", "tags: [consult-booked]")
    edit(manifests / "downtown-dental.yaml", "tags: [vip, new-lead, recall-due]", "tags: [vip, new-lead, walk-in]")
    out = saved_plan(cli, tmp_path, str(manifests))
    # Omar works only at downtown-dental: his record is part of that location's live digest, not uptown-ortho's.
    (omar,) = [u for u in cli.sb.store.users() if u["email"] == "omar@example.com"]
    cli.sb.store.replace(StoreKind.USER, omar["id"], {**omar, "lastName": "Changed"})
    cli.sb.clear_requests()

    refused = cli("apply", "--plan", str(out), "--auto-approve")

    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        stale("downtown-dental", "user 'omar@example.com' changed in GHL"),
        RUN_PLAN_AGAIN,
    ]
    assert writes(cli) == []


def test_a_user_no_planned_location_depends_on_leaves_the_plan_fresh(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    manifests = copy_examples(tmp_path)
    edit(manifests / "uptown-ortho.yaml", "tags: [consult-booked, financing]", "tags: [consult-booked, vip]")
    out = saved_plan(cli, tmp_path, str(manifests))
    cli.sb.store.create_location("elsewhere000000000001", "elsewhere", cli.sb.company_id)
    cli.sb.store.add(
        StoreKind.USER,
        "stranger00000000001",
        cli.sb.company_id,
        {
            "id": "stranger00000000001",
            "email": "stranger@example.com",
            "firstName": "Some",
            "lastName": "One",
            "name": "Some One",
            "roles": {"type": "account", "role": "user", "locationIds": ["elsewhere000000000001"]},
        },
    )
    applied = cli("apply", "--plan", str(out), "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.stderr
    assert "Apply: 1 applied, 0 failed, 0 skipped." in applied.output


def test_changed_manifests_make_the_plan_stale_before_any_api_call(cli: Cli, tmp_path: Path) -> None:
    manifests = copy_examples(tmp_path)
    out = saved_plan(cli, tmp_path, str(manifests))
    edit(manifests / "uptown-ortho.yaml", "tags: [consult-booked, financing]", "tags: [consult-booked]")
    cli.sb.clear_requests()

    refused = cli("apply", "--plan", str(out), "--auto-approve")

    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        f"error: plan is stale: manifest {(manifests / 'uptown-ortho.yaml').as_posix()} changed since the plan "
        "was made",
        RUN_PLAN_AGAIN,
    ]
    assert cli.sb.requests == []


def test_a_new_or_removed_manifest_file_makes_the_plan_stale_naming_the_file(cli: Cli, tmp_path: Path) -> None:
    manifests = copy_examples(tmp_path)
    out = saved_plan(cli, tmp_path, str(manifests))
    (manifests / "extra.yaml").write_text("# nothing yet\n")
    (manifests / "uptown-ortho.yaml").unlink()
    cli.sb.clear_requests()
    refused = cli("apply", "--plan", str(out), "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        f"error: plan is stale: manifest {(manifests / 'uptown-ortho.yaml').as_posix()} was removed since the "
        "plan was made",
        f"error: plan is stale: manifest {(manifests / 'extra.yaml').as_posix()} was added since the plan was made",
        RUN_PLAN_AGAIN,
    ]
    assert cli.sb.requests == []


def test_apply_plan_elsewhere_than_where_plan_ran_says_where_the_manifests_should_be(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(EXAMPLES, tmp_path / "manifests")
    out = saved_plan(cli, tmp_path, "manifests")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = cli("apply", "--plan", str(out), "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: cannot find the plan's manifests (manifests: no such file or directory); "
        "run apply --plan in the directory plan ran in"
    )


@pytest.mark.parametrize(
    "extra",
    [(str(EXAMPLES),), ("--location", "uptown-ortho"), ("--shard", "1/2")],
    ids=["path", "location", "shard"],
)
def test_apply_plan_takes_no_paths_locations_or_shard(cli: Cli, tmp_path: Path, extra: tuple[str, ...]) -> None:
    out = saved_plan(cli, tmp_path)
    cli.sb.clear_requests()
    result = cli("apply", "--plan", str(out), "--auto-approve", *extra)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: apply --plan takes no PATH, --location or --shard: the plan names its manifests and locations"
    )
    assert cli.sb.requests == []


def test_a_plan_made_by_another_ghlops_version_is_refused(cli: Cli, tmp_path: Path) -> None:
    out = saved_plan(cli, tmp_path)
    document = json.loads(out.read_text())
    document["ghlopsVersion"] = "0.0.1"
    out.write_text(json.dumps(document))
    result = cli("apply", "--plan", str(out), "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: plan was made by ghlops 0.0.1 and this is ghlops {__version__}; run plan again"
    )
    assert writes(cli) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not a ghlops plan file (invalid JSON at line 1)"),
        ('{"hello": 1}', "not a ghlops plan file (no formatVersion)"),
        ('{"formatVersion": 99}', "plan file format 99 is not supported (this ghlops reads 2)"),
        (
            '{"formatVersion": 1, "locations": []}',
            "plan file format 1 is from an earlier ghlops, which pinned whole locations rather than what the plan "
            "depends on; run plan again to save a format 2 plan",
        ),
        ("[" * 1000 + "]" * 1000, "not a ghlops plan file (JSON nested more than 100 levels)"),
    ],
)
def test_a_file_that_is_not_a_plan_is_a_clear_error(cli: Cli, tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text(content)
    for args in (("apply", "--plan", str(bad), "--auto-approve"), ("show", str(bad))):
        result = cli(*args)
        assert result.exit_code == 1
        assert result.stderr.strip() == f"error: {bad}: {message}"


def _many_tags(tmp_path: Path) -> Path:
    manifests = copy_examples(tmp_path)
    tags = ", ".join(f"t{i:02d}" for i in range(12))
    edit(manifests / "downtown-dental.yaml", "tags: [vip, new-lead, recall-due]", f"tags: [{tags}]")
    return manifests


def test_apply_plan_honours_the_mass_delete_guard_saved_in_the_plan(cli: Cli, tmp_path: Path) -> None:
    manifests = _many_tags(tmp_path)
    assert cli("apply", str(manifests), "--auto-approve").exit_code == 0
    edit(manifests / "downtown-dental.yaml", "tags: [t00,", "prune: [tags]\n  tags: [t00]\n  old: [")
    text = (manifests / "downtown-dental.yaml").read_text()
    (manifests / "downtown-dental.yaml").write_text(re.sub(r"\n  old: \[[^\]]*\]", "", text))
    strict = saved_plan(cli, tmp_path, str(manifests))
    cli.sb.clear_requests()

    refused = cli("apply", "--plan", str(strict), "--auto-approve")

    assert refused.exit_code == 1
    assert "error: refusing to apply: location downtown-dental would delete or replace 11 of its 12 tags" in (
        refused.stderr
    )
    assert writes(cli) == []
    lenient = tmp_path / "lenient.json"
    made = cli("plan", str(manifests), "--out", str(lenient), "--max-delete-percent", "100")
    assert made.exit_code == 0
    guard = json.loads(lenient.read_text())["guard"]
    assert guard == {"maxDeletePercent": 100.0, "minExisting": 10, "maxUpdatePercent": 30.0}
    applied = cli("apply", "--plan", str(lenient), "--auto-approve")
    assert applied.exit_code == 0, applied.output + applied.stderr
    assert [t["name"] for t in cli.sb.store.snapshot(DENTAL)["tags"]] == ["t00"]


def test_a_plan_with_errors_is_not_saved(cli: Cli, tmp_path: Path) -> None:
    for n in (1, 2):
        tag = {"id": f"dup{n}", "name": "twin", "locationId": DENTAL}
        cli.sb.store.add(StoreKind.TAG, tag["id"], DENTAL, tag)
    out = tmp_path / "plan.json"
    result = cli("plan", str(EXAMPLES), "--out", str(out))
    assert result.exit_code == 1
    assert "two live tags share the natural key 'twin'" in result.stderr
    assert not out.exists()


# -- show and the job summary -----------------------------------------------------------------------------------


def test_show_renders_a_saved_plan_in_every_format(cli: Cli, tmp_path: Path) -> None:
    out = saved_plan(cli, tmp_path)
    planned = cli("plan", str(EXAMPLES))
    cli.sb.clear_requests()

    text = cli("show", str(out))
    as_json = cli("show", str(out), "--format", "json")
    markdown = cli("show", str(out), "--format", "markdown")

    assert text.exit_code == as_json.exit_code == markdown.exit_code == 0
    assert text.output == planned.output
    assert json.loads(as_json.output) == json.loads(out.read_text())
    assert markdown.output.startswith("### ghlops plan\n\n**Plan: 22 to create, 0 to update, 0 to replace")
    assert "| `downtown-dental` | 12 | 0 | 0 | 0 |" in markdown.output
    assert cli.sb.requests == []


def test_plan_appends_the_markdown_plan_to_the_github_step_summary(cli: Cli, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    result = cli("plan", str(EXAMPLES), env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 0
    text = summary.read_text()
    assert text.startswith("earlier step\n### ghlops plan\n\n**Plan: 22 to create")
    assert "<details><summary><b><code>uptown-ortho</code></b>" in text
    assert "### ghlops plan" not in result.output  # stdout keeps the requested (text) format


def test_plan_format_markdown_prints_the_markdown_plan(cli: Cli) -> None:
    result = cli("plan", str(EXAMPLES), "--format", "markdown", "--detailed-exitcode")
    assert result.exit_code == 2
    assert result.output.startswith("### ghlops plan\n")
    assert "| **Total** | 22 | 0 | 0 | 0 |" in result.output
