"""RecordWriter with and without the spool: what journalling every record costs.

    .venv/bin/python bench/bench_writer.py [--calls 20000] [--spool-dir DIR] [--dsn postgresql://...]

Without --dsn, starts the embedded PostgreSQL (pgserver) in a temporary folder and
applies the migrations. Each call is five records (call row, queue event, operator
state change, callback, final update), the mix the routing shell writes. For each mode
it times two things on a fresh set of calls:

- ``put``: the routing shell's cost, put() alone for every record (no await); with
  the spool this is encoding the line and one write(2).
- end to end: put everything, then flush() until PostgreSQL committed it all.

The spool goes in a temporary folder unless --spool-dir names one (put it on the disk
production uses: the fsync cost is the disk's). Prints records/s, µs per record and,
with the spool, how many fdatasyncs covered how many records. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from callrouter.store import apply_migrations, open_pool
from callrouter.store._embedded import start_embedded_postgres, stop_embedded_postgres
from callrouter.store.records import (
    CallbackInsert,
    CallEventRow,
    CallInsert,
    CallUpdate,
    OperatorStateRow,
    Record,
)
from callrouter.store.writer import RecordWriter, Spool

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
OPERATOR = "bench"


def a_call(n: int) -> list[Record]:
    call_id, at = uuid.uuid4(), T0 + timedelta(milliseconds=n)
    return [
        CallInsert(call_id, "inbound", at, channel_id=f"1700.{n}", caller_number="+4930123"),
        CallEventRow(call_id, at, "ENTERQUEUE", "support", None, {"position": 1}),
        OperatorStateRow(OPERATOR, "available", "on_call", None, at),
        CallbackInsert(call_id, "support", "+4930123", "", at, at, at + timedelta(hours=1)),
        CallUpdate(call_id, {"ended_at": at + timedelta(seconds=30), "outcome": "callback"}),
    ]


async def run_mode(pool: asyncpg.Pool, calls: int, spool_dir: Path | None) -> None:
    records = [r for n in range(calls) for r in a_call(n)]
    spool = Spool(spool_dir) if spool_dir is not None else None
    writer = RecordWriter(pool=pool, spool=spool)
    await writer.start()
    # put() alone, in slices as the shell does between awaits; the writer task runs in
    # between, as in production, but only the put() calls are timed.
    put_s = 0.0
    wall = time.perf_counter()
    for start in range(0, len(records), 50):
        began = time.perf_counter()
        writer.put_all(records[start : start + 50])
        put_s += time.perf_counter() - began
        await asyncio.sleep(0)
    await writer.flush()
    wall = time.perf_counter() - wall
    syncs = spool.syncs if spool is not None else 0
    await writer.stop()
    name = "with spool" if spool is not None else "no spool"
    count = len(records)
    print(
        f"{name:11s} put: {put_s / count * 1e6:6.2f} µs/record"
        f"  end to end: {count / wall:9,.0f} records/s ({wall / count * 1e6:6.2f} µs/record)"
        + (f"  fdatasyncs: {syncs} ({count / max(syncs, 1):,.0f} records each)" if spool else "")
    )


async def run(dsn: str, calls: int, spool_dir: Path) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await apply_migrations(conn)
        await conn.execute(
            "INSERT INTO operators (id, endpoint) VALUES ($1, 'PJSIP/bench')"
            " ON CONFLICT DO NOTHING",
            OPERATOR,
        )
    finally:
        await conn.close()
    print(f"{calls:,} calls, {calls * 5:,} records per run; spool in {spool_dir}")
    async with open_pool(dsn, min_size=2, max_size=4) as pool:
        await run_mode(pool, min(calls, 1000), None)  # warm-up: connections, plans
        for spool in (None, spool_dir, None, spool_dir):
            await run_mode(pool, calls, spool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--dsn")
    parser.add_argument("--spool-dir", type=Path)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-writer-"))
    scratch.chmod(0o755)  # as root, pgserver's own user must reach the folder
    try:
        dsn = args.dsn or start_embedded_postgres(scratch / "pgdata")
        asyncio.run(run(dsn, args.calls, args.spool_dir or scratch / "spool"))
    finally:
        if not args.dsn:
            stop_embedded_postgres(scratch / "pgdata")
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
