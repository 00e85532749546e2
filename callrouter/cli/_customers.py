"""``callrouter customers ...``: the CRM cards that give callers a name and a priority.

Every card belongs to a tenant. ``import``, ``add`` and ``show`` act on one tenant's
cards: those of ``--tenant``, else of the tenant ``default``; ``list`` shows --tenant's,
else every tenant's. A file is imported into one tenant, so a ``tenant`` column is
refused rather than silently ignored."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import phonenumbers
import typer

from callrouter.cli._runtime import (
    CliState,
    console,
    database_pool,
    emit_json,
    err_console,
    print_table,
    run_async,
    state_of,
)
from callrouter.config import DEFAULT_TENANT
from callrouter.dialer import NumberRejected, decode_lines, normalize_number
from callrouter.errors import ConfigError, ConfigProblem, Conflict, InvalidInput, NotFound
from callrouter.store import customers as cards
from callrouter.store.customers import (
    DEFAULT_TIER,
    MAX_PRIORITY,
    TIER_PRIORITIES,
    priority_for_tier,
)
from callrouter.store.directory import find_customer, upsert_customer

__all__ = [
    "TIER_PRIORITIES",
    "customers_app",
    "priority_for_tier",
    "read_customer_csv",
    "read_customer_file",
]

TIER_HELP = (
    "Priority in the queue: higher is answered first. Without it the tier decides:"
    " vip or gold 10, silver 5, any other tier 0."
)
COLUMNS = ("phone", "name", "tier", "priority", "account", "notes")

customers_app = typer.Typer(
    help="Customer cards (phone, name, tier, priority, account, notes): import, add, list, show."
    " Phones are stored as E.164, read with dialer.default_region when they lack +country.",
    no_args_is_help=True,
)


def _say(message: str) -> None:
    """One line of plain text on stdout: no markup, no highlighting, no wrapping."""
    console.print(message, markup=False, highlight=False, soft_wrap=True)


def _warn(message: str) -> None:
    err_console.print(message, markup=False, highlight=False)


def _tenant(state: CliState) -> str:
    """The tenant whose cards a command reads and writes."""
    return state.tenant or DEFAULT_TENANT


def _region(state: CliState) -> str | None:
    region = state.settings.dialer.default_region.strip().upper()
    if region and region not in phonenumbers.SUPPORTED_REGIONS:
        where = str(state.config_path or "callrouter.yml")
        message = f"unknown region code {region!r} (expected ISO 3166 alpha-2, e.g. 'US')"
        raise ConfigError([ConfigProblem(where, None, "dialer.default_region", message)])
    return region or None


def _e164(raw: str, region: str | None, *, require_valid: bool) -> str:
    """E.164 of ``raw``; raises ``ValueError`` with the reason when it is not a number."""
    result = normalize_number(raw.strip(), region=region, require_valid=require_valid)
    if isinstance(result, NumberRejected):
        raise ValueError(result.message)
    return result.e164


def _card_dict(record: Any) -> dict[str, Any]:
    return {key: record[key] for key in record.keys()}  # noqa: SIM118 - asyncpg.Record


# -- import ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    message: str


def _rows(raw_lines: Iterable[bytes], encoding: str) -> Iterator[tuple[int, list[str]]]:
    """CSV records with the line each starts on (a quoted field may span lines)."""
    reader = csv.reader(decode_lines(raw_lines, encoding=encoding))
    start = 1
    while True:
        try:
            record = next(reader, None)
        except csv.Error as exc:  # e.g. a field over the csv module's size limit
            raise InvalidInput(f"line {reader.line_num}: malformed CSV: {exc}") from None
        if record is None:
            return
        yield start, record
        start = reader.line_num + 1


def _header(record: list[str], line: int) -> list[str]:
    names = [cell.strip().lower() for cell in record]
    if "tenant" in names:
        raise InvalidInput(
            f"line {line}: a file is imported into one tenant, not by a tenant column:"
            " split it and import each part with callrouter --tenant <id> customers import"
        )
    unknown = [n for n in names if n not in COLUMNS]
    if unknown or "phone" not in names or len(set(names)) != len(names):
        raise InvalidInput(
            f"line {line}: the header must name the columns, among {','.join(COLUMNS)}"
            f" (phone required, each once); got {','.join(record)!r}"
        )
    return names


def _parse_row(names: list[str], record: list[str], region: str | None) -> cards.CustomerRow:
    if len(record) > len(names):
        raise ValueError(f"{len(record)} fields, the header has {len(names)}")
    cell = dict(zip(names, record, strict=False))
    phone = cell.get("phone", "").strip()
    if not phone:
        raise ValueError("no phone number")
    e164 = _e164(phone, region, require_valid=True)
    tier = cell.get("tier", "").strip().lower() or DEFAULT_TIER
    raw_priority = cell.get("priority", "").strip()
    try:
        priority = int(raw_priority) if raw_priority else priority_for_tier(tier)
    except ValueError:
        raise ValueError(f"priority {raw_priority[:20]!r} is not a whole number") from None
    if abs(priority) > MAX_PRIORITY:  # the column is a 32-bit integer
        raise ValueError(f"priority {priority} is out of range (-{MAX_PRIORITY}..{MAX_PRIORITY})")
    return cards.CustomerRow(
        phone=e164,
        name=cell.get("name", "").strip(),
        tier=tier,
        priority=priority,
        account=cell.get("account", "").strip() or None,
        notes=cell.get("notes", "").strip() or None,
    )


def read_customer_file(
    path: Path, *, region: str | None, encoding: str = "utf-8"
) -> tuple[list[cards.CustomerRow], list[RowProblem]]:
    """Valid cards (first row wins per phone) and the rows skipped, by line."""
    with path.open("rb") as raw:
        return read_customer_csv(raw, region=region, encoding=encoding, source=str(path))


def read_customer_csv(
    raw_lines: Iterable[bytes],
    *,
    region: str | None,
    encoding: str = "utf-8",
    source: str = "the file",
) -> tuple[list[cards.CustomerRow], list[RowProblem]]:
    """:func:`read_customer_file` on byte lines. Raises only ``InvalidInput``: an unusable
    file (no header, bad encoding, malformed CSV); a bad row is a ``RowProblem``."""
    names: list[str] | None = None
    good: dict[str, tuple[int, cards.CustomerRow]] = {}
    problems: list[RowProblem] = []
    for line, record in _rows(raw_lines, encoding):
        if not any(cell.strip() for cell in record):
            continue
        if names is None:
            names = _header(record, line)
            continue
        try:
            row = _parse_row(names, record, region)
        except ValueError as exc:
            problems.append(RowProblem(line, str(exc)))
            continue
        if row.phone in good:
            first = good[row.phone][0]
            problems.append(RowProblem(line, f"{row.phone} is already on line {first}"))
            continue
        good[row.phone] = (line, row)
    if names is None:
        raise InvalidInput(f"{source} is empty: expected a header line {','.join(COLUMNS)}")
    return [row for _line, row in good.values()], problems


@customers_app.command("import")
def import_customers(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="CSV with a header naming its columns among phone,name,tier,priority,account,"
        "notes (phone required).",
    ),
    encoding: str = typer.Option("utf-8", help="utf-8 (BOM or not), latin-1 or cp1252."),
    strict: bool = typer.Option(False, help="Import nothing if any row is bad (exit 6)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create or update cards from a CSV file, matched by phone (E.164).

    Into --tenant's cards, else the tenant default's. A phone already on
    file gets the row's values: re-importing a corrected file updates the
    cards. An empty priority takes the tier's: vip or gold 10, silver 5, any
    other 0. Bad rows are reported with their line number
    and skipped.
    """
    state = state_of(ctx)
    rows, problems = read_customer_file(file, region=_region(state), encoding=encoding)
    if strict and problems:
        for p in problems:
            _warn(f"line {p.line}: {p.message}")
        raise InvalidInput(f"{len(problems)} bad row(s) in {file}; nothing imported (--strict)")

    async def go() -> cards.ImportCounts:
        async with database_pool(state) as pool, pool.acquire() as conn:
            return await cards.upsert_customers(conn, rows, tenant=_tenant(state))

    counts = run_async(go())
    if as_json:
        emit_json(
            {
                "created": counts.created,
                "updated": counts.updated,
                "skipped": len(problems),
                "problems": [asdict(p) for p in problems],
            }
        )
        return
    for p in problems:
        _warn(f"line {p.line}: {p.message} (skipped)")
    _say(f"{counts.created} created, {counts.updated} updated, {len(problems)} skipped")


# -- add, list, show ---------------------------------------------------------------------


def _phone_param(raw: str, state: CliState, *, require_valid: bool) -> str:
    try:
        return _e164(raw, _region(state), require_valid=require_valid)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="PHONE") from None


@customers_app.command("add")
def add_customer(
    ctx: typer.Context,
    phone: str = typer.Option(..., help="Phone number; without +country, dialer.default_region."),
    name: str = typer.Option(..., help="Name shown to the operator."),
    tier: str = typer.Option(DEFAULT_TIER, help="Tier: vip, gold, silver, or any word."),
    priority: int | None = typer.Option(None, min=-MAX_PRIORITY, max=MAX_PRIORITY, help=TIER_HELP),
    account: str | None = typer.Option(None, help="Account number in your CRM."),
    notes: str | None = typer.Option(None, help="Free text for the operator."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite an existing card."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Add one card (to --tenant's, else default's); a phone that already has one there is
    refused (exit 6) unless --replace.

    Without --priority the tier decides: vip or gold 10, silver 5, any other
    tier 0.
    """
    state = state_of(ctx)
    e164 = _phone_param(phone, state, require_valid=True)
    tier = tier.strip().lower() or DEFAULT_TIER
    final_priority = priority if priority is not None else priority_for_tier(tier)

    async def go() -> tuple[int, bool]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            async with conn.transaction():
                existed = await cards.customer_exists(conn, e164, tenant=_tenant(state))
                if existed and not replace:
                    raise Conflict(f"{e164} already has a card; use --replace to overwrite it")
                customer_id = await upsert_customer(
                    conn,
                    phone=e164,
                    name=name,
                    tenant=_tenant(state),
                    tier=tier,
                    priority=final_priority,
                    account=account,
                    notes=notes,
                )
            return customer_id, existed

    customer_id, existed = run_async(go())
    verb = "updated" if existed else "created"
    if as_json:
        emit_json(
            {
                "id": customer_id,
                "phone": e164,
                "result": verb,
                "tier": tier,
                "priority": final_priority,
            }
        )
        return
    _say(f"{verb} customer {customer_id}: {e164} (priority {final_priority})")


@customers_app.command("list")
def list_customers(
    ctx: typer.Context,
    limit: int = typer.Option(100, min=1, help="How many cards, highest priority first."),
    tier: str | None = typer.Option(None, help="Only this tier."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Customer cards of --tenant (else of every tenant), highest priority first."""
    state = state_of(ctx)

    async def go() -> list[dict[str, Any]]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            rows = await cards.list_customers(
                conn, tenant=state.tenant, limit=limit, tier=tier.lower() if tier else None
            )
            return [_card_dict(r) for r in rows]

    rows = run_async(go())
    if as_json:
        emit_json(rows)
        return
    columns = ["tenant", "phone", "name", "tier", "priority", "account", "notes"]
    print_table("Customers", columns, [[r[c] for c in columns] for r in rows])


@customers_app.command("show")
def show_customer(
    ctx: typer.Context,
    phone: str = typer.Argument(..., help="Phone number, as stored or as typed."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One card, with how many calls it had and when the last one was (exit 5 if none)."""
    state = state_of(ctx)
    e164 = _phone_param(phone, state, require_valid=False)

    async def go() -> dict[str, Any]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            card = await find_customer(conn, e164, tenant=_tenant(state), region=_region(state))
            if card is None:
                raise NotFound(f"no customer with phone {e164}")
            calls = await cards.customer_calls(conn, card.id)
        return {**asdict(card), "calls": calls.count, "last_call_at": calls.last_at}

    card = run_async(go())
    if as_json:
        emit_json(card)
        return
    for key, value in card.items():
        _say(f"{key}: {'' if value is None else value}")
