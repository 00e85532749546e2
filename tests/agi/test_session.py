"""AgiSession's commands against a fake Asterisk over a real socket."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from callrouter.agi import STATUS_VARIABLE, AgiSession, StreamResult
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
from tests.agi.asterisk_fake import USAGE_SET_VARIABLE, FakeAsterisk, load_capture, make_env
from tests.agi.conftest import StartServer

Script = Callable[[AgiSession], Awaitable[None]]


async def converse(
    start_server: StartServer, script: Script, fake: FakeAsterisk, **options: Any
) -> FakeAsterisk:
    server = await start_server({"t": script}, **options)
    await fake.run(server.port)
    # The fake may close first; let the server finish its side before we look.
    await server.close(grace_s=5)
    return fake


async def test_replays_the_recorded_asterisk_session(start_server: StartServer) -> None:
    env, exchanges = load_capture()
    seen: dict[str, object] = {}

    async def route(session: AgiSession) -> None:
        await session.answer()
        await session.verbose("fastagi route test", 1)
        seen["channel"] = await session.get_variable("CHANNEL(name)")
        await session.set_variable("ROUTE_TARGET", "operators")
        seen["exec"] = await session.exec("NoOp", "routed-by-fastagi")
        await session.hangup()
        seen["hung_up"] = session.hung_up

    fake = FakeAsterisk(env=env, replies={cmd: [[reply]] for cmd, reply in exchanges})
    server = await start_server({"route": route})
    await fake.run(server.port)
    # Byte for byte what the real session sent; after HANGUP nothing more is said.
    assert fake.commands == [cmd for cmd, _ in exchanges]
    assert seen == {"channel": "Local/agi@from-pstn-00000010;2", "exec": 0, "hung_up": True}
    assert fake.closed_by_server


async def test_status_variable_and_bound_log_context(start_server: StartServer) -> None:
    async def script(session: AgiSession) -> None:
        assert await session.get_variable("NOT_SET") is None

    with capture_logs(processors=[merge_contextvars]) as logs:
        fake = await converse(start_server, script, FakeAsterisk(env=make_env("t")))
    assert fake.commands == ["GET VARIABLE NOT_SET", f'SET VARIABLE {STATUS_VARIABLE} "SUCCESS"']
    done = [e for e in logs if e["event"] == "agi.script_done"]
    assert done and done[0]["agi_uniqueid"] == "1795430557.33" and done[0]["script"] == "t"


async def test_510_and_520_raise_and_the_session_goes_on(start_server: StartServer) -> None:
    raised: list[Exception] = []

    async def script(session: AgiSession) -> None:
        for attempt in (session.command("GET", "BANANA"), session.set_variable("A", "1")):
            try:
                await attempt
            except (AgiInvalidCommand, AgiUsageError) as exc:
                raised.append(exc)
        await session.set_variable("A", "2")

    fake = FakeAsterisk(
        env=make_env("t"), replies={'SET VARIABLE A "1"': [list(USAGE_SET_VARIABLE)]}
    )
    await converse(start_server, script, fake)
    invalid, usage = raised
    assert isinstance(invalid, AgiInvalidCommand) and invalid.code == 510
    assert isinstance(usage, AgiUsageError)
    assert usage.usage == " Usage: SET VARIABLE <variablename> <value>"
    assert fake.variables == {"A": "2", STATUS_VARIABLE: "SUCCESS"}


async def test_100_trying_then_the_real_reply(start_server: StartServer) -> None:
    got: list[int] = []

    async def script(session: AgiSession) -> None:
        got.append(await session.exec("Wait", "1"))

    replies = {"EXEC Wait 1": [["100 result=0 Trying...", "200 result=0"]]}
    await converse(start_server, script, FakeAsterisk(env=make_env("t"), replies=replies))
    assert got == [0]


async def test_stream_file_digit_and_failure(start_server: StartServer) -> None:
    results: list[object] = []

    async def script(session: AgiSession) -> None:
        results.append(await session.stream_file("welcome", "12#"))
        with pytest.raises(AgiCommandFailed):
            await session.stream_file("missing")
        with pytest.raises(AgiArgumentError):
            await session.stream_file("x", "9; HANGUP")
        results.append(await session.stream_file("welcome"))

    replies = {
        'STREAM FILE welcome "12#"': [["200 result=49 endpos=16000"]],
        'STREAM FILE missing ""': [["200 result=-1 endpos=0"]],
    }
    fake = FakeAsterisk(env=make_env("t"), replies=replies)
    await converse(start_server, script, fake)
    assert results == [StreamResult(digit="1", endpos=16000), StreamResult(None, 8000)]
    assert fake.variables[STATUS_VARIABLE] == "SUCCESS"


async def test_exec_unknown_app_and_refused_arguments(start_server: StartServer) -> None:
    async def script(session: AgiSession) -> None:
        with pytest.raises(AgiCommandFailed) as info:
            await session.exec("Nope")
        assert info.value.result == -2
        with pytest.raises(AgiArgumentError):
            await session.exec("Dial", "PJSIP/1,30,tT")  # a comma would add options
        with pytest.raises(AgiArgumentError):
            await session.exec("Bad App")
        assert await session.exec("Playback", "hello-world", "noanswer") == 0

    fake = FakeAsterisk(env=make_env("t"), replies={"EXEC Nope": [["200 result=-2"]]})
    await converse(start_server, script, fake)
    assert fake.commands[:2] == ["EXEC Nope", "EXEC Playback hello-world,noanswer"]


async def test_answer_verbose_hangup_forms(start_server: StartServer) -> None:
    async def script(session: AgiSession) -> None:
        await session.answer()
        await session.verbose('says "hi" \\ there', 3)
        with pytest.raises(AgiArgumentError):
            await session.verbose("x", 9)
        await session.hangup()
        with pytest.raises(AgiHangup):
            await session.answer()

    fake = await converse(start_server, script, FakeAsterisk(env=make_env("t")))
    assert fake.commands == ["ANSWER", 'VERBOSE "says \\"hi\\" \\\\ there" 3', "HANGUP"]
    assert fake.argvs[1] == ["VERBOSE", 'says "hi" \\ there', "3"]


@pytest.mark.parametrize("how", ["hangup_line", "eof", "511"])
async def test_caller_hangs_up_mid_script(start_server: StartServer, how: str) -> None:
    outcome: list[object] = []

    async def script(session: AgiSession) -> None:
        await session.answer()
        try:
            await session.set_variable("X", "1")
        except AgiHangup as exc:
            outcome.append(type(exc))
            outcome.append(session.hung_up)
            raise
        outcome.append("no hangup")

    cases: dict[str, dict[str, Any]] = {
        "hangup_line": {"hangup_after": 1},
        "eof": {"eof_after": 1},
        "511": {
            "replies": {'SET VARIABLE X "1"': [["511 Command Not Permitted on a dead channel"]]}
        },
    }
    options = cases[how]
    with capture_logs(processors=[merge_contextvars]) as logs:
        fake = await converse(start_server, script, FakeAsterisk(env=make_env("t"), **options))
    expected = AgiDeadChannel if how == "511" else AgiHangup
    assert outcome == [expected, True]
    assert len(fake.commands) == 2  # no CR_AGI_STATUS on a dead channel
    session_logs = [e["event"] for e in logs if "agi_uniqueid" in e and e["log_level"] != "debug"]
    assert session_logs == ["agi.caller_hung_up"]  # one line, at info: hanging up is normal


async def test_command_timeout_ends_the_session(start_server: StartServer) -> None:
    outcome: list[type[Exception]] = []

    async def script(session: AgiSession) -> None:
        for _ in range(2):
            try:
                await session.answer()
            except (AgiTimeout, AgiProtocolError) as exc:
                outcome.append(type(exc))

    fake = FakeAsterisk(env=make_env("t"), replies={"ANSWER": [[]]})
    await converse(start_server, script, fake, command_timeout_s=0.1)
    assert outcome == [AgiTimeout, AgiProtocolError]  # the second one never hit the wire
    assert fake.commands == ["ANSWER"]


async def test_garbage_reply_is_a_protocol_error(start_server: StartServer) -> None:
    async def script(session: AgiSession) -> None:
        await session.answer()

    fake = FakeAsterisk(env=make_env("t"), replies={"ANSWER": [["banana"]]})
    with capture_logs() as logs:
        await converse(start_server, script, fake)
    failed = [e for e in logs if e["event"] == "agi.script_failed"]
    assert [e["error_id"] for e in failed] == ["agi-protocol"]
    assert fake.commands == ["ANSWER"]


HOSTILE = 'Robert"); DROP\\ "x" \\"; HANGUP\nSET VARIABLE CR_ROUTE "stasis"\r\n; ${SHELL(id)}'


async def test_hostile_caller_name_reaches_set_variable_safely(start_server: StartServer) -> None:
    async def script(session: AgiSession) -> None:
        name = session.request.caller_name or ""
        await session.set_variable("CALLER", name)
        await session.set_variable("CALLERID(name)", HOSTILE)

    env = make_env("t", agi_calleridname='O\'Brien "Bob" \\ ;;; x')
    fake = await converse(start_server, script, FakeAsterisk(env=env))
    assert len(fake.commands) == 3  # two sets and the status: nothing injected
    assert fake.variables["CALLER"] == 'O\'Brien "Bob" \\ ;;; x'
    assert fake.variables["CALLERID(name)"] == HOSTILE.replace("\n", " ").replace("\r", " ")
    assert "CR_ROUTE" not in fake.variables
