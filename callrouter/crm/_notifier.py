"""WebhookNotifier: queue now, deliver in the background, in order per call.

Theory of operation:

- :meth:`WebhookNotifier.notify` is a plain function. It picks the CRM of the call's
  tenant (``_targets.py``), encodes the body, puts the delivery at the back of its
  call's lane and hands it to the delivery log; it never awaits, so a slow or dead CRM
  cannot delay routing.
- A lane is a queue of one call's deliveries with one task draining it, started when
  the lane gets work and retired when it is empty. A call's deliveries go out one after
  the other (offered before answered before ended), retries included; different calls'
  lanes run side by side, at most ``max_concurrency`` requests in flight at once per
  CRM, and at most ``max_backlog`` deliveries owed to one CRM: each CRM (the center's,
  and each tenant's own) has its own slots and its own bound, so one that is down
  delays and drops only its own tenants' deliveries.
- A delivery is tried until the CRM answers 2xx, answers a status not worth retrying
  (4xx other than 429), or ``crm.max_attempts`` attempts have failed. Between attempts
  the lane sleeps as :class:`RetryPolicy` says, holding up only its own call.
- Every attempt's result is written to ``webhook_deliveries``. A delivery still pending
  when the process stops keeps its row; :meth:`WebhookNotifier.start` on the same node
  puts those rows back in their lanes ahead of anything new.
- With ``spool_dir`` a delivery is also journalled on local disk the moment it is
  published, until its row is in PostgreSQL, so a kill (or a kill during a database
  outage) loses none: ``start()`` first gives the table what the journal holds and it
  lacks. The exact guarantee is in ``_journal.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import aiohttp
import asyncpg
import structlog

from callrouter import __version__
from callrouter.config import DEFAULT_TENANT, CrmSettings, TenantCrmSettings
from callrouter.crm._clock import Clock, SystemClock
from callrouter.crm._journal import open_journal
from callrouter.crm._payloads import EVENTS, WebhookPayload
from callrouter.crm._retry import RetryPolicy
from callrouter.crm._signing import sign
from callrouter.crm._store import DB_ERRORS, Delivery, DeliveryLog, call_keys, encode_body
from callrouter.crm._targets import CrmTarget, CrmTargets
from callrouter.crm._transport import post, safe_url
from callrouter.crm.errors import CrmRejected, CrmTimeout, CrmUnreachable
from callrouter.store import database_errors

__all__ = [
    "DEFAULT_DRAIN_TIMEOUT_S",
    "DEFAULT_MAX_BACKLOG",
    "DEFAULT_MAX_CONCURRENCY",
    "WebhookNotifier",
]

log = structlog.get_logger(__name__)

DEFAULT_MAX_CONCURRENCY = 8
# Far above any real backlog (hours of a large call center's events); past it memory,
# not the CRM, is the thing to protect.
DEFAULT_MAX_BACKLOG = 100_000
DEFAULT_DRAIN_TIMEOUT_S = 5.0
_LOG_FLUSH_TIMEOUT_S = 5.0
_USER_AGENT = f"callrouter/{__version__}"

_AttemptError = CrmUnreachable | CrmTimeout | CrmRejected


class WebhookNotifier:
    """Sends every outbound CRM event. ``start()`` before use, ``stop()`` at shutdown.

    ``settings`` is the center's CRM; ``tenants`` the tenants' own (their calls'
    webhooks go there instead, see ``_targets.py``). ConfigError for a URL that is not
    http(s), naming its setting.

    ``node`` names this process in the delivery log; give each node sharing one
    database its own stable name. ``session`` is closed by ``stop()`` only if the
    notifier made it. ``spool_dir`` is the node's ``database.spool_dir``: deliveries
    are journalled in its ``webhooks`` subfolder (one process at a time) until their
    rows are in PostgreSQL; without it a kill loses what was not yet written there.
    """

    def __init__(
        self,
        *,
        settings: CrmSettings,
        tenants: Mapping[str, TenantCrmSettings] | None = None,
        pool: asyncpg.Pool,
        session: aiohttp.ClientSession | None = None,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_backlog: int = DEFAULT_MAX_BACKLOG,
        node: str = "",
        spool_dir: Path | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if max_backlog < 1:
            raise ValueError("max_backlog must be at least 1")
        self._settings = settings
        self._targets = CrmTargets(settings, tenants)
        self._session = session
        self._owns_session = session is None
        self._clock: Clock = clock or SystemClock()
        self._retry = retry or RetryPolicy()
        self._max_backlog = max_backlog
        # Rows are resumed per node: another node sharing the database is still
        # delivering its own. Not the hostname by default: a re-created container gets
        # a new one and would never resume what its predecessor left pending.
        self._log = DeliveryLog(
            pool=pool, node=node, journal=None if spool_dir is None else open_journal(spool_dir)
        )
        self._slots = {t.key: asyncio.Semaphore(max_concurrency) for t in self._targets}
        # Deliveries queued or in flight, per CRM.
        self._owed = dict.fromkeys(self._slots, 0)
        self._lanes: dict[str, deque[Delivery]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._log_task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._state: Literal["new", "running", "stopped"] = "new"
        self.dropped = 0
        # Deliveries given up (status failed), for /metrics.
        self.failed = 0

    @property
    def backlog(self) -> int:
        """Deliveries queued or in flight, to every CRM."""
        return sum(self._owed.values())

    def notify(
        self, event: str, payload: Mapping[str, Any], *, tenant: str = DEFAULT_TENANT
    ) -> None:
        """Queue ``payload`` for the webhook ``tenant``'s CRM has for ``event``; never waits.

        Raises ValueError for an event name not in :data:`EVENTS`, TypeError or
        ValueError for a payload that is not JSON: bugs in the caller, not outages.
        An event without a configured URL is ignored.
        """
        key = EVENTS.get(event)
        if key is None:
            raise ValueError(f"unknown webhook event {event!r}")
        target = self._targets.of_tenant(tenant)
        url = target.webhooks.get(key)
        if url is None:
            return
        if self._state == "stopped":
            self.dropped += 1
            log.warning(
                "webhook_dropped", webhook_event=event, tenant=tenant, reason="notifier stopped"
            )
            return
        if self._owed[target.key] >= self._max_backlog:
            self.dropped += 1
            log.error("webhook_dropped", webhook_event=event, tenant=tenant, reason="backlog full")
            return
        delivery_id = uuid.uuid4()
        call_id, lane = call_keys(payload, delivery_id)
        delivery = Delivery(
            id=delivery_id,
            event=event,
            lane=lane,
            call_id=call_id,
            body=encode_body(payload),
            created_at=self._clock.now(),
            url=url,
            tenant=tenant,
        )
        self._enqueue(delivery)
        self._log.add(delivery)
        # The body may hold a customer's notes: only at debug level.
        log.debug("webhook_queued", **_fields(delivery), payload=dict(payload))

    def publish(self, payload: WebhookPayload, *, tenant: str = DEFAULT_TENANT) -> None:
        """``notify`` for a body made by one of the builders."""
        self.notify(payload.event, payload.to_json(), tenant=tenant)

    async def start(self) -> None:
        if self._state != "new":
            raise RuntimeError("a WebhookNotifier can be started once")
        try:
            with database_errors("cannot resume webhook deliveries"):
                # The journal's leftovers become pending rows first, so one query
                # returns everything owed, each call's events in the order published.
                replayed = await self._log.open()
                resumed = await self._log.load_pending()
        except BaseException:
            await self._log.close()
            raise
        for delivery in resumed:
            # The configuration is the truth about where an event goes now; an event no
            # longer configured fails in its lane, with the reason in its row.
            # The same goes for its tenant's CRM: the one configured now.
            setting = EVENTS.get(delivery.event)
            webhooks = self._target(delivery).webhooks
            delivery.url = (webhooks.get(setting) if setting else None) or ""
        self._resume(resumed)
        if self._session is None:
            self._session = aiohttp.ClientSession()
        for target in self._targets:
            if target.secret is None and target.webhooks:
                log.warning("webhooks_unsigned", reason=f"{target.setting}.secret is not set")
        self._state = "running"
        self._log_task = asyncio.create_task(self._log.run(), name="webhook-log")
        for key in self._lanes:
            self._start_lane(key)
        if replayed:
            log.info("webhook_journal_replayed", count=replayed)
        if resumed:
            log.info("webhooks_resumed", count=len(resumed))

    async def drain(self) -> None:
        """Wait until every queued delivery is delivered or failed and its row written."""
        await self._idle.wait()
        await self._log.flush()

    async def stop(self, *, drain_timeout_s: float = DEFAULT_DRAIN_TIMEOUT_S) -> None:
        """Give queued deliveries ``drain_timeout_s`` to finish; the rest stay pending."""
        started = self._state == "running"
        self._state = "stopped"
        if started:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(drain_timeout_s):
                    await self._idle.wait()
            await _cancel(list(self._tasks.values()))
            # Whatever is still queued must have its row, or the next start cannot
            # resume it.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_LOG_FLUSH_TIMEOUT_S):
                    await self._log.flush()
            if self._log_task is not None:
                await _cancel([self._log_task])
            await self._log.close()
            if self._log.unsaved and self._log.journalled:
                log.warning("webhooks_left_in_journal", count=self._log.unsaved)
            elif self._log.unsaved:
                log.error("webhook_deliveries_lost", count=self._log.unsaved)
            if self.backlog:
                log.info("webhooks_left_pending", count=self.backlog)
        if self._owns_session and self._session is not None:
            await self._session.close()

    def _enqueue(self, delivery: Delivery) -> None:
        lane = self._lanes.setdefault(delivery.lane, deque())
        lane.append(delivery)
        self._owed[self._target(delivery).key] += 1
        self._idle.clear()
        if self._state == "running":
            self._start_lane(delivery.lane)

    def _resume(self, deliveries: list[Delivery]) -> None:
        # Ahead of anything notified before start(): those came later.
        by_lane: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            by_lane.setdefault(delivery.lane, []).append(delivery)
        for key, older in by_lane.items():
            self._lanes[key] = deque([*older, *self._lanes.get(key, ())])
            for delivery in older:
                self._owed[self._target(delivery).key] += 1
        if deliveries:
            self._idle.clear()

    def _start_lane(self, key: str) -> None:
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._run_lane(key), name=f"webhook {key}")

    async def _run_lane(self, key: str) -> None:
        lane = self._lanes[key]
        try:
            while lane:
                delivery = lane[0]
                try:
                    await self._deliver(delivery)
                except Exception:
                    # A bug here must not wedge the call's later events behind this one.
                    log.exception("webhook_delivery_crashed", **_fields(delivery))
                lane.popleft()
                self._owed[self._target(delivery).key] -= 1
            del self._lanes[key]
            if not self._lanes:
                self._idle.set()
        finally:
            self._tasks.pop(key, None)

    async def _deliver(self, d: Delivery) -> None:
        if not d.url:
            d.status = "failed"
            self.failed += 1
            d.last_error = f"no webhook is configured for {d.event}"
            await self._record(d)
            log.warning("webhook_failed", **_fields(d), error=d.last_error)
            return
        await self._wait_until_due(d)
        while d.attempts < self._settings.max_attempts:
            d.attempts += 1
            error = await self._attempt(d)
            now = self._clock.now()
            if error is None:
                d.status = "delivered"
                d.delivered_at = now
                d.next_attempt_at = None
                d.last_error = None
                await self._record(d)
                log.info("webhook_delivered", **_fields(d), status_code=d.last_status_code)
                return
            d.last_status_code = error.status if isinstance(error, CrmRejected) else None
            d.last_error = error.message
            if not error.retryable:
                break
            if d.attempts >= self._settings.max_attempts:
                break
            retry_after = error.retry_after_s if isinstance(error, CrmRejected) else None
            delay = self._retry.delay_s(d.attempts, retry_after)
            d.next_attempt_at = now + timedelta(seconds=delay)
            await self._record(d)
            log.info("webhook_retry", **_fields(d), error=d.last_error, delay_s=round(delay, 3))
            await asyncio.sleep(delay)
        d.status = "failed"
        self.failed += 1
        d.next_attempt_at = None
        await self._record(d)
        log.warning("webhook_failed", **_fields(d), error=d.last_error)

    def _target(self, d: Delivery) -> CrmTarget:
        return self._targets.of_tenant(d.tenant)

    async def _attempt(self, d: Delivery) -> _AttemptError | None:
        assert self._session is not None
        target = self._target(d)
        async with self._slots[target.key]:
            # Stamped once a slot is ours, so a wait for a slot cannot age the signature.
            now = self._clock.now()
            timestamp = int(now.timestamp())
            headers = {
                "Content-Type": "application/json",
                "User-Agent": _USER_AGENT,
                "X-Callrouter-Event": d.event,
                "X-Callrouter-Delivery": str(d.id),
                "X-Callrouter-Attempt": str(d.attempts),
                "X-Callrouter-Timestamp": str(timestamp),
            }
            if target.secret is not None:
                headers["X-Callrouter-Signature"] = sign(target.secret, timestamp, d.body)
            try:
                d.last_status_code = await post(
                    self._session,
                    d.url,
                    body=d.body,
                    headers=headers,
                    timeout_s=self._settings.timeout_s,
                    now=now,
                )
            except (CrmUnreachable, CrmTimeout, CrmRejected) as exc:
                return exc
        return None

    async def _wait_until_due(self, d: Delivery) -> None:
        # Only resumed rows carry a next attempt time; honour it, but never for longer
        # than any delay this policy could have chosen (the clock may have jumped).
        if d.next_attempt_at is None:
            return
        wait_s = (d.next_attempt_at - self._clock.now()).total_seconds()
        if wait_s > 0:
            await asyncio.sleep(min(wait_s, max(self._retry.max_s, self._retry.retry_after_max_s)))

    async def _record(self, d: Delivery) -> None:
        try:
            await self._log.save(d)
        except DB_ERRORS as exc:
            log.warning("webhook_log_write_failed", **_fields(d), error=str(exc))


def _fields(d: Delivery) -> dict[str, Any]:
    return {
        "webhook_event": d.event,
        "tenant": d.tenant,
        "delivery_id": str(d.id),
        "call_id": None if d.call_id is None else str(d.call_id),
        "url": safe_url(d.url),
        "attempt": d.attempts,
    }


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    # gather rather than awaiting each under suppress(CancelledError): if stop() itself
    # is cancelled, that cancellation must still propagate.
    await asyncio.gather(*tasks, return_exceptions=True)
