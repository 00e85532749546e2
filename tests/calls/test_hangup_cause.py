"""Every finished call row carries a hangup cause, whoever hung up and however.

On a real Asterisk the cause comes in three ways (ari-captures/sip): a hard
ChannelHangupRequest with a Q.850 ``cause``; a SIP BYE whose request has no cause at
all (Asterisk's own ChannelDestroyed then says 16); and ChannelDestroyed, which may
arrive after the row was already finished."""

from __future__ import annotations

import asyncpg
import pytest

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, final_call_row, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs


async def _talk_then(
    sim: SimulatedAsterisk, control: SimControl, dsn: str, *, cause: int | None, side: str
) -> asyncpg.Record:
    await control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.05)
    async with running_service(make_settings(sim), dsn):
        caller = await control.place_call(caller_number="+cause")
        await eventually(lambda: bridged_pairs(control), what="call connected")
        if side == "caller":
            await control.hangup(caller["id"], cause=cause)
        else:
            state = await control.state()
            [pair] = [b["channels"] for b in state["bridges"] if len(b["channels"]) == 2]
            operator_leg = next(c for c in pair if c != caller["id"])
            await control.hangup(operator_leg, cause=cause)
        [row] = await final_call_row(dsn)

        async def cause_written() -> asyncpg.Record | None:
            conn = await asyncpg.connect(dsn)
            try:
                found: asyncpg.Record | None = await conn.fetchrow(
                    "SELECT * FROM calls WHERE hangup_cause IS NOT NULL"
                )
                return found
            finally:
                await conn.close()

        return await eventually(cause_written, what="the hangup cause on the row") or row


@pytest.mark.parametrize(
    ("side", "cause", "expected"),
    [
        ("caller", 21, 21),  # a hard request with a Q.850 code
        ("caller", None, 16),  # a SIP BYE: no cause in the request
        ("operator", None, 16),  # the operator hung up; callrouter cleared the caller
    ],
    ids=["caller-q850", "caller-sip-bye", "operator-bye"],
)
async def test_the_row_gets_the_hangup_cause(
    sim: SimulatedAsterisk,
    sim_control: SimControl,
    db_dsn: str,
    side: str,
    cause: int | None,
    expected: int,
) -> None:
    row = await _talk_then(sim, sim_control, db_dsn, cause=cause, side=side)
    assert row["outcome"] == "answered"
    assert row["hangup_cause"] == expected
