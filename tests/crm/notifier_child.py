"""A WebhookNotifier with a journal in a process of its own, for tests that kill it.

    python -m tests.crm.notifier_child DSN SPOOL_DIR URL FIRST COUNT [--events ...] [--wait]

Starts the notifier (resuming what the journal and the table hold) and prints
``ready``; with ``--wait``, reads a line from stdin first (the test cuts the database
link meanwhile). Publishes, for calls FIRST..FIRST+COUNT-1, the events of their life
named by ``--events`` (all four by default), prints ``published``, then waits to be
killed or for stdin to close (a clean stop). Every delivery is stamped with the same
instant, so only the order of publishing can keep a call's events in order.
Run by tests/crm/test_journal.py; ``call_id`` is what both sides expect.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from pathlib import Path

import structlog

from callrouter.config import CrmSettings
from callrouter.crm import WebhookNotifier
from callrouter.store import open_pool
from tests.crm.calls import life
from tests.crm.conftest import FixedClock, fast_retry

NODE = "pbx-a"
_NAMESPACE = uuid.UUID("0c8d2f4e-77a1-4a8e-b1f3-5d2b9e6a4c10")


def call_id(n: int) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, str(n))


async def main(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    settings = CrmSettings.model_validate(
        {
            "webhooks": {key: args.url for key in ("offered", "answered", "ended", "callback")},
            # A CRM that hangs keeps its first attempt open until the kill: no retries.
            "timeout_s": 60,
        }
    )
    async with open_pool(args.dsn, min_size=1, max_size=2) as pool:
        notifier = WebhookNotifier(
            settings=settings,
            pool=pool,
            node=NODE,
            spool_dir=args.spool_dir,
            clock=FixedClock(),
            retry=fast_retry(),
        )
        await notifier.start()
        print("ready", flush=True)
        if args.wait:
            await loop.run_in_executor(None, sys.stdin.readline)
        for n in range(args.first, args.first + args.count):
            for payload in life(call_id(n)):
                if payload.event.removeprefix("call.").removesuffix(".requested") in args.events:
                    notifier.publish(payload)
        print("published", flush=True)
        # Until killed, or stdin closes: then a clean stop.
        await loop.run_in_executor(None, sys.stdin.read)
        await notifier.stop(drain_timeout_s=0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("dsn")
    parser.add_argument("spool_dir", type=Path)
    parser.add_argument("url")
    parser.add_argument("first", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument(
        "--events",
        type=lambda text: set(text.split(",")),
        default={"offered", "answered", "ended", "callback"},
    )
    parser.add_argument("--wait", action="store_true")
    # stdout is the line protocol with the test; logs go to stderr.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    asyncio.run(main(parser.parse_args()))
