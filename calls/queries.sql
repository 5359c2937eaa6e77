-- name: insert_call
-- One row per Linkedid: whichever of the live recorder and the CEL backfill comes
-- first wins, the other changes nothing. Returns the linkedid when a row was written.
INSERT INTO calls (
    linkedid, caller_number, caller_name, entry_number, entered_at, greeting_done_at,
    queue_joined_at, agent_offered_at, agent_answered_at, ended_at, queue,
    agent_job_number, ring_s, wait_s, talk_s, outcome, hung_up_first, source)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
ON CONFLICT (linkedid) DO NOTHING
RETURNING linkedid;

-- name: unrecorded_cel_calls
-- Finished inbound calls Asterisk logged that have no row yet: ended at least
-- $2 seconds ago (the live recorder goes first) and not before $1.
SELECT s.linkedid
FROM cel s
JOIN cel e ON e.linkedid = s.linkedid AND e.eventtype = 'LINKEDID_END'
WHERE s.eventtype = 'CHAN_START'
  AND s.uniqueid = s.linkedid
  AND s.context = $3
  AND s.eventtime >= ($1::timestamptz AT TIME ZONE 'UTC')
  AND e.eventtime <= ((now() - make_interval(secs => $2)) AT TIME ZONE 'UTC')
  AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.linkedid = s.linkedid)
ORDER BY s.eventtime
LIMIT 500;

-- name: cel_rows
SELECT eventtype, eventtime AT TIME ZONE 'UTC' AS eventtime, uniqueid, linkedid,
       coalesce(channame, '') AS channame, coalesce(context, '') AS context,
       coalesce(exten, '') AS exten, coalesce(cid_num, '') AS cid_num,
       coalesce(cid_name, '') AS cid_name, coalesce(appname, '') AS appname,
       coalesce(appdata, '') AS appdata, coalesce(userdeftype, '') AS userdeftype,
       coalesce(peer, '') AS peer, coalesce(extra, '') AS extra
FROM cel
WHERE linkedid = $1
ORDER BY eventtime, id;

-- name: list_calls
-- Newest first, every filter optional.
SELECT *
FROM calls
WHERE ($1::timestamptz IS NULL OR entered_at >= $1)
  AND ($2::timestamptz IS NULL OR entered_at < $2)
  AND ($3::text IS NULL OR caller_number = $3)
  AND ($4::text IS NULL OR agent_job_number = $4)
  AND ($5::text IS NULL OR outcome = $5)
ORDER BY entered_at DESC
LIMIT $6;

-- name: call_by_linkedid
SELECT * FROM calls WHERE linkedid = $1;

-- name: categories
-- R5: the region's unified business categories, in the order admins gave them.
SELECT name FROM call_categories WHERE active ORDER BY position;

-- name: classify_call
-- R5: category and summary from the agent who took the call.
UPDATE calls SET category = $2, summary = $3, classified_by = $4, classified_at = $5
WHERE linkedid = $1 AND agent_job_number = $4
RETURNING linkedid;

-- name: deactivate_categories
UPDATE call_categories SET active = false;

-- name: upsert_category
INSERT INTO call_categories (name, position, active) VALUES ($1, $2, true)
ON CONFLICT (name) DO UPDATE SET position = $2, active = true;
