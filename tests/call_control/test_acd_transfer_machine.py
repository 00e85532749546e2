"""The routing core's hypothesis state machine (tests/acd/test_state_machine.py), with
transfers and consultations added to what it may do at any step: every routing
invariant must still hold, and so must the consultations' own.

Added invariants:
- a consulted operator is paused with reason ``consult`` and rings for no call;
- every consultation belongs to a live, connected call, whose operator is someone else;
- a call transferred out or away is never lost (it ends exactly once).
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from callrouter.acd import (
    AcdCommand,
    CallStatus,
    ConsultCompleted,
    ConsultEnded,
    ConsultReserved,
    ConsultStarted,
    TransferredOut,
    TransferToOperator,
)
from tests.acd.test_state_machine import OPERATORS, QUEUES, AcdMachine


class TransferMachine(AcdMachine):
    def _check(self, out: list[AcdCommand]) -> None:
        super()._check(out)
        if not hasattr(self, "consults"):
            self.consults: dict[str, str] = {}
        for cmd in out:
            if isinstance(cmd, ConsultReserved):
                self.consults[cmd.call_id] = cmd.operator_id
        live = {c.call_id for c in self.engine.snapshot().calls}
        for call_id in [c for c in self.consults if c not in live]:
            del self.consults[call_id]  # the call ended: its consultation with it

    def _connected(self, data: st.DataObject) -> str | None:
        connected = [c.call_id for c in self.engine.snapshot().calls if c.operator_id]
        return data.draw(st.sampled_from(connected)) if connected else None

    @rule(data=st.data(), op_id=st.sampled_from(sorted(OPERATORS)))
    def blind_to_operator(self, data: st.DataObject, op_id: str) -> None:
        if self.arrived:
            call_id = data.draw(st.sampled_from(self.arrived))
            self._apply(TransferToOperator(call_id, op_id, self._at(1)))

    @rule(data=st.data())
    def transfer_out(self, data: st.DataObject) -> None:
        if self.arrived:
            call_id = data.draw(st.sampled_from(self.arrived))
            self._apply(TransferredOut(call_id, "+4930999", self._at(1)))

    @rule(data=st.data(), queue=st.sampled_from(QUEUES), op_id=st.sampled_from(sorted(OPERATORS)))
    def consult(self, data: st.DataObject, queue: str, op_id: str) -> None:
        call_id = self._connected(data)
        if call_id is None:
            return
        by_queue = data.draw(st.booleans())
        event = (
            ConsultStarted(call_id, self._at(1), queue=queue)
            if by_queue
            else ConsultStarted(call_id, self._at(1), operator_id=op_id)
        )
        self._apply(event)

    @rule(data=st.data(), complete=st.booleans())
    def consult_outcome(self, data: st.DataObject, complete: bool) -> None:
        consults = getattr(self, "consults", {})
        if not consults:
            return
        call_id = data.draw(st.sampled_from(sorted(consults)))
        op_id = consults[call_id]
        at = self._at(2)
        event = (
            ConsultCompleted(call_id, op_id, at) if complete else ConsultEnded(call_id, op_id, at)
        )
        self._apply(event)
        if self.engine.snapshot().operator(op_id).pause_reason != "consult":
            consults.pop(call_id, None)

    @invariant()
    def consulted_operators_are_reserved(self) -> None:
        snap = self.engine.snapshot()
        calls = {c.call_id: c for c in snap.calls}
        for call_id, op_id in getattr(self, "consults", {}).items():
            view = snap.operator(op_id)
            call = calls[call_id]
            assert call.status is CallStatus.CONNECTED and call.operator_id != op_id
            assert (view.state.value, view.pause_reason) == ("paused", "consult")
            assert all(op_id not in c.ringing for c in snap.calls)


TransferMachine.TestCase.settings = AcdMachine.TestCase.settings
TestTransferMachine = TransferMachine.TestCase
