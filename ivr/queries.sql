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
