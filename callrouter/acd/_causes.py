"""What Asterisk's hangup cause of an operator leg that never answered means for routing.

The core decides what a cause means (a busy phone rests the operator; a ring that ran
out counts as a ring timeout and may auto-pause them); the shell only reports it. Q.850
codes as chan_pjsip maps SIP answers (ari-captures/sip): 17 busy (486), 18 no user
responding (408, a dead contact), 19 no answer (480, Asterisk's own ring timeout),
21 rejected (603).
"""

from __future__ import annotations

from callrouter.acd._events import OfferFailure

__all__ = ["offer_failure_for_cause"]

_BUSY = frozenset({17})
_NO_ANSWER = frozenset({18, 19})
_REJECTED = frozenset({21})


def offer_failure_for_cause(cause: int) -> OfferFailure:
    if cause in _BUSY:
        return "busy"
    if cause in _NO_ANSWER:
        return "no_answer"
    if cause in _REJECTED:
        return "rejected"
    return "unreachable"
