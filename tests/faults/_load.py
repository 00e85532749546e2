"""Load and moments: seeded callers arriving continuously, and waiting for the moment
to strike (ringing, connecting, talking, wrap-up) by watching the simulator."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import random
from collections.abc import Sequence

from callrouter.sim import SimControl, SimControlError
from callrouter.sim._base import JsonObj
from tests.faults._config import DID, WRAPUP_S
from tests.faults._process import until


class Traffic:
    """Callers arriving at random (seeded) on one node. About a quarter give up quickly;
    the others wait a few seconds at most, which also bounds how long they talk."""

    def __init__(
        self, control: SimControl, rng: random.Random, *, per_s: float = 5.0, exten: str = DID
    ) -> None:
        self.control = control
        self.exten = exten
        self._rng = rng
        self._per_s = per_s
        self._task: asyncio.Task[None] | None = None
        self.placed: list[str] = []
        self.refused = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="traffic")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        rng = self._rng
        while True:
            await asyncio.sleep(rng.expovariate(self._per_s))
            quick = rng.random() < 0.25
            patience = rng.uniform(0.4, 1.5) if quick else rng.uniform(2.0, 3.5)
            try:
                channel = await self.control.place_call(
                    caller_number=f"+4930{rng.randrange(10**7):07d}",
                    exten=self.exten,
                    hangup_after=round(patience, 3),
                )
            except SimControlError:
                # 409 while serve is down: Asterisk's Stasis() fails the same way, so the
                # caller never entered callrouter.
                self.refused += 1
                continue
            self.placed.append(channel["id"])


class Moment(enum.StrEnum):
    RINGING = "ringing"
    CONNECTING = "connecting"
    TALKING = "talking"
    WRAPUP = "wrap-up"


def _originates(log: Sequence[JsonObj]) -> int:
    return sum(
        1
        for r in log
        if r["method"] == "POST"
        and r["path"].startswith("/ari/channels/cr-")
        and "endpoint" in r["params"]
    )


def _bridged(state: JsonObj) -> set[str]:
    return {b["id"] for b in state["bridges"] if len(b["channels"]) >= 2}


async def reach(control: SimControl, moment: Moment, rng: random.Random) -> str:
    """Return once the simulator behind ``control`` is at ``moment`` (a seeded variant
    of it); describe it for the failure report."""
    if moment is Moment.RINGING:
        nth = _originates(await control.requests()) + rng.randint(1, 6)

        async def rung() -> bool:
            return _originates(await control.requests()) >= nth

        await until(rung, what=f"originate #{nth}")
        return f"right after originate #{nth}"
    if moment is Moment.CONNECTING:
        # Hold the next connect (bridge create or addChannel) long enough to kill inside.
        await control.add_fault(path_prefix="/ari/bridges", method="POST", delay=3.0)

        async def held() -> str | None:
            pending = [
                r["path"]
                for r in await control.requests()
                if r["path"].startswith("/ari/bridges") and r["method"] == "POST"
                and r["status"] is None
            ]  # fmt: skip
            return pending[0] if pending else None

        path = await until(held, what="a connect held back")
        return f"while POST {path} (operator answered, caller not yet bridged) was held"
    if moment is Moment.TALKING:
        want = rng.randint(2, 5)

        async def talking() -> bool:
            return len(_bridged(await control.state())) >= want

        await until(talking, what=f"{want} calls bridged")
        return f"while {want}+ calls were bridged"
    # Wrap-up: a bridged call has just ended; its operator is in wrap-up for WRAPUP_S.
    seen = _bridged(await control.state())

    async def ended() -> bool:
        nonlocal seen
        now = _bridged(await control.state())
        if seen - now:
            return True
        seen |= now
        return False

    await until(ended, what="a bridged call ending")
    delay = rng.uniform(0.0, WRAPUP_S / 3)
    await asyncio.sleep(delay)
    return f"{delay:.2f}s after a bridged call ended (operator in wrap-up)"
