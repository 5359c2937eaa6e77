-- The CEL backfill pages through the calls that started in the entry context, in start
-- order (calls/queries.sql unrecorded_cel_calls): each caller channel's CHAN_START, by
-- time and linkedid. Without it every page read the whole cel table (~25 rows a call).
CREATE INDEX cel_call_start ON cel (eventtime, linkedid)
    WHERE eventtype = 'CHAN_START' AND uniqueid = linkedid;
