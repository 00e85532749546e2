"""An inbound caller's way into the core: their queue, their row, their customer card.

The card (name, tier, priority) comes from a PostgreSQL lookup. It matters to routing
only when callers compete: a VIP goes ahead of callers waiting in line. So the lookup
starts as the caller arrives, and

- a caller an operator is free for now, with nobody still on their way in ahead of
  them, is routed at once (``AcdEngine.serves_at_once``): their priority would change
  neither who answers nor when. The card follows (``CallerIdentified``), in time for
  the screen pop: the ring publishes ``call.offered`` only once the lookup is done
  (``CallSession.card_lookup``), and the lookup had a head start;
- every other caller waits for their lookup (at most ``LOOKUP_BUDGET_S``), and callers
  reach the core in the order they arrived, however long each lookup takes: who gets
  the last place in a full queue, or the next free operator, must not depend on
  lookup speed.

A database that does not answer costs the caller at most the budget, then they are
routed without a card.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import asyncpg
import structlog

from callrouter.acd import CallArrived, CallerIdentified
from callrouter.ari import Channel
from callrouter.calls._journal import CallJournal
from callrouter.calls._router import Router
from callrouter.calls._sessions import CallSession, SessionRegistry
from callrouter.calls._settings import ReadsSettings, SettingsHolder
from callrouter.dialer import OUTBOUND_PRIORITY
from callrouter.store.directory import CustomerCard, find_customer

__all__ = ["LOOKUP_BUDGET_S", "InboundArrivals"]

log = structlog.get_logger(__name__)

# The longest a caller waits for their customer card before being routed without it.
LOOKUP_BUDGET_S = 1.0


class InboundArrivals(ReadsSettings):
    def __init__(
        self,
        *,
        router: Router,
        sessions: SessionRegistry,
        journal: CallJournal,
        pool: asyncpg.Pool,
        settings: SettingsHolder,
    ) -> None:
        self._router = router
        self._sessions = sessions
        self._journal = journal
        self._pool = pool
        self._holder = settings
        # The last caller still on their way into the core.
        self._last_arrival = asyncio.Event()
        self._last_arrival.set()

    def queue_for(self, target: str, exten: str) -> str | None:
        queues, routes = self._settings.queues, self._settings.routes
        for candidate in (target, exten):
            if candidate in queues:
                return candidate
            if candidate in routes:
                return routes[candidate]
            if candidate.lstrip("+") in routes:
                return routes[candidate.lstrip("+")]
        return None

    async def arrive(self, channel: Channel, target: str) -> str | None:
        """Route a caller who entered Stasis; their queue, None when the target names
        none (the caller is then the shell's to hang up)."""
        queue = self.queue_for(target, channel.dialplan.exten)
        # Taken before the lookup: a caller's place is the moment they arrived.
        now = self._router.now()
        session = CallSession(
            call_id=str(uuid.uuid4()),
            caller_channel_id=channel.id,
            queue=queue or "",
            caller_number=channel.caller.number,
            caller_name=channel.caller.name,
            called_number=channel.dialplan.exten,
            created_at=now,
        )
        # The row first: a crash during the lookup must still leave the call its row.
        self._journal.call_created(session)
        earlier, mine = self._last_arrival, asyncio.Event()
        self._last_arrival = mine
        try:
            if queue is not None and earlier.is_set() and self._router.engine.serves_at_once(queue):
                self._admit(session, queue, target, now)
                mine.set()  # in the core: the next caller need not wait for this card
                # Started after the ring's step was queued, so the ring goes out first.
                session.card_lookup = asyncio.ensure_future(self._card_for(session))
                await session.card_lookup
                self._reprioritise(session)
                return queue
            await self._card_for(session)
            await earlier.wait()
            self._admit(session, queue, target, now)
        finally:
            mine.set()
        return queue

    def _admit(self, session: CallSession, queue: str | None, target: str, now: datetime) -> None:
        self._sessions.add(session)
        if queue is None:
            # Nothing to route to: the call still gets its row and a clear outcome.
            log.warning("inbound_without_queue", channel=session.caller_channel_id, target=target)
            self._journal.call_update(
                session, outcome="failed", ended_at=now, hangup_cause_txt=f"no queue for {target!r}"
            )
            self._sessions.remove(session.call_id)
            return
        self._router.apply(
            CallArrived(
                call_id=session.call_id,
                queue=queue,
                at=self._router.now(),
                priority=session.priority,
                caller_number=session.caller_number,
                arrived_at=now,
            )
        )

    async def _card_for(self, session: CallSession) -> CustomerCard | None:
        """The caller's card, also kept on the session: whoever awaits the lookup (the
        screen pop) finds it there."""
        # The tenant of the number called (set on the session by call_created): its card
        # and its priority, never another tenant's card of the same phone.
        customer = await self._lookup_customer(session.caller_number, self._journal.tenant(session))
        if customer is None:
            return None
        # Answered outbound customers stay above every inbound caller, VIPs included.
        session.priority = min(customer.priority, OUTBOUND_PRIORITY - 1)
        session.customer_card = {
            "name": customer.name,
            "tier": customer.tier,
            "account": customer.account,
            "notes": customer.notes,
        }
        self._journal.call_update(session, priority=customer.priority)
        return customer

    def _reprioritise(self, session: CallSession) -> None:
        """The card of a caller routed before it came: their priority counts from now
        on (a ring that fails puts them back in line by it)."""
        if session.priority != 0 and not session.finished:
            # Refused only if the call has ended meanwhile: nothing left to rank.
            self._router.apply(
                CallerIdentified(session.call_id, session.priority, self._router.now())
            )

    async def _lookup_customer(self, number: str, tenant: str) -> CustomerCard | None:
        if not number:
            return None
        try:
            # Bounded: a database that does not answer (a link black-holed, a new
            # connection's 10 s connect timeout) must not hold the caller back.
            async with asyncio.timeout(LOOKUP_BUDGET_S), self._pool.acquire() as conn:
                return await find_customer(
                    conn, number, tenant=tenant, region=self._settings.dialer.default_region
                )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            # A database outage must not stop routing: route without the card.
            log.warning("customer_lookup_failed", error=str(exc) or type(exc).__name__)
            return None
