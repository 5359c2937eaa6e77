-- Session-level advisory locks (db/lock.py). The two-int form keeps these keys apart
-- from the migrations' one-bigint lock.

-- name: try_advisory_lock
SELECT pg_try_advisory_lock($1::int4, $2::int4);

-- name: advisory_lock_holder
SELECT a.pid, host(a.client_addr) AS client_addr, a.application_name
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
  AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database());

-- name: ping
SELECT 1;

-- ---- the journal's replay (db/durable.py) ------------------------------------------------

-- name: claim_journal_entry
-- The entry's id, if it was not applied before (then its write follows, same transaction).
INSERT INTO applied_journal (entry_id, kind) VALUES ($1, $2)
ON CONFLICT (entry_id) DO NOTHING
RETURNING entry_id;
