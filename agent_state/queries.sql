-- name: roster
-- Every agent with desk phone, role and queues.
SELECT a.job_number, a.name, a.extension, a.role, a.pin_hash,
       coalesce(array_agg(q.queue ORDER BY q.queue) FILTER (WHERE q.queue IS NOT NULL),
                '{}') AS queues,
       coalesce(array_agg(q.penalty ORDER BY q.queue) FILTER (WHERE q.queue IS NOT NULL),
                '{}') AS penalties
FROM agents a
LEFT JOIN agent_queues q USING (job_number)
GROUP BY a.job_number
ORDER BY a.job_number;

-- name: states
SELECT * FROM agent_states;

-- name: save_state
INSERT INTO agent_states (job_number, state, busy_reason, since, wrap_up_deadline,
                          sign_out_pending, phone_reachable)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (job_number) DO UPDATE SET
    state = $2, busy_reason = $3, since = $4, wrap_up_deadline = $5,
    sign_out_pending = $6, phone_reachable = $7;

-- name: audit
INSERT INTO agent_state_audit (job_number, at, from_state, from_reason, to_state, to_reason,
                               event, source, linkedid, actor, sign_out_pending, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);

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
