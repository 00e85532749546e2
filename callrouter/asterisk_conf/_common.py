"""What every renderer shares: the result shape, and the rules for names and values.

A rendered part is sections plus notes (things a sysadmin should know, not errors) plus
problems (callrouter config that cannot become valid Asterisk config). The renderers
collect every problem before anyone raises, so one run reports them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from callrouter.asterisk_conf._syntax import Section

__all__ = [
    "NAME_RULE",
    "Part",
    "PartResult",
    "check_name",
    "check_value",
]

# Section names double as PJSIP endpoint ids, ARI user names and SIP user names. Asterisk
# itself takes almost anything up to ']', but '/', '@' and ',' change what a dial string
# or an option list means, ';' starts a comment and '(' a template list. So: the
# characters a phone's keypad, a SIP URI user part and a config file all agree on.
NAME_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,78}$")
_NAME_HELP = (
    "letters, digits and _ . + - only, starting with a letter or digit, at most 79 characters"
)


class Part(StrEnum):
    """The files ``callrouter asterisk-conf render`` can produce."""

    PJSIP = "pjsip"
    ARI = "ari"
    HTTP = "http"

    @property
    def filename(self) -> str:
        return {"pjsip": "pjsip_operators.conf", "ari": "ari.conf", "http": "http.conf"}[self.value]

    @property
    def holds_secrets(self) -> bool:
        """SIP passwords in clear, the ARI password (or its hash): never world-readable."""
        return self is not Part.HTTP


@dataclass(slots=True)
class PartResult:
    part: Part
    blocks: list[Section | str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (dotted field, message)

    def problem(self, where: str, message: str) -> None:
        self.problems.append((where, message))


def check_name(value: str, what: str) -> str | None:
    """Why ``value`` cannot be a section name, or None when it can."""
    if NAME_RULE.match(value):
        return None
    odd = sorted({ch for ch in value if not re.match(r"[A-Za-z0-9_.+-]", ch)})
    shown = " ".join(repr(ch) for ch in odd)
    detail = f" (has {shown})" if odd else ""
    return f"{what} {value!r} cannot be used in Asterisk config{detail}: {_NAME_HELP}"


def check_value(value: str, what: str) -> str | None:
    """Why ``value`` cannot be written as a config value (Asterisk would alter it)."""
    if any(ch in value for ch in "\r\n\0"):
        return f"{what} contains a line break or NUL, which a config file cannot hold"
    if value != value.strip():
        return f"{what} starts or ends with whitespace, which Asterisk strips when reading"
    if not value:
        return f"{what} is empty"
    return None
