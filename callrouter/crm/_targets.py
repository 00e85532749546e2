"""Where a call's webhooks go: its tenant's own CRM, else the center's.

Rules:

- A tenant with ``crm`` in its settings has a CRM of its own: every webhook of its calls
  goes to ``tenants.<id>.crm.webhooks`` and is signed with ``tenants.<id>.crm.secret``.
  An event it configures no URL for is not sent at all: a tenant's call never reaches
  the center's CRM, nor another tenant's.
- Every other tenant (``default`` included, unless it names a ``crm`` too) shares the
  center's CRM: ``crm.webhooks``, signed with ``crm.secret``.
- ``crm.timeout_s`` and ``crm.max_attempts`` hold for every CRM.

Each CRM is a :class:`CrmTarget` with its own request slots and its own backlog bound in
the notifier, so one CRM that is down or slow neither holds the requests nor fills the
backlog of another: its own calls' deliveries wait and retry, the others' go on.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from pydantic import SecretStr
from yarl import URL

from callrouter.config import DEFAULT_TENANT, CrmSettings, CrmWebhookKind, TenantCrmSettings
from callrouter.errors import ConfigError, ConfigProblem
from callrouter.log import register_secret

__all__ = ["CENTER", "CrmTarget", "CrmTargets"]

CENTER = ""
"""The key of the center's own CRM (``crm``), shared by the tenants without one."""


@dataclass(frozen=True, slots=True)
class CrmTarget:
    """One CRM: where each event goes and the key its requests are signed with."""

    key: str  # CENTER, or the tenant whose own CRM this is
    webhooks: Mapping[str, str]
    secret: str | None = field(repr=False)

    @property
    def setting(self) -> str:
        """Where it is configured, for warnings and errors: ``crm`` or ``tenants.<id>.crm``."""
        return "crm" if self.key == CENTER else f"tenants.{self.key}.crm"


class CrmTargets:
    """The center's CRM and the tenants' own, from the settings; ConfigError for a URL
    that is not http(s). Secrets are registered with the log's redaction at once."""

    def __init__(
        self, center: CrmSettings, tenants: Mapping[str, TenantCrmSettings] | None = None
    ) -> None:
        self.center = _target(CENTER, center.webhooks, center.secret)
        self._own = {
            tenant: _target(tenant, crm.webhooks, crm.secret)
            for tenant, crm in (tenants or {}).items()
        }
        problems = [problem for target in self for problem in _url_problems(target)]
        if problems:
            raise ConfigError(problems)

    def __iter__(self) -> Iterator[CrmTarget]:
        yield self.center
        yield from self._own.values()

    def of_tenant(self, tenant: str) -> CrmTarget:
        """The CRM a call of ``tenant`` is reported to."""
        return self._own.get(tenant or DEFAULT_TENANT, self.center)


def _target(
    key: str, webhooks: Mapping[CrmWebhookKind, str], secret: SecretStr | None
) -> CrmTarget:
    value = None if secret is None else secret.get_secret_value()
    register_secret(value)
    return CrmTarget(key=key, webhooks={str(event): url for event, url in webhooks.items()},
                     secret=value)  # fmt: skip


def _url_problems(target: CrmTarget) -> list[ConfigProblem]:
    problems = []
    for event, url in target.webhooks.items():
        try:
            parsed = URL(url)
            ok = parsed.scheme in ("http", "https") and bool(parsed.host)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            field_path = f"{target.setting}.webhooks.{event}"
            problems.append(ConfigProblem("<settings>", None, field_path, "not an http(s) URL"))
    return problems
