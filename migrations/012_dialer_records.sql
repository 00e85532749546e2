-- Complete outbound records (issue 10): a disposition's note, on the attempt and on the
-- outbound call, and the attempt's hangup cause kept in step with its call's.

ALTER TABLE attempts
    ADD COLUMN disposition_note  text,
    ADD COLUMN disposed_at       timestamptz;

ALTER TABLE calls
    ADD COLUMN disposition       text,
    ADD COLUMN disposition_note  text;

-- A call's hangup cause often arrives after its final row (Asterisk destroys the
-- channel after the call ends) and after the dialer closed the attempt: copy it to the
-- attempt whenever the call gets it, whoever writes it.
CREATE FUNCTION attempts_hangup_cause_from_call() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE attempts SET hangup_cause = NEW.hangup_cause
     WHERE call_id = NEW.id AND hangup_cause IS NULL;
    RETURN NULL;
END $$;

CREATE TRIGGER calls_hangup_cause_to_attempts
    AFTER INSERT OR UPDATE OF hangup_cause ON calls
    FOR EACH ROW WHEN (NEW.hangup_cause IS NOT NULL)
    EXECUTE FUNCTION attempts_hangup_cause_from_call();

-- The shared abandon window (dialer/_db_pacing.py) reads attempts by answer time.
CREATE INDEX attempts_answered_idx ON attempts (campaign_id, answered_at)
    WHERE answered_at IS NOT NULL;
