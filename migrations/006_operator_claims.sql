-- Several callrouter nodes may share one PostgreSQL (one node per Asterisk). An
-- operator is claimed by the node that offers them a call, with one atomic UPDATE on
-- operators.claimed_by, so two nodes never ring the same operator. claimed_at lets a
-- node's claims be recognised as stale after a crash.
ALTER TABLE operators ADD COLUMN claimed_at timestamptz;
