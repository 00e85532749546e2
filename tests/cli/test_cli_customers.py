"""``callrouter customers ...`` as a real process over a real database."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from callrouter.cli._customers import priority_for_tier
from tests.cli.test_cli import callrouter

NASTY = "Robert'); DROP TABLE customers;-- \"O'Hara\", \\x00; SELECT 1"


def _config(tmp_path: Path, region: str = "DE") -> list[str]:
    config = tmp_path / "callrouter.yml"
    config.write_text(f"dialer:\n  default_region: {region}\n")
    return ["--config", str(config)]


def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


async def _card(dsn: str, phone: str) -> asyncpg.Record | None:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchrow("SELECT * FROM customers WHERE phone = $1", phone)
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("tier", "priority"),
    [("vip", 10), ("GOLD", 10), ("silver", 5), ("standard", 0), ("bronze", 0), ("", 0)],
)
def test_tier_priorities(tier: str, priority: int) -> None:
    assert priority_for_tier(tier) == priority


async def test_import_normalises_reports_bad_rows_and_updates_on_reimport(
    db_dsn: str, tmp_path: Path
) -> None:
    env = {"CALLROUTER_DSN": db_dsn}
    config = _config(tmp_path)
    data = tmp_path / "customers.csv"
    data.write_text(
        "\ufeffphone,name,tier,priority,account,notes\n"  # line 1, with a UTF-8 BOM
        "030 12345678,Anna Berlin,VIP,,A-1,\n"  # 2: local number, region DE
        f"+44 20 7946 0958,{_csv_field(NASTY)},silver,,,\n"  # 3: foreign, nasty name
        "12345,Too Short,gold,,,\n"  # 4: invalid number
        "\n"  # 5: blank, ignored
        "+49 170 1234567,Bad Priority,gold,high,,\n"  # 6: priority not a number
        '0170 1234567,"Multi\nLine",standard,7,,"note, with comma"\n'  # 7-8: one record
        "+49 30 12345678,Duplicate,gold,,,\n"  # 9: same number as line 2
        ",No Phone,gold,,,\n"  # 10
        "+4930 5555555,Extra,gold,,,,surplus\n"  # 11: too many fields
    )
    first = callrouter(*config, "customers", "import", str(data), "--json", env=env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert (report["created"], report["updated"], report["skipped"]) == (3, 0, 5)
    assert [p["line"] for p in report["problems"]] == [4, 6, 9, 10, 11]
    assert "not a valid number" in report["problems"][0]["message"]
    assert "line 2" in report["problems"][2]["message"]

    anna = await _card(db_dsn, "+493012345678")
    assert anna is not None
    assert (anna["name"], anna["tier"], anna["priority"], anna["account"]) == (
        "Anna Berlin", "vip", 10, "A-1"
    )
    nasty = await _card(db_dsn, "+442079460958")
    assert nasty is not None and nasty["name"] == NASTY and nasty["priority"] == 5
    multi = await _card(db_dsn, "+491701234567")
    assert multi is not None
    assert (multi["name"], multi["priority"], multi["notes"]) == (
        "Multi\nLine", 7, "note, with comma"
    )

    # Text mode: the bad rows on stderr with their line numbers.
    data.write_text("phone,name,tier\n030 12345678,Anna Renamed,silver\nnope,X,\n")
    again = callrouter(*config, "customers", "import", str(data), env=env)
    assert again.returncode == 0, again.stderr
    assert "0 created, 1 updated, 1 skipped" in again.stdout
    assert "line 3:" in again.stderr and "Traceback" not in again.stderr
    anna = await _card(db_dsn, "+493012345678")
    assert anna is not None
    assert (anna["name"], anna["tier"], anna["priority"], anna["account"]) == (
        "Anna Renamed", "silver", 5, None
    )

    strict = callrouter(*config, "customers", "import", str(data), "--strict", env=env)
    assert strict.returncode == 6
    assert "line 3:" in strict.stderr and "nothing imported" in strict.stderr


def test_import_file_errors(db_dsn: str, tmp_path: Path) -> None:
    env = {"CALLROUTER_DSN": db_dsn}
    config = _config(tmp_path)
    bad_header = tmp_path / "bad.csv"
    bad_header.write_text("telephone,name\n+4930123,X\n")
    result = callrouter(*config, "customers", "import", str(bad_header), env=env)
    assert result.returncode == 6
    assert "line 1" in result.stderr and "Traceback" not in result.stderr
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("phone,name\n".encode("utf-16"))
    result = callrouter(*config, "customers", "import", str(utf16), env=env)
    assert result.returncode == 6 and "UTF-16" in result.stderr
    missing = callrouter(*config, "customers", "import", str(tmp_path / "nope.csv"), env=env)
    assert missing.returncode == 2
    (tmp_path / "xx").mkdir()
    wrong_region = _config(tmp_path / "xx", region="XX")
    result = callrouter(*wrong_region, "customers", "import", str(bad_header), env=env)
    assert result.returncode == 3 and "dialer.default_region" in result.stderr


async def test_add_list_show(db_dsn: str, tmp_path: Path) -> None:
    env = {"CALLROUTER_DSN": db_dsn}
    config = _config(tmp_path, region="US")
    added = callrouter(
        *config, "customers", "add", "--phone", "(212) 555-0100", "--name", NASTY,
        "--tier", "Gold", "--notes", "prefers email", "--json", env=env,
    )
    assert added.returncode == 0, added.stderr
    body = json.loads(added.stdout)
    assert body["phone"] == "+12125550100" and body["priority"] == 10
    assert body["result"] == "created"

    twice = callrouter(*config, "customers", "add", "--phone", "+1 212 555 0100",
                       "--name", "Other", env=env)
    assert twice.returncode == 6 and "--replace" in twice.stderr
    replaced = callrouter(*config, "customers", "add", "--phone", "+1 212 555 0100",
                          "--name", "Other", "--priority", "3", "--replace", env=env)
    assert replaced.returncode == 0, replaced.stderr
    assert "updated" in replaced.stdout
    callrouter(*config, "customers", "add", "--phone", "+12015550123", "--name", NASTY,
               "--tier", "vip", env=env)

    invalid = callrouter(*config, "customers", "add", "--phone", "12", "--name", "x", env=env)
    assert invalid.returncode == 2

    listed = callrouter(*config, "customers", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(r["phone"], r["priority"]) for r in rows] == [
        ("+12015550123", 10), ("+12125550100", 3)
    ]
    assert rows[0]["name"] == NASTY
    only_vip = callrouter(*config, "customers", "list", "--tier", "VIP", "--json", env=env)
    assert [r["phone"] for r in json.loads(only_vip.stdout)] == ["+12015550123"]
    table = callrouter(*config, "customers", "list", env=env)
    assert table.returncode == 0 and "+12015550123" in table.stdout

    shown = callrouter(*config, "customers", "show", "201-555-0123", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    card = json.loads(shown.stdout)
    assert card["name"] == NASTY and card["calls"] == 0 and card["last_call_at"] is None
    text = callrouter(*config, "customers", "show", "+12015550123", env=env)
    assert text.returncode == 0 and NASTY in text.stdout
    unknown = callrouter(*config, "customers", "show", "+12125550199", env=env)
    assert unknown.returncode == 5 and "no customer" in unknown.stderr
