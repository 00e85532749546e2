"""README, Quick start: ``callrouter simulate`` on the sample config puts a call center
to work: it prints each queue's figures every two seconds and every call lands in
PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import yaml

from callrouter.config import load_settings
from tests.cli.test_cli import REPO, callrouter


async def test_simulate_prints_queues_every_two_seconds_and_stores_every_call(
    db_dsn: str, tmp_path: Path
) -> None:
    sample = yaml.safe_load((REPO / "callrouter.yml").read_text())
    # The sample as shipped, except what would collide with other tests on this
    # machine: the HTTP port and the spool folder.
    sample["http"] = {"enabled": False}
    sample["database"] = {**sample.get("database", {}), "spool_dir": str(tmp_path / "spool")}
    config = tmp_path / "callrouter.yml"
    config.write_text(yaml.safe_dump(sample))
    result = callrouter(
        "--config", str(config), "simulate",
        "--duration", "5", "--calls-per-minute", "240", "--time-scale", "10",
        env={"CALLROUTER_DSN": db_dsn}, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    tables = result.stdout.count("calls placed")
    assert tables == 2, result.stdout  # 5 s of status, one table every 2 s
    for queue in sample["queues"]:
        assert queue in result.stdout
    conn = await asyncpg.connect(db_dsn)
    try:
        stored = await conn.fetchval("SELECT count(*) FROM calls")
    finally:
        await conn.close()
    placed = int(result.stdout.rsplit("callrouter: ", 1)[1].split()[0])
    assert placed > 0
    # Calls placed after the last table still land; none may be missing.
    assert stored >= placed


def test_the_sample_runs_four_operators_and_callers_on_three_numbers() -> None:
    # README: `make run` shows "four operators ... and callers arriving at random on
    # three numbers"; each number must reach a queue or its callers are turned away.
    settings = load_settings(REPO / "callrouter.yml", environ={})
    assert len(settings.operators) == 4
    assert len(settings.simulator.dids) == 3
    assert all(settings.routes[did] in settings.queues for did in settings.simulator.dids)
