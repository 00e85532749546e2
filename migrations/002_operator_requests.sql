-- Requests to change an operator's state (login, logout, pause, unpause) from the CLI,
-- the dialplan or the HTTP API. The routing process applies them in order and records
-- the result; requests made while it is down are applied when it starts.
CREATE TABLE operator_requests (
    id            bigserial PRIMARY KEY,
    operator_id   text NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    action        text NOT NULL CHECK (action IN ('login', 'logout', 'pause', 'unpause')),
    reason        text,
    source        text NOT NULL DEFAULT 'cli',
    requested_at  timestamptz NOT NULL DEFAULT now(),
    applied_at    timestamptz,
    result        text
);
CREATE INDEX operator_requests_pending_idx ON operator_requests (id) WHERE applied_at IS NULL;
