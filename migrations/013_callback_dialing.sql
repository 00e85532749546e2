-- Callbacks being dialled (issue 12): which node dials it, since when (renewed by that
-- node while it still works on it) and the call of its latest attempt. At start a node
-- gives back the callbacks it left in 'dialing' (re-attached to their call if Asterisk
-- still holds it); any node gives back a 'dialing' callback whose node stopped renewing
-- it for dialer.stale_attempt_s. Claims are 'pending' -> 'dialing' updates, so one node
-- only dials a callback at a time.

ALTER TABLE callbacks
    ADD COLUMN dialing_node   text,
    ADD COLUMN dialing_since  timestamptz,
    ADD COLUMN last_call_id   uuid;

CREATE INDEX callbacks_dialing_idx ON callbacks (dialing_node, dialing_since)
    WHERE status = 'dialing';
