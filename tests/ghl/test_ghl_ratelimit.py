from __future__ import annotations

import pytest

from ghlops.ghl import RateLimiter

from .fakes import FakeClock


def limiter(clock: FakeClock, max_requests: int = 100, window_s: float = 10.0) -> RateLimiter:
    return RateLimiter(max_requests, window_s, clock=clock, sleep=clock.sleep)


def test_a_key_gets_its_first_100_requests_without_waiting() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    assert [rl.acquire("loc") for _ in range(100)] == [0.0] * 100
    assert clock.sleeps == []
    assert rl.available("loc") == 0


def test_the_101st_request_of_a_key_waits_until_the_window_frees() -> None:
    clock = FakeClock(start=1000.0)
    rl = limiter(clock)
    for _ in range(100):
        rl.acquire("loc")
    assert rl.acquire("loc") == pytest.approx(10.0)
    assert clock() == pytest.approx(1010.0)


def test_the_window_slides_so_slots_free_up_as_old_requests_age_out() -> None:
    clock = FakeClock(start=0.0)
    rl = limiter(clock, max_requests=4, window_s=10.0)
    for _ in range(2):
        rl.acquire("loc")
    clock.advance(6.0)
    for _ in range(2):
        rl.acquire("loc")
    # The two requests at t=0 leave the window at t=10, those at t=6 only at t=16.
    assert rl.acquire("loc") == pytest.approx(4.0)
    assert rl.available("loc") == 1
    clock.advance(6.0)
    assert rl.available("loc") == 3


def test_keys_are_independent_so_a_busy_location_never_blocks_another() -> None:
    clock = FakeClock()
    rl = limiter(clock, max_requests=3)
    for _ in range(3):
        rl.acquire("busy")
    assert rl.acquire("quiet") == 0.0
    assert rl.acquire("agency") == 0.0
    assert clock.sleeps == []


def test_observe_trusts_the_server_when_fewer_requests_remain_than_the_window_thinks() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rl.acquire("loc")
    rl.observe("loc", {"X-RateLimit-Remaining": "2", "X-RateLimit-Max": "100"})
    assert rl.available("loc") == 2
    rl.acquire("loc")
    rl.acquire("loc")
    assert rl.acquire("loc") > 0.0


def test_observe_never_loosens_the_limit_when_the_server_reports_more_headroom() -> None:
    clock = FakeClock()
    rl = limiter(clock, max_requests=5)
    for _ in range(4):
        rl.acquire("loc")
    rl.observe("loc", {"x-ratelimit-remaining": "99", "x-ratelimit-max": "1000"})
    assert rl.available("loc") == 1


def test_observe_adopts_a_smaller_max_and_a_longer_interval_from_the_server() -> None:
    clock = FakeClock(start=0.0)
    rl = limiter(clock)
    rl.observe("loc", {"X-RateLimit-Max": "3", "X-RateLimit-Interval-Milliseconds": "20000"})
    for _ in range(3):
        rl.acquire("loc")
    assert rl.acquire("loc") == pytest.approx(20.0)


def test_observe_ignores_headers_it_cannot_read() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rl.observe("loc", {"X-RateLimit-Remaining": "lots", "X-RateLimit-Max": "", "Other": "1"})
    assert rl.available("loc") == 100


def test_penalize_makes_every_caller_of_that_key_wait_for_the_retry_after() -> None:
    clock = FakeClock(start=0.0)
    rl = limiter(clock)
    rl.penalize("loc", 7.0)
    assert rl.available("loc") == 0
    assert rl.acquire("other") == 0.0
    assert rl.acquire("loc") == pytest.approx(7.0)
    assert rl.acquire("loc") == 0.0


def test_penalize_without_retry_after_waits_out_a_whole_window() -> None:
    clock = FakeClock(start=0.0)
    rl = limiter(clock)
    rl.penalize("loc", None)
    assert rl.acquire("loc") == pytest.approx(10.0)


def test_a_later_shorter_penalty_does_not_shorten_an_earlier_one() -> None:
    clock = FakeClock(start=0.0)
    rl = limiter(clock)
    rl.penalize("loc", 9.0)
    rl.penalize("loc", 1.0)
    assert rl.acquire("loc") == pytest.approx(9.0)


@pytest.mark.parametrize(("max_requests", "window_s"), [(0, 10.0), (10, 0.0)])
def test_a_nonsensical_limit_is_refused(max_requests: int, window_s: float) -> None:
    with pytest.raises(ValueError):
        RateLimiter(max_requests, window_s)


def test_a_settled_slot_counts_from_when_its_call_ended_not_from_when_it_was_sent() -> None:
    clock = FakeClock(start=0.0)
    rl = limiter(clock, max_requests=2, window_s=10.0)
    rl.acquire("loc")
    rl.acquire("loc")
    clock.advance(0.5)  # the answers take half a second; the server counted both on arrival
    rl.settle("loc")
    rl.settle("loc")
    # Sent at t=0 but settled at t=0.5: the slots free up at t=10.5, never before the server's do.
    assert rl.acquire("loc") == pytest.approx(10.0)
    assert clock() == pytest.approx(10.5)


def test_settling_more_calls_than_were_acquired_changes_nothing() -> None:
    clock = FakeClock(start=0.0)
    rl = limiter(clock, max_requests=3)
    rl.acquire("loc")
    rl.settle("loc")
    rl.settle("loc")
    rl.settle("other")
    assert rl.available("loc") == 2
    assert rl.available("other") == 3


def test_a_call_that_outlives_the_window_stays_counted_from_its_send_time() -> None:
    clock = FakeClock(start=0.0)
    rl = limiter(clock, max_requests=2, window_s=10.0)
    rl.acquire("loc")
    clock.advance(11.0)
    rl.settle("loc")
    assert rl.available("loc") == 2
