"""A token bucket per API key, in each gateway process."""

import time


class RateLimiter:
    def __init__(self, per_second: float, burst: int, clock=time.monotonic) -> None:
        self.per_second = per_second
        self.burst = burst
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}

    @property
    def enabled(self) -> bool:
        return self.per_second > 0

    def take(self, who: str) -> float:
        """0 when allowed, else the seconds to wait before the next request."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        tokens, last = self.buckets.get(who, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
        if tokens >= 1.0:
            self.buckets[who] = (tokens - 1.0, now)
            return 0.0
        self.buckets[who] = (tokens, now)
        return (1.0 - tokens) / self.per_second
