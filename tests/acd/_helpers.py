"""Small helpers for driving the ACD engine in tests: a clock and a recorder."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from callrouter.acd import (
    AcdCommand,
    AcdConfig,
    AcdEngine,
    AcdEvent,
    CallRecord,
    OperatorSpec,
    QueuePolicy,
    RingOperator,
    Tick,
)

T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def t(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def op(op_id: str, **queues: int) -> OperatorSpec:
    return OperatorSpec(op_id, f"PJSIP/{op_id}", queues, logged_in=True)


def rings(commands: Iterable[AcdCommand]) -> list[tuple[str, str]]:
    return [(c.call_id, c.operator_id) for c in commands if isinstance(c, RingOperator)]


C = TypeVar("C")


def of(kind: type[C], commands: Iterable[AcdCommand]) -> list[C]:
    return [c for c in commands if isinstance(c, kind)]


@dataclass
class Harness:
    engine: AcdEngine
    log: list[AcdCommand] = field(default_factory=list)

    @classmethod
    def build(
        cls, queues: list[QueuePolicy], operators: list[OperatorSpec], **kwargs: object
    ) -> Harness:
        config = AcdConfig(queues=queues, operators=operators, **kwargs)  # type: ignore[arg-type]
        return cls(AcdEngine(config, start=T0))

    def __call__(self, event: AcdEvent) -> list[AcdCommand]:
        out = self.engine.handle(event)
        self.log.extend(out)
        return out

    def tick(self, seconds: float) -> list[AcdCommand]:
        return self(Tick(t(seconds)))

    def outcome(self, call_id: str) -> str | None:
        finals = [
            c for c in self.log if isinstance(c, CallRecord) and c.call_id == call_id and c.outcome
        ]
        assert len(finals) <= 1, finals
        return finals[0].outcome if finals else None

    def state(self, op_id: str) -> str:
        return str(self.engine.snapshot().operator(op_id).state)
