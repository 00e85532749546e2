"""What the kit measures, outside both distributors: latency from Asterisk's CEL log and
CPU time from /proc.

Latency of one call: from the caller's CEL ``APP_START`` of ``Queue()`` or ``Stasis()``
(the caller enters the distributor) to the later of the two ``BRIDGE_ENTER`` rows that
put the caller and an operator (a channel of ``bench-operators``) in the same bridge.
A caller who first waits alone in a bridge (callrouter's holding bridge) is matched on
the first bridge an operator also enters.

CPU: utime + stime of a process and its live descendants, plus the cutime + cstime its
exited, reaped children left behind (PostgreSQL's backends), in seconds.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

CEL_FIELDS = ("event", "time", "channel", "uniqueid", "linkedid", "app", "context", "extra")
DISTRIBUTOR_APPS = {"queue", "stasis"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class CelRow:
    event: str
    time: float
    channel: str
    uniqueid: str
    context: str
    app: str
    bridge_id: str


@dataclass
class Latencies:
    entered: int = 0
    connected_ms: list[float] = field(default_factory=list)

    @property
    def not_connected(self) -> int:
        return self.entered - len(self.connected_ms)


def parse_cel(lines: Iterable[str]) -> list[CelRow]:
    """Rows of the kit's cel_custom mapping (see conf/cel_custom.conf)."""
    rows: list[CelRow] = []
    for record in csv.reader(lines):
        if len(record) != len(CEL_FIELDS):
            continue
        item = dict(zip(CEL_FIELDS, record, strict=True))
        bridge_id = ""
        if item["event"] == "BRIDGE_ENTER" and item["extra"]:
            try:
                bridge_id = str(json.loads(item["extra"]).get("bridge_id", ""))
            except ValueError:
                bridge_id = ""
        try:
            moment = float(item["time"])
        except ValueError:
            continue
        rows.append(
            CelRow(
                event=item["event"],
                time=moment,
                channel=item["channel"],
                uniqueid=item["uniqueid"],
                context=item["context"],
                app=item["app"],
                bridge_id=bridge_id,
            )
        )
    return rows


def call_latencies(rows: list[CelRow], *, entry_context: str, operator_context: str) -> Latencies:
    """Per caller who entered the distributor through ``entry_context``: milliseconds
    until caller and operator were both in one bridge."""
    entered: dict[str, float] = {}
    enters_by_channel: dict[str, list[CelRow]] = {}
    operator_enters: dict[str, list[float]] = {}
    operator_tag = f"@{operator_context}-"
    for row in rows:
        if row.event == "APP_START" and row.context == entry_context:
            if row.app.lower() in DISTRIBUTOR_APPS and row.uniqueid not in entered:
                entered[row.uniqueid] = row.time
        elif row.event == "BRIDGE_ENTER" and row.bridge_id:
            enters_by_channel.setdefault(row.uniqueid, []).append(row)
            if operator_tag in row.channel:
                operator_enters.setdefault(row.bridge_id, []).append(row.time)
    result = Latencies(entered=len(entered))
    for uniqueid, start in entered.items():
        for enter in sorted(enters_by_channel.get(uniqueid, []), key=lambda r: r.time):
            operators = operator_enters.get(enter.bridge_id)
            if operators:
                both = max(enter.time, min(operators))
                result.connected_ms.append((both - start) * 1000.0)
                break
    return result


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


# -- CPU from /proc ---------------------------------------------------------------------
def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its end.
    return text[text.rindex(")") + 2 :].split()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None and fields[1] == str(pid):
            found.append(int(entry.name))
    return found


def process_tree_cpu_s(pid: int) -> float:
    """CPU seconds of ``pid``, its live descendants and its reaped children."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # After the name: state ppid ... utime(11) stime(12) cutime(13) cstime(14), 0-based.
    ticks = sum(int(value) for value in fields[11:15])
    total = ticks / CLOCK_TICKS
    for child in _children(pid):
        total += process_tree_cpu_s(child)
    return total


def postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def own_cpu_s() -> float:
    times = os.times()
    return times.user + times.system
