"""``callrouter campaigns ...`` and ``callrouter dnc ...`` as real processes on a real DB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import callrouter

CONFIG = """
queues:
  sales: {}
campaigns:
  spring:
    mode: progressive
    queue: sales
    default_timezone: Europe/Berlin
    default_region: DE
dialer:
  default_region: DE
"""


@pytest.fixture
def run(db_dsn: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    config = tmp_path / "callrouter.yml"
    config.write_text(CONFIG)

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        env = {"CALLROUTER_DSN": db_dsn, "COLUMNS": "200"}
        return callrouter("--config", str(config), *args, env=env)

    return invoke


def _file(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_import_reports_bad_rows_and_exits_zero(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = "".join(f"x{i},12\n" for i in range(25))  # lines 4..28: too short
    body = 'key,phone,name\na,030 1234567,"Anna\nzwei"\nb,,Bob\n' + bad + "c,+1 212 555 0100,C\n"
    path = _file(tmp_path, "leads.csv", body.encode())
    result = run("campaigns", "import", "spring", path)
    assert result.returncode == 0, result.stderr
    assert "imported 2 lead(s) (inserted 2, updated 0, unchanged 0), skipped 26" in result.stdout
    assert "line 4: missing-phone: the phone column is empty" in result.stdout
    assert "line 5: invalid-number" in result.stdout
    assert "... and 6 more (--json lists every one)" in result.stdout
    again = run("campaigns", "import", "spring", path, "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert (report["inserted"], report["unchanged"], report["skipped_count"]) == (0, 2, 26)
    assert [s["line"] for s in report["skipped"]] == list(range(4, 30))
    assert report["skipped"][0] == {
        "line": 4, "reason": "missing-phone", "message": "the phone column is empty"}  # fmt: skip


def test_unusable_files_are_one_line_errors(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    latin = _file(tmp_path, "latin.csv", "phone,name\n030 1234567,Jörg\n".encode("latin-1"))
    result = run("campaigns", "import", "spring", latin)
    assert result.returncode == 6
    assert "Traceback" not in result.stderr
    assert "error (invalid-input): line 2: byte 0xf6" in result.stderr
    ok = run("campaigns", "import", "spring", latin, "--encoding", "latin-1", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["inserted"] == 1

    no_phone = _file(tmp_path, "nophone.csv", b"name,number\nAnna,0301234567\n")
    result = run("campaigns", "import", "spring", no_phone)
    assert result.returncode == 6
    assert "missing required column 'phone'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

    only_bad = _file(tmp_path, "bad.csv", b"phone\n12\n")
    result = run("campaigns", "import", "spring", only_bad)
    assert result.returncode == 6
    assert "line 2: invalid-number" in result.stdout

    assert run("campaigns", "import", "nope", only_bad).returncode == 5


def test_region_and_timezone_overrides(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _file(tmp_path, "us.csv", b"phone\n(212) 555-0100\n")
    result = run("campaigns", "import", "spring", path, "--region", "US",
                 "--timezone", "America/Chicago", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["inserted"] == 1
    status = json.loads(run("campaigns", "status", "spring", "--json").stdout)
    assert (status["leads"], status["pending"], status["state"]) == (1, 1, "created")
    # Nobody of the campaign's queue has been logged in today on this fresh database.
    assert status["operator_occupancy_today"] is None


def test_lifecycle_through_the_state_machine(run) -> None:  # type: ignore[no-untyped-def]
    listed = run("campaigns", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert (row["name"], row["mode"], row["queue"], row["state"]) == (
        "spring", "progressive", "sales", "created")  # fmt: skip
    assert json.loads(run("campaigns", "start", "spring", "--json").stdout) == {
        "campaign": "spring", "from": "created", "to": "running"}  # fmt: skip
    paused = run("campaigns", "pause", "spring")
    assert paused.returncode == 0 and "spring: running -> paused" in paused.stdout
    again = run("campaigns", "pause", "spring")
    assert again.returncode == 6
    assert "error (conflict): cannot pause a campaign that is paused" in again.stderr
    assert "Traceback" not in again.stderr
    assert "paused -> running" in run("campaigns", "start", "spring").stdout
    assert "running -> stopped" in run("campaigns", "stop", "spring").stdout
    assert run("campaigns", "start", "spring").returncode == 6
    table = run("campaigns", "list")
    assert table.returncode == 0 and "stopped" in table.stdout
    status = run("campaigns", "status", "spring")
    assert status.returncode == 0 and "abandon rate" in status.stdout
    assert run("campaigns", "status", "nope").returncode == 5


def test_dnc_commands(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    added = run("dnc", "add", "030 1234567", "nonsense", "--reason", "asked", "--json")
    assert added.returncode == 0, added.stderr
    body = json.loads(added.stdout)
    assert (body["added"], body["rejected"][0]["raw"]) == (1, "nonsense")
    listing = _file(tmp_path, "dnc.csv", b"name;phone\nA;+49 40 1234567\nB;junk\nC;089 1234567\n")
    imported = run("dnc", "import", listing, "--json")
    assert imported.returncode == 0, imported.stderr
    body = json.loads(imported.stdout)
    assert (body["added"], body["rejected"]) == (
        2, [{"line": 3, "raw": "junk", "message": "not a phone number for this region"}])
    checked = json.loads(run("dnc", "check", "(030) 123 4567", "+1 212 555 0100",
                             "--json").stdout)  # fmt: skip
    assert [(c["e164"], c["verdict"], c["reason"]) for c in checked] == [
        ("+49301234567", "blocked", "asked"), ("+12125550100", "allowed", None)]
    entries = json.loads(run("dnc", "list", "--json").stdout)
    assert entries["total"] == 3
    assert [e["phone"] for e in entries["entries"]] == [
        "+49301234567", "+49401234567", "+49891234567"]
    removed = run("dnc", "remove", "+49 30 1234567", "--json")
    assert json.loads(removed.stdout) == {"removed": ["+49301234567"], "not_found": []}
    missing = run("dnc", "remove", "+49 30 1234567")
    assert missing.returncode == 5 and "not on the do-not-call list" in missing.stderr
    table = run("dnc", "list")
    assert table.returncode == 0 and "+49401234567" in table.stdout
