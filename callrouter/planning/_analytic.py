"""The spreadsheet answer: each queue of each interval on its own, by Erlang C or A.

This is what a planner does without callrouter, and what the simulation is checked
against. Queues are independent here: an operator of a group serving several queues is
split across them in proportion to their load (calls x AHT), and no rule (skill tiers,
escalation, overflow) is seen. The interval's total row adds the queues up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

from callrouter.planning._erlang import (
    ErlangFigures,
    StaffingTarget,
    figures,
    required_agents,
    scheduled_agents,
)
from callrouter.planning._estimate import Estimate
from callrouter.planning._model import Interval, Profile, QueueLoad, Roster, Routing
from callrouter.planning._report import ALL_QUEUES, Plan, PlanRow

__all__ = ["erlang_plan", "erlang_required", "queue_row", "total_row"]


def _load(load: QueueLoad) -> float:
    return load.calls * load.aht_s


def _agents_per_queue(
    interval: Interval, staff: Mapping[str, int], routing: Routing
) -> dict[str, int]:
    share: dict[str, float] = {load.queue: 0.0 for load in interval.loads}
    for group_name, count in staff.items():
        served = [ld for ld in interval.loads if ld.queue in routing.group(group_name).queues]
        weight = sum(_load(ld) for ld in served)
        for ld in served:
            share[ld.queue] += count * (_load(ld) / weight if weight else 1 / len(served))
    return {q: math.floor(s + 1e-9) for q, s in share.items()}


def erlang_required(load: QueueLoad, interval_s: int, target: StaffingTarget) -> ErlangFigures:
    return required_agents(
        calls=load.calls,
        interval_s=interval_s,
        aht_s=load.aht_s,
        patience_s=load.patience_s,
        target=target,
    )


def queue_row(
    start_s: int,
    load: QueueLoad,
    *,
    planned: int | None,
    required: int,
    shrinkage: float,
    service_level: Estimate,
    asa_s: Estimate,
    abandon_rate: Estimate,
    occupancy: Estimate,
) -> PlanRow:
    """One queue's row in one interval: its load, its staffing and the figures at it."""
    return PlanRow(
        start_s=start_s,
        queue=load.queue,
        calls=load.calls,
        aht_s=load.aht_s,
        patience_s=load.patience_s,
        planned=planned,
        required=required,
        scheduled=scheduled_agents(required, shrinkage),
        service_level=service_level,
        asa_s=asa_s,
        abandon_rate=abandon_rate,
        occupancy=occupancy,
    )


def total_row(
    start_s: int,
    rows: list[PlanRow],
    *,
    planned: int | None,
    required: int | None,
    shrinkage: float,
    interval_s: int,
    occupancy: Estimate | None = None,
) -> PlanRow:
    """The interval's total: sums, and figures weighted by calls (ASA by answered calls)."""
    calls = sum(r.calls for r in rows)

    def weighted(name: str, weights: list[float]) -> Estimate:
        figures = [getattr(r, name) for r in rows]
        pairs = [(f, w) for f, w in zip(figures, weights, strict=True) if not math.isnan(f.mean)]
        total = sum(w for _, w in pairs)
        if not total:
            return Estimate.exact(math.nan)
        mean = sum(f.mean * w for f, w in pairs) / total
        return Estimate(mean, mean, mean, 0)

    answered = [r.calls * (1 - r.abandon_rate.mean) for r in rows]
    by_calls = [r.calls for r in rows]
    if occupancy is None:
        carried = sum(a * (r.aht_s or 0.0) for a, r in zip(answered, rows, strict=True))
        staff = planned if planned is not None else required
        occupancy = Estimate.exact(carried / (staff * interval_s) if staff else math.nan)
    return PlanRow(
        start_s=start_s,
        queue=ALL_QUEUES,
        calls=calls,
        aht_s=None,
        patience_s=None,
        planned=planned,
        required=required,
        scheduled=None if required is None else scheduled_agents(required, shrinkage),
        service_level=weighted("service_level", by_calls),
        asa_s=weighted("asa_s", answered),
        abandon_rate=weighted("abandon_rate", by_calls),
        occupancy=occupancy,
    )


def erlang_plan(
    profile: Profile,
    target: StaffingTarget,
    *,
    roster: Roster | None = None,
    routing: Routing | None = None,
) -> Plan:
    """Per queue and interval: the staffing Erlang requires, and the figures at the
    roster's staffing (when given) or at the required one."""
    if roster is not None:
        routing = routing or Routing.single_skill(profile.queues)
        routing.check_profile(profile)
        roster.check(routing, profile)
    rows: list[PlanRow] = []
    for interval in profile.intervals:
        planned_by_queue = (
            _agents_per_queue(interval, roster.at(interval.start_s), routing)
            if roster is not None and routing is not None
            else None
        )
        queue_rows = []
        for load in interval.loads:
            need = erlang_required(load, profile.interval_s, target)
            planned = planned_by_queue[load.queue] if planned_by_queue is not None else None
            at = (
                need
                if planned is None
                else figures(
                    calls=load.calls,
                    interval_s=profile.interval_s,
                    aht_s=load.aht_s,
                    patience_s=load.patience_s,
                    agents=planned,
                    within_s=target.within_s,
                )
            )
            queue_rows.append(
                queue_row(
                    interval.start_s,
                    load,
                    planned=planned,
                    required=need.agents,
                    shrinkage=target.shrinkage,
                    service_level=Estimate.exact(at.service_level),
                    asa_s=Estimate.exact(at.asa_s),
                    abandon_rate=Estimate.exact(at.abandon_rate),
                    occupancy=Estimate.exact(at.occupancy),
                )
            )
        planned_total = roster.total(interval.start_s) if roster is not None else None
        required_total = sum(r.required or 0 for r in queue_rows)
        rows += queue_rows
        rows.append(
            total_row(
                interval.start_s,
                queue_rows,
                planned=planned_total,
                required=required_total,
                shrinkage=target.shrinkage,
                interval_s=profile.interval_s,
            )
        )
    figures_for: Literal["planned", "required"] = "planned" if roster else "required"
    return Plan("erlang", profile.interval_s, target, tuple(rows), figures_for=figures_for)
