"""``callrouter plan`` as a planner runs it: the README's worked example."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.cli.test_cli import REPO, callrouter

PROFILE = str(REPO / "docs" / "plan-profile.csv")
ROSTER = str(REPO / "docs" / "plan-roster.csv")
EXAMPLE = ("plan", "--profile", PROFILE, "--roster", ROSTER, "--shrinkage", "0.3")


def _totals(plan: dict[str, object]) -> list[dict[str, object]]:
    rows = plan["rows"]
    assert isinstance(rows, list)
    return [r for r in rows if r["queue"] == "*"]


def test_erlang_plan_of_the_readme_example() -> None:
    result = callrouter(*EXAMPLE, "--rules", "simple", "--format", "json")
    assert result.returncode == 0, result.stderr
    totals = _totals(json.loads(result.stdout))
    assert [r["planned"] for r in totals] == [8, 14, 20, 24, 24, 16]
    # Erlang A (the profile gives a patience), then grossed up for 30 % shrinkage.
    assert [r["required"] for r in totals] == [7, 14, 22, 26, 23, 18]
    assert [r["scheduled"] for r in totals] == [10, 20, 32, 38, 33, 26]
    table = callrouter(*EXAMPLE, "--rules", "simple")
    assert table.returncode == 0 and "09:30" in table.stdout and "89.1" in table.stdout


def test_recommended_roster_and_chart(tmp_path: Path) -> None:
    chart = tmp_path / "plan.png"
    result = callrouter(
        *EXAMPLE, "--rules", "simple", "--method", "simulate", "--recommend", "--ring", "3",
        "--replications", "4", "--format", "csv", "--chart", str(chart),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [r for r in csv.DictReader(io.StringIO(result.stdout)) if r["queue"] == "*"]
    erlang = [7, 14, 22, 26, 23, 18]
    # The search starts from Erlang's staffing; the routing core lands close to it.
    assert all(abs(int(r["required"]) - e) <= 2 for r, e in zip(rows, erlang, strict=True))
    assert all(float(r["service_level_low"]) <= float(r["service_level"]) for r in rows)
    assert chart.read_bytes()[:4] == b"\x89PNG"


def test_bad_input_is_one_clear_line() -> None:
    neither = callrouter("plan")
    assert neither.returncode != 0 and "--profile FILE or --from-history" in neither.stderr
    no_roster = callrouter(
        "plan", "--profile", PROFILE, "--method", "simulate", "--rules", "simple"
    )
    assert no_roster.returncode != 0 and "needs a roster" in no_roster.stderr
    assert "Traceback" not in no_roster.stderr
