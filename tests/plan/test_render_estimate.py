"""The apply-time estimate (ghlops.plan.estimate): writes per location, parallelism, GHL's 100 requests / 10 s."""

from __future__ import annotations

import pytest

from ghlops.plan.estimate import (
    DEFAULT_PARALLELISM,
    GHL_REQUESTS_PER_WINDOW,
    GHL_WINDOW_S,
    Estimate,
    duration,
    estimate,
)
from ghlops.plan.model import Action, Change, Plan, Section, Stage
from ghlops.request import Request
from ghlops.workflow import DEFAULT_PARALLELISM as WORKFLOW_PARALLELISM
from ghlops.workflow import Settings


def writes(n: int, *, method: str = "PUT", stage: Stage = Stage.LOCATION) -> tuple[Change, ...]:
    return tuple(
        Change(Action.UPDATE, "customValues", f"v{i}", f"v{i}", (Request(method, ("/x",)),), stage=stage)
        for i in range(n)
    )


def test_the_defaults_are_the_executors_and_the_clients() -> None:
    settings = Settings(env={})
    assert DEFAULT_PARALLELISM == WORKFLOW_PARALLELISM == settings.parallelism
    assert (settings.rate_limit_max, settings.rate_limit_window_s) == (GHL_REQUESTS_PER_WINDOW, GHL_WINDOW_S)


def test_locations_run_parallelism_at_a_time_each_at_ten_writes_a_second() -> None:
    plan = Plan(tuple(Section(f"l{i}", f"id{i}", writes(100)) for i in range(3)))
    assert estimate(plan, parallelism=2) == Estimate(300, 3, 2, 20.0)  # 10 s, 10 s side by side, then 10 s
    assert estimate(plan, parallelism=3) == Estimate(300, 3, 3, 10.0)


def test_a_long_location_takes_the_next_free_slot_as_the_executor_pool_does() -> None:
    plan = Plan((Section("a", "1", writes(600)), Section("b", "2", writes(100)), Section("c", "3", writes(100))))
    assert estimate(plan, parallelism=2).seconds == 60.0  # type: ignore[union-attr]  # b then c beside a


def test_company_user_writes_run_before_and_after_the_locations_at_the_agencys_rate() -> None:
    users = Section(
        "users",
        "co",
        (*writes(50, stage=Stage.USERS_FIRST), *writes(30, stage=Stage.USERS_LAST)),
        is_company=True,
        touches=tuple(("a",) for _ in range(80)),
    )
    plan = Plan((users, Section("a", "1", writes(20))))
    assert estimate(plan, parallelism=8) == Estimate(100, 1, 8, 10.0)


def test_reads_are_not_writes_and_a_plan_without_writes_has_no_estimate() -> None:
    assert estimate(Plan((Section("a", "1", writes(5, method="GET")),))) is None
    assert estimate(Plan((Section("a", "1"),))) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "under a minute"), (59.9, "under a minute"), (60, "about 1 min"), (89, "about 1 min"),
     (90, "about 2 min"), (3540, "about 59 min"), (3600, "about 1 h"), (7500, "about 2 h 5 min")],
)  # fmt: skip
def test_durations_read_as_rough_figures(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_the_line_and_the_data() -> None:
    found = Estimate(1_812, 30, 8, 250.0)
    assert found.line() == "Apply: 1,812 writes across 30 locations, about 4 min at GHL's rate limits."
    assert found.to_json() == {
        "writes": 1812,
        "locations": 30,
        "parallelism": 8,
        "seconds": 250.0,
        "message": found.line(),
    }
