"""Reading a profile and a roster from CSV, writing a plan as CSV.

Profile (one row per interval and queue; ``queue`` and ``patience_s`` may be left out)::

    start,queue,calls,aht_s,patience_s
    09:00,sales,120,240,90

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
from callrouter.planning._model import DAY_S, Interval, Profile, QueueLoad, Roster, Routing
from callrouter.planning._report import Plan, row_dicts

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


def read_profile(text: str, *, interval_s: int = 1800, queue: str = DEFAULT_QUEUE) -> Profile:
    by_start: dict[int, list[QueueLoad]] = defaultdict(list)
    for line, row in _rows(text, ("start", "calls", "aht_s")):
        where = f"line {line}: "
        load_queue = (row.get("queue") or "").strip() or queue
        calls = _number(row, "calls", where)
        aht = _number(row, "aht_s", where)
        patience = _number(row, "patience_s", where, optional=True)
        assert calls is not None and aht is not None
        try:
            load = QueueLoad(load_queue, calls, aht, patience)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}{exc}") from None
        by_start[parse_clock(row.get("start", ""), where)].append(load)
    if not by_start:
        raise InvalidInput("the profile has no row")
    return Profile(interval_s, tuple(Interval(s, tuple(by_start[s])) for s in sorted(by_start)))


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
    rows = row_dicts(plan)
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
    return out.getvalue()
