"""SIGHUP under load with a changed route and calendar: calls and the dialplan's FastAGI
``route`` questions both follow the new file at once, and nothing is lost meanwhile."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.faults._config import DID, QUEUE, closed_today
from tests.faults._harness import Node, agi_route, call_center, verify
from tests.faults._load import Moment, reach
from tests.faults._process import until

pytestmark = pytest.mark.faults

NEW_DID, NEW_QUEUE = "200", "sales"
CLOSED_SOUND = "vm-goodbye"  # the calendar's default closed_sound


def reloaded(config: dict[str, Any]) -> dict[str, Any]:
    """The office closed for a holiday, and a new DID routed to a new queue that half
    the operators also serve."""
    changed = closed_today(config)
    changed["routes"][NEW_DID] = NEW_QUEUE
    changed["queues"][NEW_QUEUE] = {**changed["queues"][QUEUE], "hours": None}
    for op in list(changed["operators"].values())[::2]:
        op["queues"][NEW_QUEUE] = 0
    return changed


async def _agi_answers(node: Node) -> dict[str, tuple[str, str, str]]:
    answers = {}
    for did in (DID, NEW_DID):
        got = await agi_route(node, did)
        answers[did] = (
            got.get("CR_ROUTE", ""),
            got.get("CR_QUEUE", ""),
            got.get("CR_CLOSED_SOUND", ""),
        )
    return answers


def _reload_lines(node: Node) -> tuple[int, int]:
    return node.serve.events("config_reloaded"), node.serve.events("reload_refused")


async def _calls_after(dsn: str, since: datetime) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(
            "SELECT id, called_number, queue_name, outcome FROM calls WHERE created_at > $1",
            since,
        )
    finally:
        await conn.close()


async def test_sighup_applies_a_new_route_and_calendar_under_load(
    tmp_path: Path, db_dsn: str
) -> None:
    rng = random.Random(11)
    async with call_center(tmp_path, db_dsn, seed=11) as center:
        [node] = center.nodes
        await node.control.set_sound(CLOSED_SOUND, 0.3)
        center.load(rng)
        before = await _agi_answers(node)
        assert before[DID][:2] == ("stasis", QUEUE)
        assert before[NEW_DID][0] == "reject"
        await reach(node.control, Moment.TALKING, rng)
        before_reload = _reload_lines(node)
        node.rewrite_config(reloaded(node.config))
        node.serve.hangup()

        async def answered() -> bool:
            return _reload_lines(node) != before_reload

        await until(answered, what="config_reloaded or reload_refused in the log")
        assert _reload_lines(node)[1] == before_reload[1], f"refused:\n{node.serve.log_tail()}"
        applied_at = datetime.now(UTC)
        after = await _agi_answers(node)
        center.load(rng, per_s=2.0, exten=NEW_DID)
        await asyncio.sleep(2.0)
        await center.drain()
        # A closed DID may still name its queue; what the dialplan acts on is the route
        # and the sound.
        problems = [
            f"AGI route {did} answers {after[did]} after the reload, expected {want}"
            for did, want, got in (
                (DID, ("closed", CLOSED_SOUND), after[DID][::2]),
                (NEW_DID, ("stasis", NEW_QUEUE, ""), after[NEW_DID]),
            )
            if got != want
        ]
        for row in await _calls_after(db_dsn, applied_at):
            if row["called_number"] == DID and row["outcome"] != "closed":
                problems.append(f"call {row['id']} to {DID} after the reload: {row['outcome']}")
            if row["called_number"] == NEW_DID and row["queue_name"] != NEW_QUEUE:
                problems.append(f"call {row['id']} to {NEW_DID} queued in {row['queue_name']}")
        await verify(center, extra={"reload applied": problems})
