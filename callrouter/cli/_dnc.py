"""``callrouter dnc ...``: the do-not-call list, checked by the dialer at dial time.

Numbers are normalised to E.164 as typed ("030 1234567" with the region DE), so an entry
blocks the number however a lead list writes it. Region defaults to
``dialer.default_region``.

Without ``--tenant`` the commands change the center's list, which blocks every tenant's
campaigns; with ``--tenant acme``, acme's own list, which blocks acme's campaigns only
(``list`` and ``check`` then show acme's entries and the center's).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from callrouter.cli._runtime import (
    console,
    database_pool,
    emit_json,
    print_table,
    run_async,
    state_of,
)
from callrouter.dialer import decode_lines
from callrouter.dialer import store as dialer_store
from callrouter.errors import InvalidInput, NotFound

dnc_app = typer.Typer(
    help="Do-not-call list: add, import, remove, list, check.", no_args_is_help=True
)

_REGION_HELP = "Region for numbers without +country [default: dialer.default_region]."


def _expiry(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--expires {text!r}: expected a date or an ISO date-time") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _print_write(result: dialer_store.DncWriteResult) -> None:
    console.print(
        f"added {result.added}, updated {result.updated}, rejected {len(result.rejected)}",
        highlight=False,
    )
    for r in result.rejected[:20]:
        console.print(f"  line {r.index}: {r.raw!r}: {r.message}", highlight=False, markup=False)
    if len(result.rejected) > 20:
        console.print(f"  ... and {len(result.rejected) - 20} more (--json lists every one)")


def _write_options(
    ctx: typer.Context, region: str | None, expires: str | None
) -> tuple[str, datetime | None]:
    return region or state_of(ctx).settings.dialer.default_region, _expiry(expires)


@dnc_app.command("add")
def add(
    ctx: typer.Context,
    numbers: list[str] = typer.Argument(..., help="Numbers as typed."),
    region: str | None = typer.Option(None, "--region", help=_REGION_HELP),
    reason: str | None = typer.Option(None, "--reason", help="Why (kept with the entry)."),
    expires: str | None = typer.Option(None, "--expires", help="Date the entry lapses."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Put numbers on the do-not-call list."""
    state = state_of(ctx)
    region, expires_at = _write_options(ctx, region, expires)

    async def go() -> dialer_store.DncWriteResult:
        async with database_pool(state) as pool, pool.acquire() as conn:
            return await dialer_store.add_dnc(
                conn, numbers, tenant=state.tenant, region=region, reason=reason, source="cli",
                expires_at=expires_at,
            )  # fmt: skip

    result = run_async(go())
    if as_json:
        emit_json(result.as_dict())
    else:
        _print_write(result)
    if not result.added + result.updated:
        raise typer.Exit(6)


@dnc_app.command("import")
def import_file(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="A CSV with a phone/number column, or one a line."
    ),
    encoding: str = typer.Option("utf-8", "--encoding", help="utf-8 (default), latin-1, cp1252."),
    region: str | None = typer.Option(None, "--region", help=_REGION_HELP),
    reason: str | None = typer.Option(None, "--reason", help="Why (kept with each entry)."),
    source: str | None = typer.Option(None, "--source", help="Where the list came from."),
    expires: str | None = typer.Option(None, "--expires", help="Date the entries lapse."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (every rejected line)."),
) -> None:
    """Load a do-not-call file (a national register, a CRM export)."""
    state = state_of(ctx)
    region, expires_at = _write_options(ctx, region, expires)

    async def go() -> dialer_store.DncWriteResult:
        with file.open("rb") as handle:
            numbers = list(dialer_store.dnc_numbers_from_lines(
                decode_lines(handle, encoding=encoding)))  # fmt: skip
        async with database_pool(state) as pool, pool.acquire() as conn:
            return await dialer_store.add_dnc(
                conn, numbers, tenant=state.tenant, region=region, reason=reason,
                source=source or file.name, expires_at=expires_at,
            )  # fmt: skip

    result = run_async(go())
    if as_json:
        emit_json(result.as_dict())
    else:
        _print_write(result)
    if not result.added + result.updated and result.rejected:
        raise typer.Exit(6)


@dnc_app.command("remove")
def remove(
    ctx: typer.Context,
    numbers: list[str] = typer.Argument(..., help="Numbers as typed."),
    region: str | None = typer.Option(None, "--region", help=_REGION_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Take numbers off the do-not-call list."""
    state = state_of(ctx)
    region = region or state.settings.dialer.default_region

    async def go() -> tuple[list[str], list[str]]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            return await dialer_store.remove_dnc(conn, numbers, tenant=state.tenant, region=region)

    removed, missing = run_async(go())
    if as_json:
        emit_json({"removed": removed, "not_found": missing})
    else:
        for number in removed:
            console.print(f"removed {number}", highlight=False)
    if missing and not removed:
        raise NotFound(f"not on the do-not-call list: {', '.join(missing)}")
    if missing and not as_json:
        console.print(f"not on the list: {', '.join(missing)}", highlight=False, markup=False)


@dnc_app.command("list")
def list_entries(
    ctx: typer.Context,
    contains: str | None = typer.Option(None, "--contains", help="Digits the number contains."),
    limit: int = typer.Option(100, "--limit", min=1, help="Entries to show."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Do-not-call entries by number: every list, or --tenant's and the center's."""
    state = state_of(ctx)

    async def go() -> tuple[int, list[dict[str, object]]]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            total, rows = await dialer_store.list_dnc(conn, contains=contains, limit=limit)
            return total, [dict(r) for r in rows]

    total, rows = run_async(go())
    if as_json:
        emit_json({"total": total, "entries": rows})
        return
    print_table(
        f"Do not call ({len(rows)} of {total})",
        ["phone", "list", "reason", "source", "added", "expires"],
        [[r["phone"], r["tenant"] or "center", r["reason"], r["source"], r["added_at"],
          r["expires_at"]] for r in rows],
    )  # fmt: skip


@dnc_app.command("check")
def check(
    ctx: typer.Context,
    numbers: list[str] = typer.Argument(..., help="Numbers as typed."),
    region: str | None = typer.Option(None, "--region", help=_REGION_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Would the dialer call these numbers now (for --tenant's campaigns, else by the
    center's list alone)? allowed, blocked or invalid."""
    state = state_of(ctx)
    region = region or state.settings.dialer.default_region

    async def go() -> list[dialer_store.DncCheck]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            return await dialer_store.check_dnc_numbers(
                conn, numbers, datetime.now(UTC), region=region,
                tenants=[state.tenant] if state.tenant else [],
            )  # fmt: skip

    checks = run_async(go())
    rows = [
        {"number": c.raw, "e164": c.e164, "verdict": str(c.verdict), "reason": c.reason,
         "expires_at": c.expires_at}
        for c in checks
    ]  # fmt: skip
    if as_json:
        emit_json(rows)
        return
    print_table(
        "Do-not-call check",
        ["number", "e164", "verdict", "reason", "expires"],
        [[r["number"], r["e164"], r["verdict"], r["reason"], r["expires_at"]] for r in rows],
    )
