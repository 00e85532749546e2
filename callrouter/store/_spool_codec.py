"""One spool line per record: JSON with explicit type tags, so a record read back is
equal to the record written.

A line is ``{"s": seq, "k": kind, "r": {field: value}}`` followed by ``\\n``. Fields go
by name, so a record kind that gains a field with a default still reads old lines.
JSON is native for str, int, float, bool, None, lists and dicts; the other values a
record holds are one-key objects with a tag:

    {"$uuid": "..."}   uuid.UUID
    {"$dt": "..."}     datetime (ISO 8601, offset kept)
    {"$date": "..."}   date
    {"$td": 1.5}       timedelta (seconds)
    {"$dec": "1.50"}   Decimal (as text: no float rounding)

A dict of the records' own (``CallEventRow.data``, ``CallUpdate.values``) whose key
starts with ``$`` is written with that key doubled (``$x`` -> ``$$x``), so it can never be
mistaken for a tag. Tuples come back as lists (they are stored as jsonb anyway).
json.dumps escapes newlines inside strings, so a line never contains a raw newline.

Why JSON and not msgpack: the standard library's C encoder is fast enough (see
bench/bench_writer.py), the file stays readable with ``jq`` during an incident, and
it adds no dependency.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import structlog

from callrouter.store._records import (
    CallbackInsert,
    CallEventRow,
    CallInsert,
    CallUpdate,
    OperatorStateRow,
    Record,
    RecordingInsert,
    RecordingUpdate,
)

__all__ = ["decode_line", "encode_line", "read_segment"]

log = structlog.get_logger(__name__)

_KINDS: dict[str, type[Record]] = {
    cls.__name__: cls
    for cls in (
        CallInsert,
        CallUpdate,
        CallEventRow,
        OperatorStateRow,
        RecordingInsert,
        RecordingUpdate,
        CallbackInsert,
    )
}
_FIELDS = {kind: tuple(f.name for f in fields(cls)) for kind, cls in _KINDS.items()}


def encode_line(seq: int, record: Record) -> bytes:
    """The spool line for ``record``; TypeError for a value no tag covers."""
    kind = type(record).__name__
    body = {}
    for name in _FIELDS[kind]:
        value = getattr(record, name)
        # Only the free-form dicts can hold a "$" key; the other fields go as they are.
        body[name] = _escape(value) if type(value) is dict else value
    return _ENCODER.encode({"s": seq, "k": kind, "r": body}).encode() + b"\n"


def decode_line(line: bytes) -> tuple[int, Record]:
    """The sequence number and record on ``line``; ValueError (json's included) if it
    is not a whole one."""
    try:
        obj = json.loads(line, object_hook=_untag)
        cls = _KINDS[obj["k"]]
        record = cls(**obj["r"])
        seq = obj["s"]
    except (KeyError, TypeError, ArithmeticError) as exc:
        # Whatever a damaged line decodes to (a number, a list, a bad "$dec"), the one
        # error a reader has to expect is ValueError.
        raise ValueError(f"not a spooled record: {exc!r}") from exc
    if not isinstance(seq, int) or seq < 1:
        raise ValueError(f"bad sequence number {seq!r}")
    return seq, record


def _tag(value: object) -> dict[str, Any]:
    # Called by json.dumps only for values it cannot write itself; datetime before date
    # because a datetime is a date.
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$td": value.total_seconds()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    raise TypeError(f"cannot spool a {type(value).__name__}")


# One encoder for every line: json.dumps(default=...) would build a new one per call.
_ENCODER = json.JSONEncoder(default=_tag, separators=(",", ":"), ensure_ascii=False)

_DECODERS: dict[str, Any] = {
    "$uuid": uuid.UUID,
    "$dt": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$td": lambda seconds: timedelta(seconds=seconds),
    "$dec": Decimal,
}


def _escape(value: Any) -> Any:
    # The common case (no "$" key anywhere) returns the value itself, untouched.
    if isinstance(value, dict):
        if any(isinstance(k, str) and k.startswith("$") for k in value):
            return {_escape_key(k): _escape(v) for k, v in value.items()}
        if any(isinstance(v, dict | list | tuple) for v in value.values()):
            return {k: _escape(v) for k, v in value.items()}
    elif isinstance(value, list | tuple) and any(isinstance(v, dict | list | tuple) for v in value):
        return [_escape(v) for v in value]
    return value


def _escape_key(key: object) -> object:
    return "$" + key if isinstance(key, str) and key.startswith("$") else key


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        key = next(iter(obj))
        decoder = _DECODERS.get(key)
        if decoder is not None:
            return decoder(obj[key])
    if any(k.startswith("$$") for k in obj):
        return {(k[1:] if k.startswith("$$") else k): v for k, v in obj.items()}
    return obj


def read_segment(path: Path, *, after: int) -> list[tuple[int, Record]]:
    """The whole records of a segment file, in order, after sequence number ``after``.

    A torn last line (a crash or power loss in the middle of a write: that record was
    never acknowledged as journalled) is skipped with a warning; a corrupt or
    out-of-order line elsewhere with an error. Neither stops the rest being read.
    """
    data = path.read_bytes()
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline, as a whole file does
    records: list[tuple[int, Record]] = []
    last = after
    for number, line in enumerate(lines, start=1):
        try:
            seq, record = decode_line(line)
        except ValueError as exc:
            log.error("spool_corrupt_line", path=str(path), line=number, error=str(exc))
            continue
        if seq <= last:
            log.error("spool_out_of_order", path=str(path), line=number, seq=seq)
            continue
        records.append((seq, record))
        last = seq
    if tail:
        try:
            seq, record = decode_line(tail)
        except ValueError:
            log.warning("spool_torn_line", path=str(path), line=len(lines) + 1, size=len(tail))
        else:
            if seq > last:
                records.append((seq, record))
    return records
