-- Callbacks (callback/repo.py). Tables: db/migrations/0015_callbacks.sql.

-- name: lock_number
-- Intake for one number, one at a time: two requests racing for a number must not both
-- create (the live rows' FOR UPDATE locks nothing when there are none yet).
SELECT pg_advisory_xact_lock($1::int4, hashtext($2));

-- name: reason_callback
-- The callback a request was already taken into: the same voicemail message, or the
-- same call and kind (keep-your-place, escalation).
SELECT callback_id FROM callback_reasons
WHERE msg_id = $1
   OR (linkedid = $2 AND kind = $3 AND kind IN ('keep_place', 'escalation'))
LIMIT 1;

-- name: live_for_number
SELECT * FROM callbacks
WHERE number = $1 AND state IN ('open', 'dispatching', 'in_progress')
ORDER BY created_at, id
FOR UPDATE;

-- name: insert_callback
INSERT INTO callbacks (
    id, kind, state, number, created_at, priority_at, not_before, due_at, owner,
    category, question, department, linked_to, attempts, lease_until, attempt_id, agent,
    outcome, note, updated_at, owner_since, due_by_default)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
        $19, $20, $21, $22);

-- name: update_callback
UPDATE callbacks SET
    kind = $2, state = $3, number = $4, priority_at = $5, not_before = $6, due_at = $7,
    owner = $8, category = $9, question = $10, department = $11, linked_to = $12,
    attempts = $13, lease_until = $14, attempt_id = $15, agent = $16, outcome = $17,
    note = $18, updated_at = $19, owner_since = $20
WHERE id = $1;

-- name: insert_reason
INSERT INTO callback_reasons (callback_id, kind, at, msg_id, linkedid, queue_joined_at)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: insert_history
INSERT INTO callback_history (
    callback_id, at, event, from_state, to_state, actor, actor_role, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb);

-- name: callback_by_id
SELECT * FROM callbacks WHERE id = $1;

-- name: lock_callback
SELECT * FROM callbacks WHERE id = $1 FOR UPDATE;

-- name: callback_by_attempt
SELECT * FROM callbacks WHERE attempt_id = $1;

-- name: reasons_of
SELECT * FROM callback_reasons WHERE callback_id = ANY($1::uuid[]) ORDER BY at, id;

-- name: claim
-- One statement: lock up to $3 dispatchable callbacks nobody else holds (open and due,
-- or dispatching with a lease run out), earliest priority_at first (of the leases run
-- out, when more than $3, those that ran out first are taken first); make each
-- dispatching with a fresh attempt and a lease until $2; append the history. A
-- reclaimed row returns the attempt it had (previous_attempt_id): the caller checks
-- Asterisk for that channel before dialling again. $4: the dispatcher. $5 false: only
-- leases run out (nobody is idle to take a new one, but a crashed claim is checked).
WITH due AS (
    SELECT id, priority_at, state, attempt_id FROM callbacks
    WHERE state = 'open' AND not_before <= $1 AND $5::boolean
    ORDER BY priority_at
    LIMIT $3
    FOR UPDATE SKIP LOCKED
), expired AS (
    -- in the lease's order: the range on callbacks_claim_lease ends at once when no lease
    -- ran out (in priority order it would read every live claim's row, each time)
    SELECT id, priority_at, state, attempt_id FROM callbacks
    WHERE state = 'dispatching' AND lease_until < $1
    ORDER BY lease_until
    LIMIT $3
    FOR UPDATE SKIP LOCKED
), picked AS (
    SELECT * FROM (SELECT * FROM due UNION ALL SELECT * FROM expired) AS both_kinds
    ORDER BY priority_at
    LIMIT $3
), claimed AS (
    UPDATE callbacks c
    SET state = 'dispatching', attempt_id = gen_random_uuid()::text, lease_until = $2,
        agent = NULL, updated_at = $1
    FROM picked p
    WHERE c.id = p.id
    RETURNING c.*, p.state AS previous_state,
        CASE WHEN p.state = 'dispatching' THEN p.attempt_id END AS previous_attempt_id
), logged AS (
    INSERT INTO callback_history (
        callback_id, at, event, from_state, to_state, actor, actor_role, detail)
    SELECT id, $1, 'Claimed', previous_state, 'dispatching', 'system', NULL,
        jsonb_build_object(
            'dispatcher', $4::text, 'attempt_id', attempt_id, 'lease_until', lease_until,
            'previous_attempt_id', previous_attempt_id)
    FROM claimed
)
SELECT c.*,
    (SELECT coalesce(json_agg(r ORDER BY r.at, r.id), '[]') FROM callback_reasons r
     WHERE r.callback_id = c.id) AS reasons
FROM claimed c
ORDER BY c.priority_at;

-- name: renew
-- A live attempt's lease, longer (never shorter); a reclaimed one has another attempt_id.
UPDATE callbacks SET lease_until = greatest(lease_until, $2)
WHERE attempt_id = ANY($1::text[]) AND state = 'dispatching';

-- name: attempt_started
INSERT INTO callback_attempts (attempt_id, callback_id, started_at)
VALUES ($1, $2, $3)
ON CONFLICT (attempt_id) DO NOTHING;

-- name: attempt_ended
-- The attempt's result, once. Its row is found by its own id (a reclaimed callback
-- carries a new attempt id by then); an attempt whose start was never written (a crash)
-- is written now, for the callback that has it.
WITH ended AS (
    UPDATE callback_attempts
    SET ended_at = $2, result = $3, agent = coalesce($4, agent), cause = $5
    WHERE attempt_id = $1 AND ended_at IS NULL
    RETURNING attempt_id
)
INSERT INTO callback_attempts (attempt_id, callback_id, started_at, ended_at, result, agent, cause)
SELECT $1, id, $2, $2, $3, $4, $5 FROM callbacks
WHERE attempt_id = $1 AND NOT EXISTS (SELECT 1 FROM callback_attempts WHERE attempt_id = $1)
ON CONFLICT (attempt_id) DO NOTHING;

-- name: attempts_of
SELECT attempt_id, started_at, agent, ended_at, result, cause FROM callback_attempts
WHERE callback_id = $1 ORDER BY started_at, attempt_id;

-- name: history_of
SELECT id, at, event, from_state, to_state, actor, actor_role, detail FROM callback_history
WHERE callback_id = $1 ORDER BY id;

-- name: listing
-- Filter: $1 state, $2 kind, $3 owner, $4 number, $5 overdue at (live and due before),
-- $6 limit; NULL: any.
SELECT * FROM callbacks
WHERE ($1::text IS NULL OR state = $1)
  AND ($2::text IS NULL OR kind = $2)
  AND ($3::text IS NULL OR owner = $3)
  AND ($4::text IS NULL OR number = $4)
  AND ($5::timestamptz IS NULL
       OR (due_at < $5 AND state IN ('open', 'dispatching', 'in_progress')))
ORDER BY priority_at, id
LIMIT $6;

-- name: figures
-- Per day (in time zone $3) and kind, in [$1, $2): callbacks opened; done and failed
-- (entered those states); overdue (due that day, past now, and not closed before it was
-- due); attempts started, and by how many callbacks.
WITH closed AS (
    SELECT h.callback_id, min(h.at) AS at
    FROM callback_history h JOIN callbacks c ON c.id = h.callback_id
    WHERE c.due_at >= $1 AND c.due_at < $2
      AND h.to_state IN ('done', 'failed', 'cancelled')
    GROUP BY h.callback_id
), happened AS (
    SELECT c.created_at AS at, c.kind, 'opened' AS figure, c.id FROM callbacks c
    WHERE c.created_at >= $1 AND c.created_at < $2
    UNION ALL
    SELECT h.at, c.kind, h.to_state, c.id
    FROM callback_history h JOIN callbacks c ON c.id = h.callback_id
    WHERE h.at >= $1 AND h.at < $2 AND h.to_state IN ('done', 'failed')
      AND h.from_state IS DISTINCT FROM h.to_state
    UNION ALL
    SELECT c.due_at, c.kind, 'overdue', c.id
    FROM callbacks c LEFT JOIN closed x ON x.callback_id = c.id
    WHERE c.due_at >= $1 AND c.due_at < $2 AND c.due_at < now()
      AND (x.at IS NULL OR x.at > c.due_at)
    UNION ALL
    SELECT a.started_at, c.kind, 'attempt', c.id
    FROM callback_attempts a JOIN callbacks c ON c.id = a.callback_id
    WHERE a.started_at >= $1 AND a.started_at < $2
)
SELECT (at AT TIME ZONE $3)::date AS day, kind,
       count(*) FILTER (WHERE figure = 'opened') AS opened,
       count(*) FILTER (WHERE figure = 'done') AS done,
       count(*) FILTER (WHERE figure = 'overdue') AS overdue,
       count(*) FILTER (WHERE figure = 'failed') AS failed,
       count(*) FILTER (WHERE figure = 'attempt') AS attempts,
       count(DISTINCT id) FILTER (WHERE figure = 'attempt') AS attempted
FROM happened
GROUP BY day, kind
ORDER BY day, kind;

-- name: department_figures
-- R13: suggestions and complaints (escalations to a department), per local day made
-- (time zone $3) in [$1, $2) and department: made; passed on (done, forwarded); done in
-- all; still live; overdue (past due and not closed before it was due).
SELECT (c.created_at AT TIME ZONE $3)::date AS day, c.department,
       count(*) AS opened,
       count(*) FILTER (WHERE c.state = 'done' AND c.outcome = 'forwarded') AS forwarded,
       count(*) FILTER (WHERE c.state = 'done') AS done,
       count(*) FILTER (WHERE c.state IN ('open', 'dispatching', 'in_progress')) AS live,
       count(*) FILTER (WHERE c.due_at < now()
                          AND (x.closed_at IS NULL OR x.closed_at > c.due_at)) AS overdue
FROM callbacks c
LEFT JOIN LATERAL (
    SELECT min(h.at) AS closed_at FROM callback_history h
    WHERE h.callback_id = c.id AND h.to_state IN ('done', 'failed', 'cancelled')
) x ON true
WHERE c.kind = 'escalation' AND c.department IS NOT NULL
  AND c.created_at >= $1 AND c.created_at < $2
GROUP BY day, c.department
ORDER BY day, c.department;

-- name: open_counts
SELECT kind, state, count(*) AS n FROM callbacks
WHERE state IN ('open', 'dispatching', 'in_progress')
GROUP BY kind, state ORDER BY kind, state;

-- name: overdue_counts
SELECT kind, count(*) AS n FROM callbacks
WHERE due_at < $1 AND state IN ('open', 'dispatching', 'in_progress')
GROUP BY kind ORDER BY kind;

-- name: oldest_dispatchable
-- The dispatch lag: how long the longest-waiting dispatchable callback has been due.
SELECT min(not_before) FROM callbacks WHERE state = 'open' AND not_before <= $1;

-- name: set_due_by_default
-- An amendment (callback/amend.py) that set a category or a due time: no longer the default.
UPDATE callbacks SET due_by_default = $2 WHERE id = $1;

-- name: idempotency_of
-- The callback an API request with this Idempotency-Key made (migration 0017).
SELECT callback_id, fingerprint, created FROM callback_idempotency
WHERE actor = $1 AND key = $2;

-- name: insert_idempotency
INSERT INTO callback_idempotency (actor, key, fingerprint, callback_id, created, created_at)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: voicemails_to_remove
-- Messages kept in the spool whose callback closed (done, failed, cancelled: final, so
-- its updated_at is when it closed) before $1; never one of a live callback.
SELECT r.id, r.callback_id, r.msg_id FROM callback_reasons r
JOIN callbacks c ON c.id = r.callback_id
WHERE r.kind = 'voicemail' AND r.msg_id IS NOT NULL AND r.removed_at IS NULL
  AND c.state IN ('done', 'failed', 'cancelled') AND c.updated_at < $1
ORDER BY c.updated_at, r.id
LIMIT $2;

-- name: voicemail_removed
-- The message is gone from the spool: marked once, with its history row, in one statement
-- (a sweep after a crash finds it marked: no row); only while its callback is closed.
WITH marked AS (
    UPDATE callback_reasons r SET removed_at = $2
    FROM callbacks c
    WHERE r.id = $1 AND r.removed_at IS NULL AND c.id = r.callback_id
      AND c.state IN ('done', 'failed', 'cancelled')
    RETURNING r.callback_id, r.msg_id, c.state
)
INSERT INTO callback_history (
    callback_id, at, event, from_state, to_state, actor, actor_role, detail)
SELECT callback_id, $2, 'VoicemailRemoved', state, state, 'system', NULL,
    jsonb_build_object('msg_id', msg_id)
FROM marked
RETURNING id;

-- name: voicemail_removed_at
SELECT removed_at FROM callback_reasons WHERE msg_id = $1;
