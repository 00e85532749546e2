"""DTMF feature codes in the call's bridge: the connected operator's keys become
transfers, consultations and conferences (``legs.FeatureParser`` decides; this module
listens to ChannelDtmfReceived on operator legs and calls ``CallTransfers``).

A request the call's state refuses (a busy operator, an unknown queue) is logged and
dropped: the operator hears nothing change and may try again.
"""

from __future__ import annotations

import structlog

from callrouter.ari import AriClient, ChannelDtmfReceived
from callrouter.calls._sessions import SessionRegistry
from callrouter.calls._settings import Derived, ReadsSettings, SettingsHolder
from callrouter.calls._transfers import CallTransfers
from callrouter.errors import DomainError
from callrouter.legs import FeatureParser, FeatureRequest, OperatorLegState, target_of

__all__ = ["BridgeFeatures"]

log = structlog.get_logger(__name__)


class BridgeFeatures(ReadsSettings):
    def __init__(
        self,
        *,
        ari: AriClient,
        sessions: SessionRegistry,
        transfers: CallTransfers,
        settings: SettingsHolder,
    ) -> None:
        self._ari = ari
        self._sessions = sessions
        self._transfers = transfers
        self._holder = settings
        self._parsers: dict[str, FeatureParser] = {}  # by operator channel
        # "102" -> "boris": an operator's extension is their endpoint's resource.
        self._extensions = Derived(
            settings,
            lambda s: {op.endpoint.partition("/")[2]: op_id for op_id, op in s.operators.items()},
        )

    def subscribe(self) -> None:
        self._ari.on(ChannelDtmfReceived, self.on_dtmf)

    async def on_dtmf(self, event: ChannelDtmfReceived) -> None:
        channel = event.channel.id
        leg = self._sessions.leg(channel)
        session = self._sessions.get(leg.call_id) if leg is not None else None
        if leg is None or session is None or leg.state is not OperatorLegState.ANSWERED:
            self._parsers.pop(channel, None)
            return
        if session.operator_id != leg.operator_id:
            return  # only the operator who has the call
        consulting = self._transfers.consult_of(session.call_id) is not None
        parser, request = self._parsers.get(channel, FeatureParser()).feed(
            event.digit, consulting=consulting
        )
        if parser == FeatureParser():
            self._parsers.pop(channel, None)  # idle: nothing to remember
        else:
            self._parsers[channel] = parser
        if request is not None:
            await self._carry_out(session.call_id, leg.operator_id, request)

    async def _carry_out(self, call_id: str, operator_id: str, request: FeatureRequest) -> None:
        transfers = self._transfers
        with structlog.contextvars.bound_contextvars(call_id=call_id, operator=operator_id):
            try:
                if request.action in ("blind", "consult"):
                    kind, target = target_of(
                        request.digits,
                        routes=self._settings.routes,
                        operator_extensions=self._extensions.get(),
                    )
                    start = transfers.blind if request.action == "blind" else transfers.consult
                    await start(call_id, kind=kind, target=target, reason="dtmf", note=None)
                elif request.action == "complete":
                    await transfers.complete(call_id)
                elif request.action == "conference":
                    await transfers.conference(call_id)
                else:
                    await transfers.cancel(call_id)
            except DomainError as exc:
                log.info("feature_code_refused", action=request.action, reason=exc.message)
                return
            log.info("feature_code", action=request.action, digits=request.digits)
