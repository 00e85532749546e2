"""The order in which Asterisk lists channels and bridges (sip/list_order*.jsonl).

``GET /channels`` walks the channel snapshot cache, an ao2 hash container of
``AST_NUM_CHANNEL_BUCKETS`` (1567) buckets keyed by uniqueid with
``ast_str_case_hash()``: djb2 with xor over the lower-cased id, kept to 31 bits. The walk
goes bucket 0 upwards, so the list is in no useful order: not creation order, and a
caller may come after its operator. Within a bucket ao2 appends at the end; no capture
has two ids in one bucket, so keeping creation order there is our best guess.

``GET /bridges`` walks a sorted container compared with ``strcmp()``: bytewise by id.
"""

from __future__ import annotations

from collections.abc import Iterable

from callrouter.sim._state import Bridge, Channel

CHANNEL_BUCKETS = 1567
_DJB2_SEED = 5381
_UINT32 = 0xFFFFFFFF
_INT31 = 0x7FFFFFFF


def str_case_hash(text: str) -> int:
    """``ast_str_case_hash()``: h = h * 33 ^ tolower(c) over the bytes, then abs()."""
    value = _DJB2_SEED
    for byte in text.lower().encode():
        value = ((value * 33) ^ byte) & _UINT32
    return value & _INT31


def channel_bucket(channel_id: str) -> int:
    return str_case_hash(channel_id) % CHANNEL_BUCKETS


def listed_channels(channels: Iterable[Channel]) -> list[Channel]:
    # sorted() is stable: creation order within a bucket.
    return sorted(channels, key=lambda ch: channel_bucket(ch.id))


def listed_bridges(bridges: Iterable[Bridge]) -> list[Bridge]:
    return sorted(bridges, key=lambda br: br.id.encode())
