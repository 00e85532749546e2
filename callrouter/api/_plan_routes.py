"""``POST /api/v1/plan`` and ``/api/v1/plan/chart``: ``callrouter plan`` over HTTP.

The body says what to plan (a profile, or a range of the call log), with which roster
and target, by Erlang or by simulation; the answer is the plan's rows as JSON, or its
chart as a PNG. The routing is the service's configuration when the API runs inside
``callrouter serve`` (the settings source of ``_report_routes``) and every queue of
the profile is configured; otherwise, or with ``"rules": "simple"``, each queue is
planned alone. ``outbound`` blends configured campaigns into the simulated day (the
service's configuration says what they are; the profile's ``answer_rate``, ``talk_s``
and ``leads``, or ``outbound``'s defaults, what they dial). The work runs in a thread;
a request whose simulation would exceed ``MAX_SIMULATED_CALLS`` is refused rather than
hold the node's CPU.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import date
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from callrouter.api._handlers import API_PREFIX
from callrouter.api._report_routes import REPORT_SETTINGS
from callrouter.api._table import Inputs, Route
from callrouter.dialer import DEFAULT_ANSWER_AFTER, DEFAULT_GIVE_UP_AFTER
from callrouter.errors import InvalidInput
from callrouter.planning import (
    DEFAULT_QUEUE,
    Campaign,
    Interval,
    MissingOutbound,
    OutboundDefaults,
    OutboundLoad,
    Plan,
    PlanRequest,
    Profile,
    QueueLoad,
    Roster,
    Routing,
    RunSettings,
    StaffingTarget,
    blend,
    configured_campaigns,
    make_plan,
    parse_clock,
    plan_dict,
    plan_png,
    profile_from_history,
)
from callrouter.store import database_errors

__all__ = ["MAX_SIMULATED_CALLS", "PLAN_ROUTES"]

MAX_SIMULATED_CALLS = 2_000_000
"""Calls of the profile times replications that one request may simulate."""
_ACQUIRE_TIMEOUT_S = 5.0
_FROZEN = ConfigDict(extra="forbid", frozen=True)


class LoadIn(BaseModel):
    model_config = _FROZEN
    start: str = Field(description="Interval start, HH:MM")
    queue: str = DEFAULT_QUEUE
    calls: float = Field(ge=0)
    aht_s: float = Field(gt=0, description="Average handle time: talk plus wrap-up")
    patience_s: float | None = Field(None, gt=0, description="Mean patience; null: unlimited")
    answer_rate: float | None = Field(
        None, ge=0, le=1, description="Outbound into this queue: share of lines answered"
    )
    talk_s: float | None = Field(None, gt=0, description="Outbound: mean talk time")
    leads: int | None = Field(None, ge=0, description="Outbound: lines it may dial")


class HistoryIn(BaseModel):
    model_config = _FROZEN
    since: date
    until: date = Field(description="The day after the last one counted")
    weekdays: list[int] = Field(default=[1, 2, 3, 4, 5, 6, 7], description="ISO, 1 = Monday")
    timezone: str = "UTC"
    queues: list[str] = Field(default=[], description="Only these queues (default: all)")


class TargetIn(BaseModel):
    model_config = _FROZEN
    service_level: float | None = Field(0.8, gt=0, lt=1)
    within_s: float = Field(20.0, ge=0)
    asa_s: float | None = Field(None, gt=0)
    abandon_rate: float | None = Field(None, gt=0, lt=1)
    max_occupancy: float | None = Field(None, gt=0, le=1)
    shrinkage: float = Field(0.0, ge=0, lt=1)


class SimulationIn(BaseModel):
    model_config = _FROZEN
    replications: int = Field(10, ge=2, le=200)
    seed: int = 1
    ring_s: float = Field(0.0, ge=0)
    warmup_s: float = Field(0.0, ge=0)


class OutboundIn(BaseModel):
    model_config = _FROZEN
    campaigns: list[str] = Field(min_length=1, description="Configured campaigns to blend in")
    answer_rate: float | None = Field(
        None, ge=0, le=1, description="Where the profile gives none: share of lines answered"
    )
    talk_s: float | None = Field(None, gt=0, description="Where the profile gives none")
    leads: int | None = Field(None, ge=0, description="Where the profile gives none")
    answer_after_s: tuple[float, float] = Field(
        DEFAULT_ANSWER_AFTER, description="Seconds before a person answers, uniform"
    )
    give_up_after_s: tuple[float, float] = Field(
        DEFAULT_GIVE_UP_AFTER, description="Seconds an unanswered line rings, uniform"
    )
    amd_s: float = Field(0.0, ge=0, description="Answering-machine detection after the answer")

    def defaults(self) -> OutboundDefaults:
        return OutboundDefaults(answer_rate=self.answer_rate, talk_s=self.talk_s, leads=self.leads)


class PlanIn(BaseModel):
    model_config = _FROZEN
    interval_minutes: int = Field(30, ge=1, le=1440)
    profile: list[LoadIn] | None = Field(None, description="The load; or give history")
    history: HistoryIn | None = Field(None, description="Measure the load from the call log")
    roster: dict[str, dict[str, int]] | None = Field(
        None, description='Operators on duty: {"09:00": {"support": 12}} (group -> count)'
    )
    method: Literal["erlang", "simulate"] = "erlang"
    recommend: bool = False
    rules: Literal["auto", "config", "simple"] = "auto"
    target: TargetIn = TargetIn()
    simulation: SimulationIn = SimulationIn()
    outbound: OutboundIn | None = Field(None, description="Campaigns blended in (simulate)")


class PlanOut(BaseModel):
    model_config = ConfigDict(frozen=True)
    method: Literal["erlang", "simulation"]
    interval_s: int
    target: TargetIn
    replications: int
    seed: int | None
    confidence: float
    figures_for: Literal["planned", "required"]
    rows: list[dict[str, Any]] = Field(
        description="One per interval and queue, plus each interval's total (queue '*')"
    )
    outbound: list[dict[str, Any]] = Field(
        default=[], description="Per blended campaign: one per interval, then its day"
    )


def _profile(body: PlanIn) -> Profile:
    loads: dict[int, list[QueueLoad]] = defaultdict(list)
    dialled: dict[int, list[OutboundLoad]] = defaultdict(list)
    defaults = body.outbound.defaults() if body.outbound else OutboundDefaults()
    for n, load in enumerate(body.profile or []):
        where = f"profile[{n}]: "
        start = parse_clock(load.start, where)
        try:
            loads[start].append(QueueLoad(load.queue, load.calls, load.aht_s, load.patience_s))
            out = defaults.merge(
                load.queue, answer_rate=load.answer_rate, talk_s=load.talk_s, leads=load.leads
            )
        except MissingOutbound as exc:
            raise InvalidInput(f"{where}{exc} (give it here or in outbound.{exc.field})") from None
        except InvalidInput as exc:
            raise InvalidInput(f"{where}{exc}") from None
        if out is not None:
            dialled[start].append(out)
    return Profile(
        body.interval_minutes * 60,
        tuple(Interval(s, tuple(loads[s]), tuple(dialled[s])) for s in sorted(loads)),
    )


def _campaigns(inp: Inputs, body: PlanIn) -> tuple[Campaign, ...]:
    out = body.outbound
    if out is None:
        return ()
    source = inp.request.app.get(REPORT_SETTINGS)
    if source is None:
        raise InvalidInput("campaigns come from the service's configuration, which this API lacks")
    return configured_campaigns(
        source(),
        out.campaigns,
        answer_after_s=out.answer_after_s,
        give_up_after_s=out.give_up_after_s,
        amd_s=out.amd_s,
    )


async def _load(inp: Inputs, body: PlanIn) -> Profile:
    if (body.profile is None) == (body.history is None):
        raise InvalidInput("give either profile or history")
    if body.history is None:
        return _profile(body)
    h = body.history
    with database_errors("cannot read the call history"):
        async with inp.deps.pool.acquire(timeout=_ACQUIRE_TIMEOUT_S) as conn:
            return await profile_from_history(
                conn,
                since=h.since,
                until=h.until,
                interval_s=body.interval_minutes * 60,
                timezone=h.timezone,
                weekdays=h.weekdays,
                queues=h.queues,
                wrapup_s=_configured_wrapup(inp),
            )


def _configured(inp: Inputs) -> Routing | None:
    source = inp.request.app.get(REPORT_SETTINGS)
    if source is None:
        return None
    # Imported here: the config translation lives in the service's package.
    from callrouter.calls import acd_config_from_settings

    return Routing.from_acd_config(acd_config_from_settings(source()))


def _configured_wrapup(inp: Inputs) -> dict[str, float]:
    source = inp.request.app.get(REPORT_SETTINGS)
    return {} if source is None else {n: q.wrapup_s for n, q in source().queues.items()}


def _routing(inp: Inputs, body: PlanIn, profile: Profile) -> Routing:
    configured = None if body.rules == "simple" else _configured(inp)
    missing = (
        list(profile.queues)
        if configured is None
        else [q for q in profile.queues if q not in {p.name for p in configured.queues}]
    )
    if configured is not None and not missing:
        return configured
    if body.rules == "config":
        raise InvalidInput(f"not in the configuration: {', '.join(missing)}")
    return Routing.single_skill(profile.queues)


def _roster(body: PlanIn, routing: Routing) -> Roster | None:
    if body.roster is None:
        return None
    staff: dict[int, dict[str, int]] = {}
    for start, groups in body.roster.items():
        if len(routing.groups) == 1 and set(groups) == {"operators"}:
            groups = {routing.groups[0].name: groups["operators"]}
        staff[parse_clock(start, "roster: ")] = dict(groups)
    return Roster(staff)


async def _plan(inp: Inputs) -> Plan:
    body = inp.body_as(PlanIn)
    campaigns = _campaigns(inp, body)
    profile = await _load(inp, body)
    if body.outbound is not None:
        profile = blend(profile, campaigns, body.outbound.defaults())
    routing = _routing(inp, body, profile)
    sim = body.simulation
    if body.method == "simulate":
        calls = sum(load.calls for i in profile.intervals for load in i.loads)
        # With a campaign the day runs twice: dialling, and without it for comparison.
        runs = sim.replications * (2 if campaigns else 1)
        if calls * runs > MAX_SIMULATED_CALLS:
            raise InvalidInput(
                f"{calls:.0f} calls x {runs} runs is more than this API simulates"
                f" ({MAX_SIMULATED_CALLS}); use callrouter plan"
            )
    t = body.target
    request = PlanRequest(
        profile=profile,
        routing=routing,
        target=StaffingTarget(
            service_level=t.service_level,
            within_s=t.within_s,
            asa_s=t.asa_s,
            abandon_rate=t.abandon_rate,
            max_occupancy=t.max_occupancy,
            shrinkage=t.shrinkage,
        ),
        method=body.method,
        roster=_roster(body, routing),
        recommend=body.recommend,
        runs=RunSettings(
            replications=sim.replications, seed=sim.seed, ring_s=sim.ring_s, warmup_s=sim.warmup_s
        ),
        campaigns=campaigns,
    )
    return await asyncio.to_thread(make_plan, request)


async def plan(inp: Inputs) -> PlanOut:
    return PlanOut.model_validate(plan_dict(await _plan(inp)))


async def plan_chart(inp: Inputs) -> web.StreamResponse:
    drawn = await _plan(inp)
    png = await asyncio.to_thread(plan_png, drawn)
    return web.Response(body=png, content_type="image/png")


_ABOUT = (
    "Erlang C (Erlang A when the profile gives a patience) per queue, or the day"
    " simulated through the routing core with the configured queues and skills."
)

PLAN_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        f"{API_PREFIX}/plan",
        "Staffing per interval: required operators and the figures of a roster",
        plan,
        tag="planning",
        response=PlanOut,
        body=PlanIn,
        errors=(422, 502),
        description=_ABOUT,
    ),
    Route(
        "POST",
        f"{API_PREFIX}/plan/chart",
        "The same plan as a PNG chart",
        plan_chart,
        tag="planning",
        body=PlanIn,
        media_type="image/png",
        errors=(422, 502),
        description=_ABOUT,
    ),
)
