"""Everything posbridge calls at Wix: one client over one transport, with tokens, rate budget and retries."""

from posbridge.wix.client import WixClient
from posbridge.wix.errors import WixApiError
from posbridge.wix.ratebudget import Budget, DatabaseRateBudget, RedisRateBudget
from posbridge.wix.retry import RetryPolicy

__all__ = ["Budget", "DatabaseRateBudget", "RedisRateBudget", "RetryPolicy", "WixApiError", "WixClient"]
