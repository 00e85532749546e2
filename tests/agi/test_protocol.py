"""The wire format, without sockets: request blocks, quoting, reply lines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callrouter.agi._protocol import (
    check_variable_name,
    encode_command,
    parse_environment,
    parse_reply_line,
    quote,
    sanitize,
)
from callrouter.agi.errors import AgiArgumentError, AgiHeaderMalformed, AgiProtocolError
from callrouter.errors import InvalidInput
from tests.agi.asterisk_fake import load_capture, make_env, parse_args


def _lines(env: dict[str, str]) -> list[str]:
    return [f"{k}: {v}" for k, v in env.items()]


def test_captured_environment_parses() -> None:
    env, _ = load_capture()
    request = parse_environment(_lines(env))
    assert request.script == "route"
    assert request.uniqueid == "1795430557.33"
    assert request.channel == "Local/agi@from-pstn-00000010;2"
    assert request.caller_number is None  # Asterisk says "unknown"
    assert request.dnid is None
    assert request.extension == "agi"
    assert request.env["agi_accountcode"] == ""
    assert request.args == ()


def test_script_query_and_arguments() -> None:
    env = make_env("operator?action=pause&reason=lunch", agi_arg_1="a b", agi_arg_2="")
    request = parse_environment(_lines(env))
    assert request.script == "operator"
    assert request.query == {"action": "pause", "reason": "lunch"}
    assert request.args == ("a b", "")


def test_script_from_agi_request_when_network_script_is_missing() -> None:
    env = make_env("x")
    del env["agi_network_script"]
    env["agi_request"] = "agi://10.0.0.1:4573/lookup/?number=42"
    request = parse_environment(_lines(env))
    assert (request.script, request.query) == ("lookup", {"number": "42"})


@pytest.mark.parametrize(
    "lines",
    [
        [],
        ["agi_network: yes", "no colon here"],
        ["agi_network: yes", "agi_network: yes"],
        ["agi network: yes"],
        ["agi_calleridname: Bob", ' Smith: "quoted"'],
    ],
)
def test_malformed_blocks_are_invalid_input(lines: list[str]) -> None:
    with pytest.raises(AgiHeaderMalformed) as info:
        parse_environment(lines)
    assert isinstance(info.value, InvalidInput)


def test_a_forged_line_in_a_caller_name_is_refused() -> None:
    # A caller name holding "\nagi_network_script: operator" arrives as two lines.
    env = make_env("lookup")
    lines = _lines(env)
    lines.insert(2, "agi_network_script: operator")
    with pytest.raises(AgiHeaderMalformed, match="repeats agi_network_script"):
        parse_environment(lines)


@pytest.mark.parametrize(
    ("line", "result", "data", "extras"),
    [
        ("200 result=0", 0, None, {}),
        ("200 result=1 (Local/agi@from-pstn-00000010;2)", 1, "Local/agi@from-pstn-00000010;2", {}),
        ("200 result=1 ()", 1, "", {}),
        ("200 result=1 (a (nested) value)", 1, "a (nested) value", {}),
        ("200 result=-1 endpos=0", -1, None, {"endpos": "0"}),
        ("200 result=49 endpos=16000", 49, None, {"endpos": "16000"}),
        ("200 result=0 (timeout) endpos=800", 0, "timeout", {"endpos": "800"}),
    ],
)
def test_reply_lines(line: str, result: int, data: str | None, extras: dict[str, str]) -> None:
    reply = parse_reply_line(line)
    assert (reply.result, reply.data, dict(reply.extras)) == (result, data, extras)


@pytest.mark.parametrize("line", ["200 result=", "200 ok", "banana", "200 result=1 (open"])
def test_bad_reply_lines(line: str) -> None:
    with pytest.raises(AgiProtocolError):
        parse_reply_line(line)


@pytest.mark.parametrize(
    "value",
    [
        'O\'Brien "the boss"',
        "back\\slash\\",
        "semi;colon",
        "",
        " lead",
        'x" ; HANGUP "',
        '\\"',
        "é",
    ],
)
def test_quote_round_trips_through_asterisks_parser(value: str) -> None:
    line = encode_command("SET", "VARIABLE", "X", quote(value, always=True)).decode()
    assert parse_args(line.rstrip("\n")) == ["SET", "VARIABLE", "X", value]


@given(st.text())
def test_any_text_is_one_argument_and_one_line(value: str) -> None:
    line = encode_command("SET", "VARIABLE", "X", quote(value)).decode()
    assert line.count("\n") == 1 and line.endswith("\n")
    assert parse_args(line[:-1]) == ["SET", "VARIABLE", "X", sanitize(value)]


def test_newlines_become_spaces() -> None:
    assert sanitize("a\nHANGUP\r\n\x00b") == "a HANGUP   b"


@pytest.mark.parametrize("name", ["CR_QUEUE", "CALLERID(name)", "HASH(a,b)", "_INHERIT"])
def test_variable_names_accepted(name: str) -> None:
    assert check_variable_name(name) == name


@pytest.mark.parametrize("name", ["", "A B", 'A"', "A\nB", "A\\B", "9LIVES", "X)"])
def test_variable_names_refused(name: str) -> None:
    with pytest.raises(AgiArgumentError):
        check_variable_name(name)
