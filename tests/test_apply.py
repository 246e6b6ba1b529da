"""The executor against the sandbox: order, failures, ambiguous creates and the run log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ghlops.apply import Executor, Result, RunLog
from ghlops.live import LiveReader
from ghlops.plan.model import Plan
from ghlops.sandbox import Sandbox
from ghlops.sandbox.seed import create_locations, sandbox_env
from ghlops.workflow import Settings, load, make_client, plan, read

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DENTAL = "ve9EPM428h8vShlRW1KT"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(port=0) as sandbox:
        create_locations(sandbox, [EXAMPLES])
        yield sandbox


def run(sb: Sandbox, paths: list[Path], log: RunLog | None = None) -> tuple[Plan, list[tuple[str, str, str, Result]]]:
    settings = Settings(env=sandbox_env(sb), parallelism=4)
    manifests = load(paths, settings.env)
    with make_client(settings, manifests.loaded) as client:
        result = plan(read(client, manifests.loaded, settings))
        report = Executor(client, LiveReader(client), env=settings.env, log=log).apply(result)
    return result, [(o.section, o.change.kind, o.change.display, o.result) for o in report.outcomes]


def test_an_ambiguous_create_is_matched_by_natural_key_not_sent_again(sb: Sandbox) -> None:
    sb.inject("ambiguous", method="POST", path_contains="/tags", times=1)
    sb.inject("ambiguous", method="POST", path_contains="/price", times=1)
    sb.inject("ambiguous", method="POST", path_contains="/users/", times=1)
    _, outcomes = run(sb, [EXAMPLES])
    assert all(r is Result.APPLIED for *_, r in outcomes)
    tags = [t["name"] for t in sb.store.snapshot(DENTAL)["tags"]]
    assert sorted(tags) == ["new-lead", "recall-due", "vip"]  # no duplicate of the tag whose answer was lost
    (product,) = sb.store.snapshot(DENTAL)["products"]
    assert sorted(p["name"] for p in product["prices"]) == ["Monthly", "Standard"]
    assert sorted(u["email"] for u in sb.store.users()) == ["jane@example.com", "omar@example.com"]
    faults = [r for r in sb.requests if r.fault == "ambiguous"]
    assert len(faults) == 3
    tag_posts = [r for r in sb.requests if r.method == "POST" and r.path == f"/locations/{DENTAL}/tags"]
    assert len(tag_posts) == 3  # one per tag: the lost one was found by re-reading, never resent
    # After each lost answer the executor re-read the list instead of resending the create.
    again = run(sb, [EXAMPLES])[0]
    assert not again.has_changes


def test_a_failed_call_stops_its_location_and_the_others_carry_on(sb: Sandbox) -> None:
    sb.inject("status", method="POST", path_contains=f"/locations/{DENTAL}/customFields", status=422, times=1)
    made, outcomes = run(sb, [EXAMPLES])
    dental = [(k, d, r) for s, k, d, r in outcomes if s == "downtown-dental"]
    (section,) = [s for s in made.locations if s.name == "downtown-dental"]
    # Outcomes come in plan order, whichever write finished first.
    assert [(k, d) for k, d, _ in dental] == [(c.kind, c.display) for c in section.changes]
    failed = [i for i, (_, _, r) in enumerate(dental) if r is Result.FAILED]
    assert len(failed) == 1 and dental[failed[0]][0] == "customFields"
    # The writes already in flight beside it finished; nothing started after it: the rest were skipped.
    skipped = [i for i, (*_, r) in enumerate(dental) if r is Result.SKIPPED]
    assert skipped and all(i > failed[0] for i in skipped)
    assert all(r is not Result.SKIPPED for *_, r in dental[: failed[0]])
    ortho = [r for s, *_, r in outcomes if s == "uptown-ortho"]
    assert ortho and all(r is Result.APPLIED for r in ortho)


def test_at_parallelism_one_a_failure_skips_everything_after_it_in_its_location(sb: Sandbox) -> None:
    settings = Settings(env=sandbox_env(sb), parallelism=1)
    manifests = load([EXAMPLES], settings.env)
    sb.inject("status", method="POST", path_contains=f"/locations/{DENTAL}/customFields", status=422, times=1)
    with make_client(settings, manifests.loaded) as client:
        result = plan(read(client, manifests.loaded, settings))
        report = Executor(client, LiveReader(client), parallelism=1, env=settings.env).apply(result)
    dental = [(o.change.display, o.result) for o in report.outcomes if o.section == "downtown-dental"]
    first = next(i for i, (_, r) in enumerate(dental) if r is Result.FAILED)
    assert dental[first][0] == "contact/Company Size"  # the first custom field in plan order
    assert all(r is Result.APPLIED for _, r in dental[:first])
    assert dental[first + 1 :] and all(r is Result.SKIPPED for _, r in dental[first + 1 :])


def test_the_run_log_records_every_change_as_json_lines(sb: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    log = RunLog.open(path)
    try:
        _, outcomes = run(sb, [EXAMPLES], log)
    finally:
        log.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == len(outcomes) == 22
    assert set(lines[0]) == {
        "time", "location", "action", "kind", "object", "objectId", "result", "error", "createdId"
    }  # fmt: skip
    assert {(line["location"], line["kind"], line["object"]) for line in lines} >= {
        ("downtown-dental", "tags", "vip"),
        ("users", "users", "jane@example.com"),
    }
    assert all(line["result"] == "applied" for line in lines)
    # Every create names the id GHL gave the object: the one the sandbox now holds under that name.
    tags = {t["name"]: t["id"] for t in sb.store.snapshot(DENTAL)["tags"]}
    vip = next(line for line in lines if line["location"] == "downtown-dental" and line["object"] == "vip")
    assert vip["action"] == "create" and vip["createdId"] == tags["vip"]
    users = {u["email"]: u["id"] for u in sb.store.users()}
    jane = next(line for line in lines if line["object"] == "jane@example.com")
    assert jane["createdId"] == users["jane@example.com"]
    assert all(line["createdId"] is None for line in lines if line["action"] == "update")


def test_the_report_lists_the_objects_created_with_their_ids(sb: Sandbox) -> None:
    settings = Settings(env=sandbox_env(sb), parallelism=4)
    manifests = load([EXAMPLES], settings.env)
    with make_client(settings, manifests.loaded) as client:
        result = plan(read(client, manifests.loaded, settings))
        report = Executor(client, LiveReader(client), env=settings.env).apply(result)
    creates = [c for _, c in result.all_changes() if c.action.value == "create"]
    assert len(report.created) == len(creates)
    (product,) = sb.store.snapshot(DENTAL)["products"]
    prices = {p["name"]: p["_id"] for p in product["prices"]}
    made = {(c.section, c.kind, c.display): c.object_id for c in report.created}
    assert made[("downtown-dental", "prices", "Premium Package/Standard")] == prices["Standard"]
    assert made[("downtown-dental", "products", "Premium Package")] == product["_id"]


def test_an_ambiguous_price_create_from_a_plan_without_parents_is_still_found_not_resent(sb: Sandbox) -> None:
    import dataclasses

    from ghlops.plan.model import Section

    settings = Settings(env=sandbox_env(sb), parallelism=1)
    manifests = load([EXAMPLES], settings.env)
    with make_client(settings, manifests.loaded) as client:
        made = plan(read(client, manifests.loaded, settings))
        # As a plan saved before changes carried their parent: the kind reads it from the create request.
        old = Plan(
            tuple(
                Section(**{**s.__dict__, "changes": tuple(dataclasses.replace(c, parent=None) for c in s.changes)})
                for s in made.sections
            ),
            made.guard,
        )
        sb.inject("ambiguous", method="POST", path_contains="/price", times=1)
        report = Executor(client, LiveReader(client), env=settings.env).apply(old)
    assert report.ok
    ambiguous = next(r for r in sb.requests if r.fault == "ambiguous")
    prices = [p for item in manifests.loaded for product in sb.store.snapshot(item.desired.location_id)["products"]
              for p in product["prices"] if ambiguous.path == f"/products/{product['_id']}/price"]  # fmt: skip
    # Found again by its product, never sent twice: no price name twice under the product whose answer was lost.
    assert prices and len(prices) == len({p["name"] for p in prices})


class FullDisk:
    """A log stream that fills up after a few lines (ENOSPC), as a full disk does."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        if len(self.lines) >= self.room:
            raise OSError(28, "No space left on device")
        self.lines.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_a_run_log_that_fills_up_mid_apply_is_reported_and_the_apply_carries_on(sb: Sandbox) -> None:
    # Issue 13, section 6: a full --log-file gave a traceback mid-apply.
    stream = FullDisk(room=3)
    log = RunLog(stream)  # type: ignore[arg-type]
    _, outcomes = run(sb, [EXAMPLES], log)
    assert len(stream.lines) == 3
    assert all(r is Result.APPLIED for *_, r in outcomes) and len(outcomes) == 22
    assert log.failure == "the run log could not be written (No space left on device); it stops here"
    assert not run(sb, [EXAMPLES])[0].has_changes


def test_the_last_ambiguous_create_is_looked_for_again_before_it_is_reported_failed(sb: Sandbox) -> None:
    # Issue 13, section 6: after the retries, the last lost answer was reported failed without the re-read the
    # others get. Here the first answers are lost before GHL did anything, the last one after it created the tag.
    from typing import Any, cast

    from ghlops.apply import MAX_AMBIGUOUS_RETRIES
    from ghlops.errors import AmbiguousWriteError

    settings = Settings(env=sandbox_env(sb), parallelism=1)
    manifests = load([EXAMPLES], settings.env)
    with make_client(settings, manifests.loaded) as client:
        result = plan(read(client, manifests.loaded, settings))
        sends: list[str] = []

        class LosingAnswers:
            def send(self, req: Any, *, location_id: str | None = None, context: Any = None) -> Any:
                if req.method == "POST" and req.endpoint.endswith("/tags") and req.body.get("name") == "vip":
                    sends.append("vip")
                    if len(sends) > MAX_AMBIGUOUS_RETRIES:
                        client.send(req, location_id=location_id, context=context)
                    raise AmbiguousWriteError("connection reset after sending", method="POST", endpoint=req.endpoint)
                return client.send(req, location_id=location_id, context=context)

        report = Executor(cast(Any, LosingAnswers()), LiveReader(client), parallelism=1, env=settings.env).apply(result)
    assert len(sends) == MAX_AMBIGUOUS_RETRIES + 1
    assert report.ok, [o.error for o in report.failed]
    names = [t["name"] for t in sb.store.snapshot(DENTAL)["tags"]]
    assert sorted(names) == ["new-lead", "recall-due", "vip"]


def test_dependencies_keep_only_the_pairs_that_matter() -> None:
    from ghlops.apply import dependencies
    from ghlops.plan.model import Action, Change
    from ghlops.request import Ref, Request

    product = Change(Action.CREATE, "products", "whitening", "Whitening", (Request("POST", ("/products/",)),),
                     creates=Ref("products", "whitening"))  # fmt: skip
    tag = Change(Action.CREATE, "tags", "vip", "vip", (Request("POST", ("/locations/L/tags",)),))
    price = Change(Action.CREATE, "prices", "whitening/standard", "Whitening/Standard",
                   (Request("POST", ("/products/", Ref("products", "whitening"), "/price")),),
                   parent=Ref("products", "whitening"))  # fmt: skip
    other_price = Change(Action.UPDATE, "prices", "bleach/monthly", "Bleach/Monthly",
                         (Request("PUT", ("/products/p2/price/c2",)),), object_id="c2", parent="p2")  # fmt: skip
    old_product = Change(Action.DELETE, "products", "bleach", "Bleach", (Request("DELETE", ("/products/p2",)),),
                         object_id="p2")  # fmt: skip
    assert dependencies([product, tag, price, other_price, old_product]) == [set(), set(), {0}, set(), {3}]
