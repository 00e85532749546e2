"""Lead import into PostgreSQL: the pure ``LeadReader`` parses, binary COPY writes.

Good rows are streamed in batches with ``copy_records_to_table`` into a temporary table,
then merged into ``leads`` with one ``INSERT ... ON CONFLICT (campaign_id, key) DO
UPDATE``. The whole import is one transaction: a file that turns out to be unusable
half-way (bytes that are not UTF-8 on line 50,000) imports nothing.

Re-importing is idempotent by key (the ``key`` column, else the E.164 number): a known
key gets its phone, name, data and timezone updated, and keeps its status, attempts,
outcome counts and next attempt time, so a corrected list never re-dials a lead already
done or resets one half-way through its retries. Rows identical to what is stored are
counted as unchanged and not rewritten. New leads are due at once (``now``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from callrouter.errors import Conflict
from callrouter.store import DbConnection

from ._campaign import CampaignEvent, CampaignState, transition
from ._db_campaigns import CampaignRow, get_campaign
from ._leads import Lead, LeadFileError, LeadImportOptions, LeadReader, RowProblem, decode_lines

__all__ = ["ImportProgress", "LeadImportReport", "import_lead_file", "import_leads"]

BATCH_ROWS = 10_000
_TEMP = "lead_import"
_TEMP_COLUMNS = ("line", "key", "phone", "timezone", "name", "data")


@dataclass(frozen=True, slots=True)
class ImportProgress:
    lines: int
    """Physical lines read so far (header included)."""
    good: int
    skipped: int
    bytes_read: int | None = None
    """Set when importing a file, so a progress bar can show the share done."""


@dataclass(frozen=True, slots=True)
class LeadImportReport:
    campaign: str
    inserted: int
    updated: int
    unchanged: int
    skipped: list[RowProblem] = field(default_factory=list)
    columns: tuple[str, ...] = ()
    delimiter: str = ","
    elapsed_s: float = 0.0
    reopened: bool = False
    """The campaign was finished and new leads reopened it (into paused)."""

    @property
    def imported(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def as_dict(self, *, max_skipped: int | None = None) -> dict[str, Any]:
        shown = self.skipped if max_skipped is None else self.skipped[:max_skipped]
        return {
            "campaign": self.campaign, "inserted": self.inserted, "updated": self.updated,
            "unchanged": self.unchanged, "skipped_count": len(self.skipped),
            "skipped": [{"line": p.line, "reason": str(p.kind), "message": p.message}
                        for p in shown],
            "columns": list(self.columns), "delimiter": self.delimiter,
            "elapsed_s": round(self.elapsed_s, 3), "reopened": self.reopened,
        }  # fmt: skip


ProgressCallback = Callable[[ImportProgress], None]


def options_for(
    campaign: CampaignRow, *, timezone: str | None = None, region: str | None = None
) -> LeadImportOptions:
    """The campaign's defaults, overridden by what the operator passed on the command line."""
    return LeadImportOptions(
        default_timezone=timezone or campaign.default_timezone,
        default_region=region or campaign.default_region,
    )


def _record(lead: Lead) -> tuple[int, str, str, str, str, str]:
    return (lead.line, lead.key, lead.phone, lead.timezone, lead.name or "",
            json.dumps(dict(lead.extra), ensure_ascii=False))  # fmt: skip


async def import_leads(
    conn: DbConnection,
    campaign: str,
    lines: Iterable[str],
    options: LeadImportOptions | None = None,
    *,
    now: datetime,
    progress: ProgressCallback | None = None,
    bytes_read: Callable[[], int] | None = None,
) -> LeadImportReport:
    """Import text lines (a CSV with a header) into ``campaign``; see the module docstring.

    ``options`` default to the campaign's timezone and region. Raises ``NotFound`` for an
    unknown campaign, ``Conflict`` for a stopped one, ``LeadFileError`` (InvalidInput)
    when the file as a whole is unusable; in every case nothing is written.
    """
    started = time.perf_counter()
    async with conn.transaction():
        row = await get_campaign(conn, campaign, for_update=True)
        if row.state is CampaignState.STOPPED:
            raise Conflict(f"campaign {campaign!r} is stopped; it takes no new leads")
        reader = LeadReader(lines, options or options_for(row))
        await conn.execute(
            f"CREATE TEMP TABLE {_TEMP} (line integer, key text, phone text, timezone text,"
            " name text, data text) ON COMMIT DROP"
        )
        skipped: list[RowProblem] = []
        good = 0
        batch: list[tuple[int, str, str, str, str, str]] = []
        last_line = 1

        async def flush() -> None:
            nonlocal batch
            if batch:
                await conn.copy_records_to_table(_TEMP, records=batch, columns=_TEMP_COLUMNS)
                batch = []
            if progress is not None:
                progress(ImportProgress(
                    last_line, good, len(skipped), bytes_read() if bytes_read else None
                ))  # fmt: skip

        for item in reader:
            last_line = item.line
            if isinstance(item, Lead):
                batch.append(_record(item))
                good += 1
                if len(batch) >= BATCH_ROWS:
                    await flush()
            else:
                skipped.append(item)
        await flush()
        counts = await conn.fetchrow(
            "WITH up AS ("
            " INSERT INTO leads (campaign_id, key, phone, timezone, name, data,"
            "   next_attempt_at)"
            f" SELECT $1, key, phone, timezone, name, data::jsonb, $2 FROM {_TEMP}"
            " ON CONFLICT (campaign_id, key) DO UPDATE SET phone = EXCLUDED.phone,"
            "   timezone = EXCLUDED.timezone, name = EXCLUDED.name, data = EXCLUDED.data,"
            "   updated_at = now()"
            " WHERE (leads.phone, leads.timezone, leads.name, leads.data)"
            "   IS DISTINCT FROM (EXCLUDED.phone, EXCLUDED.timezone, EXCLUDED.name,"
            "   EXCLUDED.data)"
            " RETURNING (xmax = 0) AS inserted)"
            " SELECT count(*) FILTER (WHERE inserted) AS inserted,"
            "   count(*) FILTER (WHERE NOT inserted) AS updated FROM up",
            row.id,
            now,
        )
        assert counts is not None
        reopened = row.state is CampaignState.FINISHED and counts["inserted"] > 0
        if reopened:
            await conn.execute(
                "UPDATE campaigns SET state = $2, updated_at = now() WHERE id = $1",
                row.id,
                transition(row.state, CampaignEvent.REOPEN),
            )
    return LeadImportReport(
        campaign=row.name,
        inserted=counts["inserted"],
        updated=counts["updated"],
        unchanged=good - counts["inserted"] - counts["updated"],
        skipped=skipped,
        columns=reader.columns,
        delimiter=reader.delimiter,
        elapsed_s=time.perf_counter() - started,
        reopened=reopened,
    )


class _CountingLines:
    """Byte lines of a file, counting the bytes handed out (for a progress bar)."""

    def __init__(self, raw: Iterable[bytes]) -> None:
        self._raw = raw
        self.bytes_read = 0

    def __iter__(self) -> Iterator[bytes]:
        for line in self._raw:
            self.bytes_read += len(line)
            yield line


async def import_lead_file(
    conn: DbConnection,
    campaign: str,
    path: Path,
    options: LeadImportOptions | None = None,
    *,
    now: datetime,
    encoding: str = "utf-8",
    progress: ProgressCallback | None = None,
) -> LeadImportReport:
    """``import_leads`` for a file on disk, decoded with ``decode_lines``."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise LeadFileError(f"cannot open {path}: {exc.strerror or exc}") from exc
    with handle:
        counting = _CountingLines(handle)
        return await import_leads(
            conn, campaign, decode_lines(counting, encoding=encoding), options, now=now,
            progress=progress, bytes_read=lambda: counting.bytes_read,
        )  # fmt: skip
