"""The ``X-Callrouter-Signature`` header: HMAC-SHA256 over ``"<timestamp>.<body>"``.

The timestamp is inside the signed text so a captured request cannot be replayed later
with a fresh ``X-Callrouter-Timestamp``; the receiver rejects timestamps too far from
its own clock.
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = ["DEFAULT_TOLERANCE_S", "SIGNATURE_PREFIX", "sign", "verify_signature"]

SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE_S = 300.0


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_signature(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> bool:
    """What a receiver written in Python does; callrouter itself never needs it."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)
