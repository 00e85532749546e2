"""FastAGI throughput: N lookup sessions on loopback, C at a time.

    .venv/bin/python bench/bench_agi.py --sessions 5000 --concurrency 200

Each session is what ``AGI(agi://127.0.0.1:4573/lookup)`` costs Asterisk: connect, send
the agi_* block, answer the five SET VARIABLE commands and the status, see the close.
Latency is measured from connect to close, on the client side. Client and server share
one event loop and one core, so the figures are a floor, not a capacity plan.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import structlog

from callrouter.agi import CustomerCard, DidRoutePlanner, FastAgiServer, build_routes
from callrouter.agi.fakes import InMemoryCustomerDirectory, InMemoryOperatorControl

ENV_TEMPLATE = (
    "agi_network: yes\nagi_network_script: lookup\n"
    "agi_request: agi://127.0.0.1:4573/lookup\n"
    "agi_channel: PJSIP/pstn-{n:08x}\nagi_language: en\nagi_type: PJSIP\n"
    "agi_uniqueid: 1795430557.{n}\nagi_version: 22.10.1\n"
    "agi_callerid: {number}\nagi_calleridname: unknown\nagi_callingpres: 0\n"
    "agi_callingani2: 0\nagi_callington: 0\nagi_callingtns: 0\nagi_dnid: 33180000001\n"
    "agi_rdnis: unknown\nagi_context: callrouter-inbound\nagi_extension: 33180000001\n"
    "agi_priority: 3\nagi_enhanced: 0.0\nagi_accountcode: \nagi_threadid: 1\n\n"
)


def number_of(n: int) -> str:
    return f"+336{n % 100_000:08d}"


async def one_session(port: int, n: int) -> float:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(ENV_TEMPLATE.format(n=n, number=number_of(n)).encode())
    while await reader.readline():
        writer.write(b"200 result=1\n")
    writer.close()
    return time.perf_counter() - started


async def run(sessions: int, concurrency: int) -> None:
    # Half the callers are known customers, as in a typical inbound mix.
    cards = {
        number_of(n): CustomerCard(f"Customer {n}", "gold", f"A{n}") for n in range(0, sessions, 2)
    }
    routes = build_routes(
        directory=InMemoryCustomerDirectory(cards),
        planner=DidRoutePlanner(did_queues={}, is_open=lambda queue, now: True),
        operators=InMemoryOperatorControl(endpoints=set()),
    )
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def gated(port: int, n: int) -> None:
        async with gate:
            latencies.append(await one_session(port, n))

    async with FastAgiServer(routes=routes, port=0) as server:
        started = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for n in range(sessions):
                group.create_task(gated(server.port, n))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(
        f"{sessions} lookup sessions, {concurrency} concurrent: "
        f"{sessions / elapsed:,.0f} sessions/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()
    # Per-session info lines would measure the terminal, not the server.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    asyncio.run(run(args.sessions, args.concurrency))


if __name__ == "__main__":
    main()
