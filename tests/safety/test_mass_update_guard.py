"""The mass-update guard (issue 14 section 4, octoDNS's update threshold): a plan updating too much at once is
held for --allow-mass-update (or --allow-mass-change), reported in the plan, and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ghlops.cli import main
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import sandbox_env

COUNT = 12


def location_id(n: int) -> str:
    return f"MassUpd{n:02d}aaaaaaaaaaaaa"[:20]


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(db_path=":memory:", port=0) as sandbox:
        for n in range(COUNT):
            sandbox.store.create_location(location_id(n), f"clinic-{n:02d}", sandbox.company_id)
        yield sandbox


def write(folder: Path, hours: str, *, values: int = 1) -> Path:
    folder.mkdir(exist_ok=True)
    for n in range(COUNT):
        entries = "".join(f"    - {{name: v{i}, value: '{hours}'}}\n" for i in range(values))
        (folder / f"clinic-{n:02d}.yaml").write_text(
            "apiVersion: ghlops/v1\nkind: Location\n"
            f"metadata: {{name: clinic-{n:02d}}}\n"
            f"spec:\n  locationId: {location_id(n)}\n  customValues:\n{entries}"
        )
    return folder


def run(sb: Sandbox, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=sandbox_env(sb), catch_exceptions=False)


def writes(sb: Sandbox) -> list[str]:
    return [f"{r.method} {r.path}" for r in sb.requests if r.changes]


def test_one_value_updated_in_every_location_is_held_for_allow_mass_update(sb: Sandbox, tmp_path: Path) -> None:
    folder = write(tmp_path / "m", "9-5")
    assert run(sb, "apply", str(folder), "--auto-approve").exit_code == 0
    write(folder, "8-6")
    planned = run(sb, "plan", str(folder))
    assert planned.exit_code == 0, planned.output
    assert planned.output.splitlines()[0] == (
        "! mass update: customValues 'v0' would be updated in 12 of the plan's 12 locations (100%, over the 30% "
        "limit); apply refuses without --allow-mass-update"
    )
    assert "Refused by the mass-update guard: apply needs --allow-mass-update" in planned.output
    sb.clear_requests()
    refused = run(sb, "apply", str(folder), "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        "error: review the plan; pass --allow-mass-update (or --allow-mass-change) if this is intended"
    )
    assert writes(sb) == []
    applied = run(sb, "apply", str(folder), "--auto-approve", "--allow-mass-change")
    assert applied.exit_code == 0, applied.output + applied.stderr
    assert len([w for w in writes(sb) if w.startswith("PUT ")]) == COUNT
    assert run(sb, "plan", str(folder), "--detailed-exitcode").exit_code == 0


def test_a_raised_threshold_lets_the_rollout_through_and_is_kept_in_the_saved_plan(sb: Sandbox, tmp_path: Path) -> None:
    folder = write(tmp_path / "m", "9-5")
    assert run(sb, "apply", str(folder), "--auto-approve").exit_code == 0
    write(folder, "8-6")
    out = tmp_path / "plan.json"
    planned = run(sb, "plan", str(folder), "--max-update-percent", "100", "--out", str(out))
    assert planned.exit_code == 0, planned.output
    assert "mass update" not in planned.output
    assert '"maxUpdatePercent": 100.0' in out.read_text()
    applied = run(sb, "apply", "--plan", str(out))
    assert applied.exit_code == 0, applied.output + applied.stderr


def test_a_location_changing_most_of_a_kind_it_holds_is_held(sb: Sandbox, tmp_path: Path) -> None:
    folder = write(tmp_path / "m", "9-5", values=10)
    assert run(sb, "apply", str(folder), "--auto-approve", "--location", "clinic-00").exit_code == 0
    write(folder, "8-6", values=10)
    planned = run(sb, "plan", str(folder), "--location", "clinic-00")
    assert planned.output.splitlines()[0] == (
        "! mass update: location clinic-00 would update 10 of its 10 customValues (100%, over the 30% limit); "
        "apply refuses without --allow-mass-update"
    )
    sb.clear_requests()
    assert run(sb, "apply", str(folder), "--auto-approve", "--location", "clinic-00").exit_code == 1
    assert writes(sb) == []
