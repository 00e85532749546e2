"""The dialer's storage on a real PostgreSQL: campaigns, lead import and do-not-call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from callrouter.config import Settings
from callrouter.dialer import CampaignEvent, CampaignState, DncVerdict, LeadFileError, store
from callrouter.errors import Conflict, InternalError, NotFound

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday


def settings(**campaign: Any) -> Settings:
    base: dict[str, Any] = {
        "queue": "sales",
        "default_timezone": "Europe/Berlin",
        "default_region": "DE",
        "windows": {"mon-sun": ["00:00-24:00"]},
        "retry": {"busy": {"delay_s": 600, "max_attempts": 3, "backoff": 2}},
        "max_attempts": 5,
    }
    return Settings.model_validate(
        {"queues": {"sales": {}}, "campaigns": {"spring": {**base, **campaign}}}
    )


@pytest.fixture
async def conn(db_pool: asyncpg.Pool) -> Any:
    async with db_pool.acquire() as connection:
        await store.sync_campaigns(connection, settings())
        yield connection


def csv(text: str) -> list[str]:
    return text.splitlines(keepends=True)


GOOD_AND_BAD = (
    "key,phone,name,plan\n"
    "a,030 1234567,Anna,gold\n"  # line 2
    "b,,Boris,silver\n"  # 3: no phone
    'c,+1 212 555 0100,"Chen, ""CJ""",gold\n'  # 4: quotes and a comma
    "d,12,Dana,gold\n"  # 5: too short
    'e,+49 89 1234567,"Eve\nSecond line",x\n'  # 6-7: an embedded newline
    "a,040 1234567,Dup,gold\n"  # 8: duplicate key
    "f,+44 20 7946 0958,Fay,gold\n"  # 9
)


async def test_sync_keeps_state_and_updates_settings(conn: Any) -> None:
    await store.change_campaign_state(conn, "spring", CampaignEvent.START)
    [row] = await store.sync_campaigns(conn, settings(mode="predictive", caller_id="+4930111"))
    assert row.state is CampaignState.RUNNING
    assert (str(row.mode), row.caller_id, row.default_region) == ("predictive", "+4930111", "DE")
    assert row.trunk == "PJSIP/{number}@pstn"  # dialer.trunk by default
    assert row.retry_policy().rules["busy"].delay == timedelta(seconds=600)
    assert row.retry_policy().max_total_attempts == 5
    assert row.schedule().contains_local(datetime(2026, 3, 8, 3, 0))
    assert row.abandon_cap == 0.03


async def test_state_machine_guards_changes(conn: Any) -> None:
    assert await store.change_campaign_state(conn, "spring", CampaignEvent.START) == (
        CampaignState.CREATED, CampaignState.RUNNING)  # fmt: skip
    with pytest.raises(Conflict, match="cannot start a campaign that is running"):
        await store.change_campaign_state(conn, "spring", CampaignEvent.START)
    await store.change_campaign_state(conn, "spring", CampaignEvent.STOP)
    with pytest.raises(Conflict):
        await store.change_campaign_state(conn, "spring", CampaignEvent.RESUME)
    with pytest.raises(NotFound):
        await store.change_campaign_state(conn, "nope", CampaignEvent.START)


async def test_import_good_and_bad_rows_with_line_numbers(conn: Any) -> None:
    seen: list[store.ImportProgress] = []
    report = await store.import_leads(conn, "spring", csv(GOOD_AND_BAD), now=NOW,
                                      progress=seen.append)  # fmt: skip
    assert (report.inserted, report.updated, report.unchanged) == (4, 0, 0)
    assert [(p.line, str(p.kind)) for p in report.skipped] == [
        (3, "missing-phone"), (5, "invalid-number"), (8, "duplicate-key")]  # fmt: skip
    assert seen and seen[-1].good == 4 and seen[-1].skipped == 3
    rows = {r["key"]: r for r in await conn.fetch("SELECT * FROM leads")}
    assert rows["a"]["phone"] == "+49301234567" and rows["a"]["timezone"] == "Europe/Berlin"
    assert rows["c"]["name"] == 'Chen, "CJ"' and rows["c"]["timezone"] == "America/New_York"
    assert rows["e"]["name"] == "Eve\nSecond line" and rows["e"]["data"] == {"plan": "x"}
    assert {r["status"] for r in rows.values()} == {"pending"}
    assert {r["next_attempt_at"] for r in rows.values()} == {NOW}


async def test_reimport_is_idempotent_and_keeps_progress(conn: Any) -> None:
    await store.import_leads(conn, "spring", csv(GOOD_AND_BAD), now=NOW)
    again = await store.import_leads(conn, "spring", csv(GOOD_AND_BAD), now=NOW)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    lead_a = await conn.fetchval("SELECT id FROM leads WHERE key = 'a'")
    attempt = await store.start_attempt(conn, lead_a, now=NOW)
    await store.finish_attempt(conn, attempt, "busy", now=NOW)
    changed = GOOD_AND_BAD.replace("Anna", "Anna Maria") + "g,+49 40 1234567,Gus,\n"
    later = NOW + timedelta(hours=1)
    report = await store.import_leads(conn, "spring", csv(changed), now=later)
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 3)
    a = await conn.fetchrow("SELECT * FROM leads WHERE key = 'a'")
    assert (a["name"], a["attempts"], a["status"], a["last_outcome"]) == (
        "Anna Maria", 1, "pending", "busy")  # fmt: skip
    assert a["next_attempt_at"] == NOW + timedelta(seconds=600)  # not reset to `later`
    assert await conn.fetchval("SELECT count(*) FROM leads") == 5


async def test_wrong_encoding_imports_nothing(conn: Any, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes("phone,name\n030 1234567,Jörg\n".encode("latin-1"))
    with pytest.raises(LeadFileError, match="line 2: byte 0xf6"):
        await store.import_lead_file(conn, "spring", path, now=NOW)
    assert await conn.fetchval("SELECT count(*) FROM leads") == 0
    report = await store.import_lead_file(conn, "spring", path, now=NOW, encoding="latin-1")
    assert report.inserted == 1
    assert await conn.fetchval("SELECT name FROM leads") == "Jörg"


async def test_bad_bytes_late_in_the_file_roll_back_the_whole_import(
    conn: Any, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    rows = "".join(f"+49 30 {1000000 + i},L{i}\n" for i in range(25_000))
    path.write_bytes(b"phone,name\n" + rows.encode() + "x,Jörg\n".encode("latin-1"))
    with pytest.raises(LeadFileError, match="line 25002"):
        await store.import_lead_file(conn, "spring", path, now=NOW)
    assert await conn.fetchval("SELECT count(*) FROM leads") == 0


async def test_missing_phone_column(conn: Any) -> None:
    with pytest.raises(LeadFileError, match="missing required column 'phone'"):
        await store.import_leads(conn, "spring", csv("name;number\nAnna;0301234567\n"), now=NOW)


async def test_unknown_or_stopped_campaign(conn: Any) -> None:
    with pytest.raises(NotFound):
        await store.import_leads(conn, "nope", csv("phone\n030 1234567\n"), now=NOW)
    await store.change_campaign_state(conn, "spring", CampaignEvent.STOP)
    with pytest.raises(Conflict, match="stopped"):
        await store.import_leads(conn, "spring", csv("phone\n030 1234567\n"), now=NOW)


async def test_new_leads_reopen_a_finished_campaign_as_paused(conn: Any) -> None:
    await store.change_campaign_state(conn, "spring", CampaignEvent.START)
    await store.change_campaign_state(conn, "spring", CampaignEvent.FINISH)
    report = await store.import_leads(conn, "spring", csv("phone\n030 1234567\n"), now=NOW)
    assert report.reopened
    assert (await store.get_campaign(conn, "spring")).state is CampaignState.PAUSED


async def test_dnc_add_normalises_and_keeps_longest_entry(conn: Any) -> None:
    result = await store.add_dnc(conn, ["030 1234567", "+49 30 1234567", "abc"], tenant=None,
                                 region="DE", expires_at=NOW + timedelta(days=30))  # fmt: skip
    assert (result.added, [r.raw for r in result.rejected]) == (1, ["abc"])
    again = await store.add_dnc(conn, ["+49301234567"], tenant=None, reason="asked twice")
    assert (again.added, again.updated) == (0, 1)
    total, [entry] = await store.list_dnc(conn)
    assert (total, entry["phone"], entry["expires_at"], entry["reason"]) == (
        1, "+49301234567", None, "asked twice")  # fmt: skip
    [check, bad] = await store.check_dnc_numbers(conn, ["(030) 123-4567", "x"], NOW,
                                                 tenants=[], region="DE")  # fmt: skip
    assert (check.e164, check.verdict, bad.verdict) == (
        "+49301234567", DncVerdict.BLOCKED, DncVerdict.INVALID)  # fmt: skip
    removed, missing = await store.remove_dnc(
        conn, ["030 1234567", "040 999999"], tenant=None, region="DE"
    )
    assert (removed, missing) == (["+49301234567"], ["040 999999"])


async def test_dnc_expiry_and_lookup_refuses_unloaded_numbers(conn: Any) -> None:
    await store.add_dnc(conn, ["+49301234567"], tenant=None, expires_at=NOW + timedelta(days=1))
    lookup = await store.DbDncLookup.load(conn, ["+49301234567", "+49401234567"], tenants=[])
    assert lookup.blocks("+49301234567", NOW)
    assert not lookup.blocks("+49301234567", NOW + timedelta(days=2))
    assert not lookup.blocks("+49401234567", NOW)
    with pytest.raises(InternalError):
        lookup.blocks("+4989123456", NOW)


def test_dnc_file_formats() -> None:
    plain = list(store.dnc_numbers_from_lines(["030 1234567\n", "\n", "+49 40 1234567\n"]))
    assert plain == [(1, "030 1234567"), (3, "+49 40 1234567")]
    table = list(
        store.dnc_numbers_from_lines(
            ["\ufeffName;Phone\n", "Anna;030 1234567\n", "Bob;\n", "Chen;+1 212 555 0100\n"]
        )
    )
    assert table == [(2, "030 1234567"), (4, "+1 212 555 0100")]


def test_campaign_config_is_checked_at_load(tmp_path: Path) -> None:
    from callrouter.config import load_settings
    from callrouter.errors import ConfigError

    path = tmp_path / "callrouter.yml"
    path.write_text(
        "queues:\n  sales: {}\n"
        "campaigns:\n"
        "  b:\n    queue: sales\n    windows: {mon-fri: ['21:00-09:00']}\n"
        "  c:\n    queue: sales\n    retry: {connected: {delay_s: 1, max_attempts: 1}}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    fields = sorted(p.field for p in caught.value.problems)
    assert fields[0] == "campaigns.b.windows"
    assert fields[1].startswith("campaigns.c.retry.connected")
    path.write_text("queues:\n  sales: {}\ncampaigns:\n  a:\n    queue: nowhere\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    [problem] = caught.value.problems
    assert (problem.line, problem.field, problem.message) == (
        5, "campaigns.a.queue", "unknown queue 'nowhere'")  # fmt: skip
