from __future__ import annotations

import random
from email.utils import formatdate

import pytest

from ghlops.ghl.retry import RetryPolicy, parse_retry_after

NOW = 1_700_000_000.0


def test_without_jitter_the_backoff_doubles_from_the_base_delay_up_to_the_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=5.0, jitter=False)
    rng = random.Random(0)
    assert [policy.backoff_delay(n, None, rng) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_with_full_jitter_each_delay_lies_between_zero_and_its_exponential_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=30.0)
    rng = random.Random(1)
    for attempt in range(1, 10):
        cap = min(30.0, 0.5 * 2 ** (attempt - 1))
        delays = [policy.backoff_delay(attempt, None, rng) for _ in range(200)]
        assert all(0.0 <= d <= cap for d in delays)
        # Spread over the whole range, not bunched at one end.
        assert min(delays) < cap * 0.1
        assert max(delays) > cap * 0.9


def test_jittered_delays_grow_on_average_with_each_attempt() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=1000.0)
    rng = random.Random(2)
    means = [sum(policy.backoff_delay(n, None, rng) for _ in range(400)) / 400 for n in range(1, 7)]
    assert means == sorted(means)
    assert means[-1] > 10 * means[0]


def test_retry_after_is_a_minimum_for_the_delay() -> None:
    policy = RetryPolicy(base_delay=0.5, jitter=False)
    rng = random.Random(0)
    assert policy.backoff_delay(1, 7.0, rng) == 7.0
    assert policy.backoff_delay(6, 1.0, rng) == 16.0


def test_a_huge_retry_after_is_capped_at_max_retry_after() -> None:
    assert RetryPolicy().backoff_delay(1, 86_400.0, random.Random(0)) == 120.0


@pytest.mark.parametrize("bad", [{"max_attempts": 0}, {"base_delay": -1.0}, {"max_delay": -1.0}])
def test_a_nonsensical_retry_policy_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        (formatdate(NOW + 42, usegmt=True), 42.0),
        (formatdate(NOW - 42, usegmt=True), 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_as_an_http_date(
    header: str | None, expected: float | None
) -> None:
    assert parse_retry_after(header, lambda: NOW) == expected
