"""What one viewer of the wallboard may see of the board: pure projections.

The hub builds one board for the whole center (``_board``); every page's stream sends
it through the projection of its viewer:

- the center (``http.token``, the viewer token, a supervisor of the center) gets
  :func:`center_view`: everything, less the tenants' own charts;
- a tenant (its token, or a supervisor of that tenant) gets :func:`tenant_view`: its
  queues, its campaigns, its chart, and the operators serving it. A shared operator
  busy on another tenant's call shows as busy, with none of that call (no id, caller,
  queue or client) and none of the other tenant's queues.

A projection keeps only what it names: a field added to the board later reaches a
tenant only when it is added here.
"""

from __future__ import annotations

from typing import Any

from callrouter.web._board import Board

__all__ = ["center_view", "tenant_view"]

_OPERATOR_FIELDS = ("id", "name", "state", "reason", "since", "pending", "online")
_QUEUE_FIGURES = "queues"


def center_view(board: Board) -> Board:
    """The whole board, without the per-tenant charts only tenants' views read."""
    figures = board.get("figures")
    if not figures or "intraday_by_tenant" not in figures:
        return board
    trimmed = {k: v for k, v in figures.items() if k != "intraday_by_tenant"}
    return {**board, "figures": trimmed}


def tenant_view(board: Board, tenant: str) -> Board:
    """The board as ``tenant`` may see it: nothing of another tenant's."""
    queues = [q for q in board.get("queues", ()) if q.get("tenant") == tenant]
    owned = {q["name"] for q in queues}
    operators = [
        _operator(op, tenant, owned)
        for op in board.get("operators", ())
        if owned.intersection(op.get("queues", ()))
    ]
    return {
        "at": board.get("at"),
        "tenant": tenant,
        "queues": queues,
        "operators": operators,
        "figures": _figures(board.get("figures") or {}, tenant, owned),
    }


def _operator(op: dict[str, Any], tenant: str, owned: set[str]) -> dict[str, Any]:
    seen = {name: op.get(name) for name in _OPERATOR_FIELDS}
    seen["queues"] = [q for q in op.get("queues", ()) if q in owned]
    call = op.get("call")
    own = call is not None and call.get("tenant") == tenant
    seen["call"] = call if own else None
    # Busy for another tenant: the state says so, the call stays theirs.
    seen["elsewhere"] = call is not None and not own
    return seen


def _figures(figures: dict[str, Any], tenant: str, owned: set[str]) -> dict[str, Any]:
    if not figures:
        return {}
    by_queue = figures.get(_QUEUE_FIGURES, {})
    return {
        "day_start": figures.get("day_start"),
        "timezone": figures.get("timezone"),
        _QUEUE_FIGURES: {name: fig for name, fig in by_queue.items() if name in owned},
        "intraday": figures.get("intraday_by_tenant", {}).get(tenant, []),
        "campaigns": [c for c in figures.get("campaigns", ()) if c.get("tenant") == tenant],
    }
