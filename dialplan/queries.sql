-- Dial-plan drafts, versions and their audit (migration 0010). Plans travel as JSON
-- text ($n::jsonb in, ::text out); dialplan/repo.py turns rows into dataclasses.

-- name: list_drafts
SELECT id, name, plan::text AS plan, revision, created_by, created_at, edited_by, edited_at
FROM dial_plan_drafts ORDER BY name;

-- name: draft_by_id
SELECT id, name, plan::text AS plan, revision, created_by, created_at, edited_by, edited_at
FROM dial_plan_drafts WHERE id = $1;

-- name: insert_draft
-- Nothing when the name is taken.
INSERT INTO dial_plan_drafts (name, plan, created_by, edited_by, created_at, edited_at)
VALUES ($1, $2::jsonb, $3, $3, $4, $4)
ON CONFLICT (name) DO NOTHING
RETURNING id, name, plan::text AS plan, revision, created_by, created_at, edited_by, edited_at;

-- name: update_draft
-- Only the revision the editor read ($3; NULL: whichever); nothing otherwise.
UPDATE dial_plan_drafts
SET name = $2, plan = $4::jsonb, revision = revision + 1, edited_by = $5, edited_at = $6
WHERE id = $1 AND ($3::int IS NULL OR revision = $3)
RETURNING id, name, plan::text AS plan, revision, created_by, created_at, edited_by, edited_at;

-- name: draft_name_taken
SELECT EXISTS (SELECT 1 FROM dial_plan_drafts WHERE name = $1 AND id <> $2);

-- name: delete_draft
DELETE FROM dial_plan_drafts WHERE id = $1 RETURNING id, name;

-- name: try_publish_lock
-- One publish at a time, across every service on this database (session lock; the
-- caller unlocks, and the pool's full reset, db/pool.py, unlocks whatever is left).
SELECT pg_try_advisory_lock($1::int4, $2::int4);

-- name: publish_unlock
SELECT pg_advisory_unlock($1::int4, $2::int4);

-- name: abandon_publishing
-- Under the publish lock no publish is under way: a row still publishing is one a
-- service died in the middle of.
UPDATE dial_plan_versions SET state = 'failed', error = $1
WHERE state = 'publishing'
RETURNING version;

-- name: insert_version
-- The next version number (publishing is serialised by the lock above).
INSERT INTO dial_plan_versions
    (version, plan, published_by, published_at, draft_id, draft_name, rollback_of, state)
SELECT coalesce(max(version), 0) + 1, $1::jsonb, $2, $3, $4, $5, $6, 'publishing'
FROM dial_plan_versions
RETURNING version;

-- name: set_text_hash
UPDATE dial_plan_versions SET text_hash = $2 WHERE version = $1 AND text_hash IS NULL;

-- name: demote_live
UPDATE dial_plan_versions SET state = 'previous' WHERE state = 'live' RETURNING version;

-- name: make_live
UPDATE dial_plan_versions SET state = 'live' WHERE version = $1 AND state = 'publishing'
RETURNING version;

-- name: mark_failed
UPDATE dial_plan_versions SET state = 'failed', error = $2
WHERE version = $1 AND state = 'publishing'
RETURNING version;

-- name: list_versions
SELECT version, plan::text AS plan, text_hash, published_by, published_at, draft_id,
       draft_name, rollback_of, state, error
FROM dial_plan_versions
ORDER BY version DESC
LIMIT $1;

-- name: version_by_number
SELECT version, plan::text AS plan, text_hash, published_by, published_at, draft_id,
       draft_name, rollback_of, state, error
FROM dial_plan_versions WHERE version = $1;

-- name: loaded_versions
-- The live version and the $1 newest that were live before it.
(SELECT version, plan::text AS plan, text_hash, published_by, published_at, draft_id,
        draft_name, rollback_of, state, error
 FROM dial_plan_versions WHERE state = 'live')
UNION ALL
(SELECT version, plan::text AS plan, text_hash, published_by, published_at, draft_id,
        draft_name, rollback_of, state, error
 FROM dial_plan_versions WHERE state = 'previous' ORDER BY version DESC LIMIT $1);

-- name: insert_audit
INSERT INTO dial_plan_audit (at, actor, action, draft_id, draft_name, version, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb);

-- name: list_audit
-- Newest first.
SELECT id, at, actor, action, draft_id, draft_name, version, detail::text AS detail
FROM dial_plan_audit
ORDER BY at DESC, id DESC
LIMIT $1;
