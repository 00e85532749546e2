"""DTMF feature codes an operator presses during a call, for phones without a screen.

The codes are Asterisk's own defaults (features.conf), so they feel familiar:

| keys | does |
| --- | --- |
| ``#1`` digits ``#`` | blind transfer (``blindxfer``) |
| ``*2`` digits ``#`` | attended transfer: consult first (``atxfer``) |
| ``*1`` (consulting) | cancel the consultation, back to the caller (``atxferabort``) |
| ``*2`` (consulting) | complete the transfer (``atxfercomplete``) |
| ``*3`` (consulting) | three-way conference (``atxferthreeway``) |

Digits name the target (see :func:`target_of`): a routing extension (``routes``) is its
queue, an operator's extension (the resource of their endpoint, ``PJSIP/102`` -> ``102``)
is that operator, anything else an outside number. ``#`` ends the digits; a key that
fits no code starts over, so a stray key never triggers anything. The parser is a pure
value: ``feed`` returns the new parser and the request, if one is complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

__all__ = [
    "MAX_DIGITS",
    "FeatureParser",
    "FeatureRequest",
    "target_of",
]

FeatureAction = Literal["blind", "consult", "cancel", "complete", "conference"]
TargetKind = Literal["queue", "operator", "number"]
MAX_DIGITS = 20
Collecting = Literal["blind", "consult"]
_STARTS: dict[str, Collecting] = {"#1": "blind", "*2": "consult"}
_WHILE_CONSULTING: dict[str, FeatureAction] = {"*1": "cancel", "*2": "complete", "*3": "conference"}
_KEYS = frozenset("0123456789*#")


@dataclass(frozen=True, slots=True)
class FeatureRequest:
    action: FeatureAction
    digits: str = ""


@dataclass(frozen=True, slots=True)
class FeatureParser:
    # Keys of a code seen so far ("*", "#"), or the action whose digits are collected.
    pending: str = ""
    collecting: Collecting | None = None
    digits: str = ""

    def feed(self, key: str, *, consulting: bool) -> tuple[FeatureParser, FeatureRequest | None]:
        """One key pressed by the operator; ``consulting``: a consultation is under way."""
        if key not in _KEYS:
            return FeatureParser(), None
        if self.collecting is not None:
            if key == "#":
                request = FeatureRequest(self.collecting, self.digits) if self.digits else None
                return FeatureParser(), request
            if not key.isdigit() or len(self.digits) >= MAX_DIGITS:
                return FeatureParser(), None
            return replace(self, digits=self.digits + key), None
        code = self.pending + key
        if consulting and code in _WHILE_CONSULTING:
            return FeatureParser(), FeatureRequest(_WHILE_CONSULTING[code])
        if not consulting and code in _STARTS:
            return FeatureParser(collecting=_STARTS[code]), None
        if key in "*#":
            return FeatureParser(pending=key), None
        return FeatureParser(), None


def target_of(
    digits: str, *, routes: Mapping[str, str], operator_extensions: Mapping[str, str]
) -> tuple[TargetKind, str]:
    """What the digits pressed name: a routed queue, an operator, else a number."""
    if digits in routes:
        return "queue", routes[digits]
    if digits in operator_extensions:
        return "operator", operator_extensions[digits]
    return "number", digits
