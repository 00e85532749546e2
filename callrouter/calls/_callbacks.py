"""Callbacks asked for by inbound callers, and those scheduled over the API, dialled when
due.

A callback keeps the caller's place. Every second ``QueueCallbacks`` tells the routing
core which callbacks of each queue are due (``CallbacksDue``: the best ones, with the
priority and original ``queued_at`` of the caller's call); when an operator of the queue
frees up, the core gives them to the callback if its place ranks before every caller
waiting that they may take, and reserves them (``acd/_callback_places``). The reservation
is what this module reacts to: it claims the callback (``pending`` -> ``dialing``, one
node only), checks the rules at the moment of dialling (do-not-call list; the queue's
``hours``, checked before a callback is offered at all), and has the dialer call the
customer, who joins the queue once answered while the reserved operator is released
for them. A callback that fails (busy, no answer) is tried again later, up to
``MAX_ATTEMPTS``; its place never changes.

``CallbackSource`` is the dialer's ``LeadSource`` for callbacks: their attempts, and
after a crash the callbacks this node left in ``dialing`` (re-attached to their call if
Asterisk still holds it, else given back in their place); callbacks another node left in
``dialing`` and stopped renewing for ``dialer.stale_attempt_s`` are given back too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from datetime import datetime, timedelta

import asyncpg
import structlog

from callrouter.acd import (
    RESERVATION_REASON,
    Calendar,
    CallbackPlace,
    CallbacksDue,
    OperatorState,
    OperatorStateChanged,
    OperatorUnpaused,
    is_open,
    reserved_callback,
)
from callrouter.calls._acd_config import acd_config_from_settings
from callrouter.calls._claims import OperatorClaims
from callrouter.calls._click_to_call import ClickToCall
from callrouter.calls._dialer import OutboundDialer
from callrouter.calls._dialer_plan import CampaignPlan, DialLead, plan_from_dialer
from callrouter.calls._router import Router
from callrouter.calls._settings import Derived, ReadsSettings, SettingsHolder
from callrouter.dialer import AbandonCounts, PacingMode, normalize_dnc_number
from callrouter.dialer.store import DialRefused, OpenAttempt, permit_dial
from callrouter.errors import Conflict, ExternalError, InvalidInput, NotFound
from callrouter.store import DB_ERRORS
from callrouter.store.callbacks import (
    QUEUE_PLAN_PREFIX,
    DueCallback,
    cancel_callback,
    claim_callback,
    due_operator_callbacks,
    due_queue_callbacks,
    expire_dialing_callbacks,
    finish_callback,
    mark_callback_dialing,
    open_callback_attempts,
    set_callback_call,
    unclaim_callback,
)

__all__ = [
    "CHECK_EVERY_S",
    "MAX_ATTEMPTS",
    "RETRY_AFTER",
    "CallbackSource",
    "OperatorCallbacks",
    "QueueCallbacks",
]

MAX_ATTEMPTS = 3
CHECK_EVERY_S = 1.0
RETRY_AFTER = timedelta(minutes=10)

log = structlog.get_logger(__name__)


class CallbackSource(ReadsSettings):
    """The dialer's view of callbacks. Nothing is paced here (``running`` is empty): the
    routing core decides when a callback is dialled, ``QueueCallbacks`` dials it."""

    def __init__(self, *, pool: asyncpg.Pool, settings: SettingsHolder, node: str) -> None:
        self._pool = pool
        self._holder = settings
        self._node = node
        # Callbacks this node claimed and has not finished: their claims are renewed.
        self.working: set[int] = set()

    def plan_for(self, queue: str) -> CampaignPlan:
        # The caller asked to be called: a machine is still worth no operator (AMD on).
        return plan_from_dialer(
            self._settings.dialer,
            name=f"{QUEUE_PLAN_PREFIX}{queue}",
            campaign_id=None,
            mode=PacingMode.PROGRESSIVE,
            queue=queue,
        )

    async def running(self) -> list[CampaignPlan]:
        return []

    async def claim(self, plan: CampaignPlan, now: datetime, limit: int) -> list[DialLead]:
        return []

    async def started(self, plan: CampaignPlan, lead: DialLead, call_id: str, now: datetime) -> int:
        async with self._pool.acquire() as conn:
            await set_callback_call(conn, lead.lead_id, call_id)
        return lead.lead_id

    async def answered(self, attempt_id: int, at: datetime) -> None:
        return None  # a callback has no attempt row; its call row has the answer

    async def plan_named(self, name: str) -> CampaignPlan | None:
        """A queue callback's plan, to re-attach its call after a crash (None for one
        reserved for an operator: a click-to-call is not re-attached, it is closed)."""
        queue = name.removeprefix(QUEUE_PLAN_PREFIX)
        if queue == name or queue not in self._settings.queues:
            return None
        return self.plan_for(queue)

    async def finish_if_done(self, plan: CampaignPlan) -> bool:
        return False  # queues of callbacks are not campaigns

    async def open_attempts(self) -> list[OpenAttempt]:
        async with self._pool.acquire() as conn:
            attempts = await open_callback_attempts(conn, self._node)
        self.working.update(attempt.id for attempt in attempts)
        return attempts

    async def release_claims(self, now: datetime) -> int:
        return 0  # every callback left in dialing is one of ``open_attempts``

    async def expire_claims(self, now: datetime) -> tuple[int, int]:
        stale = timedelta(seconds=self._settings.dialer.stale_attempt_s)
        async with self._pool.acquire() as conn:
            released = await expire_dialing_callbacks(
                conn, node=self._node, working=self.working, now=now, stale_before=now - stale
            )
        if released:
            log.warning("stale_callbacks_released", count=released)
        return released, 0

    async def abandons(self, plan: CampaignPlan, now: datetime) -> AbandonCounts | None:
        return None  # not a campaign: the dialer's own rolling measurements pace it

    async def finished(
        self,
        attempt_id: int,
        outcome: str,
        *,
        hangup_cause: int | None,
        now: datetime,
        operator_id: str | None = None,
        wait_s: float | None = None,
        talk_s: float | None = None,
        answered_at: datetime | None = None,
        recording: str | None = None,
    ) -> None:
        try:
            await _finish_callback(
                self._pool, attempt_id, outcome, operator_id=operator_id, now=now
            )
        finally:
            self.working.discard(attempt_id)


class QueueCallbacks(ReadsSettings):
    """Offers each queue's due callbacks to the routing core; dials those it reserves an
    operator for."""

    def __init__(
        self, *, pool: asyncpg.Pool, router: Router, dialer: OutboundDialer,
        source: CallbackSource, settings: SettingsHolder, node: str,
        claims: OperatorClaims | None = None,
    ) -> None:  # fmt: skip
        self._pool = pool
        self._router = router
        self._dialer = dialer
        self._source = source
        self._holder = settings
        self._node = node
        self._claims = claims
        self._calendars = Derived(settings, lambda s: acd_config_from_settings(s).calendars)
        self._offered: dict[str, tuple[CallbackPlace, ...]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._warned_no_caller_id = False
        router.on_operator_state(self._operator_state)

    def offered(self, queue: str) -> tuple[CallbackPlace, ...]:
        """The callbacks of ``queue`` the routing core holds now (a second at most after
        they fall due)."""
        return self._offered.get(queue, ())

    async def run(self) -> None:
        self.release_reservations_left()
        while True:
            try:
                await self.offer_due()
            except DB_ERRORS as exc:
                log.warning("callback_offer_db_unavailable", error=str(exc))
            except Exception:
                log.exception("callback_offer_failed")
            await asyncio.sleep(CHECK_EVERY_S)

    def release_reservations_left(self) -> None:
        """At start: an operator restored paused for outbound work was reserved (or on a
        click-to-call) in the process that died; nothing holds them any more."""
        for view in self._router.engine.snapshot().operators:
            if view.state is OperatorState.PAUSED and view.pause_reason == RESERVATION_REASON:
                log.info("reservation_released_after_restart", operator=view.operator_id)
                self._router.apply(OperatorUnpaused(view.operator_id, self._router.now()))

    async def offer_due(self) -> None:
        now = self._router.now()
        settings = self._settings
        async with self._pool.acquire() as conn:
            due = await due_queue_callbacks(conn, now, per_queue=max(1, len(settings.operators)))
        by_queue: dict[str, list[DueCallback]] = defaultdict(list)
        for callback in due:
            if callback.id not in self._source.working and callback.queue is not None:
                by_queue[callback.queue].append(callback)
        may_dial = self._may_dial()
        for queue in settings.queues:
            places: tuple[CallbackPlace, ...] = ()
            if may_dial and self._open(queue, now):
                places = tuple(
                    CallbackPlace(c.id, c.priority, c.queued_at or now) for c in by_queue[queue]
                )
            if places != self._offered.get(queue, ()):
                self._offered[queue] = places
                self._router.apply(CallbacksDue(queue, places, self._router.now()))

    def _may_dial(self) -> bool:
        if not self._settings.dialer.caller_id:
            # Customers are never called as "Anonymous": no caller ID, no callback.
            if not self._warned_no_caller_id:
                self._warned_no_caller_id = True
                log.error("callbacks_no_caller_id", hint="set dialer.caller_id")
            return False
        return self._dialer.trunk_has_room(self._source.plan_for(""))

    def _open(self, queue: str, now: datetime) -> bool:
        """A callback is dialled only while its queue's ``hours`` say open."""
        hours = self._settings.queues[queue].hours
        calendar: Calendar | None = self._calendars.get().get(hours) if hours else None
        return calendar is None or is_open(calendar, now)

    def _operator_state(self, change: OperatorStateChanged) -> None:
        callback_id = reserved_callback(change.call_id)
        if callback_id is None or change.new is not OperatorState.PAUSED:
            return
        self._source.working.add(callback_id)
        # The core took it from its list: what it holds now, for the next comparison.
        self._offered = {
            queue: tuple(p for p in places if p.callback_id != callback_id)
            for queue, places in self._offered.items()
        }
        task = asyncio.create_task(
            self._dial(callback_id, change.operator_id), name=f"callback:{callback_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _dial(self, callback_id: int, operator_id: str) -> None:
        lead: DialLead | None = None
        try:
            lead, queue = await self._claim(callback_id, operator_id)
        except Exception:
            log.exception("callback_claim_failed", callback=callback_id)
            with contextlib.suppress(Exception):
                await self._give_back(callback_id)  # else its lease expires
        if lead is None or not self._still_reserved(operator_id):
            if lead is not None:  # the operator was paused or logged out meanwhile
                await self._give_back(callback_id)
            self._source.working.discard(callback_id)
            self._dialer.release_reservation(operator_id)
            return
        log.info("callback_dialled", callback=callback_id, operator=operator_id, queue=queue)
        await self._dialer.dial_reserved(
            self._source, self._source.plan_for(queue), lead, operator_id
        )

    async def _claim(self, callback_id: int, operator_id: str) -> tuple[DialLead | None, str]:
        now = self._router.now()
        region = self._settings.dialer.default_region
        async with self._pool.acquire() as conn:
            claimed = await claim_callback(conn, callback_id, self._node, now)
            if claimed is None or claimed.queue is None:
                return None, ""  # another node's, or no longer due
            try:
                # The rules at the moment of dialling, as for every outbound call.
                await permit_dial(conn, number=claimed.phone, lead_id=None, now=now,
                                  tenants=[claimed.tenant], default_region=region)  # fmt: skip
            except (DialRefused, InvalidInput) as exc:
                log.warning("callback_refused", callback=callback_id, reason=str(exc))
                await cancel_callback(conn, callback_id, str(exc))
                return None, ""
        if self._claims is not None and not await self._claims.claim(operator_id):
            await self._give_back(callback_id)
            return None, ""
        phone = normalize_dnc_number(claimed.phone, default_region=region) or claimed.phone
        return DialLead(claimed.id, phone, claimed.caller_name), claimed.queue

    async def _give_back(self, callback_id: int) -> None:
        async with self._pool.acquire() as conn:
            await unclaim_callback(conn, callback_id)

    def _still_reserved(self, operator_id: str) -> bool:
        view = self._router.engine.snapshot().operator(operator_id)
        return view.state is OperatorState.PAUSED and view.pause_reason == RESERVATION_REASON


class OperatorCallbacks(ReadsSettings):
    """Callbacks reserved for one operator: when due and that operator is free, their
    phone rings first and then the customer is dialled (click-to-call), so the customer
    talks to the person who promised to call back."""

    def __init__(
        self, *, pool: asyncpg.Pool, router: Router, clicks: ClickToCall,
        settings: SettingsHolder, source: CallbackSource, node: str,
    ) -> None:  # fmt: skip
        self._pool = pool
        self._router = router
        self._clicks = clicks
        self._holder = settings
        self._source = source
        self._node = node

    async def run(self) -> None:
        while True:
            try:
                await self.dial_due()
            except DB_ERRORS as exc:
                log.warning("operator_callbacks_db_unavailable", error=str(exc))
            except Exception:
                log.exception("operator_callbacks_failed")
            await asyncio.sleep(CHECK_EVERY_S)

    async def dial_due(self) -> None:
        async with self._pool.acquire() as conn:
            due = await due_operator_callbacks(conn, self._router.now())
        free = {
            view.operator_id
            for view in self._router.engine.snapshot().operators
            if view.routable and view.state is OperatorState.AVAILABLE
        }
        for callback in due:
            if callback.operator_id not in free or callback.operator_id is None:
                continue
            free.discard(callback.operator_id)
            try:
                await self._clicks.start(
                    operator_id=callback.operator_id, number=callback.phone, caller_id=None,
                    follow_up=(self, callback.id),
                )  # fmt: skip
            except DialRefused as exc:
                # The rules forbid it now (no caller ID...): try again later, not every tick.
                log.warning("operator_callback_refused", callback=callback.id, error=str(exc))
                await _finish_callback(
                    self._pool, callback.id, "refused", operator_id=None, now=self._router.now()
                )
            except (Conflict, NotFound, ExternalError) as exc:
                log.warning("operator_callback_not_started", callback=callback.id, error=str(exc))

    async def start(self, lead_id: int, call_id: str, operator_id: str) -> int:
        self._source.working.add(lead_id)
        async with self._pool.acquire() as conn:
            await mark_callback_dialing(
                conn, lead_id, node=self._node, call_id=call_id, now=self._router.now()
            )
        return lead_id

    async def finish(
        self, attempt_id: int, outcome: str, *, cause: int | None, operator_id: str,
        talk_s: float | None, answered_at: datetime | None = None,
        recording: str | None = None,
    ) -> None:  # fmt: skip
        try:
            await _finish_callback(
                self._pool, attempt_id, "connected" if outcome == "answered" else outcome,
                operator_id=operator_id, now=self._router.now(),
            )  # fmt: skip
        finally:
            self._source.working.discard(attempt_id)


async def _finish_callback(
    pool: asyncpg.Pool, callback_id: int, outcome: str, *, operator_id: str | None, now: datetime
) -> None:
    async with pool.acquire() as conn:
        await finish_callback(
            conn, callback_id, outcome, operator_id=operator_id,
            retry_at=now + RETRY_AFTER, max_attempts=MAX_ATTEMPTS,
        )  # fmt: skip
