"""Tenants: the client companies an outsourcing call center serves from one callrouter.

A tenant owns queues, campaigns and calendars (each names its ``tenant``; unnamed ones
belong to :data:`DEFAULT_TENANT`, so a configuration written before tenants existed
keeps working unchanged). A DID belongs to the tenant of the queue it routes to. An
operator serves the tenants of their queues: one, or several (a shared pool).

Each tenant has its own API tokens (secrets, so ``${ENV}`` in the file), which see
only that tenant's rows (``callrouter.store.tenants``), and may have its own CRM
(``callrouter.crm``: its calls' webhooks go there, signed with its secret) and its own
recording retention (``callrouter.store.retention``). The cross-checks (a queue naming
an unknown tenant, a campaign whose queue belongs to another tenant, a token used
twice) run in :func:`tenant_problems`, which the loader reports with file, line and
field like every other problem. Between the callers of several tenants, an operator
shared by them follows ``tenant_fairness.mode`` with each tenant's ``priority`` and
``weight`` (README "Fairness between tenants"; the rule itself is
``callrouter.acd._tenant_fairness``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = [
    "DEFAULT_TENANT",
    "TENANT_ID_PATTERN",
    "CrmWebhookKind",
    "TenantCrmSettings",
    "TenantFairnessMode",
    "TenantFairnessSettings",
    "TenantSettings",
    "tenant_problems",
]

DEFAULT_TENANT = "default"
"""The tenant of everything that names none: a single-company center has only this one."""
TENANT_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,30}$"
TenantId = Annotated[str, Field(pattern=TENANT_ID_PATTERN)]
_MIN_TENANT_TOKEN_CHARS = 16

FieldPath = tuple[str, ...]
# The events a CRM can be sent (``crm.webhooks`` and a tenant's own): callrouter.crm.EVENTS.
CrmWebhookKind = Literal["offered", "answered", "ended", "callback", "transferred"]
# none: tenants do not matter (one line across them, as in a single-tenant center).
TenantFairnessMode = Literal["none", "priority", "sla_risk", "weighted"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TenantCrmSettings(_Section):
    """The tenant's own CRM: where its calls' webhooks go, signed with its secret.

    Given, it replaces ``crm.webhooks`` and ``crm.secret`` for the tenant's calls (an
    event it leaves out is not sent, never sent to the center's CRM instead); the
    center's ``crm.timeout_s`` and ``crm.max_attempts`` apply to every CRM.
    """

    webhooks: dict[CrmWebhookKind, str] = Field(default_factory=dict)
    secret: SecretStr | None = None


class TenantSettings(_Section):
    name: str = ""
    # Bearer tokens that act as this tenant on the HTTP API and the wallboard: several,
    # so a token can be rotated (add the new one, reload, remove the old one later).
    tokens: list[SecretStr] = Field(default_factory=list)
    crm: TenantCrmSettings | None = None
    # None: recording.retention_days.
    recording_retention_days: int | None = Field(None, ge=1)
    # Fairness between tenants: higher first in mode "priority"; the share of a shared
    # operator's calls in mode "weighted".
    priority: int = 0
    weight: int = Field(1, ge=1)


class TenantFairnessSettings(_Section):
    """How an operator shared by several tenants chooses between their callers."""

    mode: TenantFairnessMode = "none"


def tenant_problems(
    *,
    tenants: Mapping[str, TenantSettings],
    queue_tenants: Mapping[str, str],
    campaign_queues: Mapping[str, tuple[str, str]],
    calendar_tenants: Mapping[str, str],
    queue_calendars: Mapping[str, str | None],
    admin_tokens: list[str],
    supervisor_tenants: Mapping[str, str | None] | None = None,
) -> list[tuple[FieldPath, str]]:
    """Tenant references that point at nothing or cross a tenant's border.

    ``campaign_queues`` maps a campaign to (its tenant, its queue);
    ``queue_calendars`` a queue to its calendar (``hours``).
    """
    known = set(tenants) | {DEFAULT_TENANT}
    found: list[tuple[FieldPath, str]] = []
    for queue, tenant in queue_tenants.items():
        if tenant not in known:
            found.append((("queues", queue, "tenant"), f"unknown tenant {tenant!r}"))
        calendar = queue_calendars.get(queue)
        if calendar is not None and calendar_tenants.get(calendar, tenant) not in (
            tenant,
            DEFAULT_TENANT,
        ):
            message = f"calendar {calendar!r} belongs to tenant {calendar_tenants[calendar]!r}"
            found.append((("queues", queue, "hours"), message))
    for calendar, tenant in calendar_tenants.items():
        if tenant not in known:
            found.append((("calendars", calendar, "tenant"), f"unknown tenant {tenant!r}"))
    for supervisor, owner in (supervisor_tenants or {}).items():
        if owner is not None and owner not in known:
            found.append((("supervisors", supervisor, "tenant"), f"unknown tenant {owner!r}"))
    for campaign, (tenant, queue) in campaign_queues.items():
        if tenant not in known:
            found.append((("campaigns", campaign, "tenant"), f"unknown tenant {tenant!r}"))
        elif queue in queue_tenants and queue_tenants[queue] != tenant:
            message = f"queue {queue!r} belongs to tenant {queue_tenants[queue]!r}, not {tenant!r}"
            found.append((("campaigns", campaign, "queue"), message))
    seen: dict[str, str] = {token: "http.token" for token in admin_tokens if token}
    for tenant_id, settings in tenants.items():
        for index, secret in enumerate(settings.tokens):
            token = secret.get_secret_value()
            path = ("tenants", tenant_id, "tokens", str(index))
            if len(token) < _MIN_TENANT_TOKEN_CHARS:
                message = f"a tenant token needs at least {_MIN_TENANT_TOKEN_CHARS} characters"
                found.append((path, message))
            elif token in seen:
                found.append((path, f"the same token as {seen[token]}: one token, one tenant"))
            else:
                seen[token] = ".".join(path)
    return found
