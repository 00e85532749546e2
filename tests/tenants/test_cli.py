"""``--tenant`` on the command line: the same row-level security as the API's tenant
tokens, so every command that lists, exports or changes data sees one tenant only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from tests.cli.test_cli import callrouter

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
CONFIG = """\
tenants:
  acme: {name: ACME}
  globex: {name: Globex}
queues:
  acme-q: {tenant: acme}
  globex-q: {tenant: globex}
"""


async def _seed(dsn: str) -> dict[str, str]:
    conn = await asyncpg.connect(dsn)
    ids = {}
    try:
        for tenant in ("acme", "globex"):
            call_id = uuid.uuid4()
            ids[tenant] = str(call_id)
            await conn.execute(
                "INSERT INTO calls (id, direction, caller_number, queue_name, created_at,"
                " tenant) VALUES ($1, 'inbound', $2, $3, $4, $5)",
                call_id, f"+1555{len(tenant)}", f"{tenant}-q", T0, tenant,
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO call_events (call_id, at, event, queue_name, tenant)"
                " VALUES ($1, $2, 'ENTERQUEUE', $3, $4)",
                call_id, T0, f"{tenant}-q", tenant,
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO recordings (call_id, name, format, state, started_at, tenant)"
                " VALUES ($1, $2, 'wav', 'done', $3, $4)",
                call_id, f"callrouter-{call_id}", T0, tenant,
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO customers (phone, name, tenant) VALUES ($1, $2, $3)",
                f"+1212555{len(tenant):04d}", f"customer of {tenant}", tenant,
            )  # fmt: skip
    finally:
        await conn.close()
    return ids


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "callrouter.yml"
    path.write_text(CONFIG)
    return path


@pytest.mark.parametrize(
    "command",
    [
        ("calls", "list", "--json"),
        ("calls", "export"),
        ("recordings", "list", "--json"),
        ("customers", "list", "--json"),
    ],
    ids=" ".join,
)
async def test_a_tenant_sees_only_its_rows(db_dsn: str, config: Path, command: tuple[str]) -> None:
    ids = await _seed(db_dsn)
    env = {"CALLROUTER_DSN": db_dsn}
    everything = callrouter("-c", str(config), *command, env=env)
    assert everything.returncode == 0, everything.stderr
    assert "acme" in everything.stdout and "globex" in everything.stdout
    acme = callrouter("-c", str(config), "--tenant", "acme", *command, env=env)
    assert acme.returncode == 0, acme.stderr
    assert "acme" in acme.stdout or ids["acme"][:8] in acme.stdout
    assert "globex" not in acme.stdout and ids["globex"][:8] not in acme.stdout


async def test_a_tenant_cannot_show_another_tenants_call(db_dsn: str, config: Path) -> None:
    ids = await _seed(db_dsn)
    env = {"CALLROUTER_DSN": db_dsn}
    args = ("-c", str(config), "--tenant", "acme", "calls", "show")
    assert callrouter(*args, ids["globex"], env=env).returncode == 5  # not found
    assert callrouter(*args, ids["acme"], env=env).returncode == 0


def test_an_unknown_tenant_is_refused(db_dsn: str, config: Path) -> None:
    env = {"CALLROUTER_DSN": db_dsn, "CALLROUTER_TENANT": "initech"}
    result = callrouter("-c", str(config), "calls", "list", env=env)
    assert result.returncode != 0
    assert "no such tenant" in result.stderr


async def test_a_row_a_tenant_adds_is_its_own(db_dsn: str, config: Path) -> None:
    env = {"CALLROUTER_DSN": db_dsn}
    args = ("-c", str(config), "--tenant", "acme", "customers", "add")
    added = callrouter(*args, "--phone", "+12125550199", "--name", "New", env=env)
    assert added.returncode == 0, added.stderr
    conn = await asyncpg.connect(db_dsn)
    try:
        assert await conn.fetchval("SELECT tenant FROM customers") == "acme"
    finally:
        await conn.close()
