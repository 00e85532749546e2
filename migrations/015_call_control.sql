-- Call control (issue 15): every supervisor listen, whisper and barge on a live call is
-- logged, who and when, one row per mode (a change of mode closes the row and opens the
-- next). No foreign key to calls: the call's row comes through the batched writer and
-- may land after the supervisor starts listening.

CREATE TABLE call_monitoring (
    id           bigserial PRIMARY KEY,
    call_id      uuid NOT NULL,
    supervisor   text NOT NULL,
    endpoint     text NOT NULL,
    mode         text NOT NULL CHECK (mode IN ('listen', 'whisper', 'barge')),
    operator_id  text,
    node         text NOT NULL,
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX call_monitoring_call_idx ON call_monitoring (call_id, started_at);
CREATE INDEX call_monitoring_supervisor_idx ON call_monitoring (supervisor, started_at);
