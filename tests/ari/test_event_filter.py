"""README, The ARI client: Asterisk is asked to send the event types the application
handles, and only those (``PUT /applications/{app}/eventFilter``), at every connection."""

from __future__ import annotations

from callrouter.ari import AriClient, StasisEnd, StasisStart
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.ari.conftest import APP, eventually, make_client, running


async def test_asterisk_sends_only_the_handled_event_types(
    ari_sim: SimulatedAsterisk, control: SimControl
) -> None:
    starts: list[str] = []

    async def on_start(event: StasisStart) -> None:
        starts.append(event.channel.id)

    async def on_end(_event: StasisEnd) -> None:
        return None

    async with make_client(ari_sim.url) as ari:
        ari.on(StasisStart, on_start)
        ari.on(StasisEnd, on_end)
        async with running(ari):
            app = await ari.applications.get(APP)
            allowed = {entry["type"] for entry in app.events_allowed}
            # The handled types, the final ones that retire a worker, and the warning
            # that another connection took the application over.
            assert allowed == {
                "StasisStart", "StasisEnd", "ChannelDestroyed", "BridgeDestroyed",
                "ApplicationReplaced",
            }  # fmt: skip
            await control.clear_requests()
            caller = await control.place_call(caller_number="+15550003", exten="100")
            await eventually(lambda: starts == [caller["id"]])
            await control.hangup(caller["id"])
            sent = [e["type"] for e in await control.events() if e.get("application") == APP]
    # What the application got is what it asked for: no ChannelVarset, no Dial, ...
    assert "StasisStart" in sent and set(sent) <= allowed


async def test_the_filter_is_set_again_after_a_reconnect(
    ari_sim: SimulatedAsterisk, control: SimControl, ari: AriClient
) -> None:
    async def on_start(_event: StasisStart) -> None:
        return None

    ari.on(StasisStart, on_start)
    async with running(ari):
        await control.clear_requests()
        assert await control.drop_websockets() == 1

        async def filtered_again() -> bool:
            return any(
                r["method"] == "PUT" and r["path"].endswith("/eventFilter")
                for r in await control.requests()
            )

        await eventually(filtered_again)
