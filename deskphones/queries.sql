-- Desk phones an admin publishes (deskphones/), and their audit.

-- name: lock
-- one change at a time, from its row to Asterisk's reload (the transaction's lock)
SELECT pg_advisory_xact_lock(hashtext('hotline.desk_phones'));

-- name: phones
SELECT extension, realm, digest, active FROM desk_phones ORDER BY extension;

-- name: phone
SELECT extension, realm, digest, active FROM desk_phones WHERE extension = $1;

-- name: insert
INSERT INTO desk_phones (extension, realm, digest, active, changed_at, changed_by)
VALUES ($1, $2, $3, true, $4, $5);

-- name: update
UPDATE desk_phones SET realm = $2, digest = $3, active = $4, changed_at = $5, changed_by = $6
WHERE extension = $1;

-- name: audit
INSERT INTO desk_phone_audit (at, actor, extension, what) VALUES ($1, $2, $3, $4);
