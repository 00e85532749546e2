"""``callrouter status``: is the service up, and what does the database say right now."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import typer

from callrouter.cli._phones import Phone, phone_states
from callrouter.cli._runtime import (
    CliState,
    console,
    database_pool,
    emit_json,
    run_async,
    state_of,
)
from callrouter.errors import DatabaseError
from callrouter.store import DEFAULT_MIGRATIONS_DIR, database_errors, directory, migration_status
from callrouter.store import calls as call_log

__all__ = ["health_url", "register"]

HEALTH_PATH = "/api/v1/health"
HEALTH_TIMEOUT_S = 2.0
EXIT_NOT_RUNNING = 1
EXIT_DEGRADED = 4


def _say(message: str) -> None:
    """One line of plain text on stdout: no markup, no highlighting, no wrapping."""
    console.print(message, markup=False, highlight=False, soft_wrap=True)


def health_url(host: str, port: int) -> str:
    """The URL the service answers on: a wildcard bind address is reached on loopback."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"http://{host}:{port}{HEALTH_PATH}"
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    shown = f"[{address}]" if address.version == 6 else str(address)
    return f"http://{shown}:{port}{HEALTH_PATH}"


async def _service(url: str) -> dict[str, Any]:
    """What the health endpoint says; ``running`` False with a ``problem`` otherwise."""
    base = url.removesuffix(HEALTH_PATH)
    timeout = aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_S)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url) as resp,
        ):
            body = await resp.json(content_type=None) if resp.status in (200, 503) else None
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
        return {"running": False, "url": base, "problem": f"no answer on {base}"}
    if not isinstance(body, dict) or not isinstance(body.get("ari"), dict):
        return {
            "running": False,
            "url": base,
            "problem": f"something else answers on {base} (no callrouter health there)",
        }
    ari = body["ari"]
    return {
        "running": True,
        "url": base,
        "status": body.get("status"),
        "version": body.get("version"),
        "ari": {
            "connected": ari.get("connected"),
            "reconnects": ari.get("reconnects"),
            "last_event_at": ari.get("last_event_at"),
        },
        "database": body.get("database"),
    }


async def _database(state: CliState) -> dict[str, Any]:
    folder: Path = state.settings.database.migrations_dir or DEFAULT_MIGRATIONS_DIR
    try:
        async with database_pool(state) as pool, pool.acquire() as conn:
            with database_errors("cannot read the status"):
                live = await call_log.live_call_count(conn)
                ops = await directory.operators_by_state(conn)
                migrations = await migration_status(conn, folder)
    except DatabaseError as exc:
        return {"reachable": False, "error": str(exc)}
    counts = {"applied": 0, "pending": 0, "changed": 0, "unknown": 0}
    for m in migrations:
        counts[m.state] = counts.get(m.state, 0) + 1
    return {
        "reachable": True,
        "live_calls": live,
        "operators": dict(sorted(ops.items())),
        "migrations": counts,
    }


def _ago(stamp: str | None) -> str:
    if not stamp:
        return "never"
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    seconds = max(0, round((datetime.now(UTC) - at).total_seconds()))
    return f"{stamp} ({seconds}s ago)"


def _print(report: dict[str, Any]) -> None:
    service, db = report["service"], report["database"]
    if not service["running"]:
        head = "callrouter is not running" if service["url"] else "cannot tell if callrouter runs"
        _say(f"{head} ({service['problem']})")
    else:
        ari = service["ari"]
        _say(f"callrouter {service['version']} is running on {service['url']}: {service['status']}")
        _say(f"  ARI connected: {'yes' if ari['connected'] else 'NO'}")
        _say(f"  ARI reconnects: {ari['reconnects']}")
        _say(f"  last ARI event: {_ago(ari['last_event_at'])}")
        _say(f"  database (as the service sees it): {service['database']}")
    if not db["reachable"]:
        _say(f"database: unreachable ({db['error']})")
        _say(_phones_line(report["phones"]))
        return
    operators = ", ".join(f"{k} {v}" for k, v in db["operators"].items()) or "none"
    m = db["migrations"]
    _say(f"live calls: {db['live_calls']}")
    _say(f"operators: {operators}")
    _say(_phones_line(report["phones"]))
    extra = "".join(f", {m[k]} {k}" for k in ("changed", "unknown") if m[k])
    _say(f"migrations: {m['applied']} applied, {m['pending']} pending{extra}")


async def _phones(state: CliState) -> dict[str, Any]:
    """Operators by the state of their phone (see ``operators list``)."""
    endpoints = {op_id: op.endpoint for op_id, op in state.settings.operators.items()}
    phones = await phone_states(state.settings.ari, endpoints.values())
    if phones.problem is not None:
        return {"problem": phones.problem}
    by_state: dict[str, list[str]] = {}
    for op_id, endpoint in sorted(endpoints.items()):
        by_state.setdefault(phones.of(endpoint).value, []).append(op_id)
    return by_state


def _phones_line(phones: dict[str, Any]) -> str:
    if "problem" in phones:
        return f"phones: unknown ({phones['problem']})"
    counts = []
    for phone in Phone:
        ids = phones.get(phone.value, [])
        if ids:
            named = f" ({', '.join(ids)})" if phone in _NAMED else ""
            counts.append(f"{len(ids)} {phone.value.replace('_', ' ')}{named}")
    return "phones: " + (", ".join(counts) or "none")


# Phones that explain an operator getting no calls are named, not only counted.
_NAMED = frozenset({Phone.OFFLINE, Phone.NOT_IN_ASTERISK, Phone.UNKNOWN})


def register(app: typer.Typer) -> None:
    app.command("status")(status)


def status(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Is callrouter up? Its health, then live calls, operators, phones and migrations.

    The service is asked on its HTTP API (http.host:http.port,
    /api/v1/health, 2 s timeout); the figures come from the database; whether
    operators' phones are registered, from Asterisk over ARI (an offline phone
    is never rung). Phones do not change the exit code.

    Exit codes: 0 all well; 1 the service does not answer; 4 it answers but
    is degraded (ARI or its database down), or this command cannot reach the
    database.
    """
    state = state_of(ctx)
    http = state.settings.http
    url = health_url(http.host, http.port)

    async def go() -> dict[str, Any]:
        if http.enabled:
            service = await _service(url)
        else:
            service = {
                "running": False,
                "url": None,
                "problem": "http.enabled is false: no HTTP API to ask",
            }
        return {
            "service": service,
            "database": await _database(state),
            "phones": await _phones(state),
        }

    report = run_async(go())
    if as_json:
        emit_json(report)
    else:
        _print(report)
    if not report["service"]["running"]:
        raise typer.Exit(EXIT_NOT_RUNNING)
    if report["service"]["status"] != "ok" or not report["database"]["reachable"]:
        raise typer.Exit(EXIT_DEGRADED)
