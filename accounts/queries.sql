-- Accounts (agents, supervisors, admins) in the agents table; their queues; the audit
-- of admins' changes. No hash ever leaves through the audit.

-- name: accounts
SELECT a.job_number, a.name, a.role, a.extension, a.pin_hash, a.password_hash,
       a.disabled_at IS NOT NULL AS disabled,
       coalesce(array_agg(q.queue ORDER BY q.queue) FILTER (WHERE q.queue IS NOT NULL),
                '{}') AS queues,
       coalesce(array_agg(q.penalty ORDER BY q.queue) FILTER (WHERE q.queue IS NOT NULL),
                '{}') AS penalties
FROM agents a
LEFT JOIN agent_queues q USING (job_number)
WHERE $1::text IS NULL OR a.job_number = $1
GROUP BY a.job_number
ORDER BY a.job_number;

-- name: extension_holder
SELECT job_number FROM agents WHERE extension = $1 AND job_number <> $2;

-- name: insert_account
INSERT INTO agents (job_number, name, role, extension, pin_hash, password_hash)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: update_account
-- role and credentials in one statement, so the table's CHECKs see the new shape whole
UPDATE agents SET name = $2, role = $3, extension = $4, pin_hash = $5, password_hash = $6
WHERE job_number = $1;

-- name: clear_queues
DELETE FROM agent_queues WHERE job_number = $1;

-- name: add_queue
INSERT INTO agent_queues (job_number, queue, penalty) VALUES ($1, $2, $3);

-- name: set_disabled
UPDATE agents SET disabled_at = CASE WHEN $2::boolean THEN coalesce(disabled_at, $3) END
WHERE job_number = $1;

-- name: delete_account
-- its queues, state, sessions and lockouts go with it (ON DELETE CASCADE); audits stay
DELETE FROM agents WHERE job_number = $1;

-- name: rehash_password
-- compare-and-set: a reset by an admin meanwhile wins over the sign-in's re-hash
UPDATE agents SET password_hash = $3 WHERE job_number = $1 AND password_hash = $2;

-- name: audit
INSERT INTO account_audit (at, actor, job_number, what, detail) VALUES ($1, $2, $3, $4, $5);

-- name: audit_of_account
SELECT at, actor, job_number, what, detail FROM account_audit
WHERE job_number = $1 ORDER BY at DESC, id DESC LIMIT $2;
