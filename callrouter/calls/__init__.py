"""The imperative shell: ARI events in, routing-core decisions out, rows written."""

from callrouter.calls._acd_config import acd_config_from_settings
from callrouter.calls._clock import Clock, SystemClock
from callrouter.calls._dialer_plan import pacing_config, plan_from_settings
from callrouter.calls.service import CallrouterService, ServiceParts

__all__ = [
    "CallrouterService",
    "Clock",
    "ServiceParts",
    "SystemClock",
    "acd_config_from_settings",
    "pacing_config",
    "plan_from_settings",
]
