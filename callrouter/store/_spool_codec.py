"""One spool line per record: JSON with explicit type tags, so a record read back is
equal to the record written.

A :class:`SpoolCodec` knows the record kinds (dataclasses) one spool holds: the row
writer's (``ROW_CODEC``, the module-level functions) or another stream's, such as the
webhook deliveries (``callrouter/crm/_journal.py``). Kinds go by class name.

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
from collections.abc import Iterable
from dataclasses import fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic

import structlog
from typing_extensions import TypeVar

from callrouter.store.records import (
    CallbackInsert,
    CallEventRow,
    CallInsert,
    CallUpdate,
    OperatorStateRow,
    Record,
    RecordingInsert,
    RecordingUpdate,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["ROW_CODEC", "SpoolCodec", "decode_line", "encode_line", "read_segment"]

log = structlog.get_logger(__name__)

# A spool holds dataclasses; without a type argument, the row writer's records.
T = TypeVar("T", bound="DataclassInstance", default=Record)


class SpoolCodec(Generic[T]):
    """Lines for the record kinds ``kinds`` (dataclasses, named on a line by class name)."""

    def __init__(self, kinds: Iterable[type[T]]) -> None:
        self._kinds: dict[str, type[T]] = {cls.__name__: cls for cls in kinds}
        self._fields = {
            name: tuple(f.name for f in fields(cls)) for name, cls in self._kinds.items()
        }

    def encode_line(self, seq: int, record: T) -> bytes:
        """The spool line for ``record``; TypeError for a value no tag covers, or a record
        of a kind this codec does not hold."""
        kind = type(record).__name__
        names = self._fields.get(kind)
        if names is None or type(record) is not self._kinds[kind]:
            raise TypeError(f"cannot spool a {kind} here")
        body = {}
        for name in names:
            value = getattr(record, name)
            # Only free-form dicts can hold a "$" key; the other fields go as they are.
            body[name] = _escape(value) if type(value) is dict else value
        return _ENCODER.encode({"s": seq, "k": kind, "r": body}).encode() + b"\n"

    def decode_line(self, line: bytes) -> tuple[int, T]:
        """The sequence number and record on ``line``; ValueError (json's included) if it
        is not a whole one."""
        try:
            obj = json.loads(line, object_hook=_untag)
            cls = self._kinds[obj["k"]]
            record = cls(**obj["r"])
            seq = obj["s"]
        except (KeyError, TypeError, ArithmeticError) as exc:
            # Whatever a damaged line decodes to (a number, a list, a bad "$dec"), the one
            # error a reader has to expect is ValueError.
            raise ValueError(f"not a spooled record: {exc!r}") from exc
        if not isinstance(seq, int) or seq < 1:
            raise ValueError(f"bad sequence number {seq!r}")
        return seq, record

    def read_segment(self, path: Path, *, after: int) -> list[tuple[int, T]]:
        """The whole records of a segment file, in order, after sequence number ``after``.

        A torn last line (a crash or power loss in the middle of a write: that record was
        never acknowledged as journalled) is skipped with a warning; a corrupt or
        out-of-order line elsewhere with an error. Neither stops the rest being read.
        """
        data = path.read_bytes()
        lines = data.split(b"\n")
        tail = lines.pop()  # b"" when the file ends with a newline, as a whole file does
        records: list[tuple[int, T]] = []
        last = after
        for number, line in enumerate(lines, start=1):
            try:
                seq, record = self.decode_line(line)
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
                seq, record = self.decode_line(tail)
            except ValueError:
                log.warning("spool_torn_line", path=str(path), line=len(lines) + 1, size=len(tail))
            else:
                if seq > last:
                    records.append((seq, record))
        return records


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


ROW_CODEC: SpoolCodec[Record] = SpoolCodec(
    (
        CallInsert,
        CallUpdate,
        CallEventRow,
        OperatorStateRow,
        RecordingInsert,
        RecordingUpdate,
        CallbackInsert,
    )
)
# The row writer's lines, as the functions its tests and tools know.
encode_line = ROW_CODEC.encode_line
decode_line = ROW_CODEC.decode_line
read_segment = ROW_CODEC.read_segment
