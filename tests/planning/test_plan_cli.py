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
BLENDED = (
    "-c", str(REPO / "docs" / "plan-blended.yml"), "plan",
    "--profile", str(REPO / "docs" / "plan-blended-profile.csv"),
    "--roster", str(REPO / "docs" / "plan-blended-roster.csv"),
    "--method", "simulate", "--campaign", "renewals",
)  # fmt: skip


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


def _outbound(plan: dict[str, object]) -> dict[str, dict[str, object]]:
    rows = plan["outbound"]
    assert isinstance(rows, list)
    return {r["start"]: r for r in rows}


def test_blended_campaign_of_the_readme_example() -> None:
    """The README's blended day: quiet half hours give their idle operators to the
    campaign, the 10:00 peak throttles it, and the peak still pays for the customers
    the campaign put in line before it (they go first)."""
    result = callrouter(*BLENDED, "--format", "json")
    assert result.returncode == 0, result.stderr
    out = _outbound(json.loads(result.stdout))
    assert list(out) == ["09:00", "09:30", "10:00", "10:30", "day"]
    quiet, peak, day = out["09:00"], out["10:00"], out["day"]
    assert quiet["connects"] > 60 and quiet["outbound_occupancy"] > 0.4
    assert peak["attempts"] < quiet["attempts"] / 3
    assert peak["inbound_service_level"] < peak["inbound_service_level_alone"]
    assert day["outbound_abandon_rate"] < day["abandon_cap"] == 0.03
    table = callrouter(*BLENDED)
    assert table.returncode == 0, table.stderr
    assert "Outbound renewals (predictive into sales, abandon cap 3%)" in table.stdout


def test_no_leads_at_the_peak_and_the_profile_columns_or_flags(tmp_path: Path) -> None:
    profile = tmp_path / "profile.csv"
    profile.write_text(
        "start,queue,calls,aht_s,patience_s,leads\n"
        "09:00,sales,30,240,120,\n"
        "09:30,sales,110,240,120,0\n"
    )
    roster = tmp_path / "roster.csv"
    roster.write_text("start,sales\n09:00,16\n09:30,16\n")
    args = list(BLENDED)
    args[args.index("--profile") + 1] = str(profile)
    args[args.index("--roster") + 1] = str(roster)
    missing = callrouter(*args)
    assert missing.returncode != 0
    assert "line 3: answer_rate is empty (give it here or with --answer-rate)" in missing.stderr
    result = callrouter(
        *args, "--answer-rate", "0.3", "--talk", "180", "--replications", "3", "--format", "csv"
    )
    assert result.returncode == 0, result.stderr
    rows = [r for r in csv.DictReader(io.StringIO(result.stdout)) if r["campaign"]]
    assert [(r["start"], r["leads"]) for r in rows] == [("09:00", ""), ("09:30", "0"), ("day", "")]
    assert float(rows[0]["attempts"]) > 0 and float(rows[1]["attempts"]) == 0


def test_recommend_with_the_campaign_dialling() -> None:
    """The search runs every candidate with the campaign dialling: its customers go
    first, so inbound needs as many operators as without it, or more."""
    search = ("--recommend", "--replications", "3", "--format", "json")
    blended = callrouter(*BLENDED, *search)
    alone = callrouter(*BLENDED[:-2], *search)
    assert blended.returncode == alone.returncode == 0, blended.stderr + alone.stderr
    plan = json.loads(blended.stdout)
    required = [r["required"] for r in _totals(plan)]
    without = [r["required"] for r in _totals(json.loads(alone.stdout))]
    assert all(r >= w for r, w in zip(required, without, strict=True))
    assert sum(required) > sum(without), (required, without)
    assert _outbound(plan)["day"]["connects"] > 0


def test_blended_input_errors_are_one_clear_line() -> None:
    unknown = callrouter(*BLENDED[:-1], "winback")
    assert unknown.returncode != 0 and "no campaign 'winback'" in unknown.stderr
    erlang = callrouter(*[a for a in BLENDED if a not in ("--method", "simulate")])
    assert erlang.returncode != 0 and "use --method simulate" in erlang.stderr
    span = callrouter(*BLENDED, "--answer-after", "20-4")
    assert span.returncode != 0 and "--answer-after '20-4'" in span.stderr
    assert "Traceback" not in unknown.stderr + erlang.stderr + span.stderr
