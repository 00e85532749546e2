"""Shared vocabulary of the simulated Asterisk: JSON aliases, Asterisk's constants,
the simulated clock and the one exception every layer raises to answer with an error.

The clock is the only source of time: scripted delays are given in *simulated* seconds
and divided by ``time_scale`` before the event loop waits, and timestamps and recording
durations are read from the same scaled clock, so a simulated hour looks like an hour in
every event even when it ran in a minute.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

JsonObj = dict[str, Any]

ASTERISK_ID = "02:fc:00:00:00:01"
ASTERISK_VERSION = "22.10.1"
DEFAULT_APP_LANGUAGE = "en"

# Asterisk's ast_cause2str() texts for the causes a call center meets.
CAUSE_TEXT: dict[int, str] = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    3: "No route to destination",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    20: "Subscriber absent",
    21: "Call Rejected",
    26: "Answered elsewhere",
    27: "Destination out of order",
    28: "Invalid number format",
    31: "Normal, unspecified",
    34: "Circuit/channel congestion",
    38: "Network out of order",
    41: "Temporary failure",
    58: "Bearer capability not available",
    127: "Interworking, unspecified",
}

# DELETE /channels/{id}?reason=... as res_ari maps it.
HANGUP_REASONS: dict[str, int] = {
    "normal": 16,
    "busy": 17,
    "congestion": 34,
    "no_answer": 19,
    "timeout": 18,
    "rejected": 21,
    "unallocated": 1,
    "normal_unspecified": 31,
    "number_incomplete": 28,
    "codec_mismatch": 58,
    "interworking": 127,
    "failure": 38,
    "answered_elsewhere": 26,
}

# chan_pjsip's hangup_cause2sip(): the SIP status it answers or CANCELs with for a
# Q.850 cause; ChannelDestroyed of a PJSIP channel reports it as ``tech_cause``
# (sip_op_noanswer_*.jsonl: 19 -> 480; 16 maps to nothing, hence no field).
CAUSE_SIP_STATUS: dict[int, int] = {
    1: 404,
    3: 404,
    17: 486,
    18: 408,
    19: 480,
    20: 480,
    21: 403,
    28: 484,
    31: 480,
    34: 503,
    38: 500,
    58: 488,
    127: 500,
}

# What chan_pjsip stores on a call that ends after answer: a silent call's RTP report.
RTP_QOS_VARIABLES = {
    "RTPAUDIOQOS": "ssrc=1083595853;themssrc=0;lp=0;rxjitter=0.000000;rxcount=0;"
    "txjitter=0.000000;txcount=100;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000",
    "RTPAUDIOQOSJITTER": "minrxjitter=000.000000;maxrxjitter=000.000000;"
    "avgrxjitter=000.000000;stdevrxjitter=000.000000;mintxjitter=000.000000;"
    "maxtxjitter=000.000000;avgtxjitter=000.000000;stdevtxjitter=000.000000;",
    "RTPAUDIOQOSLOSS": "  minrxlost=000.000000;  maxrxlost=000.000000;  avgrxlost=000.000000;"
    "  stdevrxlost=000.000000;  mintxlost=000.000000;  maxtxlost=000.000000;"
    "  avgtxlost=000.000000;  stdevtxlost=000.000000;",
    "RTPAUDIOQOSRTT": "     minrtt=000.000000;     maxrtt=000.000000;     avgrtt=000.000000;"
    "     stdevrtt=000.000000;",
    "RTPAUDIOQOSMES": "   minrxmes=000.000000;   maxrxmes=000.000000;   avgrxmes=000.000000;"
    "   stdevrxmes=000.000000;   mintxmes=000.000000;   maxtxmes=000.000000;"
    "   avgtxmes=000.000000;   stdevtxmes=000.000000;",
}

CAUSE_NORMAL = 16
CAUSE_BUSY = 17
CAUSE_NO_USER_RESPONSE = 18
CAUSE_NO_ANSWER = 19
CAUSE_SUBSCRIBER_ABSENT = 20
CAUSE_CONGESTION = 34
# ARI's DELETE /channels is a soft hangup; ChannelHangupRequest then carries the
# AST_SOFTHANGUP_EXPLICIT flag (32) in its ``cause`` field, not the reason given.
SOFTHANGUP_EXPLICIT = 32


def cause_text(cause: int) -> str:
    return CAUSE_TEXT.get(cause, "Unknown")


def sip_status(cause: int) -> int | None:
    return CAUSE_SIP_STATUS.get(cause)


def ari_timestamp(epoch: float) -> str:
    """Asterisk's ``2026-11-23T10:42:13.792+0000`` (milliseconds, no colon in the zone)."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


class SimAriError(Exception):
    """An ARI error answer: raised anywhere, turned into a response by one middleware."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        reason: str | None = None,
        body: JsonObj | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.reason = reason
        self.body = body if body is not None else {"message": message}


class SimClock:
    """Scaled wall clock plus timers that all die with the simulator."""

    def __init__(self, *, time_scale: float) -> None:
        if time_scale <= 0:
            raise ValueError(f"time_scale must be positive, got {time_scale!r}")
        self.time_scale = time_scale
        self._wall0 = time.time()
        self._mono0 = time.monotonic()
        self._timers: set[asyncio.TimerHandle] = set()

    def now(self) -> float:
        return self._wall0 + (time.monotonic() - self._mono0) * self.time_scale

    def timestamp(self) -> str:
        return ari_timestamp(self.now())

    def later(self, sim_seconds: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        """Run ``callback`` after ``sim_seconds`` of simulated time."""
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._timers.discard(handle)
            callback()

        handle = loop.call_later(max(sim_seconds, 0.0) / self.time_scale, fire)
        self._timers.add(handle)
        return handle

    def cancel_all(self) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
