-- name: calendar_override
-- An admin's word on one day (true: working, false: not), or no row.
SELECT working FROM calendar_overrides WHERE day = $1;

-- name: set_calendar_override
INSERT INTO calendar_overrides (day, working, note) VALUES ($1, $2, $3)
ON CONFLICT (day) DO UPDATE SET working = $2, note = $3;

-- name: delete_calendar_override
DELETE FROM calendar_overrides WHERE day = $1;

-- ---- the prompt library (ivr/prompt_repo.py) ----------------------------------------

-- name: prompt_list
SELECT * FROM prompts ORDER BY language, name;

-- name: prompt_get
SELECT * FROM prompts WHERE language = $1 AND name = $2;

-- name: prompt_save
-- An admin's upload or text: replaces whatever was there.
INSERT INTO prompts (language, name, source, text, upload_type, duration_ms, size_bytes,
                     sha256, changed_by, changed_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
ON CONFLICT (language, name) DO UPDATE SET
    source = $3, text = $4, upload_type = $5, duration_ms = $6, size_bytes = $7,
    sha256 = $8, changed_by = $9, changed_at = now()
RETURNING *;

-- name: prompt_save_default
-- A default made by the service: never over an admin's prompt.
INSERT INTO prompts (language, name, source, text, upload_type, duration_ms, size_bytes,
                     sha256, changed_by, changed_at)
VALUES ($1, $2, 'default', $3, NULL, $4, $5, $6, NULL, now())
ON CONFLICT (language, name) DO UPDATE SET
    text = $3, duration_ms = $4, size_bytes = $5, sha256 = $6, changed_at = now()
    WHERE prompts.source = 'default'
RETURNING *;

-- name: prompt_delete
DELETE FROM prompts WHERE language = $1 AND name = $2 RETURNING *;

-- name: prompt_history_add
INSERT INTO prompt_history (language, name, action, text, upload_type, duration_ms,
                            size_bytes, sha256, changed_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: prompt_history
SELECT * FROM prompt_history WHERE language = $1 AND name = $2 ORDER BY id DESC LIMIT $3;
