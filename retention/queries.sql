-- Retention's purges: each deletes at most $2 of the oldest rows from before $1 and
-- answers how many went. The audit tables' triggers refuse a DELETE unless the
-- transaction set hotline.purge (repo.py does, SET LOCAL).

-- name: purge_cel
-- Whole calls: every row of the linkedids whose first channel (uniqueid = linkedid)
-- started before the cut (eventtime is UTC without a zone, as the CEL loader writes it).
WITH old AS (
    SELECT linkedid FROM cel
    WHERE eventtype = 'CHAN_START' AND uniqueid = linkedid
      AND eventtime < ($1::timestamptz AT TIME ZONE 'UTC')
    ORDER BY eventtime
    LIMIT $2
), gone AS (
    DELETE FROM cel WHERE linkedid IN (SELECT linkedid FROM old) RETURNING linkedid
)
SELECT count(DISTINCT linkedid) FROM gone;

-- name: purge_agent_state_audit
WITH gone AS (
    DELETE FROM agent_state_audit WHERE id IN (
        SELECT id FROM agent_state_audit WHERE at < $1 ORDER BY at LIMIT $2
    ) RETURNING 1
)
SELECT count(*) FROM gone;

-- name: purge_sign_in_audit
WITH gone AS (
    DELETE FROM sign_in_audit WHERE id IN (
        SELECT id FROM sign_in_audit WHERE at < $1 ORDER BY at LIMIT $2
    ) RETURNING 1
)
SELECT count(*) FROM gone;
