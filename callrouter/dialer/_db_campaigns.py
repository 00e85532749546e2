"""Campaign rows: sync from the config, lifecycle through the pure state machine, stats.

The YAML config is the source of truth for a campaign's settings; ``sync_campaigns``
upserts them by name and never touches ``state`` (a restart or a config reload must
not restart a paused campaign). Campaigns removed from the config keep their row, with
their leads and attempts, for reporting.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg

from callrouter.config import DEFAULT_TENANT, Settings
from callrouter.errors import NotFound
from callrouter.store import DbConnection

from ._campaign import CampaignEvent, CampaignState, transition
from ._pacing import DEFAULT_ABANDON_CAP, Limits, PacingMode
from ._retry import Outcome, RetryPolicy, RetryRule
from ._windows import WeeklySchedule

__all__ = [
    "CampaignRow",
    "CampaignStats",
    "campaign_stats",
    "change_campaign_state",
    "finish_if_exhausted",
    "get_campaign",
    "list_campaigns",
    "sync_campaigns",
]

_COLUMNS = (
    "id, name, mode, queue_name, caller_id, trunk, state, windows, retry_rules, max_attempts,"
    " script_url, recording, default_timezone, default_region, settings, created_at, updated_at,"
    " tenant"
)
# Outcomes a person answered: the denominator of the abandon rate (abandoned / answered).
HUMAN_OUTCOMES = ("connected", "abandoned", "callback", "dnc_requested")


@dataclass(frozen=True, slots=True)
class CampaignRow:
    id: int
    name: str
    mode: PacingMode
    queue: str | None
    caller_id: str
    trunk: str
    state: CampaignState
    windows: Mapping[str, list[str]]
    retry_rules: Mapping[str, Mapping[str, float]]
    max_attempts: int
    script_url: str | None
    recording: str
    default_timezone: str
    default_region: str | None
    settings: Mapping[str, Any] = field(default_factory=dict)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    # Whose campaign: its own do-not-call list applies, besides the center's.
    tenant: str = DEFAULT_TENANT

    @classmethod
    def from_record(cls, r: asyncpg.Record) -> CampaignRow:
        return cls(
            id=r["id"], name=r["name"], mode=PacingMode(r["mode"]), queue=r["queue_name"],
            caller_id=r["caller_id"] or "", trunk=r["trunk"] or "",
            state=CampaignState(r["state"]), windows=r["windows"], retry_rules=r["retry_rules"],
            max_attempts=r["max_attempts"], script_url=r["script_url"],
            recording=r["recording"], default_timezone=r["default_timezone"],
            default_region=r["default_region"], settings=r["settings"],
            created_at=r["created_at"], updated_at=r["updated_at"], tenant=r["tenant"],
        )  # fmt: skip

    def schedule(self) -> WeeklySchedule:
        holidays = [dt.date.fromisoformat(d) for d in self.settings.get("holidays", [])]
        return WeeklySchedule.from_spec(self.windows, holidays=holidays)

    def retry_policy(self) -> RetryPolicy:
        rules = {
            Outcome(name): RetryRule(
                timedelta(seconds=float(r["delay_s"])),
                int(r["max_attempts"]),
                backoff=float(r.get("backoff", 1.0)),
            )
            for name, r in self.retry_rules.items()
        }
        return RetryPolicy(rules=rules, max_total_attempts=self.max_attempts)

    @property
    def limits(self) -> Limits:
        raw = self.settings.get("limits") or {}
        return Limits(raw.get("max_concurrent"), raw.get("max_per_second"))

    @property
    def abandon_cap(self) -> float:
        return float(self.settings.get("abandon_cap", DEFAULT_ABANDON_CAP))


async def sync_campaigns(conn: DbConnection, settings: Settings) -> list[CampaignRow]:
    """Upsert every configured campaign by name, keeping its state; return their rows."""
    dialer = settings.dialer
    rows: list[CampaignRow] = []
    async with conn.transaction():
        for name, c in settings.campaigns.items():
            # The queue row normally comes from directory.sync_directory; make sure the
            # foreign key holds even when only the campaigns are synced.
            await conn.execute(
                "INSERT INTO queues (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", c.queue
            )
            snapshot = json.loads(c.model_dump_json())
            snapshot["abandon_cap"] = (
                c.abandon_cap if c.abandon_cap is not None else (dialer.abandon_cap)
            )
            snapshot["ring_timeout_s"] = dialer.ring_timeout_s
            # What campaign_stats reads to show the brake's own window.
            snapshot["abandon_window_s"] = c.abandon_window_s or dialer.abandon_window_s
            retry = {k: json.loads(v.model_dump_json()) for k, v in c.retry.items()}
            record = await conn.fetchrow(
                "INSERT INTO campaigns (name, mode, queue_name, caller_id, trunk, windows,"
                " retry_rules, max_attempts, script_url, recording, default_timezone,"
                " default_region, settings)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)"
                " ON CONFLICT (name) DO UPDATE SET mode=$2, queue_name=$3, caller_id=$4,"
                " trunk=$5, windows=$6, retry_rules=$7, max_attempts=$8, script_url=$9,"
                " recording=$10, default_timezone=$11, default_region=$12, settings=$13,"
                f" updated_at=now() RETURNING {_COLUMNS}",
                name, c.mode, c.queue, c.caller_id or dialer.caller_id,
                c.trunk or dialer.trunk, c.windows, retry, c.max_attempts, c.script_url,
                c.recording, c.default_timezone, (c.default_region or dialer.default_region),
                snapshot,
            )  # fmt: skip
            assert record is not None
            rows.append(CampaignRow.from_record(record))
    return rows


async def list_campaigns(conn: DbConnection) -> list[CampaignRow]:
    records = await conn.fetch(f"SELECT {_COLUMNS} FROM campaigns ORDER BY name")
    return [CampaignRow.from_record(r) for r in records]


async def get_campaign(conn: DbConnection, name: str, *, for_update: bool = False) -> CampaignRow:
    lock = " FOR UPDATE" if for_update else ""
    record = await conn.fetchrow(f"SELECT {_COLUMNS} FROM campaigns WHERE name = $1{lock}", name)
    if record is None:
        raise NotFound(f"no campaign {name!r} (is it in the config's campaigns section?)")
    return CampaignRow.from_record(record)


async def change_campaign_state(
    conn: DbConnection, name: str, event: CampaignEvent
) -> tuple[CampaignState, CampaignState]:
    """Fire ``event`` through the pure state machine; ``Conflict`` if it is illegal.

    The row is locked while deciding, so two supervisors acting at once are serialised
    and the second one is judged against the first one's result.
    """
    async with conn.transaction():
        row = await get_campaign(conn, name, for_update=True)
        new = transition(row.state, event)
        await conn.execute(
            "UPDATE campaigns SET state = $2, updated_at = now() WHERE id = $1", row.id, new
        )
    return row.state, new


async def finish_if_exhausted(conn: DbConnection, name: str) -> bool:
    """A running campaign none of whose leads can be dialled any more (none pending or
    in progress) becomes ``finished``; new leads reopen it (into paused)."""
    async with conn.transaction():
        row = await get_campaign(conn, name, for_update=True)
        if row.state is not CampaignState.RUNNING:
            return False
        counts = await conn.fetchrow(
            "SELECT count(*) AS total,"
            " count(*) FILTER (WHERE status IN ('pending', 'in_progress')) AS open"
            " FROM leads WHERE campaign_id = $1",
            row.id,
        )
        assert counts is not None
        if counts["total"] == 0 or counts["open"] > 0:
            return False
        await conn.execute(
            "UPDATE campaigns SET state = $2, updated_at = now() WHERE id = $1",
            row.id, transition(row.state, CampaignEvent.FINISH),
        )  # fmt: skip
    return True


@dataclass(frozen=True, slots=True)
class CampaignStats:
    campaign: str
    state: CampaignState
    leads: int
    by_status: Mapping[str, int]
    pending: int
    """Still to be dialled (pending + in_progress)."""
    done: int
    failed: int
    """Exhausted + invalid + dnc."""
    attempts: int
    attempts_live: int
    answered: int
    abandoned: int
    answer_rate: float | None
    """Answered by a person / attempts ended."""
    abandon_rate: float | None
    """Abandoned / answered by a person, over the campaign's life (the regulated ratio)."""
    by_outcome: Mapping[str, int] = field(default_factory=dict)
    """Ended attempts by outcome (connected, busy, no_answer, machine, abandoned, ...)."""
    avg_wait_s: float | None = None
    """Connected calls: from the customer's answer to an operator (queue time)."""
    avg_talk_s: float | None = None
    window_abandon_rate: float | None = None
    """What pacing brakes on: every node's abandons over ``abandon_window_s``."""
    day_abandon_rate: float | None = None
    """Since midnight in the campaign's default time zone."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign, "state": str(self.state), "leads": self.leads,
            "by_status": dict(self.by_status), "pending": self.pending, "done": self.done,
            "failed": self.failed, "attempts": self.attempts,
            "attempts_live": self.attempts_live, "answered": self.answered,
            "abandoned": self.abandoned, "answer_rate": self.answer_rate,
            "abandon_rate": self.abandon_rate, "by_outcome": dict(self.by_outcome),
            "avg_wait_s": self.avg_wait_s, "avg_talk_s": self.avg_talk_s,
            "window_abandon_rate": self.window_abandon_rate,
            "day_abandon_rate": self.day_abandon_rate,
        }  # fmt: skip


async def campaign_stats(
    conn: DbConnection, name: str, *, now: dt.datetime | None = None
) -> CampaignStats:
    """Progress of one campaign. Operator occupancy is the runner's to measure live."""
    from ._db_pacing import abandon_counts  # pacing's own count, the one the brake reads
    from ._tz import local_midnight

    row = await get_campaign(conn, name)
    now = now or dt.datetime.now(dt.UTC)
    window = timedelta(seconds=float(row.settings.get("abandon_window_s", 3600.0)))
    shared = await abandon_counts(
        conn, row.id, window_start=now - window,
        day_start=local_midnight(now, row.default_timezone),
    )  # fmt: skip
    outcomes = await conn.fetch(
        "SELECT outcome, count(*) AS n, avg(wait_s) AS wait, avg(talk_s) AS talk"
        " FROM attempts WHERE campaign_id = $1 AND ended_at IS NOT NULL GROUP BY outcome",
        row.id,
    )
    by_outcome = {r["outcome"]: r["n"] for r in outcomes}
    connected = next((r for r in outcomes if r["outcome"] == "connected"), None)
    counts = {
        r["status"]: r["n"]
        for r in await conn.fetch(
            "SELECT status, count(*) AS n FROM leads WHERE campaign_id = $1 GROUP BY status",
            row.id,
        )
    }
    a = await conn.fetchrow(
        "SELECT count(*) AS total,"
        " count(*) FILTER (WHERE ended_at IS NULL) AS live,"
        " count(*) FILTER (WHERE ended_at IS NOT NULL) AS ended,"
        " count(*) FILTER (WHERE outcome = ANY($2::text[])) AS answered,"
        " count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned"
        " FROM attempts WHERE campaign_id = $1",
        row.id,
        list(HUMAN_OUTCOMES),
    )
    assert a is not None
    by_status = {
        s: counts.get(s, 0)
        for s in ("pending", "in_progress", "done", "exhausted", "invalid", "dnc")
    }
    return CampaignStats(
        campaign=row.name, state=row.state, leads=sum(counts.values()), by_status=by_status,
        pending=by_status["pending"] + by_status["in_progress"], done=by_status["done"],
        failed=by_status["exhausted"] + by_status["invalid"] + by_status["dnc"],
        attempts=a["total"], attempts_live=a["live"], answered=a["answered"],
        abandoned=a["abandoned"],
        answer_rate=a["answered"] / a["ended"] if a["ended"] else None,
        abandon_rate=a["abandoned"] / a["answered"] if a["answered"] else None,
        by_outcome=by_outcome,
        avg_wait_s=_float(connected["wait"]) if connected else None,
        avg_talk_s=_float(connected["talk"]) if connected else None,
        window_abandon_rate=shared.window_rate if shared.window_answered else None,
        day_abandon_rate=shared.day_rate if shared.day_answered else None,
    )  # fmt: skip


def _float(value: object) -> float | None:
    return float(value) if value is not None else None  # type: ignore[arg-type]
