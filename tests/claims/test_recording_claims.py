"""README, Recording: "Every connected call is recorded by default ... in
`recording.format` (wav by default) ... Start, stop, duration and stored name go to
`recordings`, linked to the call." The row is what `recordings list/get` and the CRM's
recording link are built from."""

from __future__ import annotations

import asyncpg
import pytest

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, final_call_row, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs


# sln, not gsm, as the other format: the simulator writes only raw-PCM formats.
@pytest.mark.parametrize("fmt", [None, "sln"], ids=["default-format", "sln"])
async def test_a_connected_call_gets_a_finished_recordings_row(
    fmt: str | None, sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.1)
    settings = make_settings(sim, recording={"format": fmt} if fmt else {})
    async with running_service(settings, db_dsn):
        caller = await sim_control.place_call(caller_number="+4930123")
        await eventually(lambda: bridged_pairs(sim_control), what="caller and operator bridged")
        await sim_control.hangup(caller["id"])
        [call] = await final_call_row(db_dsn)

        async def finished() -> asyncpg.Record | None:
            conn = await asyncpg.connect(db_dsn)
            try:
                return await conn.fetchrow("SELECT * FROM recordings WHERE state = 'done'")
            finally:
                await conn.close()

        row = await eventually(finished, what="the recording's row done")
    assert row["call_id"] == call["id"]
    assert row["format"] == (fmt or "wav")
    assert row["name"]
    assert row["started_at"] >= call["created_at"]
    assert row["ended_at"] is not None and row["ended_at"] >= row["started_at"]
    assert row["duration_s"] is not None and row["duration_s"] >= 0
