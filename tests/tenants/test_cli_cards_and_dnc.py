"""``--tenant`` with ``customers`` and ``dnc``, over the real command line and PostgreSQL:
one phone gets a card in each tenant; a tenant's do-not-call entries block its own
campaigns, the center's (added without --tenant) everyone's."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from tests.cli.test_cli import callrouter
from tests.tenants.test_cli import CONFIG

PHONE = "+12125550100"
OTHER = "+12125550101"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "callrouter.yml"
    path.write_text(CONFIG)
    return path


def _run(config: Path, dsn: str, *args: str, tenant: str | None = None) -> str:
    scope = ("--tenant", tenant) if tenant else ()
    result = callrouter("-c", str(config), *scope, *args, env={"CALLROUTER_DSN": dsn})
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


async def test_one_file_per_tenant_gives_each_its_own_card(
    db_dsn: str, config: Path, tmp_path: Path
) -> None:
    for tenant, name, tier in (
        ("acme", "Vera at ACME", "vip"),
        ("globex", "Vera at Globex", "silver"),
        (None, "Vera at the center", "standard"),
    ):
        csv = tmp_path / f"{tenant}.csv"
        csv.write_text(f"phone,name,tier\n{PHONE},{name},{tier}\n")
        assert "1 created" in _run(config, db_dsn, "customers", "import", str(csv), tenant=tenant)
    shown = {
        tenant: json.loads(
            _run(config, db_dsn, "customers", "show", PHONE, "--json", tenant=tenant)
        )
        for tenant in ("acme", "globex", None)
    }
    assert {t: (c["name"], c["priority"]) for t, c in shown.items()} == {
        "acme": ("Vera at ACME", 10),
        "globex": ("Vera at Globex", 5),
        None: ("Vera at the center", 0),
    }
    conn = await asyncpg.connect(db_dsn)
    try:
        rows = await conn.fetch("SELECT tenant, name FROM customers ORDER BY tenant")
    finally:
        await conn.close()
    assert [tuple(r) for r in rows] == [
        ("acme", "Vera at ACME"), ("default", "Vera at the center"), ("globex", "Vera at Globex"),
    ]  # fmt: skip
    # Re-importing into acme updates acme's card only.
    again = tmp_path / "again.csv"
    again.write_text(f"phone,name\n{PHONE},Vera (moved)\n")
    assert "1 updated" in _run(config, db_dsn, "customers", "import", str(again), tenant="acme")
    listed = json.loads(_run(config, db_dsn, "customers", "list", "--json", tenant="globex"))
    assert [(c["tenant"], c["name"]) for c in listed] == [("globex", "Vera at Globex")]


def test_a_tenant_column_is_refused_not_ignored(db_dsn: str, config: Path, tmp_path: Path) -> None:
    csv = tmp_path / "mixed.csv"
    csv.write_text(f"phone,name,tenant\n{PHONE},Vera,acme\n")
    result = callrouter(
        "-c", str(config), "customers", "import", str(csv), env={"CALLROUTER_DSN": db_dsn}
    )
    assert result.returncode == 6
    assert "--tenant" in result.stderr and "line 1" in result.stderr


def _verdicts(config: Path, dsn: str, tenant: str | None) -> list[str]:
    out = _run(config, dsn, "dnc", "check", PHONE, OTHER, "--json", tenant=tenant)
    return [c["verdict"] for c in json.loads(out)]


def test_dnc_lists_per_tenant_on_the_command_line(db_dsn: str, config: Path) -> None:
    _run(config, db_dsn, "dnc", "add", PHONE, "--reason", "national register")
    _run(config, db_dsn, "dnc", "add", OTHER, "--reason", "asked acme", tenant="acme")
    assert _verdicts(config, db_dsn, "acme") == ["blocked", "blocked"]
    assert _verdicts(config, db_dsn, "globex") == ["blocked", "allowed"]
    assert _verdicts(config, db_dsn, None) == ["blocked", "allowed"]  # the center's alone
    acme = json.loads(_run(config, db_dsn, "dnc", "list", "--json", tenant="acme"))
    assert [(e["phone"], e["tenant"]) for e in acme["entries"]] == [(PHONE, None), (OTHER, "acme")]
    globex = json.loads(_run(config, db_dsn, "dnc", "list", "--json", tenant="globex"))
    assert [(e["phone"], e["tenant"]) for e in globex["entries"]] == [(PHONE, None)]
    # A tenant cannot take a number off the center's list.
    refused = callrouter(
        "-c", str(config), "--tenant", "acme", "dnc", "remove", PHONE,
        env={"CALLROUTER_DSN": db_dsn},
    )  # fmt: skip
    assert refused.returncode == 5, refused.stderr
    assert _verdicts(config, db_dsn, "globex") == ["blocked", "allowed"]
    _run(config, db_dsn, "dnc", "remove", OTHER, tenant="acme")
    assert _verdicts(config, db_dsn, "acme") == ["blocked", "allowed"]
