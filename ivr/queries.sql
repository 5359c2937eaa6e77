-- name: calendar_overrides
-- Every admin override: what the date is (working | holiday | rest), and who said so.
SELECT day, kind, holiday, note, set_by, set_at FROM calendar_overrides ORDER BY day;

-- name: set_calendar_override
INSERT INTO calendar_overrides (day, kind, holiday, note, set_by, set_at)
VALUES ($1, $2, $3, $4, $5, now())
ON CONFLICT (day) DO UPDATE
SET kind = $2, holiday = $3, note = $4, set_by = $5, set_at = now();

-- name: delete_calendar_override
DELETE FROM calendar_overrides WHERE day = $1;

-- name: calendar_notices
SELECT year, entered_by, entered_at FROM calendar_notices ORDER BY year;

-- name: calendar_notice_holidays
SELECT year, first_day, last_day, holiday FROM calendar_notice_holidays
ORDER BY year, first_day;

-- name: calendar_notice_make_up_days
SELECT year, day FROM calendar_notice_make_up_days ORDER BY year, day;

-- name: set_calendar_notice
-- A year's notice, replaced whole (its holidays and make-up days are written after).
INSERT INTO calendar_notices (year, entered_by, entered_at) VALUES ($1, $2, now())
ON CONFLICT (year) DO UPDATE SET entered_by = $2, entered_at = now();

-- name: clear_calendar_notice_holidays
DELETE FROM calendar_notice_holidays WHERE year = $1;

-- name: clear_calendar_notice_make_up_days
DELETE FROM calendar_notice_make_up_days WHERE year = $1;

-- name: add_calendar_notice_holiday
INSERT INTO calendar_notice_holidays (year, first_day, last_day, holiday)
VALUES ($1, $2, $3, $4);

-- name: add_calendar_notice_make_up_day
INSERT INTO calendar_notice_make_up_days (year, day) VALUES ($1, $2);

-- name: delete_calendar_notice
DELETE FROM calendar_notices WHERE year = $1;
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
