-- Every webhook callrouter owes the CRM, and what became of it. A row is written as soon
-- as an event is queued and rewritten after every attempt, so deliveries still pending
-- when a node stops are resumed by that node's next start.
--
-- call_id has no foreign key to calls: a screen pop is queued the moment an operator's
-- phone rings, often before the batched writer has inserted the call's row.
CREATE TABLE webhook_deliveries (
    id                uuid PRIMARY KEY,
    -- Insertion order breaks ties between rows queued within one clock tick, so one
    -- call's events are resumed in the order they were queued.
    seq               bigint GENERATED ALWAYS AS IDENTITY,
    node              text NOT NULL DEFAULT '',
    event             text NOT NULL,
    url               text NOT NULL,
    call_id           uuid,
    payload           jsonb NOT NULL,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_status_code  integer,
    last_error        text,
    created_at        timestamptz NOT NULL,
    delivered_at      timestamptz,
    next_attempt_at   timestamptz,
    CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (node, created_at, seq)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_call_idx ON webhook_deliveries (call_id, created_at);
CREATE INDEX webhook_deliveries_created_idx ON webhook_deliveries (created_at);
CREATE INDEX webhook_deliveries_failed_idx ON webhook_deliveries (created_at)
    WHERE status = 'failed';
