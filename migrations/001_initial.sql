-- callrouter's first schema: the call center's people, its work, and what happened.
-- Times are timestamptz (UTC on the wire); text identifiers are what ops type in YAML.

CREATE TABLE queues (
    name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE operators (
    id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
    name          text NOT NULL DEFAULT '',
    endpoint      text NOT NULL UNIQUE CHECK (endpoint ~ '^[A-Za-z]+/.+'),
    wrapup_s      numeric CHECK (wrapup_s >= 0),
    -- Current state, kept beside the history so routing never scans the history.
    state         text NOT NULL DEFAULT 'logged_out'
                  CHECK (state IN ('logged_out', 'available', 'offered', 'on_call', 'wrapup', 'paused')),
    state_reason  text,
    state_since   timestamptz NOT NULL DEFAULT now(),
    -- The node (callrouter process) that holds the operator's current offer: two nodes
    -- sharing the database claim an operator with one atomic UPDATE on this column.
    claimed_by    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE queue_members (
    queue_name   text NOT NULL REFERENCES queues (name) ON DELETE CASCADE,
    operator_id  text NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    penalty      integer NOT NULL DEFAULT 0 CHECK (penalty >= 0),
    PRIMARY KEY (queue_name, operator_id)
);
CREATE INDEX queue_members_operator_idx ON queue_members (operator_id);

-- Every state change of every operator, for occupancy and pause reports.
CREATE TABLE operator_state_log (
    id           bigserial PRIMARY KEY,
    operator_id  text NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    old_state    text,
    state        text NOT NULL,
    reason       text,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operator_state_log_operator_at_idx ON operator_state_log (operator_id, at);

-- The CRM card shown when an operator's phone rings.
CREATE TABLE customers (
    id          bigserial PRIMARY KEY,
    phone       text NOT NULL UNIQUE,
    name        text NOT NULL DEFAULT '',
    tier        text NOT NULL DEFAULT 'standard',
    priority    integer NOT NULL DEFAULT 0,
    account     text,
    notes       text,
    extra       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE campaigns (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL UNIQUE,
    mode             text NOT NULL CHECK (mode IN ('preview', 'progressive', 'predictive')),
    queue_name       text REFERENCES queues (name),
    caller_id        text,
    trunk            text,
    state            text NOT NULL DEFAULT 'created'
                     CHECK (state IN ('created', 'running', 'paused', 'stopped', 'finished')),
    windows          jsonb NOT NULL DEFAULT '{}'::jsonb,
    retry_rules      jsonb NOT NULL DEFAULT '{}'::jsonb,
    max_attempts     integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    script_url       text,
    recording        text NOT NULL DEFAULT 'always'
                     CHECK (recording IN ('always', 'never', 'on_demand')),
    default_timezone text NOT NULL DEFAULT 'UTC',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE leads (
    id               bigserial PRIMARY KEY,
    campaign_id      bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    key              text NOT NULL,
    phone            text NOT NULL,
    timezone         text NOT NULL,
    name             text NOT NULL DEFAULT '',
    data             jsonb NOT NULL DEFAULT '{}'::jsonb,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'in_progress', 'done', 'exhausted', 'dnc', 'invalid')),
    priority         integer NOT NULL DEFAULT 0,
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz,
    last_outcome     text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, key)
);
CREATE INDEX leads_due_idx ON leads (campaign_id, next_attempt_at, priority DESC)
    WHERE status = 'pending';

CREATE TABLE do_not_call (
    phone     text PRIMARY KEY,
    reason    text,
    source    text,
    added_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per call that entered callrouter, inbound or outbound; outcome is NULL while
-- the call is live, so "calls still in flight" is a cheap partial-index scan.
CREATE TABLE calls (
    id                uuid PRIMARY KEY,
    direction         text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    channel_id        text,
    node              text,
    caller_number     text NOT NULL DEFAULT '',
    caller_name       text NOT NULL DEFAULT '',
    called_number     text NOT NULL DEFAULT '',
    queue_name        text,
    operator_id       text REFERENCES operators (id) ON DELETE SET NULL,
    customer_id       bigint REFERENCES customers (id) ON DELETE SET NULL,
    campaign_id       bigint REFERENCES campaigns (id) ON DELETE SET NULL,
    lead_id           bigint REFERENCES leads (id) ON DELETE SET NULL,
    priority          integer NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL,
    queued_at         timestamptz,
    offered_at        timestamptz,
    answered_at       timestamptz,
    ended_at          timestamptz,
    wait_s            numeric CHECK (wait_s >= 0),
    talk_s            numeric CHECK (talk_s >= 0),
    outcome           text CHECK (outcome IN (
                          'answered', 'abandoned', 'overflowed', 'callback', 'closed', 'failed',
                          'busy', 'no_answer', 'machine', 'congestion', 'unreachable',
                          'transferred', 'lost')),
    hangup_cause      integer,
    hangup_cause_txt  text,
    recording_error   text,
    CHECK (ended_at IS NULL OR ended_at >= created_at),
    CHECK ((outcome IS NULL) = (ended_at IS NULL))
);
CREATE INDEX calls_created_idx ON calls (created_at);
CREATE INDEX calls_queue_created_idx ON calls (queue_name, created_at);
CREATE INDEX calls_operator_created_idx ON calls (operator_id, created_at);
CREATE INDEX calls_channel_idx ON calls (channel_id);
CREATE INDEX calls_live_idx ON calls (node, created_at) WHERE outcome IS NULL;

-- Append-only: every step of every call, exportable as Asterisk's queue_log.
CREATE TABLE call_events (
    id           bigserial PRIMARY KEY,
    call_id      uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL,
    event        text NOT NULL,
    queue_name   text,
    operator_id  text,
    data         jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX call_events_call_idx ON call_events (call_id, id);
CREATE INDEX call_events_at_idx ON call_events (at);

CREATE FUNCTION call_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'call_events is append-only';
END;
$$;
CREATE TRIGGER call_events_no_update BEFORE UPDATE ON call_events
    FOR EACH ROW EXECUTE FUNCTION call_events_append_only();

CREATE TABLE recordings (
    id           bigserial PRIMARY KEY,
    call_id      uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    name         text NOT NULL UNIQUE,
    format       text NOT NULL,
    state        text NOT NULL DEFAULT 'recording'
                 CHECK (state IN ('recording', 'paused', 'done', 'failed', 'deleted')),
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    duration_s   numeric CHECK (duration_s >= 0),
    size_bytes   bigint CHECK (size_bytes >= 0),
    error        text
);
CREATE INDEX recordings_call_idx ON recordings (call_id);
CREATE INDEX recordings_started_idx ON recordings (started_at);

CREATE TABLE attempts (
    id           bigserial PRIMARY KEY,
    campaign_id  bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    lead_id      bigint NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    call_id      uuid REFERENCES calls (id) ON DELETE SET NULL,
    operator_id  text REFERENCES operators (id) ON DELETE SET NULL,
    started_at   timestamptz NOT NULL,
    answered_at  timestamptz,
    ended_at     timestamptz,
    outcome      text,
    hangup_cause integer,
    disposition  text,
    wait_s       numeric,
    talk_s       numeric
);
CREATE INDEX attempts_lead_idx ON attempts (lead_id, started_at);
CREATE INDEX attempts_campaign_idx ON attempts (campaign_id, started_at);

-- A caller who chose to be called back keeps their place: queued_at is the time they
-- first joined the queue, and the dispatcher orders callbacks by it.
CREATE TABLE callbacks (
    id            bigserial PRIMARY KEY,
    call_id       uuid REFERENCES calls (id) ON DELETE SET NULL,
    queue_name    text,
    phone         text NOT NULL,
    caller_name   text NOT NULL DEFAULT '',
    queued_at     timestamptz NOT NULL,
    requested_at  timestamptz NOT NULL,
    due_at        timestamptz NOT NULL,
    operator_id   text REFERENCES operators (id) ON DELETE SET NULL,
    campaign_id   bigint REFERENCES campaigns (id) ON DELETE SET NULL,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'dialing', 'done', 'failed', 'cancelled')),
    attempts      integer NOT NULL DEFAULT 0,
    note          text
);
CREATE INDEX callbacks_due_idx ON callbacks (due_at, queued_at) WHERE status = 'pending';
