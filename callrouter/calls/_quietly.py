"""ARI requests whose failure only means a channel or bridge is already gone."""

from __future__ import annotations

from collections.abc import Awaitable

import structlog

from callrouter.ari import AriError

__all__ = ["quietly"]

log = structlog.get_logger(__name__)


async def quietly(what: str, request: Awaitable[object]) -> bool:
    """Await ``request``; an ARI error is logged (the channel's own events tell the
    rest of the story) and reported as False."""
    try:
        await request
    except AriError as exc:
        log.info("ari_request_refused", action=what, error=str(exc))
        return False
    return True
