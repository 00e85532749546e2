"""What the wallboard and the operator panel show, as plain JSON-ready data.

Pure functions of the engine's snapshot, the configuration and who is on each call:
no I/O and no clock (the snapshot carries its time). Times go out as ISO 8601 instants
and the browser ticks waits and times in state from them, so a page needs no push
just because a second passed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from callrouter.acd import AcdSnapshot, OperatorView
from callrouter.config import Settings
from callrouter.store.calls import QueueFigures
from callrouter.store.wallboard import CampaignBoardFigures, IntervalFigures, Intraday
from callrouter.web.ports import CallParty

__all__ = [
    "Board",
    "client_name",
    "figures_document",
    "live_board",
    "panel_view",
    "with_figures",
]

# Operators who can take a campaign's customer now or soon: the dial level's divisor.
_WORKING_STATES = ("available", "offered", "on_call", "wrapup")

Board = dict[str, Any]
"""The wallboard's document: ``at``, ``queues``, ``operators`` and (from the database)
``figures``; see :func:`live_board`."""


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def client_name(settings: Settings, tenant: str) -> str | None:
    """The client company a tenant is (its ``name``, else its id), for the operator who
    greets its callers; None when ``tenant`` is no configured tenant (the center's own
    calls, in a center without tenants)."""
    configured = settings.tenants.get(tenant)
    if configured is None:
        return None
    return configured.name or tenant


def live_board(
    snapshot: AcdSnapshot,
    *,
    settings: Settings,
    party: Callable[[str], CallParty | None],
) -> Board:
    """The live part of the board: per queue, callers waiting (with the oldest one's
    queue time, to tick), ringing and operators by state; per operator, state, pause
    reason, since when, and the queue, tenant and caller of the current call."""
    queues = []
    for queue in snapshot.queues:
        config = settings.queues.get(queue.name)
        tenant = settings.tenant_of_queue(queue.name)
        queues.append(
            {
                "name": queue.name,
                "tenant": tenant,
                "client": client_name(settings, tenant),
                "waiting": len(queue.waiting),
                "oldest_queued_at": _iso(min((c.queued_at for c in queue.waiting), default=None)),
                "ringing": queue.ringing,
                "logged_in": queue.logged_in,
                "operators": {state.value: n for state, n in queue.operators.items() if n},
                "service_level_s": config.service_level_s if config else None,
                "service_level_target": config.service_level_target if config else None,
            }
        )
    queue_of = {call.call_id: call.queue for call in snapshot.calls}
    operators = [
        _operator(op, settings=settings, queue_of=queue_of, party=party)
        for op in snapshot.operators
    ]
    return {"at": _iso(snapshot.at), "queues": queues, "operators": operators}


def _operator(
    op: OperatorView,
    *,
    settings: Settings,
    queue_of: Mapping[str, str],
    party: Callable[[str], CallParty | None],
) -> dict[str, Any]:
    config = settings.operators.get(op.operator_id)
    call: dict[str, Any] | None = None
    if op.call_id is not None:
        who = party(op.call_id)
        queue = queue_of.get(op.call_id) or (who.queue if who else None)
        # The call's own tenant, as its rows carry it; a call with no queue
        # (click-to-call) is the default tenant's.
        tenant = who.tenant if who else settings.tenant_of_queue(queue or "")
        call = {
            "id": op.call_id,
            "queue": queue,
            "tenant": tenant,
            "client": client_name(settings, tenant),
            "caller_number": who.caller_number if who else "",
            "caller_name": who.caller_name if who else "",
        }
    return {
        "id": op.operator_id,
        "name": (config.name if config else "") or op.operator_id,
        "state": op.state.value,
        "reason": op.pause_reason,
        "since": _iso(op.since),
        "pending": op.pending,
        "online": op.online,
        "queues": sorted(op.queues),
        "call": call,
    }


def panel_view(board: Board, operator_id: str) -> Board:
    """What one operator's panel gets: their own line and their queues' figures, never
    the other operators' callers."""
    me = next((op for op in board.get("operators", ()) if op["id"] == operator_id), None)
    mine = set(me["queues"]) if me else set()
    figures = board.get("figures") or {}
    return {
        "at": board.get("at"),
        "operator": me,
        "queues": [q for q in board.get("queues", ()) if q["name"] in mine],
        "figures": {"queues": {k: v for k, v in figures.get("queues", {}).items() if k in mine}},
    }


def figures_document(
    *,
    settings: Settings,
    day_start: datetime,
    queues: list[QueueFigures],
    intraday: Intraday,
    campaigns: list[CampaignBoardFigures],
) -> dict[str, Any]:
    """Today's figures as the board shows them (see ``store.wallboard``); the chart of
    each tenant's own queues rides along for the tenants' views (``_tenant_view``)."""
    by_queue: dict[str, Any] = {}
    for fig in queues:
        config = settings.queues.get(fig.queue)
        target = config.service_level_target if config else None
        level = fig.service_level
        by_queue[fig.queue] = {
            "offered": fig.offered,
            "answered": fig.answered,
            "abandoned": fig.abandoned,
            "service_level": level,
            "service_level_target": target,
            "at_risk": level is not None and target is not None and level < target,
            "asa_s": fig.avg_speed_of_answer_s,
            "aht_s": fig.avg_handle_s(config.wrapup_s if config else 0.0),
            "abandon_rate": fig.abandon_rate,
        }
    campaign_rows = []
    for row in campaigns:
        campaign = settings.campaigns.get(row.campaign)
        cap = campaign.abandon_cap if campaign is not None else None
        campaign_rows.append(
            {
                "name": row.campaign,
                # A campaign no longer configured is nobody's: no tenant sees it.
                "tenant": campaign.tenant if campaign is not None else None,
                "mode": row.mode,
                "state": row.state,
                "queue": row.queue,
                "leads_left": row.leads_left,
                "dialled": row.dialled,
                "answered": row.answered,
                "abandoned": row.abandoned,
                "abandon_rate": row.abandon_rate,
                "abandon_cap": settings.dialer.abandon_cap if cap is None else cap,
                "live_attempts": row.live_attempts,
            }
        )
    return {
        "day_start": _iso(day_start),
        "timezone": settings.reports.timezone,
        "queues": by_queue,
        "intraday": _slots(intraday.center),
        "intraday_by_tenant": {t: _slots(slots) for t, slots in intraday.by_tenant.items()},
        "campaigns": campaign_rows,
    }


def _slots(intraday: list[IntervalFigures]) -> list[dict[str, Any]]:
    return [
        {
            "start": _iso(slot.start),
            "offered": slot.offered,
            "answered": slot.answered,
            "service_level": slot.service_level,
        }
        for slot in intraday
    ]


def with_figures(live: Board, figures: dict[str, Any]) -> Board:
    """The board: the live part, today's figures, and each campaign's dial level (calls
    in progress per operator of its queue who is working, not paused or away)."""
    working = {
        q["name"]: sum(q["operators"].get(state, 0) for state in _WORKING_STATES)
        for q in live.get("queues", ())
    }
    campaigns = []
    for row in figures.get("campaigns", ()):
        operators = working.get(row["queue"] or "", 0)
        level = row["live_attempts"] / operators if operators else None
        campaigns.append({**row, "dial_level": level})
    return {**live, "figures": {**figures, "campaigns": campaigns}}
