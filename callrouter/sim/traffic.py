"""Callers and operators for a simulated call center (``callrouter simulate``).

Drives the simulated Asterisk through its control API only, exactly as a test would:
operators' phones answer after a while and hang up after a talk time, callers arrive
at random (a Poisson process) on the configured numbers, and some give up waiting.
Seeded, so a demo run can be repeated.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from callrouter.sim._client import SimControl, SimControlError

__all__ = ["TrafficPlan", "TrafficStats", "run_traffic", "script_operators"]

log = structlog.get_logger(__name__)

_FIRST_NAMES = ("Ada", "Bo", "Cleo", "Dev", "Emil", "Fay", "Gus", "Hana", "Ivo", "Jin")


@dataclass(frozen=True, slots=True)
class TrafficPlan:
    calls_per_minute: float
    dids: Sequence[str]
    # Share of callers who give up if not answered within their patience.
    impatient_share: float = 0.3
    patience_s: float = 45.0
    vip_numbers: Sequence[str] = ()
    seed: int = 7


@dataclass
class TrafficStats:
    placed: int = 0
    refused: int = 0
    by_did: dict[str, int] = field(default_factory=dict)


async def script_operators(
    control: SimControl, endpoints: Sequence[str], *, answer_s: float, talk_s: float, seed: int = 7
) -> None:
    """Every operator's phone answers after ``answer_s`` and hangs up after about
    ``talk_s`` (each operator a little different, as people are)."""
    rng = random.Random(seed)
    for endpoint in endpoints:
        tech, _, resource = endpoint.partition("/")
        await control.set_endpoint(
            tech,
            resource,
            online=True,
            behavior="answer",
            answer_after=answer_s,
            hangup_after=max(5.0, rng.gauss(talk_s, talk_s / 4)),
        )


async def run_traffic(
    control: SimControl,
    plan: TrafficPlan,
    *,
    time_scale: float = 1.0,
    stats: TrafficStats | None = None,
    limit: int | None = None,
) -> TrafficStats:
    """Place calls until cancelled (or ``limit`` calls); waits are in simulated seconds."""
    rng = random.Random(plan.seed)
    stats = stats or TrafficStats()
    if plan.calls_per_minute <= 0 or not plan.dids:
        await asyncio.Event().wait()
    while limit is None or stats.placed < limit:
        await asyncio.sleep(rng.expovariate(plan.calls_per_minute / 60.0) / time_scale)
        did = rng.choice(list(plan.dids))
        vip = plan.vip_numbers and rng.random() < 0.1
        number = rng.choice(list(plan.vip_numbers)) if vip else f"+49301{rng.randrange(10**6):06d}"
        patience = (
            rng.expovariate(1 / plan.patience_s) if rng.random() < plan.impatient_share else None
        )
        try:
            await control.place_call(
                caller_number=number,
                caller_name=rng.choice(_FIRST_NAMES),
                exten=did,
                args=("inbound", did),
                hangup_after=patience,
            )
        except SimControlError as exc:
            stats.refused += 1
            log.warning("sim_call_refused", error=str(exc))
            continue
        stats.placed += 1
        stats.by_did[did] = stats.by_did.get(did, 0) + 1
    return stats
