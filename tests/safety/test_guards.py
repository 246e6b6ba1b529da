"""Safety guards: mass deletes need an explicit override, and nobody locks themselves out."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from ghlops.identity import Identity, jwt_claims, whoami
from tests.e2e.conftest import Cli

HEAD = "apiVersion: ghlops/v1\nkind: Location\nmetadata:\n  name: clinic\nspec:\n  locationId: ve9EPM428h8vShlRW1KT\n"


def manifest(tmp_path: Path, body: str) -> str:
    path = tmp_path / "clinic.yaml"
    path.write_text(HEAD + body)
    return str(path)


def writes(cli: Cli) -> list[str]:
    # POST /contacts/search is a read (it counts the contacts a destructive change costs; ghlops/impact.py).
    # The apply lease's create and delete (ghlops/lease.py) are bookkeeping, not changes.
    return [f"{r.method} {r.path}" for r in cli.sb.requests if r.changes and r.path != "/contacts/search"]


def test_deleting_more_than_a_quarter_of_a_kind_is_refused_without_override(cli: Cli, tmp_path: Path) -> None:
    tags = [f"t{i:02}" for i in range(12)]
    assert cli("apply", manifest(tmp_path, f"  tags: [{', '.join(tags)}]\n"), "--auto-approve").exit_code == 0
    fewer = manifest(tmp_path, f"  prune: [tags]\n  tags: [{', '.join(tags[:8])}]\n")  # 4 of 12 = 33%

    plan = cli("plan", fewer, "--detailed-exitcode")
    assert plan.exit_code == 2
    assert (
        "! mass change: location clinic would delete or replace 4 of its 12 tags (33%, over the 25% limit); "
        "apply refuses without --allow-mass-delete" in plan.output
    )

    cli.sb.clear_requests()
    refused = cli("apply", fewer, "--auto-approve")
    assert refused.exit_code == 1
    assert "error: refusing to apply: location clinic would delete or replace 4 of its 12 tags" in refused.stderr
    assert writes(cli) == []

    assert cli("apply", fewer, "--auto-approve", "--max-delete-percent", "40").exit_code == 0
    assert len(writes(cli)) == 4


def test_allow_mass_delete_overrides_the_guard(cli: Cli, tmp_path: Path) -> None:
    tags = [f"t{i:02}" for i in range(10)]
    assert cli("apply", manifest(tmp_path, f"  tags: [{', '.join(tags)}]\n"), "--auto-approve").exit_code == 0
    none_left = manifest(tmp_path, "  prune: [tags]\n")
    assert cli("apply", none_left, "--auto-approve").exit_code == 1
    result = cli("apply", none_left, "--auto-approve", "--allow-mass-delete")
    assert result.exit_code == 0, result.stderr
    assert cli.sb.store.snapshot("ve9EPM428h8vShlRW1KT")["tags"] == []


def test_small_locations_are_below_the_guard(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", manifest(tmp_path, "  tags: [a, b, c]\n"), "--auto-approve").exit_code == 0
    result = cli("apply", manifest(tmp_path, "  prune: [tags]\n"), "--auto-approve")
    assert result.exit_code == 0, result.stderr  # 3 tags: fewer than 10, so the percentage rule does not apply


USERS = (
    "  users:\n"
    "    - {email: boss@x.com, firstName: B, lastName: O, role: admin}\n"
    "    - {email: help@x.com, firstName: H, lastName: E, role: admin}\n"
)


def test_a_plan_that_deletes_the_user_running_ghlops_is_refused(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", manifest(tmp_path, USERS), "--auto-approve").exit_code == 0
    dropped = manifest(tmp_path, "  prune: [users]\n  users:\n    - {email: help@x.com, firstName: H, lastName: E}\n")
    cli.sb.clear_requests()
    result = cli("apply", dropped, "--auto-approve", env={"GHLOPS_USER_EMAIL": "Boss@x.com"})
    assert result.exit_code == 1
    assert "error: users: refusing to delete user boss@x.com: it is the user whose token runs ghlops" in result.stderr
    assert writes(cli) == []


def test_a_plan_that_demotes_the_user_running_ghlops_is_refused(cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", manifest(tmp_path, USERS), "--auto-approve").exit_code == 0
    demoted = manifest(tmp_path, USERS.replace("lastName: O, role: admin", "lastName: O, role: user"))
    result = cli("plan", demoted, env={"GHLOPS_USER_EMAIL": "boss@x.com"})
    assert result.exit_code == 1
    assert "error: users: refusing to demote user boss@x.com: it is the user whose token runs ghlops" in result.stderr
    # Someone else may be demoted.
    other = manifest(tmp_path, USERS.replace("lastName: E, role: admin", "lastName: E, role: user"))
    assert cli("plan", other, env={"GHLOPS_USER_EMAIL": "boss@x.com"}).exit_code == 0


def _jwt(payload: dict[str, str]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiJ9.{body}.c2ln"


def test_the_running_user_is_read_from_the_environment_or_a_user_token() -> None:
    assert whoami({}) == Identity()
    assert whoami({"GHLOPS_USER_EMAIL": "Me@X.com"}) == Identity(email="me@x.com")
    assert whoami({"GHL_AGENCY_TOKEN": _jwt({"authClass": "User", "userId": "u1"})}) == Identity(user_id="u1")
    assert whoami({"GHL_AGENCY_TOKEN": _jwt({"authClass": "Company", "authClassId": "c1"})}) == Identity()
    assert jwt_claims("fake-not-a-jwt") == {}
    assert jwt_claims("a.!!!.c") == {}
