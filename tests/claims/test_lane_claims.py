"""README, Nothing lost: "Each call's commands run in order on the call's own lane (one
queue and task per live call, never one task per event)". Order is what keeps a ring
from overtaking the hold before it; separate lanes keep one slow call from holding up
the rest."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from callrouter.calls._serial import SerialExecutor

Work = Callable[[], Awaitable[None]]


async def test_a_calls_commands_run_in_order_on_one_task_per_call() -> None:
    lanes = SerialExecutor(name="calls")
    done: list[str] = []
    slow_started = asyncio.Event()
    release = asyncio.Event()

    def step(call: str, n: int, *, slow: bool = False, fail: bool = False) -> Work:
        async def work() -> None:
            if slow:
                slow_started.set()
                await release.wait()
            if fail:
                raise RuntimeError("an ARI request failed")
            done.append(f"{call}{n}")

        return work

    lanes.submit("a", step("a", 1, slow=True))
    for n in range(2, 6):
        lanes.submit("a", step("a", n, fail=n == 3))
    lanes.submit("b", step("b", 1))
    assert lanes.active == 2  # one task per live call, not one per command
    await slow_started.wait()
    await asyncio.sleep(0.05)
    assert done == ["b1"]  # call b is not held up by call a's slow step
    release.set()
    await asyncio.wait_for(lanes.wait_idle(), 5)
    # In order, and a failed step does not stop the call's later ones.
    assert done == ["b1", "a1", "a2", "a4", "a5"]
    assert lanes.active == 0  # lanes retire once their call has nothing queued
