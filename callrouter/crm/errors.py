"""The CRM's errors, grafted onto :mod:`callrouter.errors`.

::

    CallrouterError
    └── ExternalError
        └── CrmError                     "crm"   the CRM did not take a webhook
            ├── CrmUnreachable           "crm-unreachable"  connect, DNS, reset, bad reply
            ├── CrmTimeout               "crm-timeout"      no answer within crm.timeout_s
            └── CrmRejected              "crm-rejected"     an HTTP status other than 2xx
                └── CrmUnavailable       "crm-unavailable"  5xx or 429: try again later

Only :mod:`callrouter.crm._transport` raises these, translating aiohttp's errors at the
boundary. ``retryable`` tells the delivery loop whether another attempt may succeed: a
4xx other than 429 means the CRM refuses this body and will refuse it again.
"""

from __future__ import annotations

from callrouter.errors import CrmError

__all__ = ["CrmError", "CrmRejected", "CrmTimeout", "CrmUnavailable", "CrmUnreachable"]


class CrmUnreachable(CrmError):
    error_id = "crm-unreachable"
    retryable = True


class CrmTimeout(CrmError):
    error_id = "crm-timeout"
    retryable = True


class CrmRejected(CrmError):
    error_id = "crm-rejected"
    retryable = False

    def __init__(self, message: str, *, status: int, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after_s = retry_after_s


class CrmUnavailable(CrmRejected):
    error_id = "crm-unavailable"
    retryable = True
