"""The events WebSocket drops in the middle of calls: reconnect, re-subscribe, resync."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from callrouter.ari import AriClient, Resync, StasisStart
from callrouter.sim import SimControl, SimulatedAsterisk
from tests.ari.conftest import APP, eventually, free_port, make_client, running


async def _calls_seen(client: AriClient, snapshots: list[Resync]) -> list[str]:
    started: list[str] = []

    async def on_start(event: StasisStart) -> None:
        started.append(event.channel.id)

    async def on_resync(snapshot: Resync) -> None:
        snapshots.append(snapshot)

    client.on(StasisStart, on_start)
    client.on_resync(on_resync)
    return started


@pytest.mark.parametrize("abort", [False, True], ids=["close", "tcp-reset"])
async def test_drop_mid_call_reconnects_and_reports_a_hangup_missed_in_the_gap(
    ari: AriClient, control: SimControl, abort: bool
) -> None:
    snapshots: list[Resync] = []
    started = await _calls_seen(ari, snapshots)
    async with running(ari):
        [first] = snapshots
        assert (first.reconnect, first.gap, first.channels) == (False, 0.0, [])
        stays = (await control.place_call(caller_number="1"))["id"]
        leaves = (await control.place_call(caller_number="2"))["id"]
        await eventually(lambda: len(started) == 2)
        await ari.channels.answer(stays)
        await ari.applications.subscribe(APP, f"channel:{stays}")
        bridge = await ari.bridges.create(name="call-1")
        await ari.bridges.add_channel(bridge.id, stays)
        await control.clear_requests()

        # Hold the next handshake back so the hangup surely falls into the gap.
        await control.add_fault(delay=0.4, path_prefix="/ari/events")
        assert await control.drop_websockets(abort=abort) == 1
        await eventually(lambda: not ari.health.connected)
        await control.hangup(leaves, cause=16)
        await eventually(lambda: len(snapshots) == 2)

        second = snapshots[1]
        assert second.reconnect is True
        assert second.gap >= 0.3
        assert [c.id for c in second.channels] == [stays]
        assert [b.id for b in second.bridges] == [bridge.id]
        assert second.bridges[0].channels == [stays]
        assert second.application.name == APP
        assert second.gone_channel_ids == {leaves}
        health = ari.health
        assert health.connected and health.reconnects == 1
        assert health.last_error is not None

        requests = await control.requests()
        subscribe = [r for r in requests if r["path"].endswith("/subscription")]
        assert subscribe and subscribe[0]["params"]["eventSource"] == f"channel:{stays}"
        resync_paths = [r["path"] for r in requests if r["method"] == "GET"]
        assert {"/ari/channels", "/ari/bridges", f"/ari/applications/{APP}"} <= set(
            resync_paths
        )

        # Events flow again on the new connection.
        third = (await control.place_call(caller_number="3"))["id"]
        await eventually(lambda: third in started)


async def test_keeps_retrying_while_asterisk_is_down_and_stops_cleanly() -> None:
    async with make_client(f"http://127.0.0.1:{free_port()}") as client:
        with capture_logs() as logs:
            task = asyncio.create_task(client.run())
            await eventually(lambda: sum(e["event"] == "ari_events_failed" for e in logs) >= 3)
            health = client.health
            assert not health.connected
            assert health.reconnects == 0
            assert health.last_error and "Cannot connect" in health.last_error
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    failed = [e for e in logs if e["event"] == "ari_events_failed"]
    assert all(e["error_id"] == "ari-connection" for e in failed)
    retries = [e["retry_in"] for e in failed]
    assert all(0 < delay <= 0.2 for delay in retries)


async def test_connects_once_asterisk_comes_up(tmp_path: object) -> None:
    port = free_port()
    snapshots: list[Resync] = []
    async with make_client(f"http://127.0.0.1:{port}") as client:
        await _calls_seen(client, snapshots)
        task = asyncio.create_task(client.run())
        await asyncio.sleep(0.1)
        async with SimulatedAsterisk(username=client.username, password=client._password,
                                     port=port):
            await asyncio.wait_for(client.wait_connected(), 5)
            # The first successful connection is not a reconnect, however late.
            assert snapshots[0].reconnect is False
            assert client.health.reconnects == 0
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task


async def test_wrong_password_on_the_websocket_is_an_auth_error(
    ari_sim: SimulatedAsterisk,
) -> None:
    async with make_client(ari_sim.url, password="wrong-one") as client:
        with capture_logs() as logs:
            task = asyncio.create_task(client.run())
            await eventually(lambda: any(e["event"] == "ari_events_failed" for e in logs))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    failure = next(e for e in logs if e["event"] == "ari_events_failed")
    assert failure["error_id"] == "ari-auth"
    assert "wrong-one" not in repr(logs)


async def test_cancelling_run_cancels_workers_and_propagates(
    ari: AriClient, control: SimControl
) -> None:
    gate = asyncio.Event()
    entered = asyncio.Event()

    async def stuck(_event: StasisStart) -> None:
        entered.set()
        await gate.wait()

    ari.on(StasisStart, stuck)
    task = asyncio.create_task(ari.run())
    await asyncio.wait_for(ari.wait_connected(), 5)
    await control.place_call()
    await asyncio.wait_for(entered.wait(), 5)
    assert ari.health.workers == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ari.health.workers == 0
    assert not ari.health.connected
