-- name: calendar_override
-- An admin's word on one day (true: working, false: not), or no row.
SELECT working FROM calendar_overrides WHERE day = $1;

-- name: set_calendar_override
INSERT INTO calendar_overrides (day, working, note) VALUES ($1, $2, $3)
ON CONFLICT (day) DO UPDATE SET working = $2, note = $3;

-- name: delete_calendar_override
DELETE FROM calendar_overrides WHERE day = $1;
