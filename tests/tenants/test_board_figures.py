"""Today's figures of the wallboard read from a real PostgreSQL for two tenants: the
quarter-hour chart of each tenant sums its own queues only, and the center's all of
them; the board a tenant is sent carries its own chart and figures only."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg

from callrouter.config import Settings
from callrouter.store.wallboard import intraday_figures, queue_figures
from callrouter.web import figures_document, tenant_view

DAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SETTINGS = Settings.model_validate(
    {
        "tenants": {"acme": {"name": "ACME Insurance"}, "globex": {"name": "Globex"}},
        "queues": {"acme-q": {"tenant": "acme"}, "globex-q": {"tenant": "globex"}},
    }
)
# (queue, minutes after 09:00 UTC, outcome): ACME 2 calls, Globex 3, all in 09:00-09:15.
CALLS = [
    ("acme-q", 1, "answered"),
    ("acme-q", 2, "abandoned"),
    ("globex-q", 3, "answered"),
    ("globex-q", 4, "answered"),
    ("globex-q", 5, "answered"),
]


async def _seed(pool: asyncpg.Pool) -> None:
    for queue in ("acme-q", "globex-q"):
        await pool.execute("INSERT INTO queues (name) VALUES ($1)", queue)
    for queue, minute, outcome in CALLS:
        created = datetime(2026, 3, 2, 9, minute, tzinfo=UTC)
        answered = created + timedelta(seconds=5) if outcome == "answered" else None
        await pool.execute(
            "INSERT INTO calls (id, direction, queue_name, created_at, queued_at, answered_at,"
            " ended_at, wait_s, talk_s, outcome, tenant)"
            " VALUES ($1, 'inbound', $2, $3, $3, $4, $3::timestamptz + interval '2 minutes', 45,"
            " $5, $6, $7)",
            uuid.uuid4(), queue, created, answered, 60 if answered else None, outcome,
            SETTINGS.tenant_of_queue(queue),
        )  # fmt: skip


async def test_each_tenants_chart_sums_its_own_queues(db_pool: asyncpg.Pool) -> None:
    await _seed(db_pool)
    levels = {"acme-q": 20.0, "globex-q": 20.0}
    async with db_pool.acquire() as conn:
        intraday = await intraday_figures(
            conn, day=DAY, timezone="UTC", now=NOW, service_levels=levels,
            targets={"acme-q": 0.8, "globex-q": 0.8}, wrapups={"acme-q": 0, "globex-q": 0},
            tenant_of={"acme-q": "acme", "globex-q": "globex"},
        )  # fmt: skip
        by_queue = await queue_figures(
            conn, since=datetime(2026, 3, 2, tzinfo=UTC), service_levels=levels
        )
    nine = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def at_nine(slots: list) -> tuple[int, int]:  # type: ignore[type-arg]
        [slot] = [s for s in slots if s.start == nine]
        return slot.offered, slot.answered

    assert at_nine(intraday.center) == (5, 4)
    assert at_nine(intraday.by_tenant["acme"]) == (2, 1)
    assert at_nine(intraday.by_tenant["globex"]) == (3, 3)
    # Every quarter hour up to now, for each tenant: a chart with no holes.
    assert len(intraday.by_tenant["acme"]) == len(intraday.center) == 49

    document = figures_document(
        settings=SETTINGS, day_start=datetime(2026, 3, 2, tzinfo=UTC), queues=by_queue,
        intraday=intraday, campaigns=[],
    )  # fmt: skip
    board = {"at": NOW.isoformat(), "queues": [{"name": "acme-q", "tenant": "acme"}],
             "operators": [], "figures": document}  # fmt: skip
    figures = tenant_view(board, "acme")["figures"]
    assert set(figures["queues"]) == {"acme-q"}
    assert figures["queues"]["acme-q"]["offered"] == 2
    assert sum(slot["offered"] for slot in figures["intraday"]) == 2
