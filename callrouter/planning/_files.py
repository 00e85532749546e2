"""Reading a profile and a roster from CSV, writing a plan as CSV.

Profile (one row per interval and queue; ``queue`` and ``patience_s`` may be left out)::

    start,queue,calls,aht_s,patience_s
    09:00,sales,120,240,90

With a campaign blended in, three more columns say what it dials into the row's queue
in that interval: ``answer_rate`` (share of lines a person answers), ``talk_s`` (mean
talk time with an operator) and ``leads`` (lines it may dial; empty: no limit). A row
whose three are empty has no outbound load; one given alone takes the others from the
command line's defaults (``OutboundDefaults``)::

    start,queue,calls,aht_s,patience_s,answer_rate,talk_s,leads
    09:00,sales,20,240,90,0.3,180,400

Roster (one column per skill group; a single ``operators`` column when there is one)::

    start,sales,support,sales+support:1
    09:00,10,6,2

Every error names the line and the column: a planner fixes a spreadsheet, not a traceback.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable

from callrouter.errors import InvalidInput
from callrouter.planning._campaign import MissingOutbound, OutboundDefaults
from callrouter.planning._model import (
    DAY_S,
    Interval,
    OutboundLoad,
    Profile,
    QueueLoad,
    Roster,
    Routing,
)
from callrouter.planning._report import Plan, outbound_dicts, row_dicts

__all__ = ["DEFAULT_QUEUE", "parse_clock", "plan_csv", "read_profile", "read_roster"]

DEFAULT_QUEUE = "default"
_SINGLE_GROUP_COLUMN = "operators"


def parse_clock(text: str, where: str = "") -> int:
    """``HH:MM`` -> seconds since midnight."""
    hours, sep, minutes = text.strip().partition(":")
    try:
        if not sep:
            raise ValueError(text)
        seconds = int(hours) * 3600 + int(minutes) * 60
    except ValueError:
        raise InvalidInput(f"{where}start {text!r} is not HH:MM") from None
    if not 0 <= seconds < DAY_S or not 0 <= int(minutes) < 60:
        raise InvalidInput(f"{where}start {text!r} is not a time of day")
    return seconds


def _number(
    row: dict[str, str], column: str, where: str, *, optional: bool = False
) -> float | None:
    raw = (row.get(column) or "").strip()
    if not raw:
        if optional:
            return None
        raise InvalidInput(f"{where}{column} is empty")
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"{where}{column} {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidInput(f"{where}{column} {raw!r} is not a finite number")
    return value


def _rows(text: str, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in required if c not in columns]
    if missing:
        raise InvalidInput(f"the CSV needs the column(s) {', '.join(missing)}")
    return [
        (reader.line_num, {(k or "").strip(): v for k, v in row.items() if isinstance(v, str)})
        for row in reader
    ]


_FLAGS = {"answer_rate": "--answer-rate", "talk_s": "--talk"}


def _outbound(
    row: dict[str, str], queue: str, where: str, defaults: OutboundDefaults
) -> OutboundLoad | None:
    leads = _number(row, "leads", where, optional=True)
    if leads is not None and (leads < 0 or leads != int(leads)):
        raise InvalidInput(f"{where}leads must be a whole number >= 0, not {row['leads']!r}")
    try:
        return defaults.merge(
            queue,
            answer_rate=_number(row, "answer_rate", where, optional=True),
            talk_s=_number(row, "talk_s", where, optional=True),
            leads=None if leads is None else int(leads),
        )
    except MissingOutbound as exc:
        raise InvalidInput(f"{where}{exc} (give it here or with {_FLAGS[exc.field]})") from None


def read_profile(
    text: str,
    *,
    interval_s: int = 1800,
    queue: str = DEFAULT_QUEUE,
    outbound: OutboundDefaults | None = None,
) -> Profile:
    by_start: dict[int, list[QueueLoad]] = defaultdict(list)
    dialled: dict[int, list[OutboundLoad]] = defaultdict(list)
    for line, row in _rows(text, ("start", "calls", "aht_s")):
        where = f"line {line}: "
        load_queue = (row.get("queue") or "").strip() or queue
        calls = _number(row, "calls", where)
        aht = _number(row, "aht_s", where)
        patience = _number(row, "patience_s", where, optional=True)
        assert calls is not None and aht is not None
        start = parse_clock(row.get("start", ""), where)
        try:
            by_start[start].append(QueueLoad(load_queue, calls, aht, patience))
            out = _outbound(row, load_queue, where, outbound or OutboundDefaults())
        except InvalidInput as exc:
            message = str(exc)
            raise InvalidInput(message if message.startswith(where) else where + message) from None
        if out is not None:
            dialled[start].append(out)
    if not by_start:
        raise InvalidInput("the profile has no row")
    return Profile(
        interval_s,
        tuple(Interval(s, tuple(by_start[s]), tuple(dialled[s])) for s in sorted(by_start)),
    )


def read_roster(text: str, routing: Routing) -> Roster:
    staff: dict[int, dict[str, int]] = {}
    rows = _rows(text, ("start",))
    for line, row in rows:
        where = f"line {line}: "
        counts: dict[str, int] = {}
        for column, raw in row.items():
            if column == "start" or not column:
                continue
            name = column
            if column == _SINGLE_GROUP_COLUMN and len(routing.groups) == 1:
                name = routing.groups[0].name
            routing.group(name)
            value = _number(row, column, where)
            assert value is not None
            if value < 0 or value != int(value):
                raise InvalidInput(f"{where}{column} must be a whole number >= 0, not {raw!r}")
            counts[name] = int(value)
        start = parse_clock(row.get("start", ""), where)
        if start in staff:
            raise InvalidInput(f"{where}{row['start']} appears twice")
        staff[start] = counts
    return Roster(staff)


def plan_csv(plan: Plan) -> str:
    """The plan's rows; a blended campaign's rows follow, with their own columns (empty
    on the others, as the others' are on theirs)."""
    rows = row_dicts(plan) + outbound_dicts(plan)
    columns = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
    return out.getvalue()
