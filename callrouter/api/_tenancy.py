"""What a tenant's token may do on the HTTP API, decided once for every route.

A request whose bearer token is one of ``tenants.<id>.tokens`` acts as that tenant:

1. Its route must be one a tenant may use (:data:`TENANT_ROUTES`); any other (metrics,
   staffing plans, the operators report, a route added later and not listed) answers
   403. A new endpoint is therefore closed to tenants until someone decides it is safe.
2. Every database connection its handler takes is a tenant connection
   (``store.tenants.TenantPool``): PostgreSQL's row-level security hides other tenants'
   calls, events, recordings, campaigns, leads, attempts, customers and callbacks even
   from a handler that forgets to filter.
3. Before the handler runs, every input it names is checked by its *field name*,
   whatever the route: a ``call_id``, ``attempt_id``, ``campaign_id`` or ``lead_id``
   must be a row the tenant can see, a ``queue`` or ``campaign`` (name) must be one of
   the tenant's in the configuration, an ``operator_id`` an operator serving one of its
   queues, a ``tenant`` the token's own. Anything else answers 404, exactly like an id
   that does not exist, so a tenant cannot even learn that another's call exists. The
   path is checked before the query and the body are even read: another tenant's call
   is 404 whatever they say.

The tenants' tokens are read from the configuration in force for every request
(``ApiDeps.tenants``): a reload adds and removes them at once.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel

from callrouter.config import DEFAULT_TENANT, Settings
from callrouter.errors import NotFound
from callrouter.store import DbConnection
from callrouter.store.tenants import ConnectionSource, row_visible

__all__ = ["TENANT_ROUTES", "TenantAccess", "check_inputs"]

_V1 = "/api/v1"
TENANT_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", f"{_V1}/operators"),
        *(
            ("POST", f"{_V1}/operators/{{operator_id}}/{a}")
            for a in ("login", "logout", "pause", "unpause")
        ),
        ("POST", f"{_V1}/calls"),
        ("GET", f"{_V1}/calls"),
        ("GET", f"{_V1}/calls/{{call_id}}"),
        ("GET", f"{_V1}/calls/{{call_id}}/recording"),
        *(("POST", f"{_V1}/calls/{{call_id}}/recording/{v}") for v in ("start", "pause", "resume")),
        ("POST", f"{_V1}/calls/{{call_id}}/transfer"),
        # Call control on its own calls: a tenant's supervisor or CRM transfers, consults
        # and monitors them (the targets named in the body are checked as its own).
        *(
            ("POST", f"{_V1}/calls/{{call_id}}/{step}")
            for step in (
                "transfer/blind",
                "consult",
                "consult/complete",
                "consult/conference",
                "consult/cancel",
                "monitor",
                "monitor/{monitor_id}/mode",
                "monitor/{monitor_id}/stop",
            )
        ),
        ("GET", f"{_V1}/queues"),
        ("GET", f"{_V1}/callbacks"),
        ("POST", f"{_V1}/callbacks"),
        ("POST", f"{_V1}/campaigns/{{campaign}}/next-lead"),
        ("POST", f"{_V1}/attempts/{{attempt_id}}/disposition"),
        # The operators report reads every operator's state log, which is not a
        # tenant's: it stays the center's.
        ("GET", f"{_V1}/reports/queues"),
        ("GET", f"{_V1}/reports/campaigns"),
        # Cards and do-not-call lists are per tenant (api/_customer_routes.py).
        ("GET", f"{_V1}/customers"),
        ("GET", f"{_V1}/customers/{{phone}}"),
        ("POST", f"{_V1}/customers"),
        ("GET", f"{_V1}/dnc"),
        ("POST", f"{_V1}/dnc"),
        ("POST", f"{_V1}/dnc/remove"),
    }
)
"""(method, path) of the routes a tenant's token may use; the rest answer it 403."""

# Inputs naming a row: the table PostgreSQL checks it in (under the tenant's policy).
_ROW_INPUTS: Mapping[str, str] = {
    "call_id": "calls",
    "attempt_id": "attempts",
    "campaign_id": "campaigns",
    "lead_id": "leads",
}


@dataclass(frozen=True, slots=True)
class TenantAccess:
    """The tenants' tokens and what each tenant owns, from the configuration."""

    # Bytes for hmac.compare_digest; kept out of repr, as the admin token is.
    tokens: tuple[tuple[bytes, str], ...] = field(repr=False)
    queue_tenants: Mapping[str, str]
    campaign_tenants: Mapping[str, str]
    operator_tenants: Mapping[str, frozenset[str]]
    # Every configured tenant, ``default`` included.
    known_tenants: frozenset[str] = frozenset({DEFAULT_TENANT})

    @classmethod
    def from_settings(cls, settings: Settings) -> TenantAccess:
        return cls(
            tokens=tuple(
                (secret.get_secret_value().encode(), tenant_id)
                for tenant_id, tenant in settings.tenants.items()
                for secret in tenant.tokens
            ),
            queue_tenants={name: q.tenant for name, q in settings.queues.items()},
            campaign_tenants={name: c.tenant for name, c in settings.campaigns.items()},
            operator_tenants={op: settings.tenants_of_operator(op) for op in settings.operators},
            known_tenants=frozenset({DEFAULT_TENANT, *settings.tenants}),
        )

    def tenant_of_token(self, sent: bytes) -> str | None:
        found = None
        for token, tenant in self.tokens:  # every one compared: no timing hint
            if hmac.compare_digest(sent, token):
                found = tenant
        return found

    def owns_queue(self, tenant: str, queue: str) -> bool:
        return self.queue_tenants.get(queue) == tenant

    def serves(self, tenant: str, operator_id: str) -> bool:
        return tenant in self.operator_tenants.get(operator_id, frozenset())


async def check_inputs(
    access: TenantAccess,
    tenant: str,
    pool: ConnectionSource,
    parts: tuple[BaseModel | None, ...],
    live_call_tenant: Callable[[str], str | None] = lambda call_id: None,
) -> None:
    """NotFound unless every input of the request names something ``tenant`` owns.

    A call in progress is checked against the call itself (``live_call_tenant``): its
    row may not be written yet, as rows are written in batches."""
    for part in parts:
        if part is None:
            continue
        for name, value in part.model_dump().items():
            if value is None:
                continue
            if name == "call_id" and (owner := live_call_tenant(str(value))) is not None:
                if owner != tenant:
                    raise NotFound(f"no call {value}")
                continue
            await _check_one(access, tenant, pool, name, value)


async def _check_one(
    access: TenantAccess, tenant: str, pool: ConnectionSource, name: str, value: object
) -> None:
    if name in ("queue", "campaign"):
        owners = access.queue_tenants if name == "queue" else access.campaign_tenants
        if owners.get(str(value)) != tenant:
            raise NotFound(f"no {name} {value!r}")
    elif name == "tenant":
        if value != tenant:  # a tenant's token names only itself
            raise NotFound(f"no tenant {value!r}")
    elif name == "operator_id":
        if not access.serves(tenant, str(value)):
            raise NotFound(f"no operator {value!r}")
    elif name in _ROW_INPUTS:
        async with pool.acquire(timeout=5.0) as conn:
            if not await _visible(conn, _ROW_INPUTS[name], value):
                raise NotFound(f"no {name.removesuffix('_id')} {value}")


async def _visible(conn: DbConnection, table: str, value: object) -> bool:
    if table == "calls":
        try:
            value = uuid.UUID(str(value))
        except ValueError:
            # A prefix or a channel id (GET /calls/{call_id}): the lookup itself runs
            # on the tenant's connection, where another tenant's call does not exist.
            return True
    return await row_visible(conn, table, value)
