"""One FastAGI session: typed commands over the socket Asterisk opened.

A session is a strict request/reply conversation. Anything that may leave it out of
step (a timeout, a reply we cannot parse, the channel hanging up) ends it: later
commands raise at once instead of reading some other command's reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from callrouter.agi._protocol import (
    AgiReply,
    AgiRequest,
    check_app_name,
    check_variable_name,
    encode_command,
    parse_reply_line,
    quote,
)
from callrouter.agi.errors import (
    AgiArgumentError,
    AgiCommandFailed,
    AgiDeadChannel,
    AgiHangup,
    AgiInvalidCommand,
    AgiProtocolError,
    AgiTimeout,
    AgiUsageError,
)

__all__ = ["DEFAULT_COMMAND_TIMEOUT_S", "AgiSession", "StreamResult"]

DEFAULT_COMMAND_TIMEOUT_S = 10.0
_MAX_USAGE_LINES = 200
_DIGITS = "0123456789*#ABCD"

log = structlog.get_logger("callrouter.agi")


@dataclass(frozen=True, slots=True)
class StreamResult:
    """How a STREAM FILE ended: the escape digit pressed (if any) and the sample offset."""

    digit: str | None
    endpos: int


class AgiSession:
    """What a route handler talks to. One command at a time; the lock enforces it."""

    def __init__(
        self,
        *,
        request: AgiRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        command_timeout_s: float = DEFAULT_COMMAND_TIMEOUT_S,
    ) -> None:
        if command_timeout_s <= 0:
            raise ValueError("command_timeout_s must be positive")
        self.request = request
        self._reader = reader
        self._writer = writer
        self._timeout_s = command_timeout_s
        self._lock = asyncio.Lock()
        self._hung_up = False
        self._broken: str | None = None

    @property
    def hung_up(self) -> bool:
        """True once Asterisk said HANGUP, closed the socket, or we hung up ourselves."""
        return self._hung_up

    @property
    def usable(self) -> bool:
        """False once the session can no longer carry a command."""
        return not self._hung_up and self._broken is None

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query

    # -- typed commands -------------------------------------------------------------

    async def answer(self) -> None:
        reply = await self.command("ANSWER")
        self._require(reply.result >= 0, "ANSWER", reply)

    async def verbose(self, message: str, level: int = 1) -> None:
        if not 1 <= level <= 4:
            raise AgiArgumentError(f"verbose level must be 1..4, not {level}")
        await self.command("VERBOSE", quote(message, always=True), str(level))

    async def get_variable(self, name: str) -> str | None:
        """The variable's value, or None when it is not set (``200 result=0``)."""
        reply = await self.command("GET VARIABLE", check_variable_name(name))
        return reply.data if reply.result == 1 else None

    async def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable; control characters in ``value`` become spaces."""
        command = "SET VARIABLE"
        reply = await self.command(command, check_variable_name(name), quote(value, always=True))
        self._require(reply.result == 1, command, reply)

    async def exec(self, app: str, *args: str, timeout_s: float | None = None) -> int:
        """Run a dialplan application; returns its result (-1 means it wants a hangup).

        Arguments are joined with commas, so an argument holding a comma is refused:
        it would silently become two arguments (a caller's digits turned into options).
        """
        for arg in args:
            if "," in arg:
                raise AgiArgumentError(f"{app} argument holds a comma: {arg!r}")
        words = ["EXEC", check_app_name(app)]
        if args:
            words.append(quote(",".join(args)))
        reply = await self.command(*words, timeout_s=timeout_s)
        self._require(reply.result != -2, "EXEC", reply, "no such application")
        return reply.result

    async def stream_file(
        self, filename: str, escape_digits: str = "", *, timeout_s: float | None = None
    ) -> StreamResult:
        if any(c not in _DIGITS for c in escape_digits):
            raise AgiArgumentError(f"bad escape digits {escape_digits!r}")
        reply = await self.command(
            "STREAM FILE", quote(filename), quote(escape_digits, always=True), timeout_s=timeout_s
        )
        self._require(reply.result >= 0, "STREAM FILE", reply, "playback failed")
        digit = chr(reply.result) if reply.result > 0 else None
        endpos = reply.extras.get("endpos", "0")
        return StreamResult(digit=digit, endpos=int(endpos) if endpos.isdigit() else 0)

    async def hangup(self) -> None:
        reply = await self.command("HANGUP")
        self._require(reply.result == 1, "HANGUP", reply)
        self._hung_up = True

    # -- the conversation -----------------------------------------------------------

    async def command(self, *words: str, timeout_s: float | None = None) -> AgiReply:
        """Send one command line (words already quoted) and read its ``200`` reply."""
        line = encode_command(*words)
        async with self._lock:
            if self._hung_up:
                raise AgiHangup("the channel has hung up")
            if self._broken is not None:
                raise AgiProtocolError(f"session unusable after: {self._broken}")
            try:
                async with asyncio.timeout(timeout_s or self._timeout_s):
                    self._writer.write(line)
                    await self._writer.drain()
                    return await self._read_reply(words[0])
            except asyncio.CancelledError:
                # Its reply may still come and would be read as the next command's.
                self._broken = f"cancelled while waiting for {words[0]}"
                raise
            except TimeoutError as exc:
                self._broken = f"no reply to {words[0]}"
                raise AgiTimeout(f"no reply to {words[0]} in time") from exc
            except ConnectionError as exc:
                self._hung_up = True
                raise AgiHangup(f"connection lost: {exc}") from exc
            except AgiHangup:
                self._hung_up = True
                raise
            except AgiProtocolError as exc:
                self._broken = exc.message
                raise

    async def _read_reply(self, command: str) -> AgiReply:
        while True:
            text = await self._readline()
            code = text[:3]
            if text == "HANGUP":
                raise AgiHangup("Asterisk reported the channel hung up")
            if code == "100":  # "100 result=0 Trying...": the real reply follows.
                continue
            if code == "200":
                return parse_reply_line(text)
            if code == "510":
                raise AgiInvalidCommand(text, command=command, code=510)
            if code == "511":
                raise AgiDeadChannel(f"{text} (command: {command!r})")
            if code == "520":
                usage = await self._read_usage(text)
                raise AgiUsageError(
                    "invalid command syntax", command=command, code=520, usage=usage
                )
            raise AgiProtocolError(f"unexpected AGI reply: {text[:200]!r}")

    async def _read_usage(self, first: str) -> str:
        if not first.startswith("520-"):
            return first[4:]
        lines: list[str] = []
        for _ in range(_MAX_USAGE_LINES):
            text = await self._readline()
            if text.startswith("520 "):
                return "\n".join(lines)
            lines.append(text)
        raise AgiProtocolError("520 usage reply never ended")

    async def _readline(self) -> str:
        try:
            raw = await self._reader.readline()
        except ValueError as exc:  # the stream's line limit: not a reply Asterisk sends
            raise AgiProtocolError("AGI reply line too long") from exc
        if not raw.endswith(b"\n"):
            raise AgiHangup("Asterisk closed the connection")
        return raw.decode("utf-8", errors="replace").rstrip("\r\n")

    @staticmethod
    def _require(ok: bool, command: str, reply: AgiReply, what: str = "failed") -> None:
        if not ok:
            raise AgiCommandFailed(
                f"{command} {what}: result={reply.result}",
                command=command,
                code=200,
                result=reply.result,
            )
