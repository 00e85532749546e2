"""The composition root: every part of ``callrouter serve`` is built and wired here.

Construction order matters in one place: ARI handlers are subscribed before the events
WebSocket connects, so no event can arrive before its handler exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import structlog

from callrouter.acd import (
    OperatorEndpointOffline,
    OperatorState,
    OperatorStateChanged,
)
from callrouter.agi import FastAgiServer
from callrouter.api import ApiServer, TenantAccess
from callrouter.ari import AriClient, AriHealth
from callrouter.calls._acd_config import acd_config_from_settings
from callrouter.calls._actions import CommandExecutor
from callrouter.calls._bridge_features import BridgeFeatures
from callrouter.calls._call_control import CallControl
from callrouter.calls._callbacks import CallbackSource, OperatorCallbacks, QueueCallbacks
from callrouter.calls._campaign_leads import DatabaseLeadSource
from callrouter.calls._center import CallCenter
from callrouter.calls._claims import OperatorClaims
from callrouter.calls._click_to_call import OUTBOUND_PAUSE_REASON, ClickToCall
from callrouter.calls._clock import Clock, SystemClock
from callrouter.calls._crm_events import CrmEvents
from callrouter.calls._dialer import OutboundDialer
from callrouter.calls._edges import agi_edge, observability
from callrouter.calls._inbox import Inbox
from callrouter.calls._journal import CallJournal
from callrouter.calls._live import LiveCenter
from callrouter.calls._monitoring import CallMonitoring
from callrouter.calls._operator_requests import OperatorRequests, restore_operator_states
from callrouter.calls._preview import PreviewLeads
from callrouter.calls._recovery import Recovery
from callrouter.calls._router import Router
from callrouter.calls._serial import SerialExecutor
from callrouter.calls._sessions import SessionRegistry
from callrouter.calls._settings import Derived, SettingsHolder
from callrouter.calls._transfers import CallTransfers
from callrouter.calls.stasis import StasisHandlers
from callrouter.config import Settings
from callrouter.crm import WebhookNotifier
from callrouter.dialer.store import sync_campaigns
from callrouter.errors import CallrouterError
from callrouter.metrics import (
    AriMetrics,
    CallMetrics,
    TimedAcdEngine,
    ari_trace_config,
)
from callrouter.store import apply_migrations, create_pool
from callrouter.store.claims import release_node_claims
from callrouter.store.directory import sync_directory
from callrouter.store.retention import RetentionSweeper
from callrouter.store.writer import RecordWriter, Spool

__all__ = ["CallrouterService", "ServiceParts", "StartupError"]

log = structlog.get_logger(__name__)


class StartupError(CallrouterError):
    """callrouter cannot start here (a port in use, ...)."""

    error_id = "startup"


@dataclass
class ServiceParts:
    """What a running service exposes to the HTTP API, the CLI status and tests."""

    pool: asyncpg.Pool
    writer: RecordWriter
    ari: AriClient
    router: Router
    sessions: SessionRegistry
    executor: CommandExecutor
    handlers: StasisHandlers
    lanes: SerialExecutor
    center: CallCenter | None = None
    agi: FastAgiServer | None = None
    api: ApiServer | None = None
    dialer: OutboundDialer | None = None
    clicks: ClickToCall | None = None
    crm: CrmEvents | None = None
    leads: DatabaseLeadSource | None = None
    claims: OperatorClaims | None = None
    callbacks: CallbackSource | None = None
    operator_callbacks: OperatorCallbacks | None = None
    queue_callbacks: QueueCallbacks | None = None
    recovery: Recovery | None = None
    inbox: Inbox | None = None
    extra: dict[str, object] = field(default_factory=dict)


# Pauses during which the operator still works for this node (keep their claim).
_BUSY_PAUSES = frozenset({OUTBOUND_PAUSE_REASON})


def _release_when_free(claims: OperatorClaims, change: OperatorStateChanged) -> None:
    free = change.new in (OperatorState.AVAILABLE, OperatorState.LOGGED_OUT) or (
        change.new is OperatorState.PAUSED and change.reason not in _BUSY_PAUSES
    )
    if free:
        claims.release(change.operator_id)


class CallrouterService:
    def __init__(
        self,
        *,
        settings: Settings,
        dsn: str,
        clock: Clock | None = None,
        node: str | None = None,
        spool_dir: Path | None = None,
    ) -> None:
        self.holder = SettingsHolder(settings)
        self._dsn = dsn
        # Rows are journalled here until PostgreSQL has them (store/_spool.py): a crash
        # during a database outage loses none. One folder per node.
        self._spool_dir = spool_dir
        self._clock = clock or SystemClock()
        self.node = node or settings.cluster.node or socket.gethostname()
        self.parts: ServiceParts | None = None
        self.ready = asyncio.Event()
        # Served on /metrics; the ARI ones are fed by ari_trace_config on the ARI session.
        self.metrics = CallMetrics()
        self.ari_metrics = AriMetrics()

    async def run(self) -> None:
        """Run until cancelled; clean up (flushing every pending row), then re-raise."""
        settings = self.settings
        pool = await create_pool(
            self._dsn, min_size=settings.database.pool_min, max_size=settings.database.pool_max
        )
        writer = RecordWriter(
            pool=pool, spool=Spool(self._spool_dir) if self._spool_dir is not None else None
        )
        notifier: WebhookNotifier | None = None
        try:
            async with pool.acquire() as conn:
                await apply_migrations(conn)
                await sync_directory(conn, settings)
                # Whatever this node held before a restart is free again.
                await release_node_claims(conn, self.node)
                if settings.campaigns:
                    await sync_campaigns(conn, settings)
            await writer.start()
            if settings.crm.webhooks or settings.tenant_crms():
                notifier = WebhookNotifier(
                    settings=settings.crm, tenants=settings.tenant_crms(), pool=pool,
                    node=self.node, spool_dir=self._spool_dir,
                )  # fmt: skip
                await notifier.start()
            async with self._build_ari() as ari:
                parts = self._wire(pool, writer, ari, notifier)
                self.parts = parts
                await restore_operator_states(pool, parts.router)
                await self._listen(parts)
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(ari.run(), name="ari")
                    tasks.create_task(parts.router.run_ticker(), name="ticker")
                    assert parts.inbox is not None
                    tasks.create_task(parts.inbox.run(parts.router.apply), name="inbox")
                    # Nothing that decides work starts before the first recovery pass:
                    # a busy operator must be known busy before anyone may ring them.
                    producers = [
                        OperatorRequests(pool=pool, router=parts.router, node=self.node).run,
                        *([parts.dialer.run] if parts.dialer else []),
                        *([parts.operator_callbacks.run] if parts.operator_callbacks else []),
                        *([parts.queue_callbacks.run] if parts.queue_callbacks else []),
                    ]
                    for produce in producers:
                        tasks.create_task(self._after_recovery(parts, produce))
                    tasks.create_task(self._announce_ready(ari), name="ready")
                    tasks.create_task(self._retention(pool, ari).run(), name="retention")
        finally:
            await self._shutdown(pool, writer, notifier)

    @property
    def settings(self) -> Settings:
        return self.holder.current

    @staticmethod
    async def _after_recovery(
        parts: ServiceParts, produce: Callable[[], Coroutine[Any, Any, None]]
    ) -> None:
        assert parts.recovery is not None
        await parts.recovery.ready.wait()
        await produce()

    def _retention(self, pool: asyncpg.Pool, ari: AriClient) -> RetentionSweeper:
        # cluster.node, not self.node: a host-name node would miss the rows an earlier
        # container of the same node wrote under another host name.
        return RetentionSweeper(
            pool=pool, recordings=ari.recordings,
            settings=lambda: self.holder.current.recording,
            tenant_retention=lambda: self.holder.current.tenant_retention_days(),
            node=self.holder.current.cluster.node,
        )  # fmt: skip

    async def _listen(self, parts: ServiceParts) -> None:
        """Open the FastAGI and HTTP ports; a port in use is one clear error."""
        servers: list[tuple[str, str, int, FastAgiServer | ApiServer | None]] = [
            ("FastAGI server", self.settings.agi.host, self.settings.agi.port, parts.agi),
            ("HTTP API", self.settings.http.host, self.settings.http.port, parts.api),
        ]
        for what, host, port, server in servers:
            if server is None:
                continue
            try:
                await server.start()
            except OSError as exc:
                raise StartupError(
                    f"cannot listen on {host}:{port} for the {what}: {exc.strerror or exc}"
                ) from exc

    def _build_ari(self) -> AriClient:
        ari = self.settings.ari
        return AriClient(
            base_url=ari.url,
            username=ari.username,
            password=ari.password.get_secret_value(),
            app=ari.app,
            request_timeout=ari.request_timeout_s,
            backoff_max=ari.reconnect_max_s,
            trace_configs=[ari_trace_config(self.ari_metrics)],
        )

    def _wire(
        self,
        pool: asyncpg.Pool,
        writer: RecordWriter,
        ari: AriClient,
        notifier: WebhookNotifier | None,
    ) -> ServiceParts:
        settings, clock = self.settings, self._clock
        acd_config = acd_config_from_settings(settings)
        engine = TimedAcdEngine(acd_config, start=clock.now(), metrics=self.metrics)
        sessions = SessionRegistry()
        lanes = SerialExecutor(name="call")
        holder, inbox = self.holder, Inbox()
        crm = CrmEvents(publisher=notifier, settings=holder)
        journal = CallJournal(
            writer=writer, node=self.node, crm=crm, on_final=self.metrics.call_ended,
            tenant_of=lambda queue: holder.current.tenant_of_queue(queue),
        )  # fmt: skip
        claims = (
            OperatorClaims(pool=pool, node=self.node, clock=clock)
            if settings.cluster.claim_operators
            else None
        )
        executor = CommandExecutor(
            ari=ari, sessions=sessions, journal=journal, writer=writer,
            settings=holder, clock=clock, post=inbox.post, lanes=lanes, claims=claims,
        )  # fmt: skip
        live = LiveCenter(sessions=sessions, settings=holder)  # the pages' view
        router = Router(
            engine=engine, sessions=sessions, journal=journal, lanes=lanes, clock=clock,
            run_command=live.noting(executor.run), finish=executor.finish,
        )  # fmt: skip
        live.watch(router)
        if claims is not None:
            router.on_operator_state(partial(_release_when_free, claims))
        preview = PreviewLeads(pool=pool, clock=clock, node=self.node, settings=holder)
        clicks = ClickToCall(
            ari=ari, router=router, journal=journal, settings=holder, clock=clock,
            gate=preview, attempts=preview, claims=claims,
        )  # fmt: skip
        leads = DatabaseLeadSource(pool=pool, settings=holder, node=self.node)
        callbacks = CallbackSource(pool=pool, settings=holder, node=self.node)
        # Always on: inbound callers' callbacks are dialled even with no campaign.
        dialer = OutboundDialer(
            ari=ari, router=router, sessions=sessions, journal=journal,
            sources=[callbacks, leads], settings=holder,
        )  # fmt: skip
        queue_callbacks = QueueCallbacks(
            pool=pool, router=router, dialer=dialer, source=callbacks, settings=holder,
            node=self.node, claims=claims,
        )  # fmt: skip
        handlers = StasisHandlers(
            ari=ari, router=router, sessions=sessions, executor=executor,
            journal=journal, pool=pool, settings=holder, clicks=clicks, dialer=dialer,
        )  # fmt: skip
        transfers = CallTransfers(
            ari=ari, router=router, sessions=sessions, journal=journal, settings=holder,
            clock=clock,
        )  # fmt: skip
        center = CallCenter(
            ari=ari, pool=pool, router=router, sessions=sessions,
            journal=journal, clicks=clicks, preview=preview, executor=executor,
            settings=holder, transfers=transfers,
        )  # fmt: skip
        transfers.subscribe()  # first: it sees an operator's hangup mid-consult first
        monitoring = CallMonitoring(
            ari=ari, pool=pool, router=router, sessions=sessions, settings=holder,
            node=self.node,
        )  # fmt: skip
        monitoring.subscribe()
        BridgeFeatures(ari=ari, sessions=sessions, transfers=transfers, settings=holder).subscribe()
        handlers.subscribe()
        call_control = CallControl(transfers=transfers, monitoring=monitoring)
        recovery = Recovery(
            ari=ari, pool=pool, router=router, sessions=sessions,
            channel_gone=handlers.channel_gone, queue_for=handlers.queue_for,
            settings=self.holder, journal=journal, writer=writer, node=self.node,
            claims=claims, call_control=call_control,
        )  # fmt: skip
        ari.on_resync(recovery.on_resync)
        agi_server = agi_edge(holder, pool, router, clock)
        api = (
            ApiServer(
                settings=settings.http,
                center=center,
                pool=pool,
                live=live,
                observability=observability(
                    self.metrics, self.ari_metrics, holder, engine, writer, ari, notifier
                ),
                call_control=call_control,
                tenants=Derived(holder, TenantAccess.from_settings).get,  # follows reloads
            )
            if settings.http.enabled
            else None
        )
        return ServiceParts(
            pool=pool, writer=writer, ari=ari, router=router, sessions=sessions,
            executor=executor, handlers=handlers, lanes=lanes, center=center,
            agi=agi_server, api=api, dialer=dialer, clicks=clicks, crm=crm, leads=leads,
            callbacks=callbacks, claims=claims, recovery=recovery,
            operator_callbacks=OperatorCallbacks(
                pool=pool, router=router, clicks=clicks, settings=holder, source=callbacks,
                node=self.node,
            ),
            queue_callbacks=queue_callbacks,
            inbox=inbox, extra={"transfers": transfers, "monitoring": monitoring},
        )  # fmt: skip

    async def _announce_ready(self, ari: AriClient) -> None:
        await ari.wait_connected()
        await self._watch_endpoints(ari)
        self.ready.set()
        log.info("callrouter_ready", app=ari.app, node=self.node)

    async def _watch_endpoints(self, ari: AriClient) -> None:
        """Operators' phones that are offline are not offered calls: learn their state now
        and subscribe to its changes."""
        assert self.parts is not None
        for op_id, op in self.settings.operators.items():
            tech, _, resource = op.endpoint.partition("/")
            if tech.lower() == "local":
                continue  # Local channels have no device to be offline
            try:
                await ari.applications.subscribe(ari.app, f"endpoint:{tech}/{resource}")
                endpoint = await ari.endpoints.get(tech, resource)
            except Exception as exc:
                log.warning(
                    "endpoint_unknown", operator=op_id, endpoint=op.endpoint, error=str(exc)
                )
                continue
            if endpoint.state == "offline":
                self.parts.router.apply(OperatorEndpointOffline(op_id, self.parts.router.now()))

    async def _shutdown(
        self, pool: asyncpg.Pool, writer: RecordWriter, notifier: WebhookNotifier | None
    ) -> None:
        parts = self.parts
        if parts is not None:
            if parts.agi is not None:
                with contextlib.suppress(Exception):
                    await parts.agi.close()
            if parts.api is not None:
                with contextlib.suppress(Exception):
                    await parts.api.stop()
            await parts.lanes.close()
            if parts.claims is not None:
                await parts.claims.close()
        if notifier is not None:
            await notifier.stop()
        await writer.stop()
        await pool.close()
        log.info("callrouter_stopped")

    async def reload(self, settings: Settings) -> None:
        """Apply a changed routing config (queues, operators, routes, calendars, campaigns)
        without a restart: waiting callers keep their place, and new escalation steps
        apply to them by how long they have waited. Connection settings (ARI, database,
        AGI, HTTP) need a restart; a change to them is reported, not applied."""
        parts = self.parts
        if parts is None:
            return
        for section in ("ari", "database", "agi", "http"):
            if getattr(settings, section) != getattr(self.settings, section):
                log.warning("reload_needs_restart", section=section)
        router = parts.router
        commands = router.engine.reconfigure(acd_config_from_settings(settings), router.now())
        self.holder.swap(settings)  # every edge reads it: they all change together
        router.dispatch(commands)
        async with parts.pool.acquire() as conn:
            await sync_directory(conn, settings)
            if settings.campaigns:
                await sync_campaigns(conn, settings)
        log.info("config_reloaded", queues=len(settings.queues), operators=len(settings.operators))

    @property
    def ari_health(self) -> AriHealth | None:
        return self.parts.ari.health if self.parts else None
