"""Settings (what ops write in YAML) -> AcdConfig (what the routing core understands)."""

from __future__ import annotations

from callrouter.acd import (
    AcdConfig,
    AnnouncePolicy,
    AnnounceSounds,
    Calendar,
    EscalationStep,
    OperatorSpec,
    OverflowTarget,
    QueuePolicy,
    TenantFairness,
    TenantShare,
)
from callrouter.config import QueueSettings, Settings

__all__ = ["acd_config_from_settings"]


def _queue_policy(name: str, queue: QueueSettings) -> QueuePolicy:
    announce = queue.announce
    return QueuePolicy(
        name=name,
        tenant=queue.tenant,
        strategy=queue.strategy,
        ring_timeout_s=queue.ring_timeout_s,
        wrapup_s=queue.wrapup_s,
        max_waiting=queue.max_waiting,
        max_wait_s=queue.max_wait_s,
        join_empty=queue.join_empty,
        leave_when_empty=queue.leave_when_empty,
        overflow=(
            OverflowTarget(queue.overflow.kind, queue.overflow.target) if queue.overflow else None
        ),
        service_level_s=queue.service_level_s,
        calendar=queue.hours,
        music_class=queue.music_class,
        announce=AnnouncePolicy(
            position=announce.position,
            every_s=announce.every_s,
            sounds=AnnounceSounds(
                position=announce.sound_position,
                calls_waiting=announce.sound_calls_waiting,
                hold_time=announce.sound_hold_time,
                minutes=announce.sound_minutes,
                thank_you=announce.sound_thank_you,
            ),
        ),
        max_penalty=queue.max_penalty,
        escalation=[
            EscalationStep(after_s=s.after_s, max_penalty=s.max_penalty, add_queues=s.add_queues)
            for s in queue.escalation
        ],
        auto_pause_on_no_answer=queue.auto_pause_on_no_answer,
        escalated_first=queue.escalated_first,
        recording=queue.recording,
    )


def acd_config_from_settings(settings: Settings) -> AcdConfig:
    return AcdConfig(
        queues=[_queue_policy(name, q) for name, q in settings.queues.items()],
        operators=[
            OperatorSpec(
                operator_id=op_id,
                endpoint=op.endpoint,
                queues=op.queues,
                wrapup_s=op.wrapup_s,
                logged_in=op.logged_in,
            )
            for op_id, op in settings.operators.items()
        ],
        calendars={
            name: Calendar(
                timezone=cal.timezone,
                weekly=cal.weekly,
                holidays=frozenset(cal.holidays),
                closed_sound=cal.closed_sound,
            )
            for name, cal in settings.calendars.items()
        },
        fairness=TenantFairness(
            mode=settings.tenant_fairness.mode,
            tenants={
                tenant_id: TenantShare(priority=tenant.priority, weight=tenant.weight)
                for tenant_id, tenant in settings.tenants.items()
            },
        ),
    )
