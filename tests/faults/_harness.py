"""The fault harness: ``callrouter serve`` as a real process against simulated Asterisks,
under continuous load, with faults injected at moments picked by watching the simulator.

Pieces, each usable on its own:

- ``ServeProcess``: one ``python -m callrouter serve`` with its own config file and log
  file; ready when the log says ``callrouter_ready`` and ``/api/v1/health`` answers 200.
- ``Node``: one simulated Asterisk (in this process, on a free loopback port) plus the
  serve process driving it; two nodes share one database in the cluster scenario.
- ``Traffic``: seeded callers arriving continuously; every caller has a patience, so
  every channel ends by itself and a run always drains in bounded time.
- ``reach``: wait for a moment (ringing, connecting, talking, wrap-up) by polling the
  simulator's control API, never by sleeping a guessed time.
- ``call_center``: builds all of it and kills every process in a ``finally``.

Every wait is bounded; a moment the harness cannot reach or a process that will not
start raises ``HarnessError`` (with the serve log's tail), so a failed run is never
mistaken for an invariant that does not hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import os
import random
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import asyncpg
import yaml

from callrouter.sim import SimControl, SimControlError, SimulatedAsterisk
from callrouter.sim._base import JsonObj
from callrouter.sim._core import REQUEST_LOG_LIMIT
from callrouter.sim._events import HISTORY_LIMIT
from tests.agi.asterisk_fake import FakeAsterisk, make_env
from tests.crm.receiver import Receiver
from tests.faults._invariants import check_all, db_record, format_violations, sim_record
from tests.fixtures_sim import SIM_PASSWORD, SIM_USERNAME
from tests.store.tcp_proxy import PgProxy

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
HTTP_TOKEN = "faults-token"
CRM_SECRET = "faults-crm-secret"
QUEUE = "support"
DID = "100"
# Generous: a loaded 2-core machine may take a few seconds to start a Python process.
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
MOMENT_TIMEOUT_S = 20.0
# Longest patience + longest talk + the ring backstop, with room to spare.
DRAIN_TIMEOUT_S = 30.0
SETTLE_TIMEOUT_S = 15.0
POLL_S = 0.02
# How long serve stays dead: longer than invariant 3's tolerance, so a wait counted from
# the adoption instead of the StasisStart always shows.
DOWN_S = (0.6, 1.0)
WRAPUP_S = 1.0
OPERATOR_COUNT = 12


class HarnessError(Exception):
    """The harness could not do what a scenario asked: not a finding about callrouter."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def until(
    probe: Callable[[], Awaitable[T | None]], *, what: str, timeout_s: float = MOMENT_TIMEOUT_S
) -> T:
    """Poll ``probe`` until it returns something truthy; HarnessError after ``timeout_s``."""
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                value = await probe()
                if value:
                    return value
                await asyncio.sleep(POLL_S)
    except TimeoutError:
        raise HarnessError(f"timed out after {timeout_s:g}s waiting for {what}") from None


# -- configuration ----------------------------------------------------------------------


@dataclass(frozen=True)
class Operator:
    id: str
    endpoint: str
    answer_after: float
    talk_s: float


def make_operators(rng: random.Random, count: int = OPERATOR_COUNT) -> list[Operator]:
    """Local endpoints (as in the sample dialplan) that answer after a moment and talk a
    little; each a bit different, as people are."""
    return [
        Operator(
            id=f"op{n:02d}",
            endpoint=f"Local/{200 + n}@operators",
            answer_after=round(rng.uniform(0.1, 0.4), 3),
            talk_s=round(rng.uniform(0.8, 2.0), 3),
        )
        for n in range(1, count + 1)
    ]


@dataclass(frozen=True)
class Ports:
    http: int
    agi: int


def config_for(
    *,
    node: str,
    ari_url: str,
    dsn: str,
    spool_dir: Path,
    ports: Ports,
    operators: Sequence[Operator],
    crm_url: str,
    claim_operators: bool = False,
) -> dict[str, Any]:
    """A whole ``callrouter.yml``: one queue behind DID 100, open by the ``office``
    calendar, every operator logged in, every CRM event sent to the test's receiver."""
    return {
        # A short reconnect cap: a dropped WebSocket comes back within a second.
        "ari": {
            "url": ari_url,
            "username": SIM_USERNAME,
            "password": SIM_PASSWORD,
            "reconnect_max_s": 1.0,
        },
        # Each node its own spool: a replay must never cross nodes or test databases.
        "database": {"dsn": dsn, "pool_max": 5, "spool_dir": str(spool_dir)},
        "agi": {"host": "127.0.0.1", "port": ports.agi},
        "http": {"host": "127.0.0.1", "port": ports.http, "token": HTTP_TOKEN},
        "logging": {"level": "info", "format": "json"},
        "cluster": {"node": node, "claim_operators": claim_operators},
        "calendars": {"office": {"timezone": "UTC", "holidays": []}},
        "queues": {
            QUEUE: {
                "join_empty": True,
                "ring_timeout_s": 4,
                "wrapup_s": WRAPUP_S,
                "hours": "office",
                # No recording: the only POSTs under /ari/bridges are then the connect
                # itself, which the "connecting" moment holds back.
                "recording": "never",
            }
        },
        "routes": {DID: QUEUE},
        "operators": {
            op.id: {"endpoint": op.endpoint, "queues": {QUEUE: 0}, "logged_in": True}
            for op in operators
        },
        "crm": {
            "webhooks": {kind: f"{crm_url}/{kind}" for kind in ("offered", "answered", "ended")},
            "secret": CRM_SECRET,
            "timeout_s": 2,
            "max_attempts": 10,
        },
    }


def write_config(path: Path, config: Mapping[str, Any]) -> None:
    path.write_text(yaml.safe_dump(dict(config), sort_keys=False))


def closed_today(config: Mapping[str, Any]) -> dict[str, Any]:
    """The same config with the office closed for a holiday around today (three days,
    so a run across midnight UTC is still closed)."""
    today = datetime.now(UTC).date()
    holidays: list[date] = [today + timedelta(days=d) for d in (-1, 0, 1)]
    changed = json.loads(json.dumps(config))
    changed["calendars"]["office"]["holidays"] = [d.isoformat() for d in holidays]
    return dict(changed)


# -- the serve process --------------------------------------------------------------------


class ServeProcess:
    """``callrouter serve`` as a sysadmin runs it; stdout and stderr go to one log file
    that outlives restarts, so a failure report shows every life of the process."""

    def __init__(self, *, name: str, config_path: Path, log_path: Path, http_port: int) -> None:
        self.name = name
        self.config_path = config_path
        self.log_path = log_path
        self.http_port = http_port
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def events(self, event: str) -> int:
        """How many JSON log lines of this process (all its lives) are ``event``."""
        if not self.log_path.exists():
            return 0
        count = 0
        for line in self.log_path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                if json.loads(line).get("event") == event:
                    count += 1
        return count

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    async def start(self) -> None:
        if self.running:
            raise HarnessError(f"{self.name} is already running")
        ready_before = self.events("callrouter_ready")
        log = self.log_path.open("ab")
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "callrouter",
                "--config",
                str(self.config_path),
                "serve",
                stdout=log,
                stderr=log,
                cwd=REPO,
                env={**os.environ},
            )
        finally:
            log.close()
        self.starts += 1
        await self._wait_ready(ready_before)

    async def _wait_ready(self, ready_before: int) -> None:
        url = f"http://127.0.0.1:{self.http_port}/api/v1/health"

        async def ready() -> bool:
            if not self.running:
                raise HarnessError(f"{self.name} exited at start:\n{self.log_tail()}")
            if self.events("callrouter_ready") <= ready_before:
                return False
            try:
                async with aiohttp.ClientSession() as http, http.get(url) as resp:
                    return resp.status == 200
            except aiohttp.ClientError:
                return False

        try:
            await until(ready, what=f"{self.name} ready", timeout_s=READY_TIMEOUT_S)
        except HarnessError as exc:
            raise HarnessError(f"{exc}\n{self.log_tail()}") from None

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, as when the machine loses power."""
        if self.proc is not None and self.running:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    def hangup(self) -> None:
        if self.proc is None or not self.running:
            raise HarnessError(f"{self.name} is not running")
        self.proc.send_signal(signal.SIGHUP)

    async def stop(self) -> None:
        """SIGTERM (the writer flushes), then SIGKILL if it will not go."""
        if self.proc is None or not self.running:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                await self.proc.wait()
        except TimeoutError:
            await self.kill()


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
        await self.serve.start()
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


async def script_phones(control: SimControl, operators: Sequence[Operator]) -> None:
    for op in operators:
        tech, _, resource = op.endpoint.partition("/")
        await control.set_endpoint(
            tech, resource, behavior="answer", answer_after=op.answer_after, hangup_after=op.talk_s
        )


async def agi_route(node: Node, did: str) -> dict[str, str]:
    """Ask ``route`` over FastAGI as Asterisk's dialplan does: ``AGI(agi://.../route,<DID>)``;
    returns the variables it set (CR_ROUTE, CR_QUEUE, CR_CLOSED_SOUND, ...)."""
    fake = FakeAsterisk(env=make_env("route", agi_arg_1=did))
    async with asyncio.timeout(MOMENT_TIMEOUT_S):
        await fake.run(node.ports.agi)
    return dict(fake.variables)


# -- load ---------------------------------------------------------------------------------


class Traffic:
    """Callers arriving at random (seeded) on one node. About a quarter give up quickly;
    the others wait a few seconds at most, which also bounds how long they talk."""

    def __init__(
        self, node: Node, rng: random.Random, *, per_s: float = 5.0, exten: str = DID
    ) -> None:
        self.node = node
        self.exten = exten
        self._rng = rng
        self._per_s = per_s
        self._task: asyncio.Task[None] | None = None
        self.placed: list[str] = []
        self.refused = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"traffic-{self.node.name}")

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
                channel = await self.node.control.place_call(
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


# -- moments ------------------------------------------------------------------------------


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


async def reach(node: Node, moment: Moment, rng: random.Random) -> str:
    """Return once ``node`` is at ``moment`` (a seeded variant of it); describe it."""
    control = node.control
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
        started = [Traffic(node, rng, per_s=per_s, exten=exten) for node in self.nodes]
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
                await node.serve.start()
        with contextlib.suppress(HarnessError):
            await until(self._sim_empty, what="every channel gone", timeout_s=DRAIN_TIMEOUT_S)
        with contextlib.suppress(HarnessError):
            await until(self._db_settled, what="rows and webhooks", timeout_s=SETTLE_TIMEOUT_S)
        for node in self.nodes:
            await node.serve.stop()

    async def _sim_empty(self) -> bool:
        for node in self.nodes:
            if (await node.control.state())["channels"]:
                return False
        return True

    async def _db_settled(self) -> bool:
        conn = await asyncpg.connect(self.dsn)
        try:
            open_calls = await conn.fetchval("SELECT count(*) FROM calls WHERE outcome IS NULL")
            pending = await conn.fetchval(
                "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"
            )
        finally:
            await conn.close()
        return open_calls == 0 and pending == 0

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
            await node.serve.start()
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
        requests, events = await node.control.requests(), await node.control.events()
        if len(events) >= HISTORY_LIMIT or len(requests) >= REQUEST_LOG_LIMIT:
            raise HarnessError(f"{node.name}: the simulator's logs overflowed; shorten the run")
        sims.append(sim_record(node.name, requests, events))
    db = await db_record(center.dsn)
    adopted = {(r.node, channel) for r in center.restarts for channel in r.adopted}
    violations = check_all(sims, db, center.receiver.hits, adopted)
    violations.update(extra or {})
    if any(violations.values()):
        raise AssertionError(
            f"{center.describe()}\n{format_violations(violations)}\n{center.logs()}"
        )
