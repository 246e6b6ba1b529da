"""plan --out plans each location as it is read and writes the file a location at a time (issue 15: memory):
the file is byte for byte the one made from the whole snapshot (read, build_plan, dependencies, render_json)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ghlops.impact import count_impact
from ghlops.plan.render_json import render_json
from ghlops.plan.saved import SavedPlan, Selection, manifest_set
from ghlops.saved_plans import dependencies
from ghlops.workflow import Settings, load, make_client, plan, read, select
from tests.e2e.conftest import Cli
from tests.e2e.test_saved_plans import edit
from tests.e2e.test_saved_plans_json import every_kind_of_change


def whole_snapshot_plan(cli: Cli, manifests: Path, parallelism: int) -> str:
    """The plan file as plan --out wrote it before issue 15: every location read, then planned, then written."""
    settings = Settings(env=cli.env, parallelism=parallelism, rate_limit=False)
    loaded = load([str(manifests)], settings.env, keep_trees=False)
    selected = select(loaded, [])
    with make_client(settings, selected) as client:
        snapshot = read(client, selected, settings)
        result = count_impact(client, plan(snapshot, settings), parallelism=parallelism)
    saved = SavedPlan(
        plan=result,
        manifests=manifest_set([str(manifests)], loaded.files),
        depends=dependencies(snapshot),
        selection=Selection((), None),
    )
    return render_json(saved) + "\n"


@pytest.mark.parametrize("parallelism", [1, 8])
def test_plan_out_writes_the_whole_snapshots_plan_byte_for_byte(cli: Cli, tmp_path: Path, parallelism: int) -> None:
    manifests = every_kind_of_change(cli, tmp_path)
    edit(manifests / "downtown-dental.yaml", "lastName: Haddad", "lastName: Haddad-Smith")  # a company section
    out = tmp_path / "plan.json"
    result = cli("plan", str(manifests), "--out", str(out), "--parallelism", str(parallelism))
    assert result.exit_code == 0, result.output + result.stderr
    text = out.read_text(encoding="utf-8")
    assert '"companies": [\n    {' in text and text.count('"locationId"') >= 2  # users and two locations
    assert text == whole_snapshot_plan(cli, manifests, parallelism)
    json_result = cli("plan", str(manifests), "--format", "json", "--parallelism", str(parallelism))
    assert json_result.output == text
