"""CSV imports with a NUL byte in a cell: stored as U+FFFD or reported by line, never a
PostgreSQL traceback (``callrouter.text.storable``)."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from callrouter.text import REPLACEMENT
from tests.cli.test_cli import callrouter
from tests.cli.test_cli_campaigns import CONFIG


def _setup(tmp_path: Path, db_dsn: str, body: bytes) -> tuple[list[str], dict[str, str], str]:
    config = tmp_path / "callrouter.yml"
    config.write_text(CONFIG)
    data = tmp_path / "data.csv"
    data.write_bytes(body)
    return ["--config", str(config)], {"CALLROUTER_DSN": db_dsn, "COLUMNS": "200"}, str(data)


async def _fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


async def test_customers_import_with_nul_bytes(db_dsn: str, tmp_path: Path) -> None:
    body = (
        b"phone,name,notes\n"
        b"030 1234567,Anna\x00Berlin,ok\n"  # line 2: NUL in a name, kept as U+FFFD
        b"+4930\x0099999,Bad Phone,\n"  # line 3: NUL inside the phone: not a number
        b"+44 20 7946 0958,Bob,note\x00\n"  # line 4
    )
    config, env, path = _setup(tmp_path, db_dsn, body)
    result = callrouter(*config, "customers", "import", path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "line 3: " in result.stderr and "is not a phone number" in result.stderr
    assert "2 created, 0 updated, 1 skipped" in result.stdout
    rows = await _fetch(db_dsn, "SELECT phone, name, notes FROM customers ORDER BY phone")
    assert [tuple(r) for r in rows] == [
        ("+442079460958", "Bob", f"note{REPLACEMENT}"),
        ("+49301234567", f"Anna{REPLACEMENT}Berlin", "ok"),
    ]


async def test_campaigns_import_with_nul_bytes(db_dsn: str, tmp_path: Path) -> None:
    body = b"phone,name,segment\n030 1234567,Anna\x00,gold\x00\n+4930\x0099999,X,\n"
    config, env, path = _setup(tmp_path, db_dsn, body)
    result = callrouter(*config, "campaigns", "import", "spring", path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "line 3: invalid-number" in result.stdout
    [lead] = await _fetch(db_dsn, "SELECT phone, name, data FROM leads")
    assert lead["phone"] == "+49301234567"
    assert lead["name"] == f"Anna{REPLACEMENT}"
    assert f"gold{REPLACEMENT}" in lead["data"]
