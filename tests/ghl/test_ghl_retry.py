from __future__ import annotations

import random
from email.utils import formatdate

import pytest

from ghlops.ghl.retry import (
    Failure,
    RetryPolicy,
    Verdict,
    decide_status,
    decide_transport,
    is_idempotent,
    parse_retry_after,
)

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


# -- the decision table (the ambiguous-write rules) -------------------------------------------------------

WRITES = ("POST", "PATCH")
READS = ("GET", "PUT", "DELETE")


@pytest.mark.parametrize("method", READS + WRITES)
def test_a_2xx_is_done_and_a_429_is_retried_for_every_method(method: str) -> None:
    idempotent = method in READS
    for status in (200, 201, 204):
        assert decide_status(status, method=method, idempotent=idempotent, maybe_processed=False) is Verdict.DONE
    assert decide_status(429, method=method, idempotent=idempotent, maybe_processed=True) is Verdict.RETRY


@pytest.mark.parametrize("status", [500, 502, 503, 504, 520])
def test_a_5xx_to_a_write_is_ambiguous_and_to_a_read_retried_when_transient(status: int) -> None:
    for method in WRITES:
        assert decide_status(status, method=method, idempotent=False, maybe_processed=False) is Verdict.AMBIGUOUS
    expected = Verdict.RETRY if status != 520 else Verdict.FAIL
    assert decide_status(status, method="GET", idempotent=True, maybe_processed=False) is expected


def test_a_delete_404_is_done_only_after_an_attempt_that_may_have_deleted() -> None:
    assert decide_status(404, method="DELETE", idempotent=True, maybe_processed=True) is Verdict.DELETED
    assert decide_status(404, method="DELETE", idempotent=True, maybe_processed=False) is Verdict.FAIL
    assert decide_status(404, method="GET", idempotent=True, maybe_processed=True) is Verdict.FAIL


@pytest.mark.parametrize(
    ("failure", "read", "write"),
    [
        (Failure.NOT_SENT, Verdict.RETRY, Verdict.RETRY),
        (Failure.SENT, Verdict.RETRY, Verdict.AMBIGUOUS),
        (Failure.FATAL, Verdict.FAIL, Verdict.FAIL),
    ],
)
def test_a_transport_failure_is_retried_unless_a_write_may_have_arrived(
    failure: Failure, read: Verdict, write: Verdict
) -> None:
    assert decide_transport(failure, idempotent=True) is read
    assert decide_transport(failure, idempotent=False) is write


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/calendars/", True),
        ("put", "/calendars/x", True),
        ("DELETE", "/x", True),
        ("POST", "/contacts/search", True),
        ("POST", "/contacts/search/", True),
        ("POST", "/contacts/", False),
        ("PATCH", "/contacts/search", False),
    ],
)
def test_reads_and_read_only_searches_are_idempotent_and_writes_are_not(method: str, path: str, expected: bool) -> None:
    assert is_idempotent(method, path) is expected


def test_a_server_wait_beyond_max_retry_after_is_too_long() -> None:
    policy = RetryPolicy(max_retry_after=120.0)
    assert not policy.too_long(None)
    assert not policy.too_long(120.0)
    assert policy.too_long(120.5)
    assert policy.too_long(float("inf"))
