-- What the dialer's store needs beyond 001: per-outcome attempt counts and the claim
-- that keeps two nodes from dialling one lead, expiring do-not-call entries, and the
-- recording and node of each attempt.

-- The whole configured campaign (limits, abandon cap, holidays...) as last synced.
ALTER TABLE campaigns
    ADD COLUMN settings        jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN default_region  text;

-- outcome_counts: {"busy": 2, "no_answer": 1}, the per-outcome caps of the retry rules.
-- claimed_by/claimed_at: the node that moved the lead to in_progress, and when; a node
-- that dies mid-call leaves its claims behind for release_stale_claims.
ALTER TABLE leads
    ADD COLUMN outcome_counts   jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN claimed_by       text,
    ADD COLUMN claimed_at       timestamptz,
    ADD COLUMN last_attempt_at  timestamptz;
CREATE INDEX leads_claimed_idx ON leads (campaign_id, claimed_at) WHERE status = 'in_progress';

-- NULL: blocked forever; otherwise the request lapses at expires_at ("not this month").
ALTER TABLE do_not_call
    ADD COLUMN expires_at  timestamptz;

ALTER TABLE attempts
    ADD COLUMN node         text,
    ADD COLUMN recording    text,
    ADD COLUMN callback_at  timestamptz;
CREATE INDEX attempts_open_idx ON attempts (lead_id) WHERE ended_at IS NULL;

-- The runner records an attempt before it originates, while the call's row reaches
-- `calls` later through the batched writer: a foreign key would reject the attempt
-- (or stall it behind the writer). Keep the id, indexed, without the constraint.
ALTER TABLE attempts DROP CONSTRAINT attempts_call_id_fkey;
CREATE INDEX attempts_call_idx ON attempts (call_id);
