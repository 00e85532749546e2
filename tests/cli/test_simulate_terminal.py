"""README, Quick start: on a terminal, ``callrouter simulate`` keeps the live status
readable: the service's log (every call's steps) goes to ``var/log/simulate.log``."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.cli.test_cli import REPO

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _run_on_a_terminal(config: Path, dsn: str, cwd: Path) -> str:
    """Run simulate with stdout and stderr on a pseudo-terminal; what it showed."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "callrouter", "--config", str(config), "simulate",
             "--duration", "4", "--calls-per-minute", "240", "--time-scale", "10"],
            stdout=terminal, stderr=terminal, stdin=subprocess.DEVNULL,
            env={**os.environ, "CALLROUTER_DSN": dsn, "COLUMNS": "120"}, cwd=cwd,
        )  # fmt: skip
        os.close(terminal)
        shown = bytearray()
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the process is gone
                break
            if not chunk:
                break
            shown += chunk
        assert process.wait(timeout=60) == 0, shown.decode(errors="replace")[-2000:]
    finally:
        os.close(controller)
    # Rich colours what it prints on a terminal: keep the text.
    return _ANSI.sub("", shown.decode(errors="replace")).replace("\r\n", "\n")


def test_on_a_terminal_the_log_goes_to_a_file_and_the_status_stays(
    db_dsn: str, tmp_path: Path
) -> None:
    sample = yaml.safe_load((REPO / "callrouter.yml").read_text())
    sample["http"] = {"enabled": False}
    sample["database"] = {**sample.get("database", {}), "spool_dir": str(tmp_path / "spool")}
    config = tmp_path / "callrouter.yml"
    config.write_text(yaml.safe_dump(sample))
    shown = _run_on_a_terminal(config, db_dsn, tmp_path)
    log_file = tmp_path / "var" / "log" / "simulate.log"
    assert f"log: {log_file}" in shown.replace("\n", "")  # the path may wrap
    assert "calls placed" in shown
    events = [json.loads(line)["event"] for line in log_file.read_text().splitlines()]
    assert "callrouter_ready" in events
    assert "call_arrived" in events  # a call's steps are in the file
    assert "call_arrived" not in shown and "callrouter_ready" not in shown
