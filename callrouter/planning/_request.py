"""One entry point for the CLI and the HTTP API: what to plan, and the plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from callrouter.errors import InvalidInput
from callrouter.planning._analytic import erlang_plan
from callrouter.planning._campaign import Campaign, check_campaigns
from callrouter.planning._erlang import StaffingTarget
from callrouter.planning._model import Profile, Roster, Routing
from callrouter.planning._report import Plan
from callrouter.planning._simulated import RunSettings, recommend_roster, simulation_plan

__all__ = ["PlanMethod", "PlanRequest", "make_plan"]

PlanMethod = Literal["erlang", "simulate"]


@dataclass(frozen=True, slots=True)
class PlanRequest:
    profile: Profile
    routing: Routing
    target: StaffingTarget
    method: PlanMethod = "erlang"
    roster: Roster | None = None
    recommend: bool = False
    runs: RunSettings = field(default_factory=RunSettings)
    campaigns: tuple[Campaign, ...] = ()
    """Campaigns blended into the simulated day."""


def make_plan(request: PlanRequest) -> Plan:
    """Erlang per queue, or the simulated day (with the roster, or the recommended one)."""
    r = request
    r.routing.check_profile(r.profile)
    if r.roster is not None:
        r.roster.check(r.routing, r.profile)
    check_campaigns(r.campaigns, r.routing, r.profile)
    if r.method == "erlang":
        if r.recommend:
            raise InvalidInput("--recommend searches with the simulation: use --method simulate")
        if r.campaigns:
            raise InvalidInput("a blended campaign is simulated: use --method simulate")
        return erlang_plan(r.profile, r.target, roster=r.roster, routing=r.routing)
    if r.recommend:
        recommended = recommend_roster(
            r.routing, r.profile, r.target, r.runs, base=r.roster, campaigns=r.campaigns
        )
        planned = r.roster if r.roster is not None else recommended
        return simulation_plan(
            r.routing,
            r.profile,
            planned,
            r.target,
            r.runs,
            recommended=recommended,
            campaigns=r.campaigns,
        )
    if r.roster is None:
        raise InvalidInput("the simulation needs a roster (or --recommend to search one)")
    return simulation_plan(r.routing, r.profile, r.roster, r.target, r.runs, campaigns=r.campaigns)
