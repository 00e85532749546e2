"""A FastAGI client that behaves as Asterisk 22's res_agi does, for tests and the bench.

It sends the ``agi_*`` block from the recorded session, then reads command lines and
answers them. Commands are split with a port of ``res_agi.c``'s ``parse_args``, so a
value our server quoted wrongly shows up here exactly as Asterisk would misread it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

CAPTURE = Path(__file__).resolve().parents[1] / "fixtures" / "captures" / "agi_session.jsonl"

USAGE_SET_VARIABLE = [
    "520-Invalid command syntax.  Proper usage follows:",
    " Usage: SET VARIABLE <variablename> <value>",
    "520 End of proper usage.",
]


def load_capture() -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The recorded environment and the (command, reply) pairs, in order."""
    env: dict[str, str] = {}
    exchanges: list[tuple[str, str]] = []
    for line in CAPTURE.read_text().splitlines():
        record = json.loads(line)
        if "agi_env" in record:
            env = dict(record["agi_env"])
        else:
            exchanges.append((record["cmd"], record["reply"]))
    return env, exchanges


def make_env(script: str, **overrides: str) -> dict[str, str]:
    """The captured environment, asking for ``script`` (which may carry ``?query``)."""
    env, _ = load_capture()
    env["agi_network_script"] = script
    env["agi_request"] = f"agi://127.0.0.1:4573/{script}"
    for key, value in overrides.items():
        env[key if key.startswith("agi_") else f"agi_{key}"] = value
    return env


def encode_env(env: Mapping[str, str]) -> bytes:
    return "".join(f"{k}: {v}\n" for k, v in env.items()).encode() + b"\n"


def parse_args(line: str) -> list[str]:
    """``res_agi.c`` parse_args, character for character."""
    argv: list[str] = []
    cur: list[str] | None = None
    quoted = escaped = False
    whitespace = True
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if quoted and whitespace:
                cur = []
                argv.append("")
                whitespace = False
            escaped = False
            continue
        if ch in " \t" and not quoted and not escaped:
            whitespace = True
            if cur is not None:
                argv[-1] = "".join(cur)
                cur = None
            continue
        if ch == "\\" and not escaped:
            escaped = True
            continue
        if whitespace:
            cur = []
            argv.append("")
            whitespace = False
        assert cur is not None
        cur.append(ch)
        escaped = False
    if cur is not None:
        argv[-1] = "".join(cur)
    return argv


Responder = Callable[[str, list[str]], list[str] | None]


@dataclass
class FakeAsterisk:
    """One AGI() call. ``replies`` overrides answers by exact command line, in order."""

    env: Mapping[str, str]
    variables: dict[str, str] = field(default_factory=dict)
    replies: dict[str, list[list[str]]] = field(default_factory=dict)
    hangup_after: int | None = None  # send "HANGUP" once this many commands were answered
    eof_after: int | None = None  # close the socket instead
    commands: list[str] = field(default_factory=list)
    argvs: list[list[str]] = field(default_factory=list)
    closed_by_server: bool = False

    def answer(self, line: str, argv: list[str]) -> list[str]:
        queued = self.replies.get(line)
        if queued:
            return queued.pop(0)
        words = [w.upper() for w in argv[:2]]
        if words[:1] == ["ANSWER"]:
            return ["200 result=0"]
        if words[:1] == ["VERBOSE"]:
            return ["200 result=1"]
        if words == ["GET", "VARIABLE"] and len(argv) == 3:
            value = self.variables.get(argv[2])
            return ["200 result=0"] if value is None else [f"200 result=1 ({value})"]
        if words == ["SET", "VARIABLE"]:
            if len(argv) != 4:
                return list(USAGE_SET_VARIABLE)
            self.variables[argv[2]] = argv[3]
            return ["200 result=1"]
        if words[:1] == ["EXEC"] and len(argv) in (2, 3):
            return ["200 result=0"]
        if words == ["STREAM", "FILE"]:
            return ["200 result=0 endpos=8000"]
        if words[:1] == ["HANGUP"]:
            return ["200 result=1"]
        return ["510 Invalid or unknown command"]

    async def run(self, port: int, *, host: str = "127.0.0.1") -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(encode_env(self.env))
            await writer.drain()
            while True:
                try:
                    raw = await reader.readline()
                except ConnectionResetError:  # closed on us with our request unread
                    raw = b""
                if not raw:
                    self.closed_by_server = True
                    return
                line = raw.decode().rstrip("\n")
                argv = parse_args(line)
                self.commands.append(line)
                self.argvs.append(argv)
                answered = len(self.commands) - 1
                if self.eof_after is not None and answered >= self.eof_after:
                    return
                out = self.answer(line, argv)
                if self.hangup_after is not None and answered >= self.hangup_after:
                    out = ["HANGUP", *out]
                writer.write("".join(f"{reply}\n" for reply in out).encode())
                await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
