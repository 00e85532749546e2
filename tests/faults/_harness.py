"""The fault harness: ``callrouter serve`` as a real process against simulated Asterisks,
under continuous load, with faults injected at moments picked by watching the simulator.

- ``_process.ServeProcess``: one ``python -m callrouter serve``, ready when its log says
  ``callrouter_ready`` and ``/api/v1/health`` answers 200; killed, hung up, stopped.
- ``_config``: the generated ``callrouter.yml`` and the operators' scripted phones.
- ``_load``: seeded callers arriving continuously (each with a patience, so every
  channel ends by itself) and ``reach``, which waits for a moment (ringing, connecting,
  talking, wrap-up) by polling the simulator's control API, never by a guessed sleep.
- here: ``Node`` (one simulator, in this process on a free loopback port, plus the serve
  process driving it), ``call_center`` (builds everything and kills every process in a
  ``finally``), ``CallCenter.drain`` and ``verify``.

Every wait is bounded; a moment the harness cannot reach or a process that will not
start raises ``HarnessError`` (with the serve log's tail), so a failed run is never
mistaken for an invariant that does not hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from callrouter.sim import SimControl, SimControlError, SimulatedAsterisk
from callrouter.sim._core import REQUEST_LOG_LIMIT
from tests.agi.asterisk_fake import FakeAsterisk, make_env
from tests.crm.receiver import Receiver
from tests.faults._config import (
    DID,
    Operator,
    Ports,
    config_for,
    make_operators,
    script_phones,
    write_config,
)
from tests.faults._invariants import check_all, db_record, format_violations, sim_record
from tests.faults._load import Traffic
from tests.faults._process import (
    MOMENT_TIMEOUT_S,
    POLL_S,
    HarnessError,
    ServeProcess,
    free_port,
    until,
)
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME
from tests.store.tcp_proxy import PgProxy

# Calls end by themselves this long after the load stops; then the last callers hang up.
NATURAL_DRAIN_S = 1.0
# What is left after that (operator legs) must go within the ring backstop, with room.
DRAIN_TIMEOUT_S = 30.0
SETTLE_TIMEOUT_S = 15.0
# The database unchanged this long means nothing more is coming: longer than the
# writer's retry backoff reaches in the few seconds an outage lasts here.
QUIET_S = 4.0
PORT_ATTEMPTS = 3
# How long serve stays dead: longer than invariant 3's tolerance, so a wait counted from
# the adoption instead of the StasisStart always shows.
DOWN_S = (0.6, 1.0)


# -- a node: one simulated Asterisk and its callrouter --------------------------------------


@dataclass
class Restart:
    """One kill and restart of a node, as the failure report and invariant 3 need it."""

    node: str
    moment: str
    killed_at: datetime
    restarted_at: datetime | None = None
    # Callers still in Stasis when serve came back: the ones it had to adopt.
    adopted: frozenset[str] = frozenset()


@dataclass
class Node:
    """One simulated Asterisk and the serve process driving it."""

    name: str
    sim: SimulatedAsterisk
    control: SimControl
    serve: ServeProcess
    ports: Ports
    config: dict[str, Any]
    restarts: list[Restart] = field(default_factory=list)

    def rewrite_config(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)
        write_config(self.serve.config_path, self.config)

    async def start(self) -> None:
        """Start serve. Other test runs share this machine: a port one of them took since
        it was picked is picked again, rather than failing the run."""
        for attempt in range(PORT_ATTEMPTS):
            try:
                await self.serve.start()
                return
            except HarnessError as exc:
                if "cannot listen on" not in str(exc) or attempt == PORT_ATTEMPTS - 1:
                    raise
            self.ports = Ports(http=free_port(), agi=free_port())
            self.serve.http_port = self.ports.http
            self.config["http"]["port"], self.config["agi"]["port"] = self.ports
            self.rewrite_config(self.config)

    async def kill(self, moment: str) -> Restart:
        await self.serve.kill()
        restart = Restart(node=self.name, moment=moment, killed_at=datetime.now(UTC))
        self.restarts.append(restart)
        return restart

    async def restart(self) -> Restart:
        """Start serve again after ``kill``; the callers still in Stasis at this moment are
        the ones it must adopt (no caller can enter while it is down: Stasis() fails)."""
        restart = self.restarts[-1]
        state = await self.control.state()
        restart.adopted = frozenset(
            ch["id"]
            for ch in state["channels"]
            if ch["sim"]["app"] is not None and ch["sim"]["app_args"][:1] == ["inbound"]
        )
        await self.start()
        restart.restarted_at = datetime.now(UTC)
        return restart


async def come_back(node: Node, rng: random.Random) -> Restart:
    """After ``Node.kill``: stay down a seeded while, then restart."""
    # A connect held back for the "connecting" moment must not delay the restart too.
    await node.control.clear_faults()
    await asyncio.sleep(rng.uniform(*DOWN_S))
    return await node.restart()


async def crash(node: Node, moment: str, rng: random.Random) -> Restart:
    """SIGKILL at ``moment``, then ``come_back``."""
    await node.kill(moment)
    return await come_back(node, rng)


async def agi_route(node: Node, did: str) -> dict[str, str]:
    """Ask ``route`` over FastAGI as Asterisk's dialplan does: ``AGI(agi://.../route,<DID>)``;
    returns the variables it set (CR_ROUTE, CR_QUEUE, CR_CLOSED_SOUND, ...)."""
    fake = FakeAsterisk(env=make_env("route", agi_arg_1=did))
    async with asyncio.timeout(MOMENT_TIMEOUT_S):
        await fake.run(node.ports.agi)
    return dict(fake.variables)


# -- the whole rig --------------------------------------------------------------------------


@dataclass
class CallCenter:
    dsn: str
    nodes: list[Node]
    receiver: Receiver
    proxy: PgProxy | None
    operators: list[Operator]
    traffic: list[Traffic] = field(default_factory=list)

    def load(self, rng: random.Random, *, per_s: float = 5.0, exten: str = DID) -> list[Traffic]:
        started = [Traffic(n.control, rng, per_s=per_s, exten=exten) for n in self.nodes]
        for t in started:
            t.start()
        self.traffic.extend(started)
        return started

    async def stop_load(self) -> None:
        for t in self.traffic:
            await t.stop()

    @property
    def restarts(self) -> list[Restart]:
        return [r for node in self.nodes for r in node.restarts]

    async def drain(self) -> None:
        """Stop the callers, let every channel end, let the rows and webhooks land, then
        stop serve cleanly. Nothing here fails a run: what did not settle is what the
        invariants then report."""
        await self.stop_load()
        for node in self.nodes:
            if not node.serve.running:
                await node.start()
        with contextlib.suppress(HarnessError):
            await until(self._sim_empty, what="calls ending", timeout_s=NATURAL_DRAIN_S)
        # The callers still there hang up now (an everyday far-end hangup), so a run's
        # length does not depend on its most patient caller.
        for node in self.nodes:
            for channel in (await node.control.state())["channels"]:
                if channel["sim"]["app_args"][:1] == ["inbound"]:
                    with contextlib.suppress(SimControlError):
                        await node.control.hangup(channel["id"], cause=16)
        with contextlib.suppress(HarnessError):
            await until(self._sim_empty, what="every channel gone", timeout_s=DRAIN_TIMEOUT_S)
        await self._settle()
        for node in self.nodes:
            await node.serve.stop()

    async def _settle(self) -> None:
        """Wait until no call row is open and no webhook pending, or until the database
        has not moved for QUIET_S (what is still open then stays open: a finding)."""
        loop = asyncio.get_running_loop()
        last, since = None, loop.time()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SETTLE_TIMEOUT_S):
                while True:
                    now, state = loop.time(), await self._db_state()
                    open_calls, pending, *_ = state
                    if open_calls == 0 and pending == 0:
                        return
                    if state != last:
                        last, since = state, now
                    elif now - since >= QUIET_S:
                        return
                    await asyncio.sleep(POLL_S * 5)

    async def _sim_empty(self) -> bool:
        for node in self.nodes:
            if (await node.control.state())["channels"]:
                return False
        return True

    async def _db_state(self) -> tuple[int, ...]:
        """Open calls, pending webhooks, and counts that move while rows still land."""
        conn = await asyncpg.connect(self.dsn)
        try:
            row = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM calls WHERE outcome IS NULL),"
                " (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),"
                " (SELECT count(*) FROM calls), (SELECT count(*) FROM call_events),"
                " (SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered')"
            )
        finally:
            await conn.close()
        assert row is not None
        return tuple(int(v) for v in row.values())

    def describe(self) -> str:
        lines = [f"{r.node}: killed {r.moment} at {r.killed_at:%H:%M:%S.%f}, restarted "
                 f"{r.restarted_at:%H:%M:%S.%f}, adopting {len(r.adopted)} callers"
                 if r.restarted_at else f"{r.node}: killed {r.moment}, not restarted"
                 for r in self.restarts]  # fmt: skip
        placed = sum(len(t.placed) for t in self.traffic)
        lines.append(f"{placed} callers entered, {sum(t.refused for t in self.traffic)} refused")
        return "\n".join(lines)

    def logs(self, lines: int = 12) -> str:
        return "\n".join(
            f"--- {n.name} log tail ---\n{n.serve.log_tail(lines)}" for n in self.nodes
        )


@contextlib.asynccontextmanager
async def call_center(
    tmp_path: Path,
    db_dsn: str,
    *,
    seed: int,
    nodes: Sequence[str] = ("node-a",),
    claim_operators: bool = False,
    proxy_db: bool = False,
) -> AsyncIterator[CallCenter]:
    """Every node's simulator, phones scripted, serve started and ready; everything is
    stopped (serve killed if need be) when the block ends, whatever happened."""
    operators = make_operators(random.Random(seed))
    receiver = Receiver()
    proxy = PgProxy(db_dsn) if proxy_db else None
    built: list[Node] = []
    async with contextlib.AsyncExitStack() as stack:
        await receiver.start()
        stack.push_async_callback(receiver.stop)
        if proxy is not None:
            await proxy.start()
            stack.push_async_callback(proxy.stop)
        serve_dsn = proxy.dsn if proxy is not None else db_dsn
        for name in nodes:
            sim = await stack.enter_async_context(
                SimulatedAsterisk(
                    username=SIM_USERNAME,
                    password=SIM_PASSWORD,
                    host="127.0.0.1",
                    port=0,
                    recordings_dir=tmp_path / name / "recordings",
                    time_scale=1.0,
                )
            )
            control = await stack.enter_async_context(SimControl(sim.url))
            await script_phones(control, operators)
            ports = Ports(http=free_port(), agi=free_port())
            config = config_for(
                node=name,
                ari_url=sim.url,
                dsn=serve_dsn,
                spool_dir=tmp_path / name / "spool",
                ports=ports,
                operators=operators,
                crm_url=receiver.base_url,
                claim_operators=claim_operators,
            )
            (tmp_path / name).mkdir(parents=True, exist_ok=True)
            serve = ServeProcess(
                name=name,
                config_path=tmp_path / name / "callrouter.yml",
                log_path=tmp_path / name / "serve.log",
                http_port=ports.http,
            )
            stack.push_async_callback(serve.kill)
            node = Node(name=name, sim=sim, control=control, serve=serve, ports=ports, config={})
            node.rewrite_config(config)
            built.append(node)
        for node in built:
            await node.start()
        center = CallCenter(
            dsn=db_dsn, nodes=built, receiver=receiver, proxy=proxy, operators=operators
        )
        stack.push_async_callback(center.stop_load)
        yield center


# -- the verdict ----------------------------------------------------------------------------


async def verify(center: CallCenter, *, extra: Mapping[str, list[str]] | None = None) -> None:
    """Read both witnesses and fail with every broken invariant, the fault history and
    the end of each serve log."""
    sims = []
    for node in center.nodes:
        requests = await node.control.requests()
        if len(requests) >= REQUEST_LOG_LIMIT:
            raise HarnessError(f"{node.name}: the simulator's request log overflowed")
        sims.append(sim_record(node.name, requests, await node.control.channel_log()))
    db = await db_record(center.dsn)
    adopted = {(r.node, channel) for r in center.restarts for channel in r.adopted}
    downtimes = [
        (r.node, r.killed_at, r.restarted_at) for r in center.restarts if r.restarted_at
    ]
    violations = check_all(sims, db, center.receiver.hits, adopted, downtimes)
    violations.update(extra or {})
    if any(violations.values()):
        raise AssertionError(
            f"{center.describe()}\n{format_violations(violations)}\n{center.logs()}"
        )
