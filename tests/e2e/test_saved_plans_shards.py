"""--shard over real HTTP: n jobs each plan and apply their share; users two shards both create are adopted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ghlops.apply import Executor
from ghlops.live import LiveReader
from ghlops.plan.model import Plan
from ghlops.sandbox.seed import create_locations
from ghlops.selection import shard_of
from ghlops.workflow import Settings, load, make_client, plan, read, select
from tests.e2e.conftest import EXAMPLES, Cli

NAMES = [f"clinic-{n:02d}" for n in range(9)]


def many_locations(tmp_path: Path, cli: Cli) -> Path:
    target = tmp_path / "fleet"
    target.mkdir()
    for n, name in enumerate(NAMES):
        (target / f"{name}.yaml").write_text(
            "apiVersion: ghlops/v1\nkind: Location\n"
            f"metadata:\n  name: {name}\n"
            f"spec:\n  locationId: loc{n:017d}\n  tags: [vip, {name}]\n"
        )
    create_locations(cli.sb, [target])
    return target


def planned_names(cli: Cli, *args: str) -> list[str]:
    result = cli("plan", *args, "--format", "json")
    assert result.exit_code == 0, result.output + result.stderr
    return [loc["name"] for loc in json.loads(result.stdout)["locations"]]


def test_shards_plan_disjoint_sets_of_locations_that_together_are_all_of_them(cli: Cli, tmp_path: Path) -> None:
    fleet = many_locations(tmp_path, cli)
    shards = [planned_names(cli, str(fleet), "--shard", f"{i}/3") for i in (1, 2, 3)]
    for i, names in enumerate(shards, start=1):
        assert names == [n for n in NAMES if shard_of(n, 3) == i]
    assert sorted(n for names in shards for n in names) == NAMES


def test_each_shard_applies_its_share_and_together_they_converge(cli: Cli, tmp_path: Path) -> None:
    fleet = many_locations(tmp_path, cli)
    for i in (1, 2, 3):
        result = cli("apply", str(fleet), "--shard", f"{i}/3", "--auto-approve")
        assert result.exit_code == 0, result.output + result.stderr
        expected = [n for n in NAMES if shard_of(n, 3) == i]
        assert f"Apply: {2 * len(expected)} applied, 0 failed, 0 skipped." in result.output
    final = cli("plan", str(fleet), "--detailed-exitcode")
    assert final.exit_code == 0, final.output


def test_a_shard_combines_with_location_globs(cli: Cli, tmp_path: Path) -> None:
    fleet = many_locations(tmp_path, cli)
    names = planned_names(cli, str(fleet), "--location", "clinic-0[0-4]", "--shard", "2/2")
    assert names == [n for n in NAMES[:5] if shard_of(n, 2) == 2]


def test_a_saved_shard_plan_records_its_shard_and_shows_merged_with_the_others(cli: Cli, tmp_path: Path) -> None:
    fleet = many_locations(tmp_path, cli)
    files = []
    for i in (1, 2):
        out = tmp_path / f"plan-{i}.json"
        assert cli("plan", str(fleet), "--shard", f"{i}/2", "--out", str(out)).exit_code == 0
        assert json.loads(out.read_text())["selection"] == {"locations": [], "shard": f"{i}/2"}
        files.append(str(out))
    shown = cli("show", *files, "--format", "markdown")
    assert shown.exit_code == 0
    assert shown.stdout.startswith("### ghlops plan (shard 1/2, 2/2)\n\n**Plan: 18 to create,")
    for path in files:
        applied = cli("apply", "--plan", path, "--auto-approve")
        assert applied.exit_code == 0, applied.output + applied.stderr
    assert cli("plan", str(fleet), "--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0/4", "--shard '0/4': the shard number must be between 1 and 4"),
        ("5/4", "--shard '5/4': the shard number must be between 1 and 4"),
        ("1/0", "--shard '1/0': the number of shards must be between 1 and 1024"),
        ("x", "--shard 'x' is not of the form i/n (for example 1/4)"),
        ("1/", "--shard '1/' is not of the form i/n (for example 1/4)"),
    ],
)
def test_a_bad_shard_is_a_clear_error_before_any_api_call(cli: Cli, value: str, message: str) -> None:
    cli.sb.clear_requests()
    for args in (("plan", str(EXAMPLES)), ("apply", str(EXAMPLES), "--auto-approve")):
        result = cli(*args, "--shard", value)
        assert result.exit_code == 1
        assert result.stderr.strip() == f"error: {message}"
    assert cli.sb.requests == []


# -- users declared in locations of different shards ---------------------------------------------------------------


def _plan_of(cli: Cli, settings: Settings, name: str) -> Plan:
    selected = select(load([EXAMPLES], settings.env), [name])
    with make_client(settings, selected) as client:
        return plan(read(client, selected, settings), settings)


def test_a_user_two_shards_both_create_is_adopted_by_the_second_with_both_memberships(cli: Cli) -> None:
    settings = Settings(env=cli.env, parallelism=1, rate_limit=False)
    # Both shards plan before either applies: each plans to create jane with its own location only.
    dental = _plan_of(cli, settings, "downtown-dental")
    ortho = _plan_of(cli, settings, "uptown-ortho")
    assert ("create", "jane@example.com") in [(c.action.value, c.display) for c in ortho.companies[0].changes]
    everything = load([EXAMPLES], settings.env).loaded
    for shard_plan in (dental, ortho):
        with make_client(settings, everything) as client:
            report = Executor(client, LiveReader(client, parallelism=1), parallelism=1, env=settings.env).apply(
                shard_plan
            )
        assert report.ok, [o.error for o in report.failed]

    (jane,) = [u for u in cli.sb.store.users() if u["email"] == "jane@example.com"]
    assert sorted(jane["roles"]["locationIds"]) == sorted(["ve9EPM428h8vShlRW1KT", "Xy7Pq2Lm9Rt4Vb6Nc8Dz"])
    assert jane["roles"]["role"] == "admin"
    rejected = [r for r in cli.sb.requests if r.method == "POST" and r.path.startswith("/users") and r.status == 400]
    assert len(rejected) == 1  # the second create met the first one's user and adopted it
    again = cli("plan", str(EXAMPLES), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
