import pytest

from optix.security import RateLimiter, TokenBucket


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_bucket_allows_a_burst_then_refills_at_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_s=2.0, burst=3, clock=clock)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)
    clock.t += 0.25
    assert bucket.take() == pytest.approx(0.25)
    clock.t += 0.25
    assert bucket.take() == 0.0
    clock.t += 100
    assert bucket.tokens == 3  # capped at the burst


@pytest.mark.parametrize("rate,burst", [(0, 1), (-1, 1), (1, 0), (float("inf"), 1)])
def test_bucket_rejects_bad_parameters(rate, burst):
    with pytest.raises(ValueError):
        TokenBucket(rate, burst)


def test_limiter_keeps_one_bucket_per_key():
    clock = FakeClock()
    limiter = RateLimiter(rate_per_s=1.0, burst=2, clock=clock)
    assert limiter.check("a") == (True, 0.0)
    assert limiter.check("a") == (True, 0.0)
    allowed, wait = limiter.check("a")
    assert not allowed and wait == pytest.approx(1.0)
    assert limiter.check("b") == (True, 0.0)
    clock.t += 1.0
    assert limiter.check("a") == (True, 0.0)


def test_limiter_forgets_idle_buckets_and_caps_memory():
    clock = FakeClock()
    limiter = RateLimiter(rate_per_s=1.0, burst=2, clock=clock, max_keys=3)
    for k in range(10):
        limiter.check(k)
    assert len(limiter) == 3  # least recently used dropped
    clock.t += 10  # every bucket refilled: the next check sweeps them
    limiter.check("new")
    assert len(limiter) == 1
    with pytest.raises(ValueError):
        RateLimiter(1.0, 1, max_keys=0)
