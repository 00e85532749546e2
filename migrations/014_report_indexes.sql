-- What the interval reports (callrouter/store/reports/) read by time across every queue,
-- operator and campaign, so a report over a day never scans a year
-- (bench/bench_reports.py has the figures with and without these).

-- Queue figures: the ended inbound calls of a period, with every column the report
-- aggregates, so a long period is read from the index alone (index-only scan).
CREATE INDEX calls_queue_report_idx ON calls (created_at)
    INCLUDE (queue_name, outcome, wait_s, talk_s, operator_id, answered_at, ended_at)
    WHERE direction = 'inbound' AND queue_name IS NOT NULL AND outcome IS NOT NULL;

-- Calls handled per operator, by the time they were answered.
CREATE INDEX calls_answered_report_idx ON calls (answered_at) INCLUDE (operator_id)
    WHERE outcome = 'answered';

-- Operators' states over a period, every operator at once.
CREATE INDEX operator_state_log_at_idx ON operator_state_log (at);

-- A call's wrap-up: the operator's wrapup row after the answer, then the row after it
-- (ties on the same instant broken by id, as the reports order them).
CREATE INDEX operator_state_log_wrapup_idx ON operator_state_log (operator_id, at)
    WHERE state = 'wrapup';
CREATE INDEX operator_state_log_operator_at_id_idx ON operator_state_log (operator_id, at, id);
DROP INDEX operator_state_log_operator_at_idx;  -- a prefix of the one above

-- Campaign attempts of a period, every campaign at once.
CREATE INDEX attempts_started_idx ON attempts (started_at);
