"""``/api/v1/customers`` and ``/api/v1/dnc``: customer cards and the do-not-call lists.

Cards belong to a tenant (migration 017): a tenant's token reads and writes its own; the
center's token names one with ``tenant`` (the tenant ``default`` when it names none).
Do-not-call entries are the center's (a tenant token never adds or removes those) or
one tenant's: the center's token changes the center's list unless it names a
``tenant``, a tenant's token its own list; listing shows a tenant its own entries and
the center's, which block its campaigns too. A tenant's token naming another tenant
gets 404, as for any input it does not own (``api/_tenancy.py``).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from callrouter.api._handlers import API_PREFIX, db_connection
from callrouter.api._models import MAX_LIST_LIMIT, Name, _In, _Out
from callrouter.api._report_routes import REPORT_SETTINGS
from callrouter.api._table import Inputs, Route
from callrouter.config import DEFAULT_TENANT
from callrouter.config._tenants import TENANT_ID_PATTERN
from callrouter.dialer import NumberRejected, normalize_number
from callrouter.dialer import store as dialer_store
from callrouter.errors import InvalidInput, NotFound
from callrouter.store import customers as cards
from callrouter.store.directory import find_customer, upsert_customer

__all__ = ["CUSTOMER_ROUTES"]

Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Tenant = Annotated[
    str | None,
    Field(
        None,
        pattern=TENANT_ID_PATTERN,
        description="The center's token: whose cards or list (a tenant's token: its own)",
    ),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Priority = Annotated[int, Field(ge=-cards.MAX_PRIORITY, le=cards.MAX_PRIORITY)]
MAX_DNC_NUMBERS = 10_000


class CustomersQuery(_In):
    tier: Name | None = None
    limit: int = Field(100, ge=1, le=MAX_LIST_LIMIT)
    tenant: Tenant = None


class CustomerQuery(_In):
    tenant: Tenant = None


class CustomerPath(_In):
    phone: Phone = Field(description="As stored or as typed (normalised like a caller number)")


class CustomerIn(_In):
    phone: Phone = Field(description="Without +country, dialer.default_region")
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
    tier: Name = cards.DEFAULT_TIER
    priority: Priority | None = Field(
        None, description="Higher is answered first; default the tier's: vip/gold 10, silver 5"
    )
    account: Text | None = None
    notes: Text | None = None
    tenant: Tenant = None


class CustomerOut(_Out):
    id: int
    tenant: str
    phone: str
    name: str
    tier: str
    priority: int
    account: str | None
    notes: str | None


class CustomerList(_Out):
    customers: list[CustomerOut]


class CustomerSaved(CustomerOut):
    created: bool = Field(description="False: the tenant's card of this phone was replaced")


class DncQuery(_In):
    contains: Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{1,20}$")] | None = None
    limit: int = Field(100, ge=1, le=MAX_LIST_LIMIT)


class DncEntryOut(_Out):
    phone: str
    tenant: str | None = Field(description="null: the center's list, checked for every tenant")
    reason: str | None
    source: str | None
    added_at: datetime
    expires_at: datetime | None


class DncListOut(_Out):
    total: int
    entries: list[DncEntryOut]


class DncIn(_In):
    numbers: list[Phone] = Field(min_length=1, max_length=MAX_DNC_NUMBERS)
    reason: Text | None = None
    expires_at: AwareDatetime | None = Field(None, description="When the entries lapse")
    tenant: Tenant = None


class DncRejectedOut(_Out):
    line: int
    raw: str
    message: str


class DncWriteOut(_Out):
    added: int
    updated: int
    rejected: list[DncRejectedOut]


class DncRemoveIn(_In):
    numbers: list[Phone] = Field(min_length=1, max_length=MAX_DNC_NUMBERS)
    tenant: Tenant = None


class DncRemoveOut(_Out):
    removed: list[str]
    not_found: list[str]


def _region(inp: Inputs) -> str | None:
    source = inp.request.app.get(REPORT_SETTINGS)
    return (source().dialer.default_region or None) if source is not None else None


def _known(inp: Inputs, tenant: str) -> str:
    access = inp.deps.access or inp.deps.tenants()  # the center's request: as configured now
    if tenant != DEFAULT_TENANT and (access is None or tenant not in access.known_tenants):
        raise NotFound(f"no tenant {tenant!r}")
    return tenant


def _cards_of(inp: Inputs, named: str | None) -> str:
    """Whose cards: the token's tenant, else the one named, else ``default``."""
    return _known(inp, inp.deps.tenant or named or DEFAULT_TENANT)


def _list_of(inp: Inputs, named: str | None) -> str | None:
    """Whose do-not-call list: the token's tenant, else the one named, else the center's."""
    tenant = inp.deps.tenant or named
    return _known(inp, tenant) if tenant is not None else None


async def list_customers(inp: Inputs) -> CustomerList:
    query = inp.query_as(CustomersQuery)
    async with db_connection(inp, "cannot list customers") as conn:
        rows = await cards.list_customers(
            conn, tenant=_cards_of(inp, query.tenant), limit=query.limit,
            tier=query.tier.lower() if query.tier else None,
        )  # fmt: skip
    return CustomerList(customers=[CustomerOut.model_validate(dict(r)) for r in rows])


async def get_customer(inp: Inputs) -> CustomerOut:
    phone = inp.path_as(CustomerPath).phone
    tenant = _cards_of(inp, inp.query_as(CustomerQuery).tenant)
    async with db_connection(inp, "cannot read the customer") as conn:
        card = await find_customer(conn, phone, tenant=tenant, region=_region(inp))
    if card is None:
        raise NotFound(f"no customer with phone {phone}")
    return CustomerOut.model_validate({**asdict(card), "tenant": tenant})


async def save_customer(inp: Inputs) -> CustomerSaved:
    body = inp.body_as(CustomerIn)
    tenant = _cards_of(inp, body.tenant)
    number = normalize_number(body.phone, region=_region(inp), require_valid=True)
    if isinstance(number, NumberRejected):
        raise InvalidInput(f"phone {body.phone!r}: {number.message}")
    tier = body.tier.lower()
    priority = body.priority if body.priority is not None else cards.priority_for_tier(tier)
    async with db_connection(inp, "cannot save the customer") as conn, conn.transaction():
        existed = await cards.customer_exists(conn, number.e164, tenant=tenant)
        customer_id = await upsert_customer(
            conn, phone=number.e164, name=body.name, tenant=tenant, tier=tier,
            priority=priority, account=body.account, notes=body.notes,
        )  # fmt: skip
    return CustomerSaved(
        id=customer_id, tenant=tenant, phone=number.e164, name=body.name, tier=tier,
        priority=priority, account=body.account, notes=body.notes, created=not existed,
    )  # fmt: skip


async def list_dnc(inp: Inputs) -> DncListOut:
    query = inp.query_as(DncQuery)
    async with db_connection(inp, "cannot list the do-not-call entries") as conn:
        total, rows = await dialer_store.list_dnc(conn, contains=query.contains, limit=query.limit)
    return DncListOut(total=total, entries=[DncEntryOut.model_validate(dict(r)) for r in rows])


async def add_dnc(inp: Inputs) -> DncWriteOut:
    body = inp.body_as(DncIn)
    async with db_connection(inp, "cannot add to the do-not-call list") as conn:
        result = await dialer_store.add_dnc(
            conn, body.numbers, tenant=_list_of(inp, body.tenant), region=_region(inp),
            reason=body.reason, source="api", expires_at=body.expires_at,
        )  # fmt: skip
    return DncWriteOut.model_validate(result.as_dict())


async def remove_dnc(inp: Inputs) -> DncRemoveOut:
    body = inp.body_as(DncRemoveIn)
    async with db_connection(inp, "cannot remove from the do-not-call list") as conn:
        removed, missing = await dialer_store.remove_dnc(
            conn, body.numbers, tenant=_list_of(inp, body.tenant), region=_region(inp)
        )
    return DncRemoveOut(removed=removed, not_found=missing)


CUSTOMER_ROUTES: tuple[Route, ...] = (
    Route(
        "GET", f"{API_PREFIX}/customers", "Customer cards, highest priority first",
        list_customers, tag="customers", response=CustomerList, query=CustomersQuery,
        errors=(404, 502),
    ),
    Route(
        "GET", f"{API_PREFIX}/customers/{{phone}}", "The card of a phone number",
        get_customer, tag="customers", response=CustomerOut, path_params=CustomerPath,
        query=CustomerQuery, errors=(404, 502),
    ),
    Route(
        "POST", f"{API_PREFIX}/customers",
        "Create or replace a card: the caller's name, tier and priority in the queue",
        save_customer, tag="customers", response=CustomerSaved, body=CustomerIn,
        errors=(404, 502),
    ),
    Route(
        "GET", f"{API_PREFIX}/dnc", "Do-not-call entries, by number", list_dnc, tag="dnc",
        response=DncListOut, query=DncQuery, errors=(502,),
    ),
    Route(
        "POST", f"{API_PREFIX}/dnc", "Put numbers on a do-not-call list", add_dnc, tag="dnc",
        response=DncWriteOut, body=DncIn, errors=(404, 502),
    ),
    Route(
        "POST", f"{API_PREFIX}/dnc/remove", "Take numbers off a do-not-call list", remove_dnc,
        tag="dnc", response=DncRemoveOut, body=DncRemoveIn, errors=(404, 502),
    ),
)  # fmt: skip
"""Every route here is open to a tenant's token (``TENANT_ROUTES`` lists them)."""
