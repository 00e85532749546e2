"""A plan's result: one row per interval and queue, plus each interval's total.

The same rows feed the terminal table, CSV, JSON, the chart and the HTTP API, so the
four never disagree. A figure from a formula is exact (its interval is the value
itself); a simulated one carries its confidence interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from callrouter.planning._erlang import StaffingTarget
from callrouter.planning._estimate import Estimate

__all__ = [
    "ALL_QUEUES",
    "OutboundRow",
    "Plan",
    "PlanRow",
    "clock",
    "outbound_dicts",
    "plan_dict",
    "row_dicts",
]

ALL_QUEUES = "*"
"""The queue name of an interval's total row."""

Method = Literal["erlang", "simulation"]


@dataclass(frozen=True, slots=True)
class PlanRow:
    start_s: int
    queue: str
    calls: float
    aht_s: float | None
    patience_s: float | None
    planned: int | None
    """Operators on duty (from the roster, or recommended)."""
    required: int | None
    """The fewest on the phones meeting the target (Erlang, or the simulated search)."""
    scheduled: int | None
    """``required`` grossed up by shrinkage: operators to put on the schedule."""
    service_level: Estimate
    asa_s: Estimate
    abandon_rate: Estimate
    occupancy: Estimate


@dataclass(frozen=True, slots=True)
class OutboundRow:
    """One blended campaign in one interval (``start_s`` None: over the whole day)."""

    start_s: int | None
    campaign: str
    queue: str
    mode: str
    abandon_cap: float
    leads: int | None
    answer_rate: float | None
    talk_s: float | None
    attempts: Estimate
    """Lines dialled."""
    connects: Estimate
    """Customers connected to an operator."""
    abandon_rate: Estimate
    """Abandoned / answered by a person: the regulated rate the pacing caps."""
    occupancy: Estimate
    """Share of the operators' logged-in time spent on this campaign's customers."""
    inbound_service_level: Estimate
    """All inbound callers' service level, the campaign dialling."""
    inbound_service_level_alone: Estimate
    """The same callers' service level had the campaign not dialled (same seeds)."""


@dataclass(frozen=True, slots=True)
class Plan:
    method: Method
    interval_s: int
    target: StaffingTarget
    rows: tuple[PlanRow, ...]
    replications: int = 0
    seed: int | None = None
    confidence: float = 0.95
    figures_for: Literal["planned", "required"] = "required"
    """Whose staffing the figures are for: the roster's, or the required one's."""
    outbound: tuple[OutboundRow, ...] = ()

    def totals(self) -> tuple[PlanRow, ...]:
        return tuple(r for r in self.rows if r.queue == ALL_QUEUES)


def clock(start_s: int) -> str:
    return f"{start_s // 3600:02d}:{start_s % 3600 // 60:02d}"


def _number(value: float) -> float | None:
    """JSON has no NaN or infinity: an undefined figure is null."""
    return None if math.isnan(value) or math.isinf(value) else round(value, 6)


def row_dicts(plan: Plan) -> list[dict[str, Any]]:
    """Flat rows (CSV columns, JSON objects); ``*_low``/``*_high`` only when simulated."""
    out = []
    for r in plan.rows:
        row: dict[str, Any] = {
            "start": clock(r.start_s),
            "queue": r.queue,
            "calls": _number(r.calls),
            "aht_s": None if r.aht_s is None else _number(r.aht_s),
            "patience_s": None if r.patience_s is None else _number(r.patience_s),
            "planned": r.planned,
            "required": r.required,
            "scheduled": r.scheduled,
        }
        for name in ("service_level", "asa_s", "abandon_rate", "occupancy"):
            figure: Estimate = getattr(r, name)
            row[name] = _number(figure.mean)
            if plan.method == "simulation":
                row[f"{name}_low"] = _number(figure.low)
                row[f"{name}_high"] = _number(figure.high)
        out.append(row)
    return out


def _with_interval(row: dict[str, Any], name: str, figure: Estimate) -> None:
    row[name] = _number(figure.mean)
    row[f"{name}_low"] = _number(figure.low)
    row[f"{name}_high"] = _number(figure.high)


def outbound_dicts(plan: Plan) -> list[dict[str, Any]]:
    """Flat rows of the blended campaigns' figures (``start`` "day": the whole day)."""
    out = []
    for r in plan.outbound:
        row: dict[str, Any] = {
            "start": "day" if r.start_s is None else clock(r.start_s),
            "campaign": r.campaign,
            "queue": r.queue,
            "mode": r.mode,
            "abandon_cap": r.abandon_cap,
            "leads": r.leads,
            "answer_rate": None if r.answer_rate is None else _number(r.answer_rate),
            "talk_s": None if r.talk_s is None else _number(r.talk_s),
        }
        _with_interval(row, "attempts", r.attempts)
        _with_interval(row, "connects", r.connects)
        _with_interval(row, "outbound_abandon_rate", r.abandon_rate)
        _with_interval(row, "outbound_occupancy", r.occupancy)
        _with_interval(row, "inbound_service_level", r.inbound_service_level)
        _with_interval(row, "inbound_service_level_alone", r.inbound_service_level_alone)
        out.append(row)
    return out


def plan_dict(plan: Plan) -> dict[str, Any]:
    t = plan.target
    return {
        "method": plan.method,
        "interval_s": plan.interval_s,
        "target": {
            "service_level": t.service_level,
            "within_s": t.within_s,
            "asa_s": t.asa_s,
            "abandon_rate": t.abandon_rate,
            "max_occupancy": t.max_occupancy,
            "shrinkage": t.shrinkage,
        },
        "replications": plan.replications,
        "seed": plan.seed,
        "confidence": plan.confidence,
        "figures_for": plan.figures_for,
        "rows": row_dicts(plan),
        "outbound": outbound_dicts(plan),
    }
