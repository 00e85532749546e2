-- How far PostgreSQL has each node's record spool (store/_spool.py): the sequence
-- number of the last spooled record committed. Written in the same transaction as the
-- rows it covers, so a record replayed after a crash (or a batch retried after a commit
-- whose acknowledgement was lost) is recognised and skipped: exactly once, for every
-- kind of row, with no unique key needed on the tables themselves.
CREATE TABLE record_spools (
    spool_id    uuid PRIMARY KEY,
    seq         bigint NOT NULL CHECK (seq >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
