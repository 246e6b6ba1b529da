"""bench/workload.py's lower bound counts what ghlops reads (no timing here)."""

from __future__ import annotations

from bench.workload import Workload, notification_lists


def calendar(name: str, *renamed_from: str) -> dict[str, object]:
    return {"name": name, "renamedFrom": list(renamed_from)} if renamed_from else {"name": name}


def test_notifications_are_listed_only_under_the_live_calendars_a_manifest_declares() -> None:
    desired = {"calendars": [calendar("Intake"), calendar("Follow-up", "Old Follow-up")]}
    live = {"calendars": [calendar("intake"), calendar("Old Follow-up"), calendar("Walk-ins"), calendar("Other")]}
    # "intake" matches case-insensitively, "Old Follow-up" by the earlier name; the two undeclared are not read.
    assert notification_lists(desired, live) == 2
    assert notification_lists({"calendars": []}, live) == 0
    assert notification_lists(desired, {"calendars": []}) == 0


def test_in_the_workload_every_live_calendar_is_declared_so_the_bound_is_one_list_per_live_calendar() -> None:
    workload = Workload(4, 60)
    for i in range(workload.locations):
        seed = workload.seed_spec(i)
        assert notification_lists(workload.desired_spec(i), seed) == len(seed["calendars"])
