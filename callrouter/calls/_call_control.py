"""Call control as the HTTP API sees it (``api._call_control_routes.CallControlPort``):
transfers and consultations (``_transfers``), supervisor monitoring (``_monitoring``);
and what of it is live, as recovery sees it (``_recovery.CallControlState``)."""

from __future__ import annotations

from callrouter.calls._monitoring import CallMonitoring
from callrouter.calls._transfers import CallTransfers, TargetKind, one_target
from callrouter.errors import InvalidInput

__all__ = ["CallControl"]


class CallControl:
    def __init__(self, *, transfers: CallTransfers, monitoring: CallMonitoring) -> None:
        self._transfers = transfers
        self._monitoring = monitoring

    @staticmethod
    def _target(kind: TargetKind, target: str) -> tuple[TargetKind, str]:
        given = {kind: target}
        return one_target(given.get("queue"), given.get("operator"), given.get("number"))

    async def blind_transfer(
        self, call_id: str, *, kind: TargetKind, target: str, reason: str | None,
        note: str | None,
    ) -> None:  # fmt: skip
        kind, target = self._target(kind, target)
        await self._transfers.blind(call_id, kind=kind, target=target, reason=reason, note=note)

    async def consult(
        self, call_id: str, *, kind: TargetKind, target: str, reason: str | None,
        note: str | None,
    ) -> str | None:  # fmt: skip
        kind, target = self._target(kind, target)
        started = await self._transfers.consult(
            call_id, kind=kind, target=target, reason=reason, note=note
        )
        return started.operator_id

    async def finish_consult(self, call_id: str, step: str) -> None:
        if step == "complete":
            await self._transfers.complete(call_id)
        elif step == "conference":
            await self._transfers.conference(call_id)
        elif step == "cancel":
            await self._transfers.cancel(call_id)
        else:
            raise InvalidInput(f"no consultation step {step!r}")

    async def start_monitoring(
        self, call_id: str, *, supervisor: str, mode: str, endpoint: str | None
    ) -> str:
        started = await self._monitoring.start(
            call_id, supervisor=supervisor, mode=mode, endpoint=endpoint
        )
        return started.monitor_id

    async def change_monitoring(self, call_id: str, monitor_id: str, mode: str) -> None:
        await self._monitoring.change_mode(call_id, monitor_id, mode)

    async def stop_monitoring(self, call_id: str, monitor_id: str) -> None:
        await self._monitoring.stop(call_id, monitor_id)

    # -- what is live (recovery) ------------------------------------------------------

    def channel_ids(self) -> set[str]:
        return self._transfers.channel_ids() | self._monitoring.channel_ids()

    def consulted_operators(self) -> set[str]:
        return self._transfers.consulted_operators()

    def monitoring_rows(self) -> list[int]:
        return self._monitoring.log_rows()
