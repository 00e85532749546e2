"""``callrouter recordings ...``: real processes, a real database and the simulated
Asterisk's stored recordings (real WAV files, made over its ARI)."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import aiohttp
import asyncpg

from callrouter.sim import SimulatedAsterisk
from tests.cli.test_cli import callrouter
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME

NOW = datetime.now(UTC).replace(microsecond=0)
NASTY = "O'Brien \"the\" caller'); DROP TABLE recordings;--, =1+1"


async def make_recording(sim: SimulatedAsterisk, name: str) -> bytes:
    """Record a mixing bridge in the simulator over ARI; return the file it wrote."""
    auth = {"Authorization": aiohttp.encode_basic_auth(SIM_USERNAME, SIM_PASSWORD)}
    async with aiohttp.ClientSession(base_url=sim.url, headers=auth) as http:
        async with http.post("/ari/bridges", params={"type": "mixing"}) as resp:
            assert resp.status == 200, await resp.text()
            bridge = (await resp.json())["id"]
        params = {"name": name, "format": "wav"}
        async with http.post(f"/ari/bridges/{bridge}/record", params=params) as resp:
            assert resp.status == 201, await resp.text()
        await asyncio.sleep(0.03)  # a few simulated seconds
        # A name with a folder (a tenant's) is one path segment, "/" escaped, as for
        # Asterisk.
        async with http.post(f"/ari/recordings/live/{quote(name, safe='')}/stop") as resp:
            assert resp.status == 204, await resp.text()
        async with http.delete(f"/ari/bridges/{bridge}") as resp:
            assert resp.status == 204
    path = sim.recordings_dir / f"{name}.wav"
    data = path.read_bytes()
    assert data.startswith(b"RIFF")
    return data


async def add_call(
    dsn: str, *, started: datetime, names: list[str], caller_name: str = "Ann"
) -> uuid.UUID:
    """A finished call and its recording rows (state done)."""
    call_id = uuid.uuid4()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO calls (id, direction, caller_number, caller_name, queue_name,"
            " created_at, answered_at, ended_at, wait_s, talk_s, outcome)"
            " VALUES ($1, 'inbound', '+4930123456', $2, 'support', $3, $3, $4, 0, 60,"
            " 'answered')",
            call_id, caller_name, started, started + timedelta(seconds=60),
        )
        for i, name in enumerate(names):
            await conn.execute(
                "INSERT INTO recordings (call_id, name, format, state, started_at, ended_at,"
                " duration_s) VALUES ($1, $2, 'wav', 'done', $3, $4, 60)",
                call_id, name, started + timedelta(seconds=i), started + timedelta(seconds=60),
            )
    finally:
        await conn.close()
    return call_id


async def states(dsn: str) -> dict[str, str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT name, state FROM recordings")
    finally:
        await conn.close()
    return {r["name"]: r["state"] for r in rows}


def write_config(tmp_path: Path, ari_url: str, *, password: str = SIM_PASSWORD) -> list[str]:
    config = tmp_path / "callrouter.yml"
    config.write_text(
        f"ari:\n  url: {ari_url}\n  username: {SIM_USERNAME}\n  password: {password}\n"
        "  request_timeout_s: 2\n"
        "recording:\n  retention_days: 30\n"
    )
    return ["--config", str(config)]


async def run(
    *args: str, dsn: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    # The simulator runs on this test's event loop: the CLI must not block it.
    return await asyncio.to_thread(callrouter, *args, env={"CALLROUTER_DSN": dsn}, cwd=cwd)


async def test_list_and_get(sim: SimulatedAsterisk, db_dsn: str, tmp_path: Path) -> None:
    audio = await make_recording(sim, "rec-one")
    audio_b = await make_recording(sim, "rec-two-b")
    await make_recording(sim, "not-in-db")
    call_one = await add_call(db_dsn, started=NOW - timedelta(hours=1), names=["rec-one"])
    call_two = await add_call(
        db_dsn, started=NOW - timedelta(hours=2), names=["rec-two-a", "rec-two-b"]
    )
    config = write_config(tmp_path, sim.url)

    listed = await run(*config, "recordings", "list", "--json", dsn=db_dsn)
    assert listed.returncode == 0, listed.stderr
    assert [r["name"] for r in json.loads(listed.stdout)] == ["rec-one", "rec-two-b", "rec-two-a"]
    only = await run(*config, "recordings", "list", "--call", str(call_one), "--json", dsn=db_dsn)
    assert [r["call_id"] for r in json.loads(only.stdout)] == [str(call_one)]
    table = await run(*config, "recordings", "list", "--limit", "1", dsn=db_dsn)
    assert table.returncode == 0, table.stderr
    assert str(call_one)[:8] in table.stdout and str(call_two)[:8] not in table.stdout
    prefix = await run(
        *config, "recordings", "list", "--call", str(call_two)[:8], "--json", dsn=db_dsn
    )
    assert [r["name"] for r in json.loads(prefix.stdout)] == ["rec-two-b", "rec-two-a"]
    bad = await run(*config, "recordings", "list", "--call", "nope", dsn=db_dsn)
    assert bad.returncode == 5

    out = tmp_path / "out"
    out.mkdir()
    by_name = await run(*config, "recordings", "get", "rec-one", dsn=db_dsn, cwd=out)
    assert by_name.returncode == 0, by_name.stderr
    assert (out / "rec-one.wav").read_bytes() == audio
    assert not list(out.glob("*.part"))
    by_call = await run(
        *config, "recordings", "get", str(call_one), "--output", str(out / "x.wav"), dsn=db_dsn
    )
    assert by_call.returncode == 0, by_call.stderr
    assert (out / "x.wav").read_bytes() == audio
    stored_only = await run(*config, "recordings", "get", "not-in-db", dsn=db_dsn, cwd=out)
    assert stored_only.returncode == 0, stored_only.stderr
    assert (out / "not-in-db.wav").read_bytes().startswith(b"RIFF")

    # Two recordings, one file name: ambiguous. Without --output, only rec-two-b exists.
    ambiguous = await run(
        *config, "recordings", "get", str(call_two), "-o", str(out / "y.wav"), dsn=db_dsn
    )
    assert ambiguous.returncode == 2 and "rec-two-a" in ambiguous.stderr
    partial = await run(*config, "recordings", "get", str(call_two), dsn=db_dsn, cwd=out)
    assert partial.returncode == 5 and "rec-two-a" in partial.stderr
    await make_recording(sim, "rec-two-a")
    folder = tmp_path / "folder"
    folder.mkdir()
    both = await run(*config, "recordings", "get", str(call_two), "-o", str(folder), dsn=db_dsn)
    assert both.returncode == 0, both.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["rec-two-a.wav", "rec-two-b.wav"]
    to_stdout = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "callrouter", *config, "recordings", "get", "rec-two-b",
         "-o", "-"],
        capture_output=True, env={**os.environ, "CALLROUTER_DSN": db_dsn}, timeout=60,
    )
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert to_stdout.stdout == audio_b

    unknown = await run(*config, "recordings", "get", "no-such-thing", dsn=db_dsn, cwd=out)
    assert unknown.returncode == 5 and "Traceback" not in unknown.stderr


async def test_export(sim: SimulatedAsterisk, db_dsn: str, tmp_path: Path) -> None:
    audio = {name: await make_recording(sim, name) for name in ("exp-a", "exp-b", "late")}
    since = NOW - timedelta(days=2)
    call_a = await add_call(db_dsn, started=since + timedelta(hours=1), names=["exp-a"],
                            caller_name=NASTY)
    call_b = await add_call(db_dsn, started=since + timedelta(hours=2),
                            names=["exp-b", "exp-missing"])
    await add_call(db_dsn, started=NOW + timedelta(hours=1), names=["late"])
    await add_call(db_dsn, started=since - timedelta(hours=1), names=["early"])
    config = write_config(tmp_path, sim.url)
    target = tmp_path / "export"

    result = await run(
        *config, "recordings", "export", "--since", since.strftime("%Y-%m-%dT%H:%M:%S"),
        "--until", NOW.strftime("%Y-%m-%d %H:%M:%S"), "--output", str(target), "--json",
        dsn=db_dsn,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["exported"] == 2 and summary["missing"] == ["exp-missing"]
    assert summary["failed"] == []
    assert "exp-missing" in result.stderr and "skipped" in result.stderr
    assert sorted(p.name for p in target.iterdir()) == ["exp-a.wav", "exp-b.wav", "index.csv"]
    assert (target / "exp-a.wav").read_bytes() == audio["exp-a"]
    with (target / "index.csv").open(newline="", encoding="utf-8") as index_file:
        index = list(csv.DictReader(index_file))
    assert [(r["call_id"], r["file"]) for r in index] == [
        (str(call_a), "exp-a.wav"), (str(call_b), "exp-b.wav")
    ]
    first = index[0]
    assert first["caller"] == "+4930123456" and first["caller_name"] == NASTY
    assert first["queue"] == "support" and first["operator"] == ""
    assert datetime.fromisoformat(first["started"]) == since + timedelta(hours=1)
    assert float(first["duration_s"]) == 60

    # Text mode, no bounds: everything not purged, "late" included.
    everything = await run(*config, "recordings", "export", "-o", str(tmp_path / "all"),
                           dsn=db_dsn)
    assert everything.returncode == 0, everything.stderr
    assert "exported 3 recording(s)" in everything.stdout
    assert "2 missing" in everything.stdout  # exp-missing and early


async def test_purge(sim: SimulatedAsterisk, db_dsn: str, tmp_path: Path) -> None:
    await make_recording(sim, "old-on-disk")
    await make_recording(sim, "recent")
    await make_recording(sim, "week-old")
    old_call = await add_call(
        db_dsn, started=NOW - timedelta(days=40), names=["old-on-disk", "old-gone"]
    )
    await add_call(db_dsn, started=NOW - timedelta(days=7), names=["week-old"])
    await add_call(db_dsn, started=NOW - timedelta(hours=1), names=["recent"])
    config = write_config(tmp_path, sim.url)  # retention_days: 30

    dry = await run(*config, "recordings", "purge", "--dry-run", "--json", dsn=db_dsn)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["would_delete"] == ["old-on-disk", "old-gone"]
    assert set((await states(db_dsn)).values()) == {"done"}
    assert (sim.recordings_dir / "old-on-disk.wav").exists()

    purged = await run(*config, "recordings", "purge", "--json", dsn=db_dsn)
    assert purged.returncode == 0, purged.stderr
    summary = json.loads(purged.stdout)
    assert (summary["deleted"], summary["already_gone"], summary["failed"]) == (1, 1, 0)
    assert summary["older_than_days"] == 30
    assert not (sim.recordings_dir / "old-on-disk.wav").exists()
    assert await states(db_dsn) == {
        "old-on-disk": "deleted", "old-gone": "deleted", "week-old": "done", "recent": "done"
    }
    purged_get = await run(*config, "recordings", "get", "old-on-disk", dsn=db_dsn, cwd=tmp_path)
    assert purged_get.returncode == 5 and "purged" in purged_get.stderr
    purged_call = await run(*config, "recordings", "get", str(old_call), dsn=db_dsn, cwd=tmp_path)
    assert purged_call.returncode == 5 and "purged" in purged_call.stderr

    again = await run(*config, "recordings", "purge", dsn=db_dsn)
    assert again.returncode == 0 and "deleted 0, already gone 0, failed 0" in again.stdout
    shorter = await run(*config, "recordings", "purge", "--older-than-days", "3", dsn=db_dsn)
    assert shorter.returncode == 0, shorter.stderr
    assert "deleted 1, already gone 0, failed 0" in shorter.stdout
    assert (await states(db_dsn))["recent"] == "done"
    assert (sim.recordings_dir / "recent.wav").exists()


async def test_asterisk_unreachable(db_dsn: str, tmp_path: Path) -> None:
    await add_call(db_dsn, started=NOW - timedelta(days=40), names=["old-1", "old-2"])
    password = "ari-pass-Zq7"
    config = write_config(tmp_path, "http://127.0.0.1:1", password=password)
    purged = await run(*config, "recordings", "purge", "--json", dsn=db_dsn)
    assert purged.returncode == 4
    summary = json.loads(purged.stdout)
    assert (summary["deleted"], summary["failed"], summary["not_tried"]) == (0, 1, 1)
    assert "error (ari-connection)" not in purged.stderr  # one line, ours
    assert "purge stopped, 1 not tried" in purged.stderr
    assert set((await states(db_dsn)).values()) == {"done"}
    got = await run(*config, "recordings", "get", "old-1", dsn=db_dsn, cwd=tmp_path)
    assert got.returncode == 4 and "Traceback" not in got.stderr
    exported = await run(*config, "recordings", "export", "-o", str(tmp_path / "e"), dsn=db_dsn)
    assert exported.returncode == 4
    for result in (purged, got, exported):
        assert password not in result.stdout + result.stderr
