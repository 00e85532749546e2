"""The caller never hears the operator's feature codes: the service joins the operator's
leg (with the caller, in the connect's one request) and a consulted operator's leg with
``absorbDTMF``; the keys still reach callrouter and do their work. Against the service
on the simulated Asterisk, which keeps what each phone heard."""

from __future__ import annotations

from typing import Any

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.call_control.test_transfers_live import _anna_leg, _bridge_with, _call_with_anna
from tests.calls.harness import eventually, final_call_row


async def _sim_of(control: SimControl, prefix: str) -> dict[str, Any]:
    state = await control.state()
    return next(c["sim"] | {"id": c["id"]} for c in state["channels"]
                if c["id"] == prefix or c["name"].startswith(prefix))  # fmt: skip


async def test_the_caller_hears_no_feature_code_and_the_consult_still_happens(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    async with _call_with_anna(sim, sim_control, db_dsn) as (_service, transfers, caller, call_id):
        joins = [r for r in await sim_control.requests() if r["path"].endswith("/addChannel")]
        # The connect is still one request for both parties, with absorbDTMF.
        [connect] = joins
        assert len(connect["params"]["channel"].split(",")) == 2
        assert connect["params"]["absorbDTMF"] == "true"
        anna = await _anna_leg(sim_control)
        assert (await _sim_of(sim_control, anna))["bridge_features"]["absorb_dtmf"] is True

        await sim_control.send_dtmf(anna, "*2102#", duration_ms=50, between=0.02)
        await eventually(
            lambda: _bridge_with(sim_control, "PJSIP/101", "PJSIP/102"), what="consulting boris"
        )
        assert transfers.consult_of(call_id) is not None
        # "*2102" were pressed with the caller in the bridge (the "#" put them on hold).
        assert (await _sim_of(sim_control, caller["id"]))["heard_dtmf"] == ""
        boris = await _sim_of(sim_control, "PJSIP/102")
        assert boris["bridge_features"]["absorb_dtmf"] is True  # a consulted operator's too
        await sim_control.send_dtmf(anna, "*2", duration_ms=50, between=0.02)

        async def caller_with_boris_only() -> bool:
            names = await _bridge_with(sim_control, caller["id"], "PJSIP/102")
            return names is not None and len(names) == 2

        await eventually(caller_with_boris_only, what="handed to boris by *2")
        assert (await _sim_of(sim_control, boris["id"]))["heard_dtmf"] == ""
        await sim_control.hangup(caller["id"])
        [row] = await final_call_row(db_dsn)
    assert (row["outcome"], row["operator_id"]) == ("answered", "boris")
