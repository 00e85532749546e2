"""RecordWriter with a spool over a real PostgreSQL: crashes during outages, replays,
exactly once. The crash is a real SIGKILL of a child process."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import asyncpg
import pytest

from callrouter.store._spool import Spool
from callrouter.store.records import CallEventRow, CallUpdate
from callrouter.store.writer import RecordWriter
from tests.store.spool_child import OPERATOR, T0, call_id
from tests.store.tcp_proxy import PgProxy
from tests.store.test_spool import records, spool_with

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def operator(db_pool: asyncpg.Pool) -> str:
    await db_pool.execute("INSERT INTO operators (id, endpoint) VALUES ($1, 'PJSIP/101')", OPERATOR)
    return OPERATOR


async def assert_each_call_once(pool: asyncpg.Pool, calls: range) -> None:
    """Every table holds call ``n``'s rows exactly once, in the order they were put."""
    ids = [r["id"] for r in await pool.fetch("SELECT id FROM calls ORDER BY created_at")]
    assert ids == [call_id(n) for n in calls]
    events = await pool.fetch("SELECT call_id, data FROM call_events ORDER BY id")
    assert [e["call_id"] for e in events] == ids
    assert events[0]["data"] == {"n": calls[0], "$tag": "kept"}
    callbacks = await pool.fetch("SELECT call_id FROM callbacks ORDER BY id")
    assert [c["call_id"] for c in callbacks] == ids
    assert await pool.fetchval("SELECT count(*) FROM operator_state_log") == len(calls)
    assert await pool.fetchval("SELECT count(*) FROM calls WHERE outcome = 'callback'") == len(
        calls
    )
    recordings = await pool.fetch("SELECT call_id, state FROM recordings ORDER BY id")
    assert [(r["call_id"], r["state"]) for r in recordings] == [(i, "done") for i in ids]


class Child:
    """``tests.store.spool_child`` in a process of its own."""

    def __init__(self, dsn: str, spool_dir: Path, first: int, count: int, *flags: str) -> None:
        self.args = [dsn, str(spool_dir), str(first), str(count), *flags]
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.store.spool_child",
            *self.args,
            cwd=REPO,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        await self.expect(b"ready")

    async def expect(self, line: bytes) -> None:
        assert self.process is not None and self.process.stdout is not None
        async with asyncio.timeout(30):
            got = await self.process.stdout.readline()
        assert got == line + b"\n"

    def go(self) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(b"go\n")

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert await self.process.wait() == -signal.SIGKILL

    async def stop(self) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.close()
        async with asyncio.timeout(30):
            assert await self.process.wait() == 0


@pytest.mark.usefixtures("operator")
async def test_killed_during_an_outage_every_record_lands_once(
    proxy: PgProxy, db_dsn: str, db_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    spool_dir = tmp_path / "spool"
    # Calls 0-9 committed, then a kill: they stay in the spool (the segment was still
    # being written), and PostgreSQL has them.
    child = Child(proxy.dsn, spool_dir, 0, 10, "--flush")
    await child.start()
    await child.expect(b"put")
    await child.kill()
    # Calls 10-59 put while the link is down, then a kill.
    child = Child(proxy.dsn, spool_dir, 10, 50, "--wait")
    await child.start()  # replayed calls 0-9: all skipped, PostgreSQL has them
    proxy.cut()
    child.go()
    await child.expect(b"put")
    await asyncio.sleep(0.5)  # a few failed retries
    await child.kill()
    assert await db_pool.fetchval("SELECT count(*) FROM calls") == 10
    proxy.restore()
    # The next process replays calls 10-59 in order, then writes its own 60-69.
    child = Child(db_dsn, spool_dir, 60, 10, "--flush")
    await child.start()
    await child.expect(b"put")
    await child.stop()
    await assert_each_call_once(db_pool, range(70))
    assert list(spool_dir.glob("*.jsonl")) == []


async def test_replay_keeps_the_order_records_were_put(
    db_pool: asyncpg.Pool, tmp_path: Path, operator: str
) -> None:
    items = records(0, 5)
    # Two updates of one column: the later must win, as it would have without a crash.
    items.append(CallUpdate(call_id(0), {"outcome": "answered"}))
    items.append(CallEventRow(call_id(4), T0, "LAST"))
    await spool_with(tmp_path, items)
    writer = RecordWriter(pool=db_pool, spool=Spool(tmp_path))
    writer.put(CallEventRow(call_id(4), T0, "AFTER_RESTART"))  # before start: after the replay
    await writer.start()
    assert writer.backlog == 0  # start() waited for the replay
    await writer.stop()
    events = await db_pool.fetch("SELECT event FROM call_events ORDER BY id")
    assert [e["event"] for e in events][-2:] == ["LAST", "AFTER_RESTART"]
    outcome = await db_pool.fetchval("SELECT outcome FROM calls WHERE id = $1", call_id(0))
    assert outcome == "answered"
    assert await db_pool.fetchval("SELECT count(*) FROM operator_state_log") == 5


async def test_a_spool_replayed_twice_writes_once(
    db_pool: asyncpg.Pool, tmp_path: Path, operator: str
) -> None:
    await spool_with(tmp_path, records(0, 20))
    copy = tmp_path.parent / "copy"
    shutil.copytree(tmp_path, copy)
    for _ in range(2):
        # The second time is the spool as it was before the first replay: a process
        # killed after PostgreSQL committed and before the files were removed.
        writer = RecordWriter(pool=db_pool, spool=Spool(tmp_path), batch_size=7)
        await writer.start()
        await writer.stop()
        shutil.rmtree(tmp_path)
        shutil.copytree(copy, tmp_path)
    await assert_each_call_once(db_pool, range(20))


async def test_a_refused_record_is_not_offered_again(
    db_pool: asyncpg.Pool, tmp_path: Path, operator: str
) -> None:
    orphan = CallEventRow(call_id(999), T0, "ENTERQUEUE")  # no such call: FK refuses
    await spool_with(tmp_path, [orphan, *records(0, 3)])
    for _ in range(2):
        writer = RecordWriter(pool=db_pool, spool=Spool(tmp_path))
        await writer.start()
        await writer.stop()
    await assert_each_call_once(db_pool, range(3))
    assert os.listdir(tmp_path) == [".lock"]
