-- One calendar for everything (issue 10): an admin's override now says what a date is —
-- a working day, a named holiday (its key: ivr/calendar.py's HOLIDAYS) or a rest day —
-- and who set it when. Existing overrides keep their meaning: working stays working,
-- not working becomes a rest day.
ALTER TABLE calendar_overrides ADD COLUMN kind text;
UPDATE calendar_overrides SET kind = CASE WHEN working THEN 'working' ELSE 'rest' END;
ALTER TABLE calendar_overrides
    ALTER COLUMN kind SET NOT NULL,
    ADD CONSTRAINT calendar_overrides_kind_check CHECK (kind IN ('working', 'holiday', 'rest')),
    ADD COLUMN holiday text CHECK (holiday IN (
        'new_years_day', 'spring_festival', 'tomb_sweeping_day', 'labour_day',
        'dragon_boat_festival', 'mid_autumn_festival', 'national_day')),
    ADD CONSTRAINT calendar_overrides_holiday_kind_check
        CHECK ((kind = 'holiday') = (holiday IS NOT NULL)),
    ADD CONSTRAINT calendar_overrides_note_check CHECK (length(note) <= 200),
    ADD COLUMN set_by text NOT NULL DEFAULT '',
    ADD COLUMN set_at timestamptz NOT NULL DEFAULT now(),
    DROP COLUMN working;

-- A year's official notice (the State Council's 部分节假日安排), entered by an admin: its
-- holidays as date ranges with their key, and its 调休 make-up working days.
CREATE TABLE calendar_notices (
    year        integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    entered_by  text NOT NULL,
    entered_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE calendar_notice_holidays (
    year       integer NOT NULL REFERENCES calendar_notices ON DELETE CASCADE,
    first_day  date NOT NULL,
    last_day   date NOT NULL,
    holiday    text NOT NULL CHECK (holiday IN (
        'new_years_day', 'spring_festival', 'tomb_sweeping_day', 'labour_day',
        'dragon_boat_festival', 'mid_autumn_festival', 'national_day')),
    PRIMARY KEY (year, first_day),
    CHECK (first_day <= last_day),
    CHECK (extract(year FROM first_day) = year AND extract(year FROM last_day) = year)
);

CREATE TABLE calendar_notice_make_up_days (
    year  integer NOT NULL REFERENCES calendar_notices ON DELETE CASCADE,
    day   date PRIMARY KEY CHECK (extract(isodow FROM day) IN (6, 7)),
    CHECK (extract(year FROM day) = year)
);
