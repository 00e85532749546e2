"""What a CRM receives from a real service on the simulator: the ended call carries its
recording's real duration and a link the CRM can reach from another machine."""

from __future__ import annotations

from callrouter.sim import SimControl, SimulatedAsterisk
from tests.calls.harness import eventually, make_settings, running_service
from tests.calls.test_inbound_flow import bridged_pairs
from tests.crm.receiver import Hit, Receiver


async def test_call_ended_carries_the_recording_duration_and_a_public_link(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    await sim_control.set_endpoint("PJSIP", "101", behavior="answer", answer_after=0.05)
    crm = Receiver()
    await crm.start()
    try:
        settings = make_settings(
            sim,
            http={"enabled": True, "host": "127.0.0.1", "port": 0,
                  "public_url": "https://cc.example.com/"},
            crm={"webhooks": {"ended": f"{crm.url}/ended"}},
        )  # fmt: skip
        async with running_service(settings, db_dsn):
            caller = await sim_control.place_call(caller_number="+crm")
            await eventually(lambda: bridged_pairs(sim_control), what="connected and recorded")
            await sim_control.hangup(caller["id"])

            async def ended() -> Hit | None:
                return next((h for h in crm.hits if h.event == "call.ended"), None)

            hit = await eventually(ended, what="call.ended delivered")
    finally:
        await crm.stop()
    recording = hit.json["recording"]
    assert recording["duration_s"] is not None and recording["duration_s"] >= 0
    assert recording["url"] == (
        f"https://cc.example.com/api/v1/calls/{hit.json['call_id']}/recording"
    )


async def test_click_to_call_sends_the_crm_the_same_events_as_any_call(
    sim: SimulatedAsterisk, sim_control: SimControl, db_dsn: str
) -> None:
    for resource in ("101", "+4930123456@pstn"):
        await sim_control.set_endpoint("PJSIP", resource, behavior="answer", answer_after=0.05)
    crm = Receiver()
    await crm.start()
    try:
        settings = make_settings(
            sim,
            dialer={"default_region": "DE", "caller_id": "+4930999"},
            crm={"webhooks": {kind: f"{crm.url}/{kind}" for kind in ("offered", "answered",
                                                                      "ended")}},
        )  # fmt: skip
        async with running_service(settings, db_dsn) as service:
            assert service.parts is not None and service.parts.center is not None
            call_id = await service.parts.center.click_to_call(
                operator_id="anna", number="030 123456", caller_id=None, campaign_id=None,
                lead_id=None,
            )  # fmt: skip
            await eventually(lambda: bridged_pairs(sim_control), what="operator and customer")
            log = await sim_control.requests()
            customer = next(r for r in log if r["params"].get("endpoint", "").endswith("@pstn"))
            await sim_control.hangup(customer["path"].rsplit("/", 1)[1])

            async def all_three() -> list[str] | None:
                events = [h.event for h in crm.hits if h.call_id == call_id]
                return events if "call.ended" in events else None

            events = await eventually(all_three, what="call.ended of the click-to-call")
    finally:
        await crm.stop()
    assert events == ["call.offered", "call.answered", "call.ended"]
    [ended] = [h.json for h in crm.hits if h.event == "call.ended"]
    assert ended["outcome"] == "answered" and ended["operator"]["id"] == "anna"
