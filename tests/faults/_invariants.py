"""What must hold after any fault, checked from the records alone.

Two witnesses are read once a run has drained: the simulator (what Asterisk did, one
record per channel) and the database (``calls``, ``call_events``,
``webhook_deliveries``), plus the webhooks the test's CRM receiver got. Each invariant
is a small function returning its violations as readable lines (empty when it holds),
so a run reports every invariant it breaks, not only the first.

The simulator's witness is its channel log (``/sim/channel-log``: every channel ever
created, with its bridge stays and times) plus its request log (which call each
operator leg was rung for).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from callrouter.sim._base import JsonObj
from tests.crm.receiver import Hit

__all__ = [
    "Caller",
    "DbRecord",
    "Leg",
    "SimRecord",
    "adopted_wait_covers_whole_wait",
    "check_all",
    "db_record",
    "every_call_has_one_final_row",
    "format_violations",
    "no_webhook_lost",
    "operator_never_double_booked",
    "queue_log_complete",
    "sim_record",
]

# callrouter measures a wait from its own StasisStart handling to the operator's answer;
# the simulator from its StasisStart event to the bridge. Milliseconds apart on a quiet
# machine; the margin covers a loaded one and stays below any scenario's down time.
WAIT_TOLERANCE_S = 0.5
# queue_log verbs that end a caller's stay; a call has at most one of them.
TERMINAL_VERBS = frozenset(
    {"COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY"}
)
OPERATOR_LEG_PREFIX = "cr-"


def _clock(at: datetime | None) -> str:
    return "never" if at is None else at.strftime("%H:%M:%S.%f")[:-3]


# -- the simulator's witness ----------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    """A channel callrouter originated to an operator's phone."""

    node: str
    channel_id: str
    endpoint: str
    call_id: str
    operator_id: str
    rung_at: datetime
    gone_at: datetime | None
    bridged_with: frozenset[str]

    def overlaps(self, other: Leg) -> bool:
        end_a, end_b = self.gone_at, other.gone_at
        return (end_b is None or self.rung_at < end_b) and (end_a is None or other.rung_at < end_a)

    def __str__(self) -> str:
        return (f"{self.node}/{self.channel_id[:11]} (call {self.call_id[:8]}, "
                f"{_clock(self.rung_at)}-{_clock(self.gone_at)})")  # fmt: skip


@dataclass(frozen=True)
class Caller:
    """An inbound channel that entered Stasis(callrouter,inbound)."""

    node: str
    channel_id: str
    entered_at: datetime
    bridged_at: datetime | None
    gone_at: datetime | None

    @property
    def waited_s(self) -> float | None:
        end = self.bridged_at or self.gone_at
        return None if end is None else (end - self.entered_at).total_seconds()


@dataclass(frozen=True)
class SimRecord:
    node: str
    legs: tuple[Leg, ...]
    callers: tuple[Caller, ...]


def _at(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _leg_args(requests: Sequence[JsonObj]) -> dict[str, tuple[str, str]]:
    """Operator leg id -> (call id, operator id), from the originates' ``appArgs``
    (``operator,<call id>,<operator>``): a leg that never answered never showed them in
    Stasis, so only the request says which call rang it."""
    found = {}
    for request in requests:
        params = {**(request.get("body") or {}), **request["params"]}
        leg_id = request["path"].rsplit("/", 1)[-1]
        if request["method"] == "POST" and "endpoint" in params:
            _, call_id, operator_id, *_ = [*str(params.get("appArgs", "")).split(","), "", "", ""]
            found[leg_id] = (call_id, operator_id)
    return found


def _paired_at(stay: JsonObj, partner_stays: Sequence[JsonObj]) -> float | None:
    """When a caller's stay in a bridge first had the operator leg with it."""
    times = [
        max(stay["entered"], other["entered"])
        for other in partner_stays
        if other["bridge"] == stay["bridge"]
        and (other["left"] is None or other["left"] >= stay["entered"])
        and (stay["left"] is None or stay["left"] >= other["entered"])
    ]
    return min(times, default=None)


def sim_record(node: str, requests: Sequence[JsonObj], channels: Sequence[JsonObj]) -> SimRecord:
    """Callers and operator legs from the simulator's channel log (``/sim/channel-log``:
    created, answered, bridge stays and with whom, destroyed), plus the request log for
    which call each leg was rung for."""
    by_id = {ch["id"]: ch for ch in channels}
    leg_args = _leg_args(requests)
    callers, legs = [], []
    for ch in channels:
        stays = ch["bridges"]
        if ch["origin"] == "originate" and ch["id"] in leg_args:
            call_id, operator_id = leg_args[ch["id"]]
            partners = {o for stay in stays for o in stay["with"]}
            legs.append(
                Leg(
                    node=node,
                    channel_id=ch["id"],
                    endpoint=ch["endpoint"],
                    call_id=call_id,
                    operator_id=operator_id,
                    rung_at=datetime.fromtimestamp(ch["created"], UTC),
                    gone_at=_at(ch["destroyed"]),
                    bridged_with=frozenset(
                        p for p in partners if (by_id.get(p) or {}).get("origin") == "inbound"
                    ),
                )
            )
        elif ch["origin"] == "inbound" and (ch["args"] or [])[:1] == ["inbound"]:
            entered = next(t["at"] for t in ch["timeline"] if t["event"] == "stasis_start")
            paired = [
                _paired_at(stay, by_id[other]["bridges"])
                for stay in stays
                for other in stay["with"]
                if other.startswith(OPERATOR_LEG_PREFIX) and other in by_id
            ]
            bridged = min((t for t in paired if t is not None), default=None)
            callers.append(
                Caller(
                    node=node,
                    channel_id=ch["id"],
                    entered_at=datetime.fromtimestamp(entered, UTC),
                    bridged_at=_at(bridged),
                    gone_at=_at(ch["destroyed"]),
                )
            )
    return SimRecord(node=node, legs=tuple(legs), callers=tuple(callers))


# -- the database's witness ----------------------------------------------------------------


@dataclass(frozen=True)
class CallRow:
    id: str
    node: str
    channel_id: str
    outcome: str | None
    wait_s: float | None
    operator_id: str | None


@dataclass(frozen=True)
class Delivery:
    id: str
    event: str
    call_id: str | None
    status: str


@dataclass(frozen=True)
class DbRecord:
    calls: tuple[CallRow, ...]
    events: Mapping[str, tuple[str, ...]]
    deliveries: tuple[Delivery, ...]


async def db_record(dsn: str) -> DbRecord:
    conn = await asyncpg.connect(dsn)
    try:
        calls = await conn.fetch(
            "SELECT id, node, channel_id, outcome, wait_s, operator_id FROM calls"
            " WHERE direction = 'inbound' ORDER BY created_at"
        )
        events = await conn.fetch("SELECT call_id, event FROM call_events ORDER BY id")
        deliveries = await conn.fetch("SELECT id, event, call_id, status FROM webhook_deliveries")
    finally:
        await conn.close()
    by_call: dict[str, list[str]] = defaultdict(list)
    for e in events:
        by_call[str(e["call_id"])].append(e["event"])
    return DbRecord(
        calls=tuple(
            CallRow(
                id=str(r["id"]),
                node=r["node"] or "",
                channel_id=r["channel_id"] or "",
                outcome=r["outcome"],
                wait_s=None if r["wait_s"] is None else float(r["wait_s"]),
                operator_id=r["operator_id"],
            )
            for r in calls
        ),
        events={k: tuple(v) for k, v in by_call.items()},
        deliveries=tuple(
            Delivery(str(d["id"]), d["event"], d["call_id"] and str(d["call_id"]), d["status"])
            for d in deliveries
        ),
    )


def _rows_by_channel(db: DbRecord) -> dict[tuple[str, str], list[CallRow]]:
    rows: dict[tuple[str, str], list[CallRow]] = defaultdict(list)
    for row in db.calls:
        rows[(row.node, row.channel_id)].append(row)
    return rows


# -- the invariants ---------------------------------------------------------------------------


def operator_never_double_booked(sims: Iterable[SimRecord]) -> list[str]:
    """1. No operator endpoint rung (originated) or bridged for two calls at once, on any
    node: a phone is one person."""
    by_endpoint: dict[str, list[Leg]] = defaultdict(list)
    out = []
    for sim in sims:
        for leg in sim.legs:
            by_endpoint[leg.endpoint].append(leg)
            if len(leg.bridged_with) > 1:
                out.append(
                    f"{leg.endpoint}: leg {leg} bridged with {len(leg.bridged_with)} callers"
                )
    for endpoint, legs in sorted(by_endpoint.items()):
        legs.sort(key=lambda leg: leg.rung_at)
        for i, leg in enumerate(legs):
            for later in legs[i + 1 :]:
                if later.call_id != leg.call_id and leg.overlaps(later):
                    out.append(f"{endpoint}: rung for {later} while still on {leg}")
    return out


# A StasisStart still in flight when serve is killed (sent, not yet handled) is lost with
# the process; if the caller also hangs up before serve is back, Asterisk keeps no trace
# of it to find (README, "Nothing lost"). Such a caller entered at most this long before
# the kill.
IN_FLIGHT = timedelta(milliseconds=100)


def _unknowable(caller: Caller, downtimes: Iterable[tuple[datetime, datetime]]) -> bool:
    return any(
        killed - IN_FLIGHT <= caller.entered_at <= back
        and caller.gone_at is not None
        and caller.gone_at <= back
        for killed, back in downtimes
    )


def every_call_has_one_final_row(
    sims: Iterable[SimRecord],
    db: DbRecord,
    downtimes: Iterable[tuple[str, datetime, datetime]] = (),
) -> list[str]:
    """2. Every caller that entered has exactly one ``calls`` row, with an outcome; the
    only exception is a caller whose whole stay began in a kill's last ``IN_FLIGHT`` and
    ended before the restart: the one case the README says can leave no row."""
    down_by_node: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for node, killed, back in downtimes:
        down_by_node[node].append((killed, back))
    rows = _rows_by_channel(db)
    out = []
    entered = set()
    for sim in sims:
        for caller in sim.callers:
            key = (caller.node, caller.channel_id)
            entered.add(key)
            found = rows.get(key, [])
            if not found and _unknowable(caller, down_by_node[caller.node]):
                continue
            if len(found) != 1:
                out.append(f"{caller.node} caller {caller.channel_id}: {len(found)} call rows")
            elif found[0].outcome is None:
                out.append(f"{caller.node} caller {caller.channel_id}: row {found[0].id} open")
    for key, found in rows.items():
        if key not in entered:
            out.append(f"row(s) {[r.id for r in found]} for channel {key} that never entered")
    return out


def adopted_wait_covers_whole_wait(
    sims: Iterable[SimRecord], db: DbRecord, adopted: Iterable[tuple[str, str]]
) -> list[str]:
    """3. A caller adopted after a restart has ``wait_s`` covering its whole wait, from
    its first StasisStart (not from the adoption) to its bridge or its hangup."""
    callers = {(c.node, c.channel_id): c for sim in sims for c in sim.callers}
    rows = _rows_by_channel(db)
    out = []
    for key in sorted(set(adopted)):
        caller, found = callers.get(key), rows.get(key, [])
        if caller is None or len(found) != 1 or found[0].outcome not in ("answered", "abandoned"):
            continue  # no row or no outcome is invariant 2's finding
        row, real = found[0], caller.waited_s
        if real is None:
            continue
        if row.wait_s is None or abs(row.wait_s - real) > WAIT_TOLERANCE_S:
            until = "its bridge" if caller.bridged_at else "its hangup"
            out.append(
                f"{key[0]} caller {key[1]} ({row.outcome}): wait_s {row.wait_s} but waited"
                f" {real:.3f}s from StasisStart {_clock(caller.entered_at)} to {until}"
            )
    return out


def queue_log_complete(db: DbRecord) -> list[str]:
    """4. Every answered call has ENTERQUEUE, CONNECT and COMPLETECALLER or COMPLETEAGENT;
    every abandoned call ENTERQUEUE and ABANDON; no call ends twice."""
    out = []
    for row in db.calls:
        verbs = db.events.get(row.id, ())
        missing: list[str] = []
        if row.outcome == "answered":
            missing = [v for v in ("ENTERQUEUE", "CONNECT") if v not in verbs]
            if not {"COMPLETECALLER", "COMPLETEAGENT"} & set(verbs):
                missing.append("COMPLETECALLER|COMPLETEAGENT")
        elif row.outcome == "abandoned":
            missing = [v for v in ("ENTERQUEUE", "ABANDON") if v not in verbs]
        if missing:
            out.append(f"{row.outcome} call {row.id}: no {', '.join(missing)} in {list(verbs)}")
        ends = [v for v in verbs if v in TERMINAL_VERBS]
        if len(ends) > 1:
            out.append(f"call {row.id} ({row.outcome}) ends {len(ends)} times: {ends}")
    return out


def no_webhook_lost(sims: Iterable[SimRecord], db: DbRecord, hits: Sequence[Hit]) -> list[str]:
    """5. The CRM got a screen pop for every ring, ``call.answered`` for every connect,
    ``call.ended`` for every finished call, and every delivery logged in the database."""
    got: dict[str, set[tuple[str | None, str | None]]] = defaultdict(set)
    delivered_ids = set()
    for hit in hits:
        body = hit.json
        operator = body.get("operator") or {}
        got[hit.event].add((hit.call_id, operator.get("id")))
        got[hit.event + ":call"].add((hit.call_id, None))
        delivered_ids.add(hit.delivery)
    out = []
    for sim in sims:
        for leg in sim.legs:
            if (leg.call_id, leg.operator_id) not in got["call.offered"]:
                out.append(f"no call.offered for {leg.operator_id} rung for call {leg.call_id}")
    for row in db.calls:
        if (
            "CONNECT" in db.events.get(row.id, ())
            and (row.id, None) not in got["call.answered:call"]
        ):
            out.append(f"no call.answered for call {row.id}")
        if row.outcome is not None and (row.id, None) not in got["call.ended:call"]:
            out.append(f"no call.ended for {row.outcome} call {row.id}")
    # A row still pending for a webhook the CRM did get is a stale log, not a loss (the
    # next start resends it; the CRM deduplicates on the delivery id).
    for d in db.deliveries:
        if d.id not in delivered_ids:
            out.append(f"{d.event} delivery {d.id} (call {d.call_id}) {d.status}, never received")
    return out


def check_all(
    sims: Sequence[SimRecord],
    db: DbRecord,
    hits: Sequence[Hit],
    adopted: Iterable[tuple[str, str]],
    downtimes: Iterable[tuple[str, datetime, datetime]] = (),
) -> dict[str, list[str]]:
    return {
        "1 operator_never_double_booked": operator_never_double_booked(sims),
        "2 every_call_has_one_final_row": every_call_has_one_final_row(sims, db, downtimes),
        "3 adopted_wait_covers_whole_wait": adopted_wait_covers_whole_wait(sims, db, adopted),
        "4 queue_log_complete": queue_log_complete(db),
        "5 no_webhook_lost": no_webhook_lost(sims, db, hits),
    }


def format_violations(violations: Mapping[str, list[str]], *, limit: int = 8) -> str:
    lines = []
    for name, found in violations.items():
        if not found:
            continue
        lines.append(f"INVARIANT {name}: {len(found)} violation(s)")
        lines.extend(f"    {line}" for line in found[:limit])
        if len(found) > limit:
            lines.append(f"    ... and {len(found) - limit} more")
    return "\n".join(lines)
