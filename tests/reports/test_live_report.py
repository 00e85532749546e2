"""A call routed by the real service on the simulator shows in the queue report as it
happened: answered, its wait and talk time, and its wrap-up measured from the state log
(the operator's wrapup row is written at the call's very end)."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from callrouter.sim import SimControl, SimulatedAsterisk
from callrouter.store.reports import QueueInterval, period_of, run_report
from tests.calls.harness import eventually, final_call_row, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs


async def test_a_routed_call_in_the_queue_report(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=1)
    settings = make_settings(sim, queues={"support": {"wrapup_s": 0.3}})
    async with running_service(settings, db_dsn):
        caller = await sim_control.place_call(caller_number="+4930555", exten="100")
        await eventually(lambda: bridged_pairs(sim_control), what="caller and anna bridged")
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
        today = datetime.now(UTC).date().isoformat()
        period = period_of(settings, start=today, end=None, interval="1d")

        async def wrapped_up() -> QueueInterval | None:
            conn = await asyncpg.connect(db_dsn)
            try:
                rows = await run_report(conn, "queues", period, settings, now=datetime.now(UTC))
            finally:
                await conn.close()
            [day] = [r for r in rows if isinstance(r, QueueInterval)]
            # Until the row that ends it is written, a wrap-up counts up to now.
            done = day.avg_wrapup_s is not None and 0.25 <= day.avg_wrapup_s < 1.0
            return day if done else None

        day = await eventually(wrapped_up, what="the wrap-up's end in the state log")
    assert (day.offered, day.answered, day.abandoned) == (1, 1, 0)
    assert day.avg_speed_of_answer_s == float(row["wait_s"])
    assert day.avg_talk_s == float(row["talk_s"])
    assert day.avg_wrapup_s is not None and 0.25 <= day.avg_wrapup_s < 1.0
    assert day.avg_handle_s == float(row["talk_s"]) + day.avg_wrapup_s
