"""Inputs the fuzzers found that escaped as the wrong exception, kept as plain tests."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from callrouter.agi._protocol import parse_environment
from callrouter.agi.errors import AgiHeaderMalformed
from callrouter.ari import parse_event
from callrouter.cli._customers import read_customer_csv
from callrouter.config import load_settings
from callrouter.dialer import LeadImportOptions, RowProblemKind, decode_lines, import_leads
from callrouter.errors import ConfigError, InvalidInput


def test_ari_frame_nested_too_deep_is_one_log_line() -> None:
    frame = '{"type": "StasisEnd", "channel": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with capture_logs() as logs:
        assert parse_event(frame) is None
    assert [e["event"] for e in logs] == ["ari_event_malformed"]


def test_agi_request_with_an_unclosed_ipv6_bracket() -> None:
    with pytest.raises(AgiHeaderMalformed, match="agi_request is not a URL"):
        parse_environment(["agi_request: agi://[::1/route"])


def _exponential_aliases() -> str:
    lines, previous = ["a: &a [x, x, x, x, x, x, x, x, x]"], "a"
    for name in "bcdefgh":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ari: " + "[" * 3000 + "]" * 3000 + "\n", "invalid YAML"),
        ("ari: &a\n  x: *a\n", "refers to a value that contains it"),
        (_exponential_aliases(), "more than 100000 values"),
        ("ari:\n  app: !foo bar\n", "not a plain value"),
        ("calendars:\n  c:\n    holidays: [!!timestamp 2026-13-45]\n", "not a plain value"),
        ("calendars:\n  c:\n    holidays: [!!timestamp soon]\n", "not a plain value"),
        ("? [a, b]\n: 1\n", "a key must be a plain name"),
        ("calendars:\n  c:\n    timezone: Europe/" + "Mars/Olympus" * 1200 + "\n", "time zone"),
        # One path segment longer than the file system allows: OSError in zoneinfo.
        ("calendars:\n  c:\n    timezone: " + "x" * 5000 + "\n", "unknown time zone"),
        ("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 40)), "nested deeper than"),
    ],
)
def test_config_files_that_crashed_the_loader(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "callrouter.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert message in str(caught.value)


def test_lead_timezone_cell_too_deep_for_zoneinfo() -> None:
    body = "phone,timezone\n+49 30 1234567,America/" + "Mars/Olympus" * 1200 + "\n"
    result = import_leads(
        decode_lines(body.encode().splitlines(keepends=True)),
        LeadImportOptions(default_timezone="UTC"),
    )
    [problem] = result.problems
    assert problem.kind is RowProblemKind.UNKNOWN_TIMEZONE and problem.line == 2


def test_customer_file_with_a_field_over_the_csv_limit() -> None:
    body = b'phone,name\n+49 30 1234567,"' + b"x" * (csv.field_size_limit() + 1) + b'"\n'
    with pytest.raises(InvalidInput, match="malformed CSV"):
        read_customer_csv(body.splitlines(keepends=True), region="DE")


def test_customer_priority_out_of_range_is_a_row_problem() -> None:
    body = b"phone,priority\n+49 30 1234567,99999999999\n"
    rows, [problem] = read_customer_csv(body.splitlines(keepends=True), region="DE")
    assert not rows and "out of range" in problem.message and problem.line == 2
