"""The order of ``GET /channels`` and ``GET /bridges``: Asterisk's, not creation order.

The hash is checked against every channel list a real Asterisk answered in the
captures; the simulator's own lists (its own ids, no capture to copy) must follow it.
"""

from __future__ import annotations

import pytest

from callrouter.sim import SimControl
from callrouter.sim._order import channel_bucket, str_case_hash
from tests.sim._support import CAPTURES, Ari, Events, JsonObj, load_capture

CAPTURE_FILES = sorted(
    str(path.relative_to(CAPTURES))
    for path in [*CAPTURES.glob("*.jsonl"), *CAPTURES.glob("sip/*.jsonl")]
)


def _lists(path: str) -> list[tuple[str, list[JsonObj]]]:
    return [
        (record["path"], record["body"])
        for record in load_capture(path)
        if record.get("method") == "GET"
        and record["path"] in ("/ari/channels", "/ari/bridges")
        and isinstance(record["body"], list)
        and len(record["body"]) > 1
    ]


LISTS = [
    pytest.param(path, body, id=f"{name}-{index}")
    for name in CAPTURE_FILES
    for index, (path, body) in enumerate(_lists(name))
]


def test_hash_is_djb2_xor_over_the_lower_cased_id() -> None:
    assert str_case_hash("") == 5381
    assert str_case_hash("A") == str_case_hash("a") == (5381 * 33) ^ ord("a")
    assert 0 <= channel_bucket("1796450277.320") < 1567


def test_captures_hold_lists_to_check() -> None:
    assert len(LISTS) >= 9


@pytest.mark.parametrize(("path", "body"), LISTS)
def test_real_asterisk_lists_in_hash_and_strcmp_order(path: str, body: list[JsonObj]) -> None:
    ids = [item["id"] for item in body]
    if path == "/ari/channels":
        buckets = [channel_bucket(channel_id) for channel_id in ids]
        # No two ids of a capture share a bucket: how ties are ordered is not known.
        assert buckets == sorted(set(buckets))
    else:
        assert ids == sorted(ids, key=str.encode)


async def test_simulator_lists_in_asterisk_order(
    ari: Ari, events: Events, sim_control: SimControl
) -> None:
    for n in range(6):
        await sim_control.place_call(endpoint=f"Local/55510{n}@from-pstn", caller_number="")
        await ari.call("POST", "/channels", {"endpoint": f"PJSIP/op{n}", "app": "callrouter"})
    for bridge_id in ("zz-3", "aa-1", "mm-2", "AA-0", "10", "9"):
        await ari.call("POST", f"/bridges/{bridge_id}")
    channels = (await ari.call("GET", "/channels")).body
    assert len(channels) == 18  # both halves of each Local call
    ids = [channel["id"] for channel in channels]
    assert ids == sorted(ids, key=channel_bucket)
    bridges = (await ari.call("GET", "/bridges")).body
    assert [bridge["id"] for bridge in bridges] == ["10", "9", "AA-0", "aa-1", "mm-2", "zz-3"]


async def test_explicit_channel_ids_follow_the_hash(ari: Ari, events: Events) -> None:
    # As in list_order_ids.jsonl, whatever the creation order.
    for channel_id in ("op-zz", "op-AA", "op-mm", "op-10", "op-9"):
        await ari.call(
            "POST",
            "/channels",
            {"endpoint": "PJSIP/x", "app": "callrouter", "channelId": channel_id},
        )
    listed = [channel["id"] for channel in (await ari.call("GET", "/channels")).body]
    assert listed == ["op-AA", "op-10", "op-mm", "op-zz", "op-9"]
