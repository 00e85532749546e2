"""``callrouter report`` as a sysadmin runs it (a real process) on the fixture day."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.cli.test_cli import callrouter
from tests.reports.fixture_day import DAY, ZONE, seed

CONFIG = f"""
queues:
  support: {{service_level_s: 20, service_level_target: 0.8, wrapup_s: 10}}
operators:
  anna: {{endpoint: PJSIP/101, queues: {{support: 0}}}}
  ben: {{endpoint: PJSIP/102, queues: {{support: 0}}}}
reports: {{timezone: {ZONE}}}
"""


def _config(tmp_path: Path) -> str:
    path = tmp_path / "callrouter.yml"
    path.write_text(CONFIG)
    return str(path)


async def test_report_queues_json_and_csv(db_dsn: str, tmp_path: Path) -> None:
    await seed(db_dsn)
    env = {"CALLROUTER_DSN": db_dsn}
    args = ("--config", _config(tmp_path), "report", "queues", "--from", DAY)
    result = callrouter(*args, "--interval", "1h", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert (body["timezone"], body["interval"]) == (ZONE, "1h")
    rows = {r["start"]: r for r in body["rows"]}
    assert len(rows) == 25  # the fall-back day
    second = rows["2026-10-25T02:00:00+01:00"]
    assert (second["offered"], second["service_level"], second["avg_handle_s"]) == (5, 0.25, 138)
    result = callrouter(*args, "--interval", "1d", "--format", "csv", env=env)
    assert result.returncode == 0, result.stderr
    [day] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert (day["start"], day["offered"], day["service_level"]) == (
        "2026-10-25T00:00:00+02:00", "6", "0.4",
    )  # fmt: skip


async def test_report_operators_csv_spreads_pause_reasons(db_dsn: str, tmp_path: Path) -> None:
    await seed(db_dsn)
    result = callrouter(
        "--config", _config(tmp_path), "report", "operators", "--from", DAY, "--to", DAY,
        "--interval", "1d", "--format", "csv", env={"CALLROUTER_DSN": db_dsn},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = {r["operator"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["anna"]["pause_by_reason.lunch"] == "900.0"
    assert rows["anna"]["pause_by_reason.outbound"] == "0"
    assert rows["ben"]["pause_by_reason.outbound"] == "600.0"
    assert rows["anna"]["logged_in_s"] == "12600.0"


async def test_report_table_and_bad_input(db_dsn: str, tmp_path: Path) -> None:
    await seed(db_dsn)
    env = {"CALLROUTER_DSN": db_dsn, "COLUMNS": "160"}
    config = _config(tmp_path)
    result = callrouter("--config", config, "report", "campaigns", "--from", DAY, env=env)
    assert result.returncode == 0, result.stderr
    assert "spring" in result.stdout and "2026-10-25 02:00+0100" in result.stdout
    bad = callrouter(
        "--config", config, "report", "queues", "--from", DAY, "--interval", "5m", env=env
    )
    assert bad.returncode == 6, bad.stderr
    assert "interval must be one of 15m, 30m, 1h, 1d" in bad.stderr
    assert "Traceback" not in bad.stderr
    late = callrouter("--config", config, "report", "queues", "--from", "tomorrow", env=env)
    assert late.returncode == 6 and "neither a date" in late.stderr
