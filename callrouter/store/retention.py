"""Recordings past retention: deleted on Asterisk, marked in PostgreSQL.

Each recording's retention is its tenant's: ``tenants.<id>.recording_retention_days``
when the tenant sets it, else ``recording.retention_days``. The cut-off is applied per
row in one query, so one purge serves every tenant, and a purge run as one tenant
(``callrouter --tenant acme recordings purge``: row-level security shows it only that
tenant's rows) uses that tenant's retention.

One purge serves both ``callrouter recordings purge`` and the running service, whose
:class:`RetentionSweeper` runs it every ``recording.purge_interval_s`` (hourly by
default), so retention holds without anybody running the CLI.

The files live on Asterisk (ARI's stored recordings), so each is deleted through ARI,
then its row is marked ``deleted`` (the call keeps its history). Marked one by one, so
an interrupted purge leaves the rows true to the disk. A file Asterisk no longer has
counts as already gone and is marked too; any other failure leaves the row for the next
purge. When Asterisk cannot be reached or refuses our credentials, the purge stops: every
other file would fail the same way.

With several nodes sharing one database, each node's Asterisk holds its own calls'
recordings: pass ``node`` so a node purges only the recordings of its calls (a 404 from
the wrong Asterisk would otherwise mark another node's files deleted and leave them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Protocol

import asyncpg
import structlog

from callrouter.ari.errors import AriAuthError, AriConnectionError, AriError, AriNotFound
from callrouter.config import RecordingSettings
from callrouter.errors import DatabaseError
from callrouter.store._pool import DbConnection, database_errors
from callrouter.store.recordings import mark_recording_deleted

__all__ = [
    "PurgeResult",
    "RetentionSweeper",
    "StoredRecordings",
    "purge_recordings",
    "recordings_to_purge",
]

# After a failed sweep (database or Asterisk down), try again sooner than a whole interval.
_RETRY_AFTER_S: Final = 60.0

log = structlog.get_logger("callrouter.retention")


class StoredRecordings(Protocol):
    """What a purge needs from Asterisk: ``AriClient.recordings`` is one."""

    async def delete_stored(self, name: str) -> None: ...


@dataclass
class PurgeResult:
    deleted: list[str] = field(default_factory=list)
    already_gone: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    not_tried: int = 0
    aborted: str | None = None
    """Why the purge stopped early (Asterisk unreachable, credentials refused), if it did."""


async def recordings_to_purge(
    conn: DbConnection,
    *,
    now: datetime,
    retention_days: int,
    tenant_retention_days: Mapping[str, int] | None = None,
    node: str | None = None,
) -> list[str]:
    """Names of the recordings past retention, oldest first: started more than their
    tenant's ``tenant_retention_days`` ago, or ``retention_days`` for a tenant not in it."""
    own = dict(tenant_retention_days or {})
    rows = await conn.fetch(
        "SELECT r.name FROM recordings r JOIN calls c ON c.id = r.call_id"
        " LEFT JOIN unnest($2::text[], $3::int[]) AS own(tenant, days) ON own.tenant = r.tenant"
        " WHERE r.state NOT IN ('deleted', 'recording', 'paused')"
        " AND r.started_at < $1::timestamptz - make_interval(days => coalesce(own.days, $4))"
        " AND ($5::text IS NULL OR c.node = $5) ORDER BY r.started_at",
        now, list(own), list(own.values()), retention_days, node,
    )  # fmt: skip
    return [row["name"] for row in rows]


async def purge_recordings(
    conn: DbConnection, recordings: StoredRecordings, names: Sequence[str]
) -> PurgeResult:
    """Delete each recording on Asterisk, then mark its row (see the module)."""
    result = PurgeResult()
    for i, name in enumerate(names):
        try:
            await recordings.delete_stored(name)
            result.deleted.append(name)
        except AriNotFound:
            result.already_gone.append(name)
        except AriError as exc:
            result.failed.append({"name": name, "error": str(exc)})
            if isinstance(exc, AriAuthError | AriConnectionError):
                result.not_tried, result.aborted = len(names) - i - 1, str(exc)
                break
            continue
        await mark_recording_deleted(conn, name)
    return result


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RetentionSweeper:
    """Purges recordings past retention now, then every ``recording.purge_interval_s``.

    ``settings`` and ``tenant_retention`` (the tenants' own retention days) are read
    before every sweep, so a reload that changes a retention or the interval applies
    from the next sweep; an interval of 0
    stops the sweeps (the CLI can still purge). ``run()`` returns only by cancellation;
    a sweep that fails (database or Asterisk down) is logged and retried after a minute.
    """

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        recordings: StoredRecordings,
        settings: Callable[[], RecordingSettings],
        tenant_retention: Callable[[], Mapping[str, int]] = dict,
        node: str | None = None,
        clock: Callable[[], datetime] = _utc_now,
        retry_after_s: float = _RETRY_AFTER_S,
    ) -> None:
        if retry_after_s <= 0:
            raise ValueError(f"retry_after_s must be positive, not {retry_after_s}")
        self._pool = pool
        self._recordings = recordings
        self._settings = settings
        self._tenant_retention = tenant_retention
        self._node = node
        self._clock = clock
        self._retry_after_s = retry_after_s
        self.sweeps = 0
        """Sweeps completed (whether or not they found anything to purge)."""

    async def sweep(self) -> PurgeResult:
        """One purge of everything past retention now."""
        days, own = self._settings().retention_days, self._tenant_retention()
        with database_errors("purging recordings"):
            async with self._pool.acquire() as conn:
                names = await recordings_to_purge(
                    conn, now=self._clock(), retention_days=days, tenant_retention_days=own,
                    node=self._node,
                )  # fmt: skip
                result = await purge_recordings(conn, self._recordings, names)
        self.sweeps += 1
        if names:
            level = log.warning if result.failed else log.info
            level(
                "recordings_purged", retention_days=days, tenant_retention_days=dict(own),
                deleted=len(result.deleted),
                already_gone=len(result.already_gone), failed=len(result.failed),
                not_tried=result.not_tried, aborted=result.aborted,
            )  # fmt: skip
        return result

    async def run(self) -> None:
        while (interval := self._settings().purge_interval_s) > 0:
            try:
                result = await self.sweep()
            except (DatabaseError, AriError) as exc:
                log.warning("recordings_purge_failed", error=str(exc))
                interval = min(interval, self._retry_after_s)
            else:
                if result.aborted is not None:
                    interval = min(interval, self._retry_after_s)
            await asyncio.sleep(interval)
        log.info("recordings_purge_off", reason="recording.purge_interval_s is 0")
