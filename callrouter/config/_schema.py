"""The typed shape of callrouter's configuration.

Every section has defaults that work on one machine (loopback Asterisk, embedded
PostgreSQL), so an empty ``callrouter.yml`` is valid. Unknown keys are errors: a typo in
``ring_timout_s`` must not silently fall back to a default.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from callrouter.config._fields import SPAN as _SPAN
from callrouter.config._fields import (
    Name,
    PositiveSeconds,
    ScriptText,
    Seconds,
    TenantRef,
    Weekday,
)
from callrouter.config._fields import Section as _Section
from callrouter.config._fields import check_time_zone as _check_time_zone
from callrouter.config._outbound import (
    CampaignLimits,
    CampaignSettings,
    DialerSettings,
    DispositionSettings,
    RetryRuleSettings,
)
from callrouter.config._tenants import (
    DEFAULT_TENANT,
    TENANT_ID_PATTERN,
    CrmWebhookKind,
    TenantCrmSettings,
    TenantFairnessSettings,
    TenantSettings,
)

__all__ = [
    "MIN_TOKEN_CHARS",
    "AgiSettings",
    "AnnounceSettings",
    "AriSettings",
    "CalendarSettings",
    "CampaignLimits",
    "CampaignSettings",
    "ClusterSettings",
    "CrmSettings",
    "DatabaseSettings",
    "DialerSettings",
    "DispositionSettings",
    "EscalationStep",
    "HttpSettings",
    "LoggingSettings",
    "OperatorSettings",
    "OverflowSettings",
    "QueueSettings",
    "RecordingSettings",
    "RetryRuleSettings",
    "Settings",
    "SimulatorSettings",
    "is_loopback",
]


class AriSettings(_Section):
    url: str = Field("http://127.0.0.1:8088", pattern=r"^https?://")
    username: str = "callrouter"
    password: SecretStr = SecretStr("change-me-ari")
    app: Name = "callrouter"
    request_timeout_s: PositiveSeconds = 5.0
    reconnect_max_s: PositiveSeconds = 30.0


class DatabaseSettings(_Section):
    # No DSN means "start the embedded PostgreSQL in embedded_dir": the zero-setup path.
    dsn: SecretStr | None = None
    embedded_dir: Path = Path("var/pgdata")
    # Rows waiting for PostgreSQL are journalled here (fsync'd in groups) so a crash
    # during an outage loses none; replayed at the next start. Keep it on a local disk.
    spool_dir: Path = Path("var/spool")
    pool_min: int = Field(1, ge=1)
    pool_max: int = Field(10, ge=1)
    migrations_dir: Path | None = None

    @model_validator(mode="after")
    def _pool_bounds(self) -> DatabaseSettings:
        if self.pool_min > self.pool_max:
            raise ValueError("pool_min must not exceed pool_max")
        return self


class AgiSettings(_Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(4573, ge=0, le=65535)
    allow: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = Field(
        default_factory=lambda: [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1")]
    )
    # Sessions served at once; past it a connection is logged and closed at once, so a
    # flood (or a stuck Asterisk) cannot exhaust file descriptors and memory.
    max_connections: int = Field(256, ge=1)


def is_loopback(host: str) -> bool:
    """True when only this machine can reach ``host`` (a name other than localhost may not)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


MIN_TOKEN_CHARS = 16
"""Shortest http.token accepted beyond loopback: 16 random characters resist guessing."""
# Placeholders from samples and docs: whoever copied one never chose a secret.
_SAMPLE_TOKENS = frozenset({"change-me", "changeme", "change_me", "secret", "token", "password"})


class HttpSettings(_Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    token: SecretStr | None = None
    # A second, read-only token (GET only): for a wall screen or a report tool that must
    # not be able to log operators out or dial.
    viewer_token: SecretStr | None = None
    # How others (a CRM on another machine) reach this API, e.g. "https://cc.example.com";
    # links in webhooks use it. Unset: http://<host>:<port>, the host name for 0.0.0.0.
    public_url: str | None = Field(None, pattern=r"^https?://[^/\s]+(/\S*)?$")

    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = socket.gethostname() if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    def token_problem(self) -> str | None:
        """Why the token cannot guard this API, or None.

        On loopback no token is needed. Beyond it, anybody who reaches the port could
        log operators out or dial out at our expense, so the token must be present,
        not a sample placeholder, and at least :data:`MIN_TOKEN_CHARS` long.
        """
        if not self.enabled or is_loopback(self.host):
            return None
        token = self.token.get_secret_value() if self.token is not None else ""
        where = f"the HTTP API listens on {self.host!r}, beyond loopback"
        fix = "set CALLROUTER_HTTP_TOKEN to a random secret (or http.host to 127.0.0.1)"
        if not token:
            return f"{where}, so it needs a token: {fix}"
        if token.strip().lower() in _SAMPLE_TOKENS:
            return f"{where}, and the token is the sample placeholder {token!r}: {fix}"
        if len(token) < MIN_TOKEN_CHARS:
            return (
                f"{where}, and the token has {len(token)} characters (at least"
                f" {MIN_TOKEN_CHARS} needed): {fix}"
            )
        viewer = self.viewer_token.get_secret_value() if self.viewer_token else None
        if viewer is not None and (
            viewer.strip().lower() in _SAMPLE_TOKENS or len(viewer) < MIN_TOKEN_CHARS
        ):
            return f"{where}, and http.viewer_token is a placeholder or too short"
        if viewer is not None and viewer == token:
            return f"{where}, and http.viewer_token equals http.token: it would grant all"
        return None


class ClusterSettings(_Section):
    """Several Asterisk + callrouter pairs sharing one PostgreSQL."""

    # A stable name for this node (rows, claims and webhook deliveries carry it);
    # None: the host name.
    node: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$")
    # Claim each operator in PostgreSQL before ringing them, so two nodes never ring
    # the same operator (one more round trip per ring; off for a single node).
    claim_operators: bool = False


class LoggingSettings(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = "auto"


class AnnounceSettings(_Section):
    position: bool = True
    every_s: Seconds = 45.0
    sound_position: str = "queue-thereare"
    sound_calls_waiting: str = "queue-callswaiting"
    sound_hold_time: str = "queue-holdtime"
    sound_minutes: str = "queue-minutes"
    sound_thank_you: str = "queue-thankyou"


class OverflowSettings(_Section):
    kind: Literal["queue", "context", "callback"]
    target: str = ""

    @model_validator(mode="after")
    def _target_needed(self) -> OverflowSettings:
        if self.kind != "callback" and not self.target:
            raise ValueError(f"overflow of kind {self.kind!r} needs a target")
        return self


class EscalationStep(_Section):
    after_s: Seconds
    max_penalty: int | None = Field(None, ge=0)
    add_queues: list[str] = Field(default_factory=list)


Strategy = Literal["longest_idle", "round_robin", "fewest_calls", "random", "linear", "ring_all"]


class QueueSettings(_Section):
    tenant: TenantRef = DEFAULT_TENANT
    strategy: Strategy = "longest_idle"
    ring_timeout_s: PositiveSeconds = 15.0
    wrapup_s: Seconds = 5.0
    max_waiting: int | None = Field(None, ge=1)
    max_wait_s: PositiveSeconds | None = None
    join_empty: bool = False
    leave_when_empty: bool = False
    overflow: OverflowSettings | None = None
    service_level_s: PositiveSeconds = 20.0
    service_level_target: float = Field(0.8, gt=0, le=1)
    hours: str | None = None
    music_class: str = "default"
    announce: AnnounceSettings = AnnounceSettings()
    callback_key: str | None = Field("*", pattern=r"^[0-9*#]$")
    # Highest operator penalty a fresh caller reaches; escalation steps widen it.
    max_penalty: int | None = Field(None, ge=0)
    escalation: list[EscalationStep] = Field(default_factory=list)
    auto_pause_on_no_answer: bool = True
    # Callers transferred (escalated) into this queue go first among equal priorities.
    escalated_first: bool = False
    recording: Literal["always", "never", "on_demand"] = "always"
    script_url: str | None = None
    # What the operator panel shows the operator to say; {name}, {phone}, {account}, ...
    # are the caller's fields (callrouter.web._script).
    script: ScriptText | None = None


SECRET_HASH_PATTERN = r"^pbkdf2_sha256\$[0-9]{4,7}\$[A-Za-z0-9_-]{8,64}\$[A-Za-z0-9_-]{16,128}$"


class OperatorSettings(_Section):
    name: str = ""
    endpoint: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9]*/.+")
    queues: dict[str, int] = Field(default_factory=dict)
    wrapup_s: Seconds | None = None
    logged_in: bool = False
    # The operator's own secret for the operator panel, hashed: the line printed by
    # `callrouter operators panel-secret` (pbkdf2_sha256$<iterations>$<salt>$<hash>).
    panel_secret_hash: str | None = Field(None, pattern=SECRET_HASH_PATTERN)


class SupervisorSettings(_Section):
    """Someone who may listen to, coach and barge into calls from the wallboard."""

    name: str = ""
    # The phone monitoring rings; unset: the one typed in the wallboard (or the API's).
    endpoint: str | None = Field(None, pattern=r"^[A-Za-z][A-Za-z0-9]*/.+")
    # The supervisor's own secret for the wallboard, hashed as an operator's panel
    # secret is (`callrouter operators panel-secret --supervisor <id>`); without it only
    # http.token signs them in.
    panel_secret_hash: str | None = Field(None, pattern=SECRET_HASH_PATTERN)
    # A tenant's own supervisor sees and monitors only that tenant's calls; unset: the
    # center's, who sees every call.
    tenant: TenantRef | None = None


class CalendarSettings(_Section):
    tenant: TenantRef = DEFAULT_TENANT
    timezone: str = "UTC"
    weekly: dict[Weekday, list[str]] = Field(default_factory=dict)
    holidays: list[dt.date] = Field(default_factory=list)
    closed_sound: str = "vm-goodbye"

    @field_validator("weekly")
    @classmethod
    def _spans(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, spans in value.items():
            for span in spans:
                if not _SPAN.match(span):
                    raise ValueError(f"{day}: {span!r} is not HH:MM-HH:MM")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _check_time_zone(value)


class RecordingSettings(_Section):
    format: Literal["wav", "gsm", "ulaw", "sln"] = "wav"
    retention_days: int = Field(90, ge=1)
    max_duration_s: int = Field(0, ge=0)
    # How often the service purges recordings past retention_days (store/retention.py);
    # 0: never (only `callrouter recordings purge` does).
    purge_interval_s: Seconds = 3600.0


class CrmSettings(_Section):
    webhooks: dict[CrmWebhookKind, str] = Field(default_factory=dict)
    secret: SecretStr | None = None
    timeout_s: PositiveSeconds = 5.0
    max_attempts: int = Field(5, ge=1)


class SimulatorSettings(_Section):
    """What `callrouter simulate` generates against the simulated Asterisk."""

    # 0: any free port, so the demo never collides with a real Asterisk on 8088.
    port: int = Field(0, ge=0, le=65535)
    time_scale: float = Field(1.0, gt=0)
    calls_per_minute: float = Field(6.0, ge=0)
    talk_s: PositiveSeconds = 40.0
    operator_answer_s: Seconds = 2.0
    dids: list[str] = Field(default_factory=lambda: ["100"])


class ReportSettings(_Section):
    """How figures are cut: the call center's day starts at midnight in ``timezone``."""

    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _check_time_zone(value)


class Settings(_Section):
    ari: AriSettings = AriSettings()
    database: DatabaseSettings = DatabaseSettings()
    agi: AgiSettings = AgiSettings()
    http: HttpSettings = HttpSettings()
    logging: LoggingSettings = LoggingSettings()
    cluster: ClusterSettings = ClusterSettings()
    queues: dict[Name, QueueSettings] = Field(default_factory=dict)
    operators: dict[Name, OperatorSettings] = Field(default_factory=dict)
    supervisors: dict[Name, SupervisorSettings] = Field(default_factory=dict)
    routes: dict[str, Name] = Field(default_factory=dict)
    calendars: dict[Name, CalendarSettings] = Field(default_factory=dict)
    recording: RecordingSettings = RecordingSettings()
    dialer: DialerSettings = DialerSettings()
    campaigns: dict[Name, CampaignSettings] = Field(default_factory=dict)
    crm: CrmSettings = CrmSettings()
    reports: ReportSettings = ReportSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    tenants: dict[Annotated[str, Field(pattern=TENANT_ID_PATTERN)], TenantSettings] = Field(
        default_factory=dict
    )
    tenant_fairness: TenantFairnessSettings = TenantFairnessSettings()

    def tenant_of_queue(self, queue: str) -> str:
        """The queue's tenant; a call with no (or no longer a) queue is the default's."""
        settings = self.queues.get(queue)
        return settings.tenant if settings is not None else DEFAULT_TENANT

    def tenant_crms(self) -> dict[str, TenantCrmSettings]:
        """The tenants with a CRM of their own (the others' calls go to ``crm``)."""
        return {tenant: t.crm for tenant, t in self.tenants.items() if t.crm is not None}

    def tenant_retention_days(self) -> dict[str, int]:
        """The tenants' own recording retention (the others keep ``recording.retention_days``)."""
        return {
            tenant: t.recording_retention_days
            for tenant, t in self.tenants.items()
            if t.recording_retention_days is not None
        }

    def tenants_of_operator(self, operator_id: str) -> frozenset[str]:
        """The tenants an operator serves: those of their queues."""
        operator = self.operators[operator_id]
        return frozenset(
            self.queues[q].tenant if q in self.queues else DEFAULT_TENANT for q in operator.queues
        )
