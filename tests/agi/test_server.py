"""FastAgiServer over real sockets: bad clients, limits, concurrency, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import MutableMapping
from typing import Any

import pytest
from structlog.testing import capture_logs

from callrouter.agi import STATUS_VARIABLE, AgiSession, FastAgiServer, build_routes
from callrouter.agi.fakes import InMemoryCustomerDirectory, InMemoryOperatorControl
from callrouter.agi.planner import DidRoutePlanner
from callrouter.agi.ports import CustomerCard
from callrouter.errors import NotFound
from tests.agi.asterisk_fake import FakeAsterisk, encode_env, make_env
from tests.agi.conftest import StartServer

# Liveness guard only: a frozen event loop would blow through it, a slow CI would not.
GUARD_S = 10


async def noop(session: AgiSession) -> None:
    await session.verbose("hello")


async def read_until_closed(reader: asyncio.StreamReader) -> bytes:
    async with asyncio.timeout(GUARD_S):
        return await reader.read()


def refusals(logs: list[MutableMapping[str, Any]]) -> list[str]:
    return [e["error_id"] for e in logs if e["event"] == "agi.request_refused"]


async def test_unknown_script_sets_not_found_without_hanging_up(start_server: StartServer) -> None:
    server = await start_server({"t": noop})
    with capture_logs() as logs:
        fake = FakeAsterisk(env=make_env("nope?x=1"))
        await fake.run(server.port)
    assert fake.commands == [
        "VERBOSE \"callrouter: no FastAGI script 'nope'\" 1",
        f'SET VARIABLE {STATUS_VARIABLE} "NOT_FOUND"',
    ]
    assert [e["error_id"] for e in logs if e["event"] == "agi.unknown_script"] == [
        "agi-unknown-script"
    ]


@pytest.mark.parametrize(
    "partial",
    [
        b"agi_network: yes\nagi_network_script: t\n",  # no blank line, then close
        b"agi_network: yes\nagi_netw",  # cut mid-line
        b"GET / HTTP/1.0\r\n\r\n",  # something else entirely
    ],
)
async def test_half_sent_or_malformed_block_does_not_stall_others(
    start_server: StartServer, partial: bytes
) -> None:
    server = await start_server({"t": noop}, header_timeout_s=30)
    # One half-open client that never finishes, one that sends a fragment and leaves.
    _, stuck_writer = await asyncio.open_connection("127.0.0.1", server.port)
    stuck_writer.write(b"agi_network: yes\n")
    with capture_logs() as logs:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(partial)
        await writer.drain()
        writer.write_eof()
        assert await read_until_closed(reader) == b""
        async with asyncio.timeout(GUARD_S):
            fake = FakeAsterisk(env=make_env("t"))
            await fake.run(server.port)
    assert fake.variables[STATUS_VARIABLE] == "SUCCESS"
    assert refusals(logs) == ["agi-header-malformed"]
    assert server.active_sessions == 1  # the stuck one, still waiting out its deadline
    stuck_writer.close()
    writer.close()


async def test_connect_and_close_is_a_quiet_probe(start_server: StartServer) -> None:
    server = await start_server({"t": noop})
    with capture_logs() as logs:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write_eof()
        assert await read_until_closed(reader) == b""
        await server.close(grace_s=GUARD_S)
    assert [e["event"] for e in logs if e["log_level"] != "info"] == ["agi.probe"]
    writer.close()


@pytest.mark.parametrize("blob", [b"agi_x: " + b"y" * 2000 + b"\n", b"agi_x: " + b"y" * 300_000])
async def test_oversize_block_is_refused(start_server: StartServer, blob: bytes) -> None:
    server = await start_server({"t": noop}, max_header_bytes=1024)
    with capture_logs() as logs:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"agi_network: yes\n" + blob)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
            assert await read_until_closed(reader) == b""
        await server.close(grace_s=GUARD_S)
    assert refusals(logs) == ["agi-header-too-large"]
    writer.close()


async def test_header_timeout_closes_a_slow_client(start_server: StartServer) -> None:
    server = await start_server({"t": noop}, header_timeout_s=0.2)
    with capture_logs() as logs:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"agi_network: yes\n")  # ... and nothing more
        assert await read_until_closed(reader) == b""
    assert refusals(logs) == ["agi-header-timeout"]
    writer.close()


async def test_client_outside_the_allowlist_is_refused(start_server: StartServer) -> None:
    server = await start_server({"t": noop}, allowlist=["10.0.0.0/8", "192.0.2.7"])
    with capture_logs() as logs:
        fake = FakeAsterisk(env=make_env("t"))
        await fake.run(server.port)
        await server.close(grace_s=GUARD_S)
    assert fake.commands == [] and fake.closed_by_server
    assert refusals(logs) == ["agi-client-refused"]


def test_allowlist_matches_ipv4_mapped_and_scoped_addresses() -> None:
    server = FastAgiServer(routes={"t": noop}, allowlist=["127.0.0.1", "fe80::/10"])
    assert server._allowed(("::ffff:127.0.0.1", 1, 0, 0))
    assert server._allowed(("fe80::1%eth0", 1, 0, 2))
    assert not server._allowed(("127.0.0.2", 1))
    assert not server._allowed("/tmp/socket")


@pytest.mark.parametrize(
    "options",
    [
        {"allowlist": []},
        {"allowlist": ["not-an-address"]},
        {"header_timeout_s": 0},
        {"max_header_bytes": -1},
        {"port": 70000},
        {"routes": {"": noop}},
    ],
)
def test_bad_arguments_fail_at_construction(options: dict[str, Any]) -> None:
    options.setdefault("routes", {"t": noop})
    with pytest.raises(ValueError):
        FastAgiServer(**options)


@pytest.mark.parametrize(
    ("error", "error_id"),
    [(RuntimeError("bug"), "internal"), (NotFound("no such queue"), "not-found")],
)
async def test_a_failing_handler_sets_failed_and_logs_once(
    start_server: StartServer, error: Exception, error_id: str
) -> None:
    async def broken(session: AgiSession) -> None:
        raise error

    server = await start_server({"t": broken, "ok": noop})
    with capture_logs() as logs:
        fake = FakeAsterisk(env=make_env("t"))
        await fake.run(server.port)
        second = FakeAsterisk(env=make_env("ok"))
        await second.run(server.port)
    assert fake.variables == {STATUS_VARIABLE: "FAILED"}
    assert second.variables == {STATUS_VARIABLE: "SUCCESS"}
    assert [e["error_id"] for e in logs if e["log_level"] in ("warning", "error")] == [error_id]


async def test_a_handler_past_its_deadline_gives_the_call_back(start_server: StartServer) -> None:
    async def slow(session: AgiSession) -> None:
        await asyncio.sleep(GUARD_S)

    server = await start_server({"t": slow}, handler_timeout_s=0.1)
    fake = FakeAsterisk(env=make_env("t"))
    await fake.run(server.port)
    assert fake.variables == {STATUS_VARIABLE: "FAILED"}


async def test_200_concurrent_lookup_sessions(start_server: StartServer) -> None:
    cards = {f"+3310000{i:04d}": CustomerCard(f"Customer {i}", "gold", f"A{i}") for i in range(200)}
    directory = InMemoryCustomerDirectory(cards)
    routes = build_routes(
        directory=directory,
        planner=DidRoutePlanner(did_queues={}, is_open=lambda q, now: True),
        operators=InMemoryOperatorControl(endpoints=set()),
    )
    server = await start_server(routes)
    fakes = [
        FakeAsterisk(env=make_env("lookup", agi_callerid=number, agi_uniqueid=f"1.{i}"))
        for i, number in enumerate(cards)
    ]
    async with asyncio.timeout(GUARD_S * 3), asyncio.TaskGroup() as group:
        for fake in fakes:
            group.create_task(fake.run(server.port))
    for i, fake in enumerate(fakes):
        assert fake.variables["CR_CUSTOMER_ACCOUNT"] == f"A{i}"
        assert fake.variables[STATUS_VARIABLE] == "SUCCESS"
    assert len(directory.queries) == 200


async def test_close_cancels_running_sessions(start_server: StartServer) -> None:
    entered = asyncio.Event()
    cancelled: list[bool] = []

    async def waits(session: AgiSession) -> None:
        entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    server = await start_server({"t": waits})
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(encode_env(make_env("t")))
    async with asyncio.timeout(GUARD_S):
        await entered.wait()
    await server.close()
    assert cancelled == [True]
    assert server.active_sessions == 0
    assert await read_until_closed(reader) == b""
    writer.close()


async def test_serve_forever_closes_and_reraises_cancellation() -> None:
    server = FastAgiServer(routes={"t": noop}, port=0)
    task = asyncio.create_task(server.serve_forever())
    async with asyncio.timeout(GUARD_S):
        while True:
            with contextlib.suppress(RuntimeError):
                port = server.port
                break
            await asyncio.sleep(0.01)
    fake = FakeAsterisk(env=make_env("t"))
    await fake.run(port)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_a_handler_cut_off_mid_command_leaves_the_session_alone(
    start_server: StartServer,
) -> None:
    async def waits_on_asterisk(session: AgiSession) -> None:
        await session.answer()  # never answered

    server = await start_server({"t": waits_on_asterisk}, handler_timeout_s=0.2)
    with capture_logs() as logs:
        fake = FakeAsterisk(env=make_env("t"), replies={"ANSWER": [[]]})
        await fake.run(server.port)
    # A late ANSWER reply must not be read as the status's: so no status is sent.
    assert fake.commands == ["ANSWER"]
    assert [e["error_id"] for e in logs if e["event"] == "agi.script_failed"] == [
        "agi-handler-timeout"
    ]
