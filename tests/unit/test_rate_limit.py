"""Per-client token buckets for `POST /book`, on a clock the test controls."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rate_limit import RateLimiter, retry_after_header


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.req("rate-limit")
@pytest.mark.parametrize(
    ("rate", "calls", "answers"),
    [
        pytest.param(0, [0.0] * 50, [0.0] * 50, id="zero-means-no-limit"),
        pytest.param(2, [0.0, 0.0, 0.0], [0.0, 0.0, 0.5], id="burst-of-rate-then-wait"),
        pytest.param(2, [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5], id="refusals-are-not-counted"),
        pytest.param(2, [0.0, 0.0, 0.25, 0.5], [0.0, 0.0, 0.25, 0.0], id="a-token-back-after-1-over-rate"),
        pytest.param(0.5, [0.0, 0.0, 2.0], [0.0, 2.0, 0.0], id="slow-rate-has-burst-of-one"),
        pytest.param(2, [0.0, 0.0, 100.0, 100.0, 100.0], [0.0, 0.0, 0.0, 0.0, 0.5], id="idle-refill-caps-at-burst"),
        pytest.param(4, [0.0] * 5, [0.0, 0.0, 0.0, 0.0, 0.25], id="burst-equals-rate"),
    ],
)
def test_requests_beyond_the_rate_wait_for_the_next_token(rate, calls, answers):
    # Arrange
    clock = FakeClock()
    limiter = RateLimiter(rate, clock)
    start = clock.now

    # Act
    given_answers = []
    for offset in calls:
        clock.now = start + offset
        given_answers.append(limiter.retry_after("10.0.0.1"))

    # Assert
    assert given_answers == answers


@pytest.mark.req("rate-limit")
def test_each_client_address_has_its_own_bucket():
    # Arrange
    limiter = RateLimiter(1, FakeClock())
    limiter.retry_after("10.0.0.1")

    # Act
    first_again, other = limiter.retry_after("10.0.0.1"), limiter.retry_after("10.0.0.2")

    # Assert
    assert (first_again, other) == (1.0, 0.0)


@pytest.mark.req("rate-limit")
def test_idle_full_buckets_are_forgotten_once_there_are_more_clients_than_max_keys():
    # Arrange
    clock = FakeClock()
    limiter = RateLimiter(1, clock, max_keys=2)
    for key in ("a", "b"):
        limiter.retry_after(key)
    clock.now += 10

    # Act
    limiter.retry_after("c")

    # Assert: "a" and "b" refilled and were dropped; "c" is still spending
    assert set(limiter._buckets) == {"c"}
    assert limiter.retry_after("a") == 0.0


@pytest.mark.req("rate-limit")
def test_clients_still_spending_are_not_forgotten_to_make_room():
    # Arrange
    clock = FakeClock()
    limiter = RateLimiter(1, clock, max_keys=1)
    limiter.retry_after("a")

    # Act
    limiter.retry_after("b")

    # Assert: forgetting "a" would hand it a fresh burst
    assert limiter.retry_after("a") == 1.0


@pytest.mark.req("rate-limit")
@pytest.mark.parametrize(
    ("seconds", "header"), [(0.0, "1"), (0.01, "1"), (1.0, "1"), (1.2, "2"), (2.5, "3"), (60.0, "60")]
)
def test_retry_after_header_is_whole_seconds_rounded_up_and_never_zero(seconds, header):
    # Act
    value = retry_after_header(seconds)

    # Assert
    assert value == header


@pytest.mark.req("rate-limit")
@given(
    rate=st.sampled_from([0.5, 1, 2, 4, 10]),
    gaps=st.lists(st.sampled_from([0.0, 0.0, 0.0, 0.125, 0.25, 0.5, 1.0, 3.0]), min_size=1, max_size=60),
)
def test_any_request_pattern_gets_at_most_burst_plus_rate_times_elapsed(rate, gaps):
    # Arrange
    clock = FakeClock(0.0)
    limiter = RateLimiter(rate, clock)
    allowed_at = []

    # Act
    for gap in gaps:
        clock.now += gap
        if limiter.retry_after("client") == 0.0:
            allowed_at.append(clock.now)

    # Assert: in every window, no more than a full bucket plus the refill
    burst = max(rate, 1)
    for i, start in enumerate(allowed_at):
        for j in range(i, len(allowed_at)):
            assert j - i + 1 <= burst + rate * (allowed_at[j] - start) + 1e-9
    assert allowed_at, "the first request is always allowed"


class CountingBuckets(OrderedDict):
    """The limiter's buckets, counting walks over all of them."""

    walks = 0

    def items(self):
        CountingBuckets.walks += 1
        return super().items()


@pytest.mark.req("rate-limit")
def test_no_request_walks_every_bucket_however_many_addresses_there_are():
    # Arrange: far more addresses still spending than `max_keys`
    clock = FakeClock()
    limiter = RateLimiter(1, clock, max_keys=100)
    limiter._buckets = CountingBuckets()
    for n in range(5_000):
        limiter.retry_after(f"10.0.{n // 256}.{n % 256}")

    # Act
    CountingBuckets.walks = 0
    for n in range(1_000):
        limiter.retry_after(f"10.1.{n // 256}.{n % 256}")

    # Assert
    assert CountingBuckets.walks == 0
    assert len(limiter._buckets) == 6_000  # nobody still spending was forgotten


@pytest.mark.req("rate-limit")
def test_buckets_idle_long_enough_to_refill_are_forgotten_oldest_first():
    # Arrange
    clock = FakeClock()
    limiter = RateLimiter(2, clock, max_keys=2)
    for key in ("a", "b", "c"):
        limiter.retry_after(key)
        clock.now += 0.4

    # Act: "a" (1.2 s ago) and "b" (0.8 s ago) are full again; "c" (0.4 s) is not
    clock.now += 0.4
    limiter.retry_after("d")

    # Assert
    assert list(limiter._buckets) == ["c", "d"]
