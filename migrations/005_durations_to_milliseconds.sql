-- Durations were unconstrained numeric, so a float written as 0.012 was stored with its
-- whole binary expansion (0.01200000000000000024...). Three decimals are milliseconds,
-- which is all a call-center report needs.
ALTER TABLE calls ALTER COLUMN wait_s TYPE numeric(12, 3);
ALTER TABLE calls ALTER COLUMN talk_s TYPE numeric(12, 3);
ALTER TABLE attempts ALTER COLUMN wait_s TYPE numeric(12, 3);
ALTER TABLE attempts ALTER COLUMN talk_s TYPE numeric(12, 3);
ALTER TABLE recordings ALTER COLUMN duration_s TYPE numeric(12, 3);
