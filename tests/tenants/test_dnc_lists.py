"""Do-not-call lists per tenant in PostgreSQL: the center's entries block every tenant's
campaigns, a tenant's entries only its own; a customer's request during a call lands on
the campaign's tenant's list; row-level security keeps tenants to their own entries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from callrouter.config import Settings
from callrouter.dialer import store
from callrouter.dialer.store import DialRefused, permit_dial
from callrouter.store import callbacks as store_callbacks
from callrouter.store.directory import sync_directory
from callrouter.store.tenants import as_tenant

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
ACME_ONLY = "+4930100001"  # on acme's list
CENTER = "+4930100002"  # on the center's list
NOBODYS = "+4930100003"
CAMPAIGN: dict[str, Any] = {
    "default_region": "DE",
    "default_timezone": "Europe/Berlin",
    "windows": {"mon-sun": ["00:00-24:00"]},
}
SETTINGS = Settings.model_validate(
    {
        "tenants": {"acme": {"name": "ACME"}, "globex": {"name": "Globex"}},
        "queues": {"acme-q": {"tenant": "acme"}, "globex-q": {"tenant": "globex"}},
        "campaigns": {
            "acme-c": {**CAMPAIGN, "tenant": "acme", "queue": "acme-q"},
            "globex-c": {**CAMPAIGN, "tenant": "globex", "queue": "globex-q"},
        },
    }
)


@pytest.fixture
async def conn(db_pool: asyncpg.Pool) -> AsyncIterator[Any]:
    async with db_pool.acquire() as connection:
        await sync_directory(connection, SETTINGS)
        await store.sync_campaigns(connection, SETTINGS)
        lines = ["phone\n", *(f"{p}\n" for p in (ACME_ONLY, CENTER, NOBODYS))]
        for name in ("acme-c", "globex-c"):
            await store.import_leads(connection, name, lines, now=NOW - timedelta(minutes=1))
        await store.add_dnc(connection, [ACME_ONLY], tenant="acme", reason="asked acme")
        await store.add_dnc(connection, [CENTER], tenant=None, reason="national register")
        yield connection


async def _claim(conn: Any, campaign: str) -> dict[str, str]:
    """Claim what may be dialled now; every lead's phone -> status afterwards."""
    row = await store.get_campaign(conn, campaign)
    await store.claim_dialable(conn, row, NOW, 10, node="n1")
    rows = await conn.fetch(
        "SELECT l.phone, l.status FROM leads l JOIN campaigns c ON c.id = l.campaign_id"
        " WHERE c.name = $1",
        campaign,
    )
    return {r["phone"]: r["status"] for r in rows}


async def test_a_tenants_entry_blocks_its_campaigns_the_centers_every_campaign(
    conn: Any,
) -> None:
    assert await _claim(conn, "acme-c") == {
        ACME_ONLY: "dnc", CENTER: "dnc", NOBODYS: "in_progress",
    }  # fmt: skip
    assert await _claim(conn, "globex-c") == {
        ACME_ONLY: "in_progress", CENTER: "dnc", NOBODYS: "in_progress",
    }  # fmt: skip


async def test_a_number_typed_by_hand_is_checked_for_whom_it_is_called(conn: Any) -> None:
    with pytest.raises(DialRefused, match="do-not-call"):
        await permit_dial(conn, number=ACME_ONLY, lead_id=None, now=NOW, tenants=["acme"])
    with pytest.raises(DialRefused):  # an operator serving both: both lists
        await permit_dial(conn, number=ACME_ONLY, lead_id=None, now=NOW, tenants=["globex", "acme"])
    with pytest.raises(DialRefused):
        await permit_dial(conn, number=CENTER, lead_id=None, now=NOW, tenants=[])
    permit = await permit_dial(conn, number=ACME_ONLY, lead_id=None, now=NOW, tenants=["globex"])
    assert permit.phone == ACME_ONLY


async def test_a_request_during_a_call_lands_on_the_campaigns_tenants_list(conn: Any) -> None:
    claimed = await _claim(conn, "acme-c")
    assert claimed[NOBODYS] == "in_progress"
    lead_id = await conn.fetchval(
        "SELECT l.id FROM leads l JOIN campaigns c ON c.id = l.campaign_id"
        " WHERE c.name = 'acme-c' AND l.phone = $1",
        NOBODYS,
    )
    attempt = await store.start_attempt(conn, lead_id, now=NOW)
    await store.finish_attempt(conn, attempt, "dnc_requested", now=NOW)
    entry = await conn.fetchrow("SELECT tenant, source FROM do_not_call WHERE phone = $1", NOBODYS)
    assert (entry["tenant"], entry["source"]) == ("acme", "campaign:acme-c")
    # Globex, another client, may still call the number.
    assert (await _claim(conn, "globex-c"))[NOBODYS] == "in_progress"


async def test_checks_show_a_tenant_both_lists(conn: Any) -> None:
    checks = await store.check_dnc_numbers(
        conn, [ACME_ONLY, CENTER, NOBODYS], NOW, tenants=["acme"]
    )
    assert [str(c.verdict) for c in checks] == ["blocked", "blocked", "allowed"]
    assert [c.reason for c in checks] == ["asked acme", "national register", None]
    checks = await store.check_dnc_numbers(conn, [ACME_ONLY, CENTER], NOW, tenants=["globex"])
    assert [str(c.verdict) for c in checks] == ["allowed", "blocked"]


async def test_one_phone_on_the_centers_and_a_tenants_list_is_two_entries(conn: Any) -> None:
    again = await store.add_dnc(conn, [CENTER], tenant="acme", expires_at=NOW + timedelta(1))
    assert (again.added, again.updated) == (1, 0)
    twice = await store.add_dnc(conn, [CENTER], tenant=None)
    assert (twice.added, twice.updated) == (0, 1)
    # Taking it off acme's list leaves the center's entry, which still blocks acme.
    assert await store.remove_dnc(conn, [CENTER], tenant="acme") == ([CENTER], [])
    assert (await _claim(conn, "acme-c"))[CENTER] == "dnc"
    assert await store.remove_dnc(conn, [ACME_ONLY], tenant="globex") == ([], [ACME_ONLY])


async def test_due_callbacks_are_cancelled_by_their_tenants_list(conn: Any) -> None:
    for queue in ("acme-q", "globex-q"):
        await store_callbacks.schedule_callback(
            conn, queue=queue, phone=ACME_ONLY, name="", now=NOW, due_at=NOW, note=None,
            operator_id=None,
        )  # fmt: skip
    assert await store_callbacks.cancel_dnc_callbacks(conn, NOW) == 1
    rows = await conn.fetch("SELECT queue_name, status FROM callbacks ORDER BY queue_name")
    assert [tuple(r) for r in rows] == [("acme-q", "cancelled"), ("globex-q", "pending")]


async def test_a_tenant_session_reads_its_list_and_the_centers_and_changes_its_own(
    conn: Any,
) -> None:
    await store.add_dnc(conn, [NOBODYS], tenant="globex")
    async with as_tenant(conn, "acme") as acme:
        total, rows = await store.list_dnc(acme)
        assert (total, [(r["phone"], r["tenant"]) for r in rows]) == (
            2, [(ACME_ONLY, "acme"), (CENTER, None)],
        )  # fmt: skip
        # Not the center's entry, not globex's: nothing to remove.
        assert await acme.execute("DELETE FROM do_not_call WHERE phone <> ''") == "DELETE 1"
    async with as_tenant(conn, "acme") as acme:
        # Written without a tenant, an entry is the session's own.
        await acme.execute("INSERT INTO do_not_call (phone) VALUES ($1)", NOBODYS)
    assert (
        await conn.fetchval(
            "SELECT count(*) FROM do_not_call WHERE phone = $1 AND tenant = 'acme'", NOBODYS
        )
        == 1
    )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with as_tenant(conn, "acme") as acme:
            await acme.execute("INSERT INTO do_not_call (phone, tenant) VALUES ('+1', NULL)")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with as_tenant(conn, "acme") as acme:
            await acme.execute("INSERT INTO do_not_call (phone, tenant) VALUES ('+1', 'globex')")
