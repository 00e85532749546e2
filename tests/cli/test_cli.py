"""The ``callrouter`` command as a sysadmin runs it: a real process, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def callrouter(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "callrouter", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd or REPO,
        timeout=60,
    )


def test_help_lists_commands() -> None:
    result = callrouter("--help")
    assert result.returncode == 0
    for command in ("version", "check-config", "db"):
        assert command in result.stdout


def test_version_json() -> None:
    result = callrouter("version", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["callrouter"]


def test_check_config_ok_and_json() -> None:
    result = callrouter("check-config", "callrouter.yml", "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["ok"] is True and body["queues"] == 3


def test_check_config_error_is_one_clean_report(tmp_path: Path) -> None:
    bad = tmp_path / "callrouter.yml"
    bad.write_text("queues:\n  sales:\n    strategy: fastest\n")
    result = callrouter("check-config", str(bad))
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert f"{bad}:3: queues.sales.strategy" in result.stderr
    as_json = callrouter("check-config", str(bad), "--json")
    assert as_json.returncode == 3
    [error] = json.loads(as_json.stdout)["errors"]
    assert error == {
        "file": str(bad),
        "line": 3,
        "field": "queues.sales.strategy",
        "message": error["message"],
    }


def test_debug_shows_traceback(tmp_path: Path) -> None:
    result = callrouter("--debug", "check-config", str(tmp_path / "missing.yml"))
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_db_migrate_and_status(empty_db_dsn: str, tmp_path: Path) -> None:
    env = {"CALLROUTER_DSN": empty_db_dsn}
    config = tmp_path / "callrouter.yml"
    config.write_text("")
    status = callrouter("--config", str(config), "db", "status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    assert {row["state"] for row in json.loads(status.stdout)} == {"pending"}
    migrate = callrouter("--config", str(config), "db", "migrate", env=env)
    assert migrate.returncode == 0, migrate.stderr
    assert "applied" in migrate.stdout
    again = callrouter("--config", str(config), "db", "migrate", env=env)
    assert "up to date" in again.stdout
    status = callrouter("--config", str(config), "db", "status", "--json", env=env)
    assert {row["state"] for row in json.loads(status.stdout)} == {"applied"}


def test_unreachable_database_is_a_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "callrouter.yml"
    config.write_text("")
    secret = "hunter2-very-secret"
    env = {"CALLROUTER_DSN": f"postgresql://u:{secret}@127.0.0.1:1/db"}
    result = callrouter("--config", str(config), "db", "status", env=env)
    assert result.returncode == 4
    assert "Traceback" not in result.stderr
    assert "error (database)" in result.stderr
    assert secret not in result.stderr + result.stdout


@pytest.mark.parametrize("args", [["db", "--help"], ["check-config", "--help"]])
def test_every_command_has_help(args: list[str]) -> None:
    assert callrouter(*args).returncode == 0
