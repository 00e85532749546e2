"""Campaigns to blend into a plan, as the service's configuration defines them.

The dialer shell's own translations make them (``plan_from_settings``: the campaign's
settings over the ``dialer`` section's; ``pacing_config``: how the pacing core is
configured for it), so a planned campaign paces exactly as the running one would.
"""

from __future__ import annotations

from collections.abc import Sequence

from callrouter.config import Settings
from callrouter.dialer import PacingMode
from callrouter.errors import InvalidInput
from callrouter.planning._campaign import Campaign

__all__ = ["configured_campaigns"]


def configured_campaigns(
    settings: Settings,
    names: Sequence[str],
    *,
    answer_after_s: tuple[float, float],
    give_up_after_s: tuple[float, float],
    amd_s: float,
) -> tuple[Campaign, ...]:
    # Imported here: the dialer shell's plans live in the service's package.
    from callrouter.calls import pacing_config, plan_from_settings

    campaigns = []
    for name in names:
        configured = settings.campaigns.get(name)
        plan = (
            None
            if configured is None
            else plan_from_settings(
                settings, name=name, campaign_id=None, mode=PacingMode(configured.mode)
            )
        )
        if plan is None:
            known = ", ".join(sorted(settings.campaigns)) or "none"
            raise InvalidInput(f"no campaign {name!r} in the configuration (configured: {known})")
        if not plan.caller_id:
            raise InvalidInput(
                f"campaign {name} has no caller_id (nor dialer.caller_id): the dialer would "
                "not dial it"
            )
        campaigns.append(
            Campaign(
                name=name,
                queue=plan.queue,
                pacing=pacing_config(plan),
                abandon_after_s=plan.abandon_after_s,
                abandon_window_s=plan.abandon_window_s,
                inbound_reserve=plan.inbound_reserve,
                answer_after_s=answer_after_s,
                give_up_after_s=give_up_after_s,
                amd_s=amd_s,
            )
        )
    return tuple(campaigns)
