-- Every inbound call, one row (standard.md R10 and the quality figures).
-- Times are Asterisk's (its event Timestamp / CEL eventtime), stored as timestamptz.
CREATE TABLE calls (
    linkedid            text PRIMARY KEY,          -- Asterisk's Linkedid: one call, one row
    caller_number       text NOT NULL DEFAULT '',
    caller_name         text NOT NULL DEFAULT '',
    entry_number        text NOT NULL DEFAULT '',
    entered_at          timestamptz NOT NULL,
    greeting_done_at    timestamptz,
    queue_joined_at     timestamptz,
    agent_offered_at    timestamptz,
    agent_answered_at   timestamptz,
    ended_at            timestamptz NOT NULL,
    queue               text,
    agent_job_number    text CHECK (agent_job_number ~ '^[0-9]{1,20}$'),
    ring_s              double precision,
    wait_s              double precision,
    talk_s              double precision,
    outcome             text NOT NULL CHECK (outcome IN (
                            'answered', 'abandoned_greeting', 'abandoned_queue',
                            'voicemail', 'transferred', 'unanswered')),
    hung_up_first       text NOT NULL CHECK (hung_up_first IN (
                            'caller', 'agent', 'transfer', 'system', 'unknown')),
    source              text NOT NULL CHECK (source IN ('ami', 'cel')),
    recorded_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calls_entered_at ON calls (entered_at);
CREATE INDEX calls_caller_number ON calls (caller_number);
CREATE INDEX calls_agent ON calls (agent_job_number, entered_at);

-- Asterisk's own Channel Event Logging, written by cel_pgsql whether the service runs
-- or not (design.md "Nothing lost while the service is down"). Column names are the
-- ones cel_pgsql fills; eventtime is UTC (usegmtime = yes).
CREATE TABLE cel (
    id          bigserial PRIMARY KEY,
    eventtype   text NOT NULL,
    eventtime   timestamp NOT NULL,
    userdeftype text,
    cid_name    text,
    cid_num     text,
    cid_ani     text,
    cid_rdnis   text,
    cid_dnid    text,
    exten       text,
    context     text,
    channame    text,
    appname     text,
    appdata     text,
    accountcode text,
    peeraccount text,
    uniqueid    text,
    linkedid    text,
    amaflags    integer,
    userfield   text,
    peer        text,
    extra       text
);
CREATE INDEX cel_linkedid ON cel (linkedid);
CREATE INDEX cel_linkedid_end ON cel (eventtime) WHERE eventtype = 'LINKEDID_END';

-- Asterisk writes CEL as its own role, which may only insert. Create the role first
-- (the sandbox does: asterisk_cel); elsewhere grant it yourself.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'asterisk_cel') THEN
        GRANT INSERT ON cel TO asterisk_cel;
        GRANT USAGE ON SEQUENCE cel_id_seq TO asterisk_cel;
    END IF;
END $$;
