"""The do-not-call list in PostgreSQL, and the lookup the runner checks at dial time.

Every number goes through the pure ``normalize_dnc_number`` (lenient: a possible number,
not necessarily a valid one), the same normaliser the check uses, so "(030) 1234567"
added with region DE blocks a lead stored as "+49301234567". Entries may expire; adding
a number twice keeps the longer-lasting entry. Imports go through binary COPY, so a
national register of millions of numbers loads in seconds.

Lists (migration 017): an entry with tenant NULL is the center's (a legal register,
what an administrator adds) and blocks every campaign; a tenant's entry blocks that
tenant's campaigns only. The check reads both in one indexed query.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from callrouter.errors import InternalError
from callrouter.store import DbConnection

from ._dnc import DncEntry, DncList, DncRejected, DncVerdict, normalize_dnc_number
from ._tz import require_aware

__all__ = [
    "DbDncLookup",
    "DncCheck",
    "DncWriteResult",
    "add_dnc",
    "check_dnc_numbers",
    "dnc_numbers_from_lines",
    "list_dnc",
    "remove_dnc",
]

_NUMBER_COLUMNS = ("phone", "number", "msisdn", "telephone", "tel")
_TEMP = "dnc_import"
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True, slots=True)
class DncWriteResult:
    added: int
    updated: int
    rejected: list[DncRejected] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added, "updated": self.updated, "rejected_count": len(self.rejected),
            "rejected": [{"line": r.index, "raw": r.raw, "message": r.message}
                         for r in self.rejected],
        }  # fmt: skip


def dnc_numbers_from_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(line, raw number) from a CSV with a phone/number column or one number a line.

    A first line holding a column named phone, number, msisdn, telephone or tel is a
    header; otherwise every non-blank line is a number (its first CSV field).
    """
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None:
        return
    delimiter = max(_DELIMITERS, key=first.count) if any(d in first for d in _DELIMITERS) else ","
    cells = next(csv.reader([first.rstrip("\r\n")], delimiter=delimiter), [])
    header = [c.strip().lstrip("\ufeff").strip().lower() for c in cells]
    found = [header.index(c) for c in _NUMBER_COLUMNS if c in header]
    column = found[0] if found else 0
    body = iterator if found else itertools.chain([first], iterator)
    rows = csv.reader((line.rstrip("\r\n") for line in body), delimiter=delimiter)
    for line, row in enumerate(rows, start=2 if found else 1):
        cell = row[column].strip().lstrip("\ufeff") if len(row) > column else ""
        if cell:
            yield line, cell


async def add_dnc(
    conn: DbConnection,
    numbers: Iterable[str] | Iterable[tuple[int, str]],
    *,
    tenant: str | None,
    region: str | None = None,
    reason: str | None = None,
    source: str | None = None,
    expires_at: datetime | None = None,
) -> DncWriteResult:
    """Normalise and upsert numbers (plain strings, or (line, raw) pairs from a file) on
    ``tenant``'s list (None: the center's)."""
    if expires_at is not None:
        require_aware(expires_at, "expires_at")
    entries: dict[str, None] = {}
    rejected: list[DncRejected] = []
    for index, item in enumerate(numbers, start=1):
        line, raw = item if isinstance(item, tuple) else (index, item)
        if not raw.strip():
            continue
        e164 = normalize_dnc_number(raw, default_region=region)
        if e164 is None:
            rejected.append(DncRejected(line, raw, "not a phone number for this region"))
        else:
            entries[e164] = None
    async with conn.transaction():
        await conn.execute(f"CREATE TEMP TABLE {_TEMP} (phone text) ON COMMIT DROP")
        await conn.copy_records_to_table(_TEMP, records=[(n,) for n in entries],
                                         columns=("phone",))  # fmt: skip
        counts = await conn.fetchrow(
            "WITH up AS ("
            " INSERT INTO do_not_call (phone, reason, source, expires_at, tenant)"
            f" SELECT phone, $1, $2, $3, $4 FROM {_TEMP}"
            " ON CONFLICT (phone, tenant) DO UPDATE SET"
            "  reason = coalesce(EXCLUDED.reason, do_not_call.reason),"
            "  source = coalesce(EXCLUDED.source, do_not_call.source),"
            "  expires_at = CASE WHEN do_not_call.expires_at IS NULL"
            "   OR EXCLUDED.expires_at IS NULL THEN NULL"
            "   ELSE greatest(do_not_call.expires_at, EXCLUDED.expires_at) END"
            " RETURNING (xmax = 0) AS inserted)"
            " SELECT count(*) FILTER (WHERE inserted) AS added,"
            "  count(*) FILTER (WHERE NOT inserted) AS updated FROM up",
            reason,
            source,
            expires_at,
            tenant,
        )
    assert counts is not None
    return DncWriteResult(counts["added"], counts["updated"], rejected)


async def remove_dnc(
    conn: DbConnection, numbers: Iterable[str], *, tenant: str | None, region: str | None = None
) -> tuple[list[str], list[str]]:
    """Delete entries of ``tenant``'s list (None: the center's); returns (removed E.164
    numbers, inputs that matched nothing)."""
    wanted: dict[str, str] = {}
    missing: list[str] = []
    for raw in numbers:
        e164 = normalize_dnc_number(raw, default_region=region)
        if e164 is None:
            missing.append(raw)
        else:
            wanted[e164] = raw
    removed = [r["phone"] for r in await conn.fetch(
        "DELETE FROM do_not_call WHERE phone = ANY($1::text[]) AND tenant IS NOT DISTINCT FROM $2"
        " RETURNING phone", list(wanted), tenant,
    )]  # fmt: skip
    missing.extend(raw for e164, raw in wanted.items() if e164 not in removed)
    return sorted(removed), missing


async def list_dnc(
    conn: DbConnection, *, contains: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[int, list[asyncpg.Record]]:
    """(total matching, one page of entries by number, the center's list first). A
    tenant's connection sees its own entries and the center's."""
    pattern = f"%{contains}%" if contains else None
    total = await conn.fetchval(
        "SELECT count(*) FROM do_not_call WHERE $1::text IS NULL OR phone LIKE $1", pattern
    )
    rows = await conn.fetch(
        "SELECT phone, tenant, reason, source, added_at, expires_at FROM do_not_call"
        " WHERE $1::text IS NULL OR phone LIKE $1 ORDER BY phone, tenant NULLS FIRST"
        " LIMIT $2 OFFSET $3",
        pattern,
        limit,
        offset,
    )
    return int(total), rows


@dataclass(frozen=True, slots=True)
class DncCheck:
    raw: str
    e164: str | None
    verdict: DncVerdict
    reason: str | None = None
    expires_at: datetime | None = None


class DbDncLookup:
    """A ``DncLookup`` over the entries for a known set of numbers, loaded in one query.

    ``DncLookup.blocks`` is synchronous (the pure core cannot await), so the runner loads
    the entries for the numbers it is about to dial right before the pure check:
    ``await DbDncLookup.load(conn, phones, tenants=[campaign.tenant])``: the center's
    entries and those of ``tenants``, in one query. Asking about a number that was not
    loaded is a bug and raises, rather than silently allowing the call.
    """

    __slots__ = ("_asked", "_entries", "_list")

    def __init__(self, asked: Iterable[str], rows: Sequence[asyncpg.Record]) -> None:
        self._asked = frozenset(asked)
        self._entries = {r["phone"]: r for r in rows}
        self._list = DncList(DncEntry(r["phone"], r["expires_at"]) for r in rows)

    @classmethod
    async def load(
        cls, conn: DbConnection, e164_numbers: Iterable[str], *, tenants: Collection[str]
    ) -> DbDncLookup:
        asked = list(dict.fromkeys(e164_numbers))
        rows = await conn.fetch(
            # Tenant's entry last: its reason is the one shown when both lists have it.
            "SELECT phone, reason, expires_at FROM do_not_call WHERE phone = ANY($1::text[])"
            " AND (tenant IS NULL OR tenant = ANY($2::text[])) ORDER BY tenant NULLS FIRST",
            asked,
            list(tenants),
        )
        return cls(asked, rows)

    def blocks(self, e164: str, now: datetime) -> bool:
        if e164 not in self._asked:
            raise InternalError(f"DbDncLookup asked about {e164}, which it did not load")
        return self._list.blocks(e164, now)

    def entry(self, e164: str) -> asyncpg.Record | None:
        return self._entries.get(e164)


async def check_dnc_numbers(
    conn: DbConnection,
    numbers: Sequence[str],
    now: datetime,
    *,
    tenants: Collection[str],
    region: str | None = None,
) -> list[DncCheck]:
    """The verdict for each number as dialling for ``tenants``' campaigns would see it at
    ``now`` (no tenant: the center's list alone)."""
    require_aware(now)
    normalised = [(raw, normalize_dnc_number(raw, default_region=region)) for raw in numbers]
    lookup = await DbDncLookup.load(
        conn, [e for _, e in normalised if e is not None], tenants=tenants
    )
    checks: list[DncCheck] = []
    for raw, e164 in normalised:
        if e164 is None:
            checks.append(DncCheck(raw, None, DncVerdict.INVALID))
            continue
        entry = lookup.entry(e164)
        blocked = lookup.blocks(e164, now)
        checks.append(DncCheck(
            raw, e164, DncVerdict.BLOCKED if blocked else DncVerdict.ALLOWED,
            entry["reason"] if entry else None, entry["expires_at"] if entry else None,
        ))  # fmt: skip
    return checks
