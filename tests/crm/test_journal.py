"""The webhook journal over real files, a real PostgreSQL and a real receiver: a kill
(SIGKILL of a child process) during a database outage loses no published delivery."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web
from structlog.testing import capture_logs

from callrouter.config import CrmSettings
from callrouter.crm import WebhookNotifier, WebhookPayload
from callrouter.crm._journal import JOURNAL_FOLDER, Published, open_journal
from callrouter.crm._store import encode_body
from callrouter.errors import DatabaseError
from callrouter.store import open_pool
from callrouter.store._spool import Spool
from tests.crm.calls import ORDER, life
from tests.crm.conftest import T0, MakeNotifier, wait_until
from tests.crm.notifier_child import NODE, call_id
from tests.crm.receiver import Hit, Receiver, ok
from tests.store.conftest import proxy  # noqa: F401  (the fixture: a link the test can cut)
from tests.store.tcp_proxy import PgProxy
from tests.store.test_writer_spool import REPO, Child


class NotifierChild(Child):
    """``tests.crm.notifier_child`` in a process of its own."""

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.crm.notifier_child",
            *self.args,
            cwd=REPO,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        await self.expect(b"ready")


def journal_files(spool_dir: Path) -> list[Path]:
    return sorted((spool_dir / JOURNAL_FOLDER).glob("*.jsonl"))


def assert_each_call_in_order(hits: list[Hit], calls: range) -> None:
    by_call: dict[str | None, list[str]] = {}
    for hit in hits:
        by_call.setdefault(hit.call_id, []).append(hit.event)
    assert by_call == {str(call_id(n)): ORDER for n in calls}


async def rows_count(pool: asyncpg.Pool, status: str | None = None) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE status = coalesce($1, status)", status
    )
    return count


async def test_a_kill_during_an_outage_loses_no_published_delivery(
    proxy: PgProxy,  # noqa: F811
    db_pool: asyncpg.Pool,
    receiver: Receiver,
    make_notifier: MakeNotifier,
    tmp_path: Path,
) -> None:
    spool_dir = tmp_path / "spool"
    calls = range(6)

    async def hang(_hit: Hit) -> web.StreamResponse:
        return await receiver.hang()

    async def screen_pops_logged() -> bool:
        return await rows_count(db_pool) == len(calls)

    # A CRM that never answers: every attempt before the kills stays open, unanswered.
    receiver.responder = hang
    # Each call's screen pop reaches the table, then a kill.
    first = NotifierChild(proxy.dsn, str(spool_dir), receiver.url, "0", "6", "--events=offered")
    await first.start()
    await first.expect(b"published")
    await wait_until(screen_pops_logged)
    await first.kill()
    # The next process resumes them (their attempts hang), loses the database link,
    # publishes the rest of each call's life, and is killed.
    second = NotifierChild(
        proxy.dsn,
        str(spool_dir),
        receiver.url,
        "0",
        "6",
        "--events=answered,ended,callback",
        "--wait",
    )
    await second.start()
    proxy.cut()
    second.go()
    await second.expect(b"published")
    await asyncio.sleep(0.3)  # a few failed batch inserts
    await second.kill()
    assert await rows_count(db_pool) == len(calls)
    assert journal_files(spool_dir)
    sent_before = {hit.delivery for hit in receiver.hits}

    proxy.restore()
    receiver.responder = ok
    receiver.release.set()
    receiver.hits.clear()
    notifier = await make_notifier(node=NODE, spool_dir=spool_dir)
    await notifier.drain()
    await notifier.stop()

    # Every delivery once, in each call's order, under the id it had before the kills.
    ids = Counter(hit.delivery for hit in receiver.hits)
    assert len(ids) == 4 * len(calls) and set(ids.values()) == {1}
    assert_each_call_in_order(receiver.hits, calls)
    assert sent_before <= set(ids)
    rows = await db_pool.fetch("SELECT id, status FROM webhook_deliveries")
    assert {str(r["id"]) for r in rows} == set(ids)
    assert {r["status"] for r in rows} == {"delivered"}
    assert journal_files(spool_dir) == []


def published(payload: WebhookPayload, url: str) -> Published:
    return Published(
        id=uuid.uuid4(),
        event=payload.event,
        url=url,
        body=encode_body(payload.to_json()).decode(),
        created_at=T0,
    )


async def journal_with(spool_dir: Path, items: list[Published]) -> Spool[Published]:
    """A journal a process wrote ``items`` to and then died before any row landed."""
    journal = open_journal(spool_dir)
    await journal.open()
    for item in items:
        journal.append(item)
    await journal.close()
    return journal


async def test_a_torn_last_line_is_skipped_and_the_rest_delivered(
    make_notifier: MakeNotifier, receiver: Receiver, db_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    items = [published(p, receiver.url) for n in range(3) for p in life(call_id(n))]
    await journal_with(tmp_path, items)
    [segment] = journal_files(tmp_path)
    torn = published(life(call_id(3))[0], receiver.url)
    line = open_journal(tmp_path)._codec.encode_line(len(items) + 1, torn)
    with segment.open("ab") as file:  # the crash came in the middle of this write
        file.write(line[: len(line) // 2])

    with capture_logs() as logs:
        notifier = await make_notifier(spool_dir=tmp_path)
        await notifier.drain()
    assert any(e["event"] == "spool_torn_line" for e in logs)
    assert any(e["event"] == "webhook_journal_replayed" and e["count"] == 12 for e in logs)
    assert sorted(hit.delivery for hit in receiver.hits) == sorted(str(i.id) for i in items)
    assert_each_call_in_order(receiver.hits, range(3))
    # The body sent is the body journalled (its keys in jsonb's order: it was resumed
    # from its row).
    assert {h.delivery: h.json for h in receiver.hits} == {
        str(i.id): json.loads(i.body) for i in items
    }
    assert await rows_count(db_pool, "delivered") == len(items)


async def test_a_journal_replayed_twice_is_delivered_once(
    make_notifier: MakeNotifier, receiver: Receiver, db_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    folder = tmp_path / "spool"
    items = [published(p, receiver.url) for n in range(5) for p in life(call_id(n))]
    await journal_with(folder, items)
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    for _ in range(2):
        # The second time is the journal as it was before the first replay: a process
        # killed after the rows were committed and before the files were removed.
        notifier = await make_notifier(spool_dir=folder)
        await notifier.drain()
        await notifier.stop()
        shutil.rmtree(folder)
        shutil.copytree(copy, folder)
    assert len(receiver.hits) == len(items)
    assert await rows_count(db_pool, "delivered") == len(items)


async def test_published_before_start_goes_after_the_journal(
    make_notifier: MakeNotifier, receiver: Receiver, tmp_path: Path
) -> None:
    call = call_id(0)
    offered, answered, ended, callback = life(call)
    await journal_with(tmp_path, [published(p, receiver.url) for p in (offered, answered)])
    notifier = await make_notifier(spool_dir=tmp_path, start=False)
    notifier.publish(ended)
    notifier.publish(callback)
    await notifier.start()
    await notifier.drain()
    assert [hit.event for hit in receiver.hits] == ORDER
    await notifier.stop()
    assert journal_files(tmp_path) == []


async def test_a_record_of_another_stream_is_not_journalled(tmp_path: Path) -> None:
    rows: Spool = Spool(tmp_path / "rows")
    journal = open_journal(tmp_path)
    await rows.open()
    await journal.open()
    try:
        item = published(life(call_id(0))[0], "http://crm.invalid/")
        rows.append(item)  # type: ignore[arg-type]
        assert rows.errors == 1
        assert journal.append(item).record == item and journal.errors == 0
    finally:
        await rows.close()
        await journal.close()


async def test_a_start_without_the_database_fails_and_keeps_the_journal(
    proxy: PgProxy,  # noqa: F811
    receiver: Receiver,
    make_notifier: MakeNotifier,
    tmp_path: Path,
) -> None:
    items = [published(p, receiver.url) for p in life(call_id(0))]
    await journal_with(tmp_path, items)
    settings = CrmSettings.model_validate({"webhooks": {"offered": receiver.url}})
    async with open_pool(proxy.dsn, min_size=1, max_size=1) as pool:
        proxy.cut()
        notifier = WebhookNotifier(settings=settings, pool=pool, spool_dir=tmp_path)
        # Resuming needs the table (each call's events in order): no start without it.
        with pytest.raises(DatabaseError):
            await notifier.start()
        proxy.restore()
    # The folder is free again and still holds every delivery.
    notifier = await make_notifier(spool_dir=tmp_path)
    await notifier.drain()
    assert [hit.event for hit in receiver.hits] == ORDER
