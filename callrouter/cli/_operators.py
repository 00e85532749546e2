"""``callrouter operators ...``: who is logged in, and changing that.

A state change is a request stored in PostgreSQL and announced with NOTIFY: the routing
process applies it in order (logging out an operator who is on a call takes effect when
the call ends) and records the result; made while it is down, it applies at its start.
"""

from __future__ import annotations

import asyncio
from typing import Any

import typer

from callrouter.cli._phones import Phone, PhoneStates, phone_states
from callrouter.cli._runtime import (
    console,
    database_pool,
    emit_json,
    err_console,
    print_table,
    run_async,
    state_of,
)
from callrouter.store import directory

operators_app = typer.Typer(
    help="Operators: list, login, logout, pause, unpause.", no_args_is_help=True
)

_APPLY_WAIT_S = 3.0


@operators_app.command("list")
def list_operators(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Every operator with endpoint, phone, state, since when, and queues (penalty).

    phone: whether Asterisk has the operator's phone registered (asked over ARI). An
    OFFLINE phone is never rung, so its operator gets no calls whatever their state;
    MISSING: Asterisk has no such endpoint; ?: Asterisk could not be asked.
    """
    state = state_of(ctx)

    async def go() -> tuple[list[dict[str, Any]], PhoneStates]:
        async with database_pool(state) as pool, pool.acquire() as conn:
            await directory.sync_directory(conn, state.settings)
            rows = [dict(r) for r in await directory.list_operators(conn)]
        phones = await phone_states(state.settings.ari, [r["endpoint"] for r in rows])
        return rows, phones

    rows, phones = run_async(go())
    for row in rows:
        row["phone"] = phones.of(row["endpoint"]).value
    if phones.problem is not None:
        err_console.print(f"note: phones unknown: {phones.problem}", markup=False,
                          highlight=False)  # fmt: skip
    if as_json:
        emit_json(rows)
        return
    print_table(
        "Operators",
        ["id", "name", "endpoint", "phone", "state", "reason", "since", "queues"],
        [
            [
                r["id"],
                r["name"],
                r["endpoint"],
                Phone(r["phone"]).shown,
                r["state"],
                r["state_reason"],
                r["state_since"].strftime("%Y-%m-%d %H:%M:%S"),
                ", ".join(f"{q}({p})" for q, p in sorted(r["queues"].items())),
            ]
            for r in rows
        ],
    )


def _request(ctx: typer.Context, operator_id: str, action: str, reason: str | None) -> None:
    state = state_of(ctx)

    async def go() -> str | None:
        async with database_pool(state) as pool, pool.acquire() as conn:
            await directory.sync_directory(conn, state.settings)
            request_id = await directory.request_operator_action(
                conn, operator_id, action, reason, source="cli"
            )
            # Wait briefly for a running callrouter to apply it, to report the outcome.
            deadline = asyncio.get_running_loop().time() + _APPLY_WAIT_S
            while asyncio.get_running_loop().time() < deadline:
                result = await directory.request_result(conn, request_id)
                if result is not None:
                    return result
                await asyncio.sleep(0.1)
            return None

    result = run_async(go())
    if result is None:
        console.print(f"{action} {operator_id}: queued; callrouter applies it when it runs")
    else:
        console.print(f"{action} {operator_id}: {result}")


@operators_app.command("login")
def login(ctx: typer.Context, operator_id: str) -> None:
    """Log an operator in: they start receiving calls."""
    _request(ctx, operator_id, "login", None)


@operators_app.command("logout")
def logout(ctx: typer.Context, operator_id: str) -> None:
    """Log an operator out (after their current call, if on one)."""
    _request(ctx, operator_id, "logout", None)


@operators_app.command("pause")
def pause(
    ctx: typer.Context,
    operator_id: str,
    reason: str = typer.Option("break", "--reason", "-r", help="Reason code, e.g. lunch."),
) -> None:
    """Pause an operator with a reason code: no calls are offered until unpause."""
    _request(ctx, operator_id, "pause", reason)


@operators_app.command("unpause")
def unpause(ctx: typer.Context, operator_id: str) -> None:
    """End an operator's pause."""
    _request(ctx, operator_id, "unpause", None)
