"""The AGI wire format with no I/O: the request block, command lines, reply lines.

Rules this module keeps (each from Asterisk 22's ``res_agi.c``):

- The request is ``agi_<key>: <value>`` lines ended by one empty line. Values are sent
  raw, so a caller name with a newline could forge a line: we refuse any line that is not
  ``key: value`` and any key sent twice, rather than guess which copy is real.
- Values are text from outside (a caller ID is whatever the trunk sent): each is made
  storable (:func:`callrouter.text.storable`, NUL becomes U+FFFD) as it is parsed, so
  a lookup with a NUL in ``agi_callerid`` is answered instead of failing in PostgreSQL.
- A command is one line. Asterisk splits it on blanks; a double quote groups, a
  backslash makes the next character literal (``parse_args``). Nothing can escape a
  newline, so control characters in values become spaces: the alternative is a value
  that ends the command early and sends the rest as a second command.
- A reply is ``200 result=<int> [(data)] [key=value ...]``, ``510 ...``, ``511 ...``,
  or a ``520-`` block ended by a ``520 `` line. ``HANGUP`` may arrive in place of a
  reply when the channel hangs up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from callrouter.agi.errors import AgiArgumentError, AgiHeaderMalformed, AgiProtocolError
from callrouter.text import storable

__all__ = [
    "AgiReply",
    "AgiRequest",
    "check_app_name",
    "check_variable_name",
    "encode_command",
    "parse_environment",
    "parse_reply_line",
    "quote",
    "sanitize",
]

_HEADER_LINE = re.compile(r"^([A-Za-z0-9_]+): ?(.*)$")
_REPLY_200 = re.compile(r"^200 result=(-?\d+)(?: (.*))?$")
_EXTRA = re.compile(r"([A-Za-z_]+)=(\S*)")
# Words that Asterisk's parse_args reads back unchanged, so they need no quotes.
_BARE_WORD = re.compile(r"^[A-Za-z0-9_\-.,:/()@+=*#]+$")
# Variable and function names: CR_QUEUE, CALLERID(name), HASH(a,b). No blanks, quotes,
# backslashes or control characters, which would change how Asterisk splits the line.
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\([A-Za-z0-9_,.\-]*\))?$")
_APP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Asterisk's placeholder when a caller-ID field is not valid.
_UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class AgiRequest:
    """One FastAGI request: the ``agi_*`` environment Asterisk sent, parsed."""

    env: Mapping[str, str]
    script: str
    query: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()

    def _known(self, key: str) -> str | None:
        value = self.env.get(key, "")
        return None if value in ("", _UNKNOWN) else value

    @property
    def uniqueid(self) -> str:
        return self.env.get("agi_uniqueid", "")

    @property
    def channel(self) -> str:
        return self.env.get("agi_channel", "")

    @property
    def caller_number(self) -> str | None:
        return self._known("agi_callerid")

    @property
    def caller_name(self) -> str | None:
        return self._known("agi_calleridname")

    @property
    def extension(self) -> str:
        return self.env.get("agi_extension", "")

    @property
    def dnid(self) -> str | None:
        return self._known("agi_dnid")

    @property
    def context(self) -> str:
        return self.env.get("agi_context", "")


def _script_of(env: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    # agi_network_script is everything after the host: "operator?action=login".
    raw = env.get("agi_network_script")
    if raw is None:
        try:
            request = urlsplit(env.get("agi_request", ""))
        except ValueError as exc:  # "agi://[host/x": an unclosed IPv6 bracket
            raise AgiHeaderMalformed(f"agi_request is not a URL: {exc}") from None
        raw, raw_query = request.path, request.query
    else:
        raw, _, raw_query = raw.partition("?")
    query = dict(parse_qsl(raw_query, keep_blank_values=True))
    return raw.strip("/"), query


def parse_environment(lines: Iterable[str]) -> AgiRequest:
    """Build a request from the block's lines (without the final empty line)."""
    env: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        match = _HEADER_LINE.match(line)
        if match is None:
            raise AgiHeaderMalformed(f"request line {number} is not 'agi_key: value'")
        key, value = match.groups()
        if key in env:
            raise AgiHeaderMalformed(f"request line {number} repeats {key}")
        env[key] = storable(value)
    if not env:
        raise AgiHeaderMalformed("empty request block")
    script, query = _script_of(env)
    args: list[str] = []
    while (arg := env.get(f"agi_arg_{len(args) + 1}")) is not None:
        args.append(arg)
    return AgiRequest(env=env, script=script, query=query, args=tuple(args))


def sanitize(value: str) -> str:
    """Replace characters that no quoting can carry through a command line."""
    return _CONTROL.sub(" ", value)


def quote(value: str, *, always: bool = False) -> str:
    """Quote one argument the way Asterisk's ``parse_args`` reads it back."""
    value = sanitize(value)
    if not always and _BARE_WORD.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_variable_name(name: str) -> str:
    if not _VAR_NAME.match(name):
        raise AgiArgumentError(f"not a channel variable or function name: {name!r}")
    return name


def check_app_name(name: str) -> str:
    if not _APP_NAME.match(name):
        raise AgiArgumentError(f"not a dialplan application name: {name!r}")
    return name


def encode_command(*words: str) -> bytes:
    """Join already-quoted words into one command line."""
    line = " ".join(words)
    if "\n" in line or "\r" in line:  # a bug upstream: quote() strips these
        raise AgiArgumentError("command would span two lines")
    return (line + "\n").encode("utf-8")


@dataclass(frozen=True, slots=True)
class AgiReply:
    """A ``200`` reply. ``data`` is the text in parentheses, if any."""

    result: int
    data: str | None = None
    extras: Mapping[str, str] = field(default_factory=dict)


def parse_reply_line(line: str) -> AgiReply:
    """Parse a ``200 result=...`` line; other codes are the session's business."""
    match = _REPLY_200.match(line)
    if match is None:
        raise AgiProtocolError(f"unparsable AGI reply: {line[:200]!r}")
    result = int(match.group(1))
    rest = match.group(2) or ""
    data: str | None = None
    # Data is raw (a variable's value may hold parentheses), so it runs to the last ')'.
    if rest.startswith("("):
        close = rest.rfind(")")
        if close == -1:
            raise AgiProtocolError(f"unbalanced data in AGI reply: {line[:200]!r}")
        data, rest = rest[1:close], rest[close + 1 :]
    extras = dict(_EXTRA.findall(rest))
    return AgiReply(result=result, data=data, extras=extras)
