"""One HTTP attempt, and the one place aiohttp's errors become :class:`CrmError`.

The notifier never sees an aiohttp exception: every way a POST can go wrong comes out
of :func:`post` as one of :mod:`callrouter.crm.errors`, with ``retryable`` saying
whether trying again makes sense.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import aiohttp
from yarl import URL

from callrouter.crm._retry import parse_retry_after
from callrouter.crm.errors import (
    CrmRejected,
    CrmTimeout,
    CrmUnavailable,
    CrmUnreachable,
)

__all__ = ["ERROR_BODY_LIMIT", "is_retryable_status", "post", "safe_url"]

# Enough of an error page to tell "bad signature" from "no such route" in the log table.
ERROR_BODY_LIMIT = 300
# A reply read to its end lets the connection be reused for the next webhook; past this
# size the CRM is sending something we never asked for, and the connection is dropped.
_READ_LIMIT = 64 * 1024


def is_retryable_status(status: int) -> bool:
    return status >= 500 or status == 429


def safe_url(url: str) -> str:
    """The URL for logs: no credentials, no query string (where tokens usually sit)."""
    try:
        parsed = URL(url)
    except (TypeError, ValueError):
        return "<invalid url>"
    return str(parsed.with_user(None).with_query(None).with_fragment(None))


async def post(
    session: aiohttp.ClientSession,
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    timeout_s: float,
    now: datetime,
) -> int:
    """POST ``body``; return the 2xx status or raise a :class:`CrmError` subclass."""
    try:
        async with session.post(
            url,
            data=body,
            headers=dict(headers),
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            # A redirect for a webhook is a configuration mistake; following it would
            # turn the POST into a GET on 301/302 and lose the body.
            allow_redirects=False,
        ) as response:
            status = response.status
            reply = await response.content.read(_READ_LIMIT)
            if 200 <= status < 300:
                return status
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
    except TimeoutError as exc:
        # Checked before ClientError: aiohttp's timeout errors are both.
        raise CrmTimeout(f"no answer within {timeout_s:g} s") from exc
    except aiohttp.ClientError as exc:
        raise CrmUnreachable(f"{type(exc).__name__}: {exc}") from exc
    except OSError as exc:
        raise CrmUnreachable(f"{type(exc).__name__}: {exc}") from exc
    text = reply[:ERROR_BODY_LIMIT].decode("utf-8", "replace").strip()
    message = f"HTTP {status}" + (f": {text}" if text else "")
    error = CrmUnavailable if is_retryable_status(status) else CrmRejected
    raise error(message, status=status, retry_after_s=retry_after)
