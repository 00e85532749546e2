"""The FastAGI scripts' ports, implemented by the routing service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import asyncpg

from callrouter import agi
from callrouter.acd import Calendar, is_open
from callrouter.calls._acd_config import acd_config_from_settings
from callrouter.calls._operator_requests import apply_operator_action
from callrouter.calls._router import Router
from callrouter.calls._settings import Derived, ReadsSettings, SettingsHolder
from callrouter.config import DEFAULT_TENANT, Settings
from callrouter.errors import Conflict, NotFound
from callrouter.store.directory import find_customer

__all__ = [
    "DatabaseCustomerDirectory",
    "ReloadingRoutePlanner",
    "RouterOperatorControl",
    "make_route_planner",
]


class DatabaseCustomerDirectory(ReadsSettings):
    """FastAGI ``lookup``: national and international spellings of the caller's number
    find the same card (``dialer.default_region``), in the tenant of the number called.

    ``queue_for`` maps the called number to its queue as FastAGI's ``route`` does (a
    queue's own name is taken as it is); that queue's tenant owns the card. A call with
    no called number, or one that is not routed, looks in the tenant ``default``, like
    the row of a call with no queue."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        settings: SettingsHolder,
        queue_for: Callable[[str], str | None],
    ) -> None:
        self._pool = pool
        self._holder = settings
        self._queue_for = queue_for

    def tenant_of_called(self, called: str | None) -> str:
        if not called:
            return DEFAULT_TENANT
        queue = called if called in self._settings.queues else self._queue_for(called)
        return self._settings.tenant_of_queue(queue or "")

    async def find_by_phone(self, number: str, called: str | None) -> agi.CustomerCard | None:
        tenant = self.tenant_of_called(called)
        async with self._pool.acquire() as conn:
            card = await find_customer(
                conn, number, tenant=tenant, region=self._settings.dialer.default_region
            )
        if card is None:
            return None
        return agi.CustomerCard(
            name=card.name, tier=card.tier, account=card.account or "", notes=card.notes or ""
        )


class ReloadingRoutePlanner:
    """FastAGI's ``route``: the DID table and calendars of the settings in force now."""

    def __init__(self, holder: SettingsHolder) -> None:
        self._planner = Derived(holder, _planner_for)

    def plan(self, called_number: str, now: datetime) -> agi.RouteDecision:
        return self._planner.get().plan(called_number, now)

    def queue_for(self, called_number: str) -> str | None:
        return self._planner.get().queue_for(called_number)


def _planner_for(settings: Settings) -> agi.DidRoutePlanner:
    return make_route_planner(settings, dict(acd_config_from_settings(settings).calendars))


def make_route_planner(settings: Settings, calendars: dict[str, Calendar]) -> agi.DidRoutePlanner:
    def queue_is_open(queue: str, now: datetime) -> bool:
        hours = settings.queues[queue].hours if queue in settings.queues else None
        return hours is None or is_open(calendars[hours], now)

    closed_sounds = {
        name: settings.calendars[q.hours].closed_sound
        for name, q in settings.queues.items()
        if q.hours
    }
    return agi.DidRoutePlanner(
        did_queues=settings.routes, is_open=queue_is_open, closed_sounds=closed_sounds
    )


class RouterOperatorControl:
    """Feature codes (*91 login, ...) from an operator's phone, by its endpoint."""

    def __init__(self, *, router: Router, settings: SettingsHolder) -> None:
        self._router = router
        self._index = Derived(settings, _operator_index)

    def _operator(self, who: agi.OperatorRef) -> str:
        by_endpoint, by_extension = self._index.get()
        operator_id = by_endpoint.get(who.endpoint.lower())
        if operator_id is None and who.extension:
            operator_id = by_extension.get(who.extension)
        if operator_id is None:
            raise NotFound(f"no operator uses {who.endpoint}")
        return operator_id

    def _do(self, who: agi.OperatorRef, action: str, reason: str | None = None) -> None:
        result = apply_operator_action(self._router, self._operator(who), action, reason)
        if result != "ok":
            raise Conflict(result)

    async def login(self, who: agi.OperatorRef) -> None:
        self._do(who, "login")

    async def logout(self, who: agi.OperatorRef) -> None:
        self._do(who, "logout")

    async def pause(self, who: agi.OperatorRef, reason: str | None) -> None:
        self._do(who, "pause", reason)

    async def unpause(self, who: agi.OperatorRef) -> None:
        self._do(who, "unpause")


def _operator_index(settings: Settings) -> tuple[dict[str, str], dict[str, str]]:
    by_endpoint = {op.endpoint.lower(): op_id for op_id, op in settings.operators.items()}
    by_extension = {
        op.endpoint.split("/", 1)[1].split("@")[0]: op_id
        for op_id, op in settings.operators.items()
    }
    return by_endpoint, by_extension
