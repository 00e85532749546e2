"""Recordings per tenant: a folder of its own on Asterisk (real files in the simulated
Asterisk's recordings directory), its own retention in the running service's purge and
on the command line, and ``--tenant`` exports of its folder only."""

from __future__ import annotations

import csv
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, final_call_row, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs
from tests.cli.test_cli_recordings import make_recording, run
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME

NOW = datetime.now(UTC)
CENTER_DAYS, ACME_DAYS = 30, 7
# name: (tenant, age in days). acme keeps 7 days, globex and default the center's 30.
AGED = {
    "acme/acme-10d": ("acme", 10),
    "acme/acme-3d": ("acme", 3),
    "globex/globex-10d": ("globex", 10),
    "globex/globex-40d": ("globex", 40),
    "house-10d": ("default", 10),
    "house-40d": ("default", 40),
}


def cli_config(tmp_path: Path, sim: SimulatedAsterisk) -> list[str]:
    path = tmp_path / "callrouter.yml"
    path.write_text(
        f"ari: {{url: '{sim.url}', username: {SIM_USERNAME}, password: {SIM_PASSWORD},"
        " request_timeout_s: 2}\n"
        f"recording: {{retention_days: {CENTER_DAYS}}}\n"
        f"tenants:\n  acme: {{recording_retention_days: {ACME_DAYS}}}\n  globex: {{}}\n"
    )
    return ["--config", str(path)]


async def seed_aged(sim: SimulatedAsterisk, dsn: str) -> None:
    """Every recording of AGED: its file on Asterisk, its call and row in PostgreSQL."""
    conn = await asyncpg.connect(dsn)
    try:
        for name, (tenant, days) in AGED.items():
            await make_recording(sim, name)
            started, call_id = NOW - timedelta(days=days), uuid.uuid4()
            await conn.execute(
                "INSERT INTO calls (id, direction, caller_number, created_at, tenant)"
                " VALUES ($1, 'inbound', '+4930123', $2, $3)",
                call_id, started, tenant,
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO recordings (call_id, name, format, state, started_at, tenant)"
                " VALUES ($1, $2, 'wav', 'done', $3, $4)",
                call_id, name, started, tenant,
            )  # fmt: skip
    finally:
        await conn.close()


async def deleted(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT name FROM recordings WHERE state = 'deleted'")
    finally:
        await conn.close()
    return {r["name"] for r in rows}


def on_disk(sim: SimulatedAsterisk) -> set[str]:
    root = sim.recordings_dir
    return {p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.wav")}


async def test_a_tenants_calls_are_recorded_into_its_folder(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str, tmp_path: Path
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.05)
    settings = make_settings(
        sim,
        tenants={"acme": {"name": "ACME"}, "globex": {"name": "Globex"}},
        queues={"acme-q": {"tenant": "acme", "wrapup_s": 0}, "house": {"wrapup_s": 0}},
        operators={"anna": {"endpoint": "PJSIP/101", "queues": {"acme-q": 0, "house": 0},
                            "logged_in": True}},
        routes={"100": "acme-q", "400": "house"},
    )  # fmt: skip
    async with running_service(settings, db_dsn):
        for count, did in enumerate(("100", "400"), start=1):
            caller = await sim_control.place_call(exten=did)
            await eventually(lambda: bridged_pairs(sim_control), what=f"call to {did} bridged")
            await sim_control.hangup(caller["id"])
            await final_call_row(db_dsn, count=count)
        rows = await final_call_row(db_dsn, count=2)
        call = {r["tenant"]: str(r["id"]) for r in rows}

        async def both_stored() -> bool:
            return len(on_disk(sim)) == 2

        await eventually(both_stored, what="both recordings on disk")
    # The default tenant's recordings stay where they always were.
    assert on_disk(sim) == {f"acme/callrouter-{call['acme']}", f"callrouter-{call['default']}"}
    conn = await asyncpg.connect(db_dsn)
    try:
        names = dict(await conn.fetch("SELECT tenant, name FROM recordings"))
    finally:
        await conn.close()
    assert names == {"acme": f"acme/callrouter-{call['acme']}",
                     "default": f"callrouter-{call['default']}"}  # fmt: skip

    # An export as acme: its folder, its files only; the center's: every tenant's.
    config = cli_config(tmp_path, sim)
    acme_out, all_out = tmp_path / "acme-export", tmp_path / "all-export"
    exported = await run(*config, "--tenant", "acme", "recordings", "export", "-o",
                         str(acme_out), dsn=db_dsn)  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    acme_file = f"acme/callrouter-{call['acme']}.wav"
    assert sorted(str(p.relative_to(acme_out)) for p in acme_out.rglob("*.wav")) == [acme_file]
    assert (acme_out / acme_file).read_bytes() == (sim.recordings_dir / acme_file).read_bytes()
    with (acme_out / "index.csv").open(newline="", encoding="utf-8") as index_file:
        index = list(csv.DictReader(index_file))
    assert [(r["call_id"], r["file"], r["tenant"]) for r in index] == [
        (call["acme"], acme_file, "acme")
    ]
    everything = await run(*config, "recordings", "export", "-o", str(all_out), dsn=db_dsn)
    assert everything.returncode == 0, everything.stderr
    assert sorted(str(p.relative_to(all_out)) for p in all_out.rglob("*.wav")) == sorted(
        [acme_file, f"callrouter-{call['default']}.wav"]
    )
    got = await run(*config, "recordings", "get", call["acme"], "-o", str(tmp_path / "one.wav"),
                    dsn=db_dsn)  # fmt: skip
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "one.wav").read_bytes() == (sim.recordings_dir / acme_file).read_bytes()


async def test_the_running_service_purges_by_each_tenants_retention(
    sim: SimulatedAsterisk, db_dsn: str
) -> None:
    await seed_aged(sim, db_dsn)
    settings = make_settings(
        sim,
        recording={"retention_days": CENTER_DAYS, "purge_interval_s": 0.05},
        tenants={"acme": {"recording_retention_days": ACME_DAYS}, "globex": {}},
    )
    past = {"acme/acme-10d", "globex/globex-40d", "house-40d"}
    async with running_service(settings, db_dsn):

        async def purged() -> bool:
            return await deleted(db_dsn) == past

        await eventually(purged, what="the recordings past their tenant's retention purged")
    assert await deleted(db_dsn) == past
    assert on_disk(sim) == set(AGED) - past


async def test_purge_on_the_command_line_per_tenant(
    sim: SimulatedAsterisk, db_dsn: str, tmp_path: Path
) -> None:
    await seed_aged(sim, db_dsn)
    config = cli_config(tmp_path, sim)

    # As acme: its rows only, by its own 7 days.
    dry = await run(*config, "--tenant", "acme", "recordings", "purge", "--dry-run", "--json",
                    dsn=db_dsn)  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    summary = json.loads(dry.stdout)
    assert (summary["would_delete"], summary["older_than_days"]) == (["acme/acme-10d"], ACME_DAYS)
    # As globex: the center's 30 days, and none of acme's files, due as they are.
    globex = await run(*config, "--tenant", "globex", "recordings", "purge", dsn=db_dsn)
    assert globex.returncode == 0, globex.stderr
    assert "deleted 1, already gone 0, failed 0 (older than 30 days)" in globex.stdout
    assert await deleted(db_dsn) == {"globex/globex-40d"}
    assert "acme/acme-10d" in on_disk(sim)

    # The center: every tenant by its own retention.
    center = await run(*config, "recordings", "purge", "--json", dsn=db_dsn)
    assert center.returncode == 0, center.stderr
    summary = json.loads(center.stdout)
    assert summary["tenant_retention_days"] == {"acme": ACME_DAYS}
    assert summary["deleted"] == 2
    past = {"acme/acme-10d", "globex/globex-40d", "house-40d"}
    assert await deleted(db_dsn) == past
    assert on_disk(sim) == set(AGED) - past
