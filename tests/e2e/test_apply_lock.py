"""One apply at a time per location (issue 13 section 2), end to end over the sandbox: a held location refuses
apply with one line naming the holder and writes nothing, plans never see the lock, force-unlock frees it, and
an apply whose approval went stale under another run is refused."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ghlops.errors import PlanRefused
from ghlops.lease import LEASE_NAME, LeaseInfo, Leases, Renewer
from ghlops.request import Request
from ghlops.sandbox import Sandbox
from tests.e2e.conftest import EXAMPLES, Cli

DOWNTOWN = "ve9EPM428h8vShlRW1KT"


def hold(cli: Cli, location_id: str, run: str = "ci-42") -> None:
    """A lease another machine holds, expiring far in the future."""
    from datetime import UTC, datetime

    from ghlops.ghl import GHLClient, base_url_from_env
    from ghlops.ghl.auth import Credentials, Target

    value = LeaseInfo("GitHub Actions acme/ghl apply", run, datetime(2099, 1, 1, tzinfo=UTC), "runner-7", 99).to_value()
    env = cli.env
    with GHLClient(base_url_from_env(env), Credentials.from_env(env, targets=[Target(location_id)])) as client:
        client.send(
            Request("POST", ("/locations/", location_id, "/customValues"), body={"name": LEASE_NAME, "value": value}),
            location_id=location_id,
        )


def configuration_writes(sb: Sandbox) -> list[str]:
    return [f"{r.method} {r.path}" for r in sb.requests if r.changes and r.path != "/contacts/search"]


def test_a_held_location_refuses_apply_with_one_line_naming_the_holder_and_nothing_is_written(cli: Cli) -> None:
    hold(cli, DOWNTOWN)
    cli.sb.clear_requests()
    result = cli("apply", str(EXAMPLES), "--auto-approve")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: location downtown-dental: another apply holds its lock: GitHub Actions acme/ghl apply (run ci-42), "
        "until 2099-01-01 00:00:00 UTC; wait for it to finish, raise --lock-timeout, or run "
        "`ghlops force-unlock downtown-dental` if that run is gone"
    )
    assert configuration_writes(cli.sb) == []
    # The other location's lease, taken first or not at all, was released: only the holder's lease remains.
    values = [
        v["name"] for loc in (DOWNTOWN, "Xy7Pq2Lm9Rt4Vb6Nc8Dz") for v in cli.sb.store.snapshot(loc)["customValues"]
    ]
    assert values.count(LEASE_NAME) == 1


def test_plans_never_show_the_lock_and_force_unlock_frees_the_location(cli: Cli) -> None:
    assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
    hold(cli, DOWNTOWN)
    plan = cli("plan", str(EXAMPLES), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert LEASE_NAME not in plan.output
    assert LEASE_NAME not in cli("export", "--location-id", DOWNTOWN).output
    unlocked = cli("force-unlock", "downtown-dental", str(EXAMPLES))
    assert unlocked.exit_code == 0, unlocked.output + unlocked.stderr
    assert unlocked.output.splitlines() == [
        "downtown-dental: removed the lock held by GitHub Actions acme/ghl apply (run ci-42), "
        "until 2099-01-01 00:00:00 UTC"
    ]
    assert cli("force-unlock", "downtown-dental", str(EXAMPLES)).output.splitlines() == ["downtown-dental: not locked"]


def test_a_manifest_may_not_declare_the_lock_custom_value(cli: Cli, tmp_path: Path) -> None:
    text = (EXAMPLES / "downtown-dental.yaml").read_text()
    assert "  customValues:\n" in text
    bad = tmp_path / "a.yaml"
    bad.write_text(text.replace("  customValues:\n", "  customValues:\n    - {name: ghlops.lock, value: mine}\n", 1))
    result = cli("validate", str(bad))
    assert result.exit_code == 1
    assert "'ghlops.lock' is reserved: ghlops keeps its apply lock in that custom value" in result.stderr


def test_an_apply_that_waited_at_its_prompt_while_another_applied_is_refused_and_nothing_duplicates(cli: Cli) -> None:
    # Deterministic race: run 1 plans and asks; while it waits, run 2 applies everything. Run 1 then takes the
    # leases, reads again and refuses, instead of creating second copies of products and calendars (GHL doesn't
    # keep their names unique).
    from ghlops.commands.apply import apply_command
    from ghlops.output import Io
    from ghlops.workflow import Settings

    def other_run_applies_meanwhile(prompt: str) -> str:
        assert cli("apply", str(EXAMPLES), "--auto-approve").exit_code == 0
        return "yes"

    out: list[str] = []
    io = Io(out=out.append, err=out.append, interactive=True, ask=other_run_applies_meanwhile)
    settings = Settings(env=cli.env, parallelism=2)
    try:
        apply_command([str(EXAMPLES)], locations=(), auto_approve=False, settings=settings, io=io)
    except PlanRefused as refused:
        message = str(refused)
    else:
        raise AssertionError("the stale approval was applied:\n" + "\n".join(out))
    assert message.startswith("refusing to apply: the live state changed while the plan waited for approval (")
    assert message.endswith("); run apply again to see the new plan")
    for location in (DOWNTOWN, "Xy7Pq2Lm9Rt4Vb6Nc8Dz"):
        snapshot = cli.sb.store.snapshot(location)
        for kind in ("tags", "customFields", "customValues", "calendars", "products"):
            names = Counter(str(o["name"]).casefold() for o in snapshot[kind])
            assert [n for n, c in names.items() if c > 1] == [], (location, kind)
        assert LEASE_NAME not in [v["name"] for v in snapshot["customValues"]]  # released after the refusal
    assert cli("plan", str(EXAMPLES), "--detailed-exitcode").exit_code == 0


def test_apply_renews_its_leases_while_it_writes_and_stops_renewing_at_release(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One renewal tick, run at the first write: the apply's leases are renewed (a PUT of each lock) and the
    # renewer is stopped before they are released.
    seen: dict[str, Any] = {}
    original = Leases.start_renewing

    def start(self: Leases, **kwargs: Any) -> Renewer:
        seen["held"] = sorted(self.held)
        seen["renewed"] = self.renew_all()
        seen["renewer"] = renewer = original(self, **kwargs)
        return renewer

    monkeypatch.setattr(Leases, "start_renewing", start)
    result = cli("apply", str(EXAMPLES), "--auto-approve")
    assert result.exit_code == 0, result.stderr
    assert seen["held"] == sorted(["Xy7Pq2Lm9Rt4Vb6Nc8Dz", DOWNTOWN])
    assert seen["renewed"] == []
    lock_puts = [r for r in cli.sb.requests if r.method == "PUT" and "/customValues/" in r.path]
    assert len(lock_puts) == 2
    assert seen["renewer"]._thread is None  # stopped (and joined) at release
    assert read_all_leases(cli) == []


def read_all_leases(cli: Cli) -> list[str]:
    return [
        c["name"]
        for location in (DOWNTOWN, "Xy7Pq2Lm9Rt4Vb6Nc8Dz")
        for c in cli.sb.store.snapshot(location).get("customValues", [])
        if c["name"] == LEASE_NAME
    ]
