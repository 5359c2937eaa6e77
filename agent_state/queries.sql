-- name: roster
-- Every account that works at a desk phone (agents, and supervisors who also take
-- calls), with role and queues; admins, phone-less supervisors and disabled accounts
-- are not on it (accounts/model.py: on_phone).
SELECT a.job_number, a.name, a.extension, a.role, a.pin_hash, a.owner_slot,
       coalesce(array_agg(q.queue ORDER BY q.queue) FILTER (WHERE q.queue IS NOT NULL),
                '{}') AS queues,
       coalesce(array_agg(q.penalty ORDER BY q.queue) FILTER (WHERE q.queue IS NOT NULL),
                '{}') AS penalties
FROM agents a
LEFT JOIN agent_queues q USING (job_number)
WHERE a.extension IS NOT NULL AND a.pin_hash IS NOT NULL AND a.role <> 'admin'
  AND a.disabled_at IS NULL
GROUP BY a.job_number
ORDER BY a.job_number;

-- name: states
SELECT * FROM agent_states;

-- name: save_transition
-- The agent's new state and (when $9) its audit row, in one statement: one round trip,
-- atomic. detail: why, when the service reconciled (what the database said, what
-- Asterisk said). $18, the transition's id, makes a replay of a write that PostgreSQL
-- had committed (its reply lost) add no second audit row; the state it sets again is
-- the same, and no later write can have overtaken it (db/durable.py keeps the order).
-- $19: the session's desk phone (hot desking), NULL once signed out; a phone another
-- agent holds violates agent_states_phone_taken (repo.write_transition: PhoneTaken).
WITH saved AS (
    INSERT INTO agent_states (job_number, state, busy_reason, since, wrap_up_deadline,
                              sign_out_pending, phone_reachable, busy_pending, phone)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $19)
    ON CONFLICT (job_number) DO UPDATE SET
        state = $2, busy_reason = $3, since = $4, wrap_up_deadline = $5,
        sign_out_pending = $6, phone_reachable = $7, busy_pending = $8, phone = $19
)
INSERT INTO agent_state_audit (job_number, at, from_state, from_reason, to_state, to_reason,
                               event, source, linkedid, actor, busy_pending,
                               sign_out_pending, detail, transition_id)
SELECT $1, $10, $11, $12, $2, $3, $13, $14, $15, $16, $8, $6, $17, $18::uuid
WHERE $9::boolean
ON CONFLICT (transition_id) DO NOTHING;

-- name: audit_of_agent
-- The agent's last transitions, newest first, with why (detail).
SELECT at, from_state, from_reason, to_state, to_reason, event, source, linkedid, actor,
       busy_pending, sign_out_pending, detail
FROM agent_state_audit
WHERE job_number = $1
ORDER BY at DESC, id DESC
LIMIT $2;

-- name: schedule
SELECT weekday, at, label FROM sign_out_schedule ORDER BY weekday, at;

-- name: clear_schedule
DELETE FROM sign_out_schedule;

-- name: add_schedule_entry
INSERT INTO sign_out_schedule (weekday, at, label) VALUES ($1, $2, $3);


-- ---- sign-in lockout (agent_state/lockouts.py) -------------------------------------------

-- name: sign_in_locked_until
SELECT until FROM sign_in_lockouts WHERE job_number = $1 AND origin = $2 AND until > $3;

-- name: sign_in_failed
-- one more wrong PIN; returns how many there are in the window since the last lock,
-- lift or success for this job number and origin (this one included)
WITH failed AS (
    INSERT INTO sign_in_audit (job_number, origin, at, what) VALUES ($1, $2, $3, 'failed')
)
SELECT count(*) + 1 FROM sign_in_audit
WHERE job_number = $1 AND origin = $2 AND what = 'failed' AND at > $4
  AND at > COALESCE((SELECT max(at) FROM sign_in_audit
                     WHERE job_number = $1 AND origin = $2 AND what <> 'failed'),
                    '-infinity');

-- name: sign_in_lock
WITH locked AS (
    INSERT INTO sign_in_lockouts (job_number, origin, until) VALUES ($1, $2, $4)
    ON CONFLICT (job_number, origin) DO UPDATE SET until = $4
)
INSERT INTO sign_in_audit (job_number, origin, at, what, until) VALUES ($1, $2, $3, 'locked', $4);

-- name: sign_in_succeeded
-- a success ends a run of wrong PINs (recorded only when the last row was a failure)
INSERT INTO sign_in_audit (job_number, origin, at, what)
SELECT $1, $2, $3, 'succeeded'
WHERE (SELECT what FROM sign_in_audit WHERE job_number = $1 AND origin = $2
       ORDER BY at DESC, id DESC LIMIT 1) = 'failed';

-- name: sign_in_lift
-- a supervisor lifts every lock of a job number; the ones still in force are audited
WITH lifted AS (
    DELETE FROM sign_in_lockouts WHERE job_number = $1 RETURNING origin, until
)
INSERT INTO sign_in_audit (job_number, origin, at, what, actor)
SELECT $1, origin, $2, 'lifted', $3 FROM lifted WHERE until > $2
RETURNING origin;
