"""Per-token limits: requests per sliding window (rate limit) and tokens per fixed period (quota), both 429."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping

from aigw_conformance.mocks.reference.client.errors import too_many
from aigw_conformance.mocks.reference.settings import GatewaySettings

Clock = Callable[[], float]


class RateLimiter:
    """At most `limit` requests per token (`per_token` overrides it) in any `window_s` seconds; a refused
    request is not counted. `slack` admits that many requests more (the defect client-rate-limit-off-by-one)."""

    def __init__(self, limit: int, window_s: float, clock: Clock = time.monotonic, *,
                 per_token: Mapping[str, int] | None = None, slack: int = 0) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self.per_token, self.slack = dict(per_token or {}), slack
        self.hits: dict[str, deque[float]] = {}

    def limit_of(self, token: str) -> int:
        return self.per_token.get(token, self.limit)

    def acquire(self, token: str) -> float | None:
        """None when admitted (and counted), else the seconds until a slot frees up."""
        now = self.clock()
        hits = self.hits.setdefault(token, deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) >= self.limit_of(token) + self.slack:
            return hits[0] + self.window_s - now
        hits.append(now)
        return None


class Quota:
    """At most `tokens` tokens (usage.total_tokens) per token (`per_token` overrides it) per period; a period
    starts at its first use.

    The request that crosses the quota completes; the next one is refused until the period ends."""

    def __init__(self, tokens: int, period_s: float, clock: Clock = time.monotonic, *,
                 per_token: Mapping[str, int] | None = None) -> None:
        self.tokens, self.period_s, self.clock = tokens, period_s, clock
        self.per_token = dict(per_token or {})
        self.used: dict[str, tuple[float, int]] = {}  # token → (period start, tokens used in it)

    def _current(self, token: str) -> tuple[float, int]:
        now = self.clock()
        start, used = self.used.get(token, (now, 0))
        if now >= start + self.period_s:
            start, used = now, 0
        self.used[token] = (start, used)
        return start, used

    def remaining_wait(self, token: str) -> float | None:
        """None when there is quota left, else the seconds until the period ends."""
        start, used = self._current(token)
        return None if used < self.tokens_of(token) else start + self.period_s - self.clock()

    def tokens_of(self, token: str) -> int:
        return self.per_token.get(token, self.tokens)

    def charge(self, token: str, amount: int) -> None:
        start, used = self._current(token)
        self.used[token] = (start, used + max(amount, 0))


class Limits:
    """The rate limit and the quota of every client token, raising the documented 429s."""

    def __init__(self, settings: GatewaySettings, clock: Clock = time.monotonic) -> None:
        self.settings = settings
        slack = 1 if settings.has("client-rate-limit-off-by-one") else 0
        self.rate = RateLimiter(settings.client_rate_limit, settings.client_rate_window_s, clock,
                                per_token=settings.client_token_rate_limits, slack=slack)
        self.quota = Quota(settings.client_quota_tokens, settings.client_quota_period_s, clock,
                           per_token=settings.client_token_quotas)

    def admit(self, token: str) -> None:
        """Count one request against the rate limit; 429 rate_limit_exceeded when over it."""
        wait = self.rate.acquire(token)
        if wait is not None:
            settings = self.settings
            message = (f"Rate limit exceeded: {self.rate.limit_of(token)} requests per "
                       f"{settings.client_rate_window_s:g} s for this API token")
            raise too_many("rate_limit_exceeded", message, wait, settings)

    def check_quota(self, token: str) -> None:
        """429 quota_exceeded when this token has used its tokens for the period."""
        wait = self.quota.remaining_wait(token)
        if wait is not None:
            settings = self.settings
            message = (f"Quota exceeded: {self.quota.tokens_of(token)} tokens per "
                       f"{settings.client_quota_period_s:g} s for this API token")
            raise too_many("quota_exceeded", message, wait, settings)

    def charge(self, token: str, amount: int) -> None:
        self.quota.charge(token, amount)
