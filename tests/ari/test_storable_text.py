"""Text PostgreSQL refuses (NUL, lone surrogates) never costs a call its row.

The caller's name and number come from Asterisk; they are made storable in the ARI
models (``callrouter.text.storable``), so the whole call still lands in ``calls``.
"""

from __future__ import annotations

import json

from callrouter.ari import StasisStart, parse_event
from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.text import REPLACEMENT, storable
from tests.ari.test_events import _stasis_start
from tests.calls.harness import final_call_row, make_settings, running_service


def test_storable_replaces_nul_and_lone_surrogates_only() -> None:
    assert storable("Eve \"x\" O'Neil\t;--") == "Eve \"x\" O'Neil\t;--"
    assert storable("a\x00b") == f"a{REPLACEMENT}b"
    assert storable("\ud800x\udfff") == f"{REPLACEMENT}x{REPLACEMENT}"
    assert storable("Zoë 😀") == "Zoë 😀"
    storable("\x00\ud83d").encode("utf-8")  # strict UTF-8 now succeeds


def test_stasis_start_caller_id_and_args_are_made_storable() -> None:
    raw = _stasis_start(args=["inbound", "sup\x00port"])
    raw["channel"]["caller"] = {"name": "Eve\x00", "number": "+49\ud800"}
    raw["channel"]["dialplan"] = {**raw["channel"]["dialplan"], "exten": "1\x0000"}
    event = parse_event(json.dumps(raw))
    assert isinstance(event, StasisStart)
    assert event.channel.caller.name == f"Eve{REPLACEMENT}"
    assert event.channel.caller.number == f"+49{REPLACEMENT}"
    assert event.channel.dialplan.exten == f"1{REPLACEMENT}00"
    assert event.args == ["inbound", f"sup{REPLACEMENT}port"]


async def test_caller_name_with_nul_keeps_the_calls_row(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    settings = make_settings(
        sim,
        queues={"support": {"join_empty": True}},
        operators={"anna": {"endpoint": "PJSIP/101", "queues": {"support": 0}}},
    )
    async with running_service(settings, db_dsn):
        caller = await sim_control.place_call(
            caller_number="+4930\u00001234", caller_name="Eve\u0000 O'Neil"
        )
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
    assert row["outcome"] == "abandoned"
    assert row["caller_name"] == f"Eve{REPLACEMENT} O'Neil"
    assert row["caller_number"] == f"+4930{REPLACEMENT}1234"
