-- Agents' states, their queues, the audit log, wrap-up classification, sign-out schedules.
-- design.md "Agents and their states"; standard.md R1-R5, R8, R10.

ALTER TABLE agents
    ADD COLUMN role text NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'supervisor'));

CREATE TABLE agent_queues (
    job_number  text NOT NULL REFERENCES agents ON DELETE CASCADE,
    queue       text NOT NULL CHECK (queue ~ '^[0-9]{1,20}$'),
    penalty     integer NOT NULL DEFAULT 0 CHECK (penalty BETWEEN 0 AND 100),
    PRIMARY KEY (job_number, queue)
);

-- The current state of each agent; the transition table in agent_state/model.py decides.
CREATE TABLE agent_states (
    job_number        text PRIMARY KEY REFERENCES agents ON DELETE CASCADE,
    state             text NOT NULL CHECK (state IN (
                          'logged_out', 'idle', 'ringing', 'on_call', 'wrap_up', 'busy')),
    busy_reason       text CHECK (busy_reason IN (
                          'manual', 'ring_no_answer', 'phone_unreachable', 'break',
                          'reconciled', 'supervisor')),
    since             timestamptz NOT NULL,
    wrap_up_deadline  timestamptz,  -- stored: a restart strands nobody in wrap-up
    sign_out_pending  boolean NOT NULL DEFAULT false,
    phone_reachable   boolean NOT NULL DEFAULT true,
    CHECK ((state = 'busy') = (busy_reason IS NOT NULL)),
    CHECK ((state = 'wrap_up') = (wrap_up_deadline IS NOT NULL))
);

-- Every transition, appended, never changed.
CREATE TABLE agent_state_audit (
    id           bigserial PRIMARY KEY,
    job_number   text NOT NULL,
    at           timestamptz NOT NULL,
    from_state   text NOT NULL,
    from_reason  text,
    to_state     text NOT NULL,
    to_reason    text,
    event        text NOT NULL,
    source       text NOT NULL CHECK (source IN ('phone', 'web', 'system', 'asterisk')),
    linkedid     text,
    actor        text  -- who asked: a job number (web, phone) or a supervisor's
);
CREATE INDEX agent_state_audit_agent ON agent_state_audit (job_number, at);

CREATE FUNCTION agent_state_audit_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'agent_state_audit is append-only';
END $$;
CREATE TRIGGER agent_state_audit_append_only BEFORE UPDATE OR DELETE ON agent_state_audit
    FOR EACH ROW EXECUTE FUNCTION agent_state_audit_is_append_only();

-- R5: the region's unified business categories; admins edit the list.
CREATE TABLE call_categories (
    name      text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 40),
    position  integer NOT NULL,
    active    boolean NOT NULL DEFAULT true
);
INSERT INTO call_categories (name, position) VALUES
    ('养老保险', 1), ('医疗保险', 2), ('失业保险', 3), ('工伤保险', 4), ('生育保险', 5),
    ('劳动关系', 6), ('就业创业', 7), ('人事人才', 8), ('社会保障卡', 9),
    ('建议投诉', 10), ('其他', 11);

-- Wrap-up classification kept on the call record (R5).
ALTER TABLE calls
    ADD COLUMN category text REFERENCES call_categories (name) ON UPDATE CASCADE,
    ADD COLUMN summary text CHECK (length(summary) <= 500),
    ADD COLUMN classified_by text,
    ADD COLUMN classified_at timestamptz;

-- R2c: the noon break and the end of the day sign agents out, per weekday (1 = Monday).
-- Applied on working days of the official calendar (with 调休), see agent_state/schedule.py.
CREATE TABLE sign_out_schedule (
    weekday  integer NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    at       time NOT NULL,
    label    text NOT NULL CHECK (label IN ('noon_break', 'end_of_day')),
    PRIMARY KEY (weekday, at)
);
INSERT INTO sign_out_schedule (weekday, at, label)
SELECT d, t.at, t.label
FROM generate_series(1, 7) AS d,
     (VALUES (time '13:30', 'noon_break'), (time '19:30', 'end_of_day')) AS t (at, label);

-- Admin overrides of the official calendar: a day made working or not.
CREATE TABLE calendar_overrides (
    day      date PRIMARY KEY,
    working  boolean NOT NULL,
    note     text NOT NULL DEFAULT ''
);

-- Sessions of the agent and supervisor pages: only a hash of the token is kept.
CREATE TABLE web_sessions (
    token_hash  text PRIMARY KEY,
    job_number  text NOT NULL REFERENCES agents ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('agent', 'supervisor')),
    expires_at  timestamptz NOT NULL
);
