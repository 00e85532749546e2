"""The plan as a PNG: operators planned and required per interval, and the service level.

matplotlib is imported here only, when a chart is asked for: the rest of callrouter
(and the planner's table, CSV and JSON) never loads it. A ``Figure`` is drawn without
pyplot, so there is no global state and the HTTP API can draw from any thread.
"""

from __future__ import annotations

import io
import math

from callrouter.errors import InvalidInput
from callrouter.planning._report import Plan, clock

__all__ = ["plan_png"]

_SIZE_IN = (9.0, 4.2)
_DPI = 80


def plan_png(plan: Plan, *, title: str = "") -> bytes:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise InvalidInput("the chart needs matplotlib (pip install matplotlib)") from exc
    totals = plan.totals()
    if not totals:
        raise InvalidInput("nothing to chart: the plan has no interval")
    x = list(range(len(totals)))
    figure = Figure(figsize=_SIZE_IN, dpi=_DPI)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    planned = [r.planned if r.planned is not None else math.nan for r in totals]
    required = [r.required if r.required is not None else math.nan for r in totals]
    if not all(math.isnan(p) for p in planned):
        ax.bar(x, planned, color="#c6dbef", label="planned operators")
    ax.step(x, required, where="mid", color="#08519c", linewidth=2, label="required operators")
    ax.set_ylabel("operators")
    step = max(1, len(x) // 12)
    ax.set_xticks(x[::step], [clock(r.start_s) for r in totals][::step])
    ax.set_xlim(-0.6, len(x) - 0.4)
    sl = ax.twinx()
    means = [r.service_level.mean for r in totals]
    sl.plot(
        x,
        means,
        color="#d94801",
        marker="o",
        markersize=3,
        label=f"service level ({plan.figures_for} operators)",
    )
    if plan.method == "simulation":
        low = [r.service_level.low for r in totals]
        high = [r.service_level.high for r in totals]
        sl.fill_between(
            x,
            low,
            high,
            color="#fdae6b",
            alpha=0.4,
            linewidth=0,
            label=f"{plan.confidence:.0%} confidence",
        )
    wanted, within = plan.target.service_level, plan.target.within_s
    if wanted is not None:
        sl.axhline(
            wanted,
            color="#d94801",
            linestyle="--",
            linewidth=1,
            label=f"target {wanted:.0%} in {within:g} s",
        )
    sl.set_ylim(0, 1.05)
    sl.set_ylabel("service level")
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = sl.get_legend_handles_labels()
    figure.legend(handles + more, labels + more_labels, loc="lower center", fontsize=8, ncols=3)
    ax.set_ylim(0, max(v for v in [*planned, *required, 1] if not math.isnan(v)) * 1.1)
    figure.suptitle(title or f"Staffing plan ({plan.method})", fontsize=11)
    figure.tight_layout(rect=(0, 0.12, 1, 1))
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=_DPI)
    return out.getvalue()
