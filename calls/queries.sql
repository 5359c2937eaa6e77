-- name: insert_call
-- One row per Linkedid: whichever of the live recorder and the CEL backfill comes
-- first wins, the other changes nothing. The call's holds ($21: a JSON list of
-- {"started_at", "length_s"}, NULL when not known) are written by the same statement,
-- only with the row. Returns the linkedid when a row was written.
WITH call AS (
    INSERT INTO calls (
        linkedid, caller_number, caller_name, entry_number, entered_at, greeting_done_at,
        queue_joined_at, agent_offered_at, agent_answered_at, ended_at, queue,
        agent_job_number, ring_s, wait_s, talk_s, outcome, hung_up_first, source,
        plan_version, menu_path, language, ended_node, hold_count, hold_total_s)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
            $19, ARRAY(SELECT jsonb_array_elements_text(coalesce($20::jsonb, '[]'))),
            $22, $23,
            CASE WHEN $21::jsonb IS NOT NULL
                 THEN (SELECT count(*) FROM jsonb_array_elements($21::jsonb)) END,
            CASE WHEN $21::jsonb IS NOT NULL
                 THEN (SELECT coalesce(sum((h ->> 'length_s')::float8), 0)
                       FROM jsonb_array_elements($21::jsonb) h) END)
    ON CONFLICT (linkedid) DO NOTHING
    RETURNING linkedid
), holds AS (
    INSERT INTO call_holds (linkedid, ordinal, started_at, length_s)
    SELECT call.linkedid, h.ordinal, (h.hold ->> 'started_at')::timestamptz,
           (h.hold ->> 'length_s')::float8
    FROM call, jsonb_array_elements($21::jsonb) WITH ORDINALITY AS h (hold, ordinal)
)
SELECT linkedid FROM call;

-- name: unrecorded_cel_calls
-- Finished inbound calls Asterisk logged that have no row yet: ended at least
-- $2 seconds ago (the live recorder goes first) and not before $1; a page of at most
-- $4 after the cursor ($5, $6: the last page's last start and linkedid; NULL at first).
SELECT s.linkedid, s.eventtime
FROM cel s
JOIN cel e ON e.linkedid = s.linkedid AND e.eventtype = 'LINKEDID_END'
WHERE s.eventtype = 'CHAN_START'
  AND s.uniqueid = s.linkedid
  AND s.context = $3
  AND s.eventtime >= ($1::timestamptz AT TIME ZONE 'UTC')
  AND e.eventtime <= ((now() - make_interval(secs => $2)) AT TIME ZONE 'UTC')
  AND ($5::timestamp IS NULL OR (s.eventtime, s.linkedid) > ($5::timestamp, $6::text))
  AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.linkedid = s.linkedid)
ORDER BY s.eventtime, s.linkedid
LIMIT $4;

-- name: cel_rows_of
-- The rows of the calls $1, each call's in order (the backfill's page: one query);
-- the columns are calls.cel.CelRow's fields, in order (repo.cel_rows_of).
SELECT eventtype, eventtime AT TIME ZONE 'UTC' AS eventtime, uniqueid, linkedid,
       coalesce(channame, '') AS channame, coalesce(context, '') AS context,
       coalesce(exten, '') AS exten, coalesce(cid_num, '') AS cid_num,
       coalesce(cid_name, '') AS cid_name, coalesce(appname, '') AS appname,
       coalesce(appdata, '') AS appdata, coalesce(userdeftype, '') AS userdeftype,
       coalesce(peer, '') AS peer, coalesce(extra, '') AS extra, id AS seq
FROM cel
WHERE linkedid = ANY($1::text[])
ORDER BY linkedid, eventtime, id;

-- name: list_calls
-- Newest first, every filter optional; each call with its holds (hold_list: a JSON
-- list of {"started_at", "length_s"} in order, NULL when they are not known).
SELECT c.*, h.hold_list
FROM calls c
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object('started_at', started_at, 'length_s', length_s)
                     ORDER BY ordinal) AS hold_list
    FROM call_holds WHERE linkedid = c.linkedid
) h ON true
WHERE ($1::timestamptz IS NULL OR c.entered_at >= $1)
  AND ($2::timestamptz IS NULL OR c.entered_at < $2)
  AND ($3::text IS NULL OR c.caller_number = $3)
  AND ($4::text IS NULL OR c.agent_job_number = $4)
  AND ($5::text IS NULL OR c.outcome = $5)
  AND ($7::text IS NULL OR c.ended_node = $7)
ORDER BY c.entered_at DESC
LIMIT $6;

-- name: call_by_linkedid
SELECT c.*,
       (SELECT jsonb_agg(jsonb_build_object('started_at', started_at, 'length_s', length_s)
                         ORDER BY ordinal)
        FROM call_holds WHERE linkedid = c.linkedid) AS hold_list
FROM calls c WHERE c.linkedid = $1;

-- name: long_holds_by_agent_day
-- R9's quality figure: per agent and day (in time zone $3), the holds longer than $4
-- seconds, out of how many holds, in calls entered in [$1, $2). Calls whose holds are
-- not known (rebuilt from CEL) are counted apart, so a report can say so.
SELECT c.agent_job_number,
       (c.entered_at AT TIME ZONE $3)::date AS day,
       count(h.ordinal) AS holds,
       count(h.ordinal) FILTER (WHERE h.length_s > $4) AS long_holds,
       coalesce(sum(h.length_s), 0) AS hold_total_s,
       count(DISTINCT c.linkedid) FILTER (WHERE c.hold_count IS NULL) AS calls_holds_unknown
FROM calls c
LEFT JOIN call_holds h ON h.linkedid = c.linkedid
WHERE c.agent_job_number IS NOT NULL
  AND c.entered_at >= $1 AND c.entered_at < $2
GROUP BY c.agent_job_number, day
ORDER BY day, c.agent_job_number;

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

-- name: last_answered_by
-- R11a: the call an agent escalates "after" it ended: their last answered call on record.
SELECT c.*, NULL::jsonb AS hold_list
FROM calls c
WHERE c.agent_job_number = $1 AND c.agent_answered_at IS NOT NULL
ORDER BY c.entered_at DESC
LIMIT 1;

-- name: earlier_calls_of
-- The console's screen pop: a caller's last calls but this one, newest first, with what
-- came of each and the category the agent gave it (R5).
SELECT linkedid, entered_at, outcome, category, agent_job_number
FROM calls
WHERE caller_number = $1 AND linkedid <> $2
ORDER BY entered_at DESC
LIMIT $3;

-- name: claim_cel_spool_file
-- A moved-aside CEL file's row, made on its first load and locked until the load's
-- transaction ends (a second loader waits here, then sees what the first loaded): how
-- many of the file's bytes are in cel already.
INSERT INTO cel_spool_files (name) VALUES ($1)
ON CONFLICT (name) DO UPDATE SET name = excluded.name
RETURNING loaded_bytes;

-- name: cel_spool_file_loaded
UPDATE cel_spool_files
SET loaded_bytes = $2, rows = rows + $3, rejects = rejects + $4, loaded_at = now()
WHERE name = $1;

-- name: insert_cel_spool_reject
INSERT INTO cel_spool_rejects (file, byte_offset, raw, reason) VALUES ($1, $2, $3, $4);

-- name: forget_cel_spool_file
DELETE FROM cel_spool_files WHERE name = $1;

-- name: cel_spool_file_names
SELECT name FROM cel_spool_files;
