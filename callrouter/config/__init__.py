"""Configuration: YAML files validated into one typed :class:`Settings` object."""

from callrouter.config._loader import DEFAULT_CONFIG_PATH, config_files, load_settings
from callrouter.config._schema import (
    AgiSettings,
    AnnounceSettings,
    AriSettings,
    CalendarSettings,
    CrmSettings,
    DatabaseSettings,
    DialerSettings,
    EscalationStep,
    HttpSettings,
    LoggingSettings,
    OperatorSettings,
    OverflowSettings,
    QueueSettings,
    RecordingSettings,
    Settings,
    SimulatorSettings,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "AgiSettings",
    "AnnounceSettings",
    "AriSettings",
    "CalendarSettings",
    "CrmSettings",
    "DatabaseSettings",
    "DialerSettings",
    "EscalationStep",
    "HttpSettings",
    "LoggingSettings",
    "OperatorSettings",
    "OverflowSettings",
    "QueueSettings",
    "RecordingSettings",
    "Settings",
    "SimulatorSettings",
    "config_files",
    "load_settings",
]
