"""A RecordWriter with a spool in a process of its own, for tests that kill it.

    python -m tests.store.spool_child DSN SPOOL_DIR FIRST COUNT

Starts the writer (replaying what the spool holds) and prints ``ready``; with
``--wait``, reads a line from stdin first (the test cuts the database link meanwhile).
Puts calls FIRST..FIRST+COUNT-1 and prints ``put`` once ``put`` has returned for all of
them (with ``--flush``, once they are committed, too), then waits to be killed or for
stdin to close (a clean stop).
Run by tests/store/test_writer_spool.py; ``a_call`` is what both sides expect.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog

from callrouter.store import open_pool
from callrouter.store.records import (
    CallbackInsert,
    CallEventRow,
    CallInsert,
    CallUpdate,
    OperatorStateRow,
    Record,
    RecordingInsert,
    RecordingUpdate,
)
from callrouter.store.writer import RecordWriter, Spool

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
OPERATOR = "anna"
_NAMESPACE = uuid.UUID("6f1d0c1e-5a34-4e55-9d55-0d1f1c0a7e01")


def call_id(n: int) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, str(n))


def a_call(n: int) -> list[Record]:
    """Call ``n``'s records: one of every kind, those with no unique key of their own
    (events, operator log, callbacks) included."""
    cid, at = call_id(n), T0 + timedelta(seconds=n)
    return [
        CallInsert(cid, "inbound", at, channel_id=f"17000.{n}", queue_name="support"),
        CallEventRow(cid, at, "ENTERQUEUE", "support", None, {"n": n, "$tag": "kept"}),
        OperatorStateRow(OPERATOR, "available", "on_call", None, at),
        CallbackInsert(cid, "support", f"+4930{n:07d}", "", at, at, at + timedelta(hours=1)),
        RecordingInsert(cid, f"rec-{n}", "wav", at),
        RecordingUpdate(f"rec-{n}", "done", at + timedelta(seconds=20), 19.5, 312_000),
        CallUpdate(cid, {"ended_at": at + timedelta(seconds=30), "outcome": "callback"}),
    ]


async def main(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    async with open_pool(args.dsn, min_size=1, max_size=2) as pool:
        writer = RecordWriter(pool=pool, retry_max_s=0.2, spool=Spool(args.spool_dir))
        await writer.start()
        print("ready", flush=True)
        if args.wait:
            await loop.run_in_executor(None, sys.stdin.readline)
        for n in range(args.first, args.first + args.count):
            writer.put_all(a_call(n))
        if args.flush:
            await writer.flush()
        print("put", flush=True)
        # Until killed, or stdin closes: then a clean stop.
        await loop.run_in_executor(None, sys.stdin.read)
        await writer.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("dsn")
    parser.add_argument("spool_dir", type=Path)
    parser.add_argument("first", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--flush", action="store_true")
    parser.add_argument("--wait", action="store_true")
    # stdout is the line protocol with the test; logs go to stderr.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    asyncio.run(main(parser.parse_args()))
