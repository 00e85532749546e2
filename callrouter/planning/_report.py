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

__all__ = ["ALL_QUEUES", "Plan", "PlanRow", "clock", "plan_dict", "row_dicts"]

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
    }
