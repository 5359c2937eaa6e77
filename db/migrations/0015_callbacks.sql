-- Callbacks: the durable queue of promises to call a citizen back (issue 11).
-- design.md "Callbacks"; standard.md R11a, R12, R13. The values in the CHECKs are
-- callback/model.py's enums; the life itself is model.step's transition table.

CREATE TABLE callbacks (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN (
                     'voicemail', 'escalation', 'keep_place', 'return_visit')),
    state        text NOT NULL CHECK (state IN (
                     'open', 'dispatching', 'in_progress', 'done', 'failed', 'cancelled')),
    -- checked before it is stored; '' when the caller's number could not be called back
    -- (a supervisor's: never dispatched, see callback/intake.py)
    number       text NOT NULL CHECK (number = '' OR number ~ '^\+?[0-9]{3,24}$'),
    created_at   timestamptz NOT NULL,
    priority_at  timestamptz NOT NULL,  -- earlier goes first (keep-your-place: join time)
    not_before   timestamptz NOT NULL,  -- a return visit's time, a retry's
    due_at       timestamptz,           -- overdue after (an escalation's due time)
    owner        text,                  -- a job number; NULL: anyone
    category     text,
    question     text NOT NULL DEFAULT '',
    department   text,                  -- R13: suggestions and complaints
    linked_to    uuid REFERENCES callbacks,  -- an owned callback for the same number
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    lease_until  timestamptz,           -- while dispatching: reclaimed once it is past
    attempt_id   text UNIQUE,           -- the current attempt's Originate ChannelId
    agent        text,                  -- the job number working it
    outcome      text CHECK (outcome IN ('resolved', 'follow_up', 'forwarded', 'wrong_number')),
    note         text NOT NULL DEFAULT '',
    updated_at   timestamptz NOT NULL,
    -- a claim always carries its attempt and its lease
    CHECK (state <> 'dispatching' OR (attempt_id IS NOT NULL AND lease_until IS NOT NULL))
);

-- The claim: open ones in priority order (not_before checked in the index), and the
-- dispatching ones whose lease ran out.
CREATE INDEX callbacks_claim_open ON callbacks (priority_at, not_before) WHERE state = 'open';
CREATE INDEX callbacks_claim_lease ON callbacks (lease_until) WHERE state = 'dispatching';
-- Intake (the live callbacks of a number) and the listings.
CREATE INDEX callbacks_number ON callbacks (number, created_at);
CREATE INDEX callbacks_owner ON callbacks (owner, state) WHERE owner IS NOT NULL;
CREATE INDEX callbacks_state ON callbacks (state, priority_at);
CREATE INDEX callbacks_due ON callbacks (due_at)
    WHERE due_at IS NOT NULL AND state IN ('open', 'dispatching', 'in_progress');
CREATE INDEX callbacks_linked_to ON callbacks (linked_to) WHERE linked_to IS NOT NULL;

-- Why a callback exists; a merged one has several. Intake is idempotent: one callback
-- per voicemail message, one per call and kind for keep-your-place and escalations.
CREATE TABLE callback_reasons (
    id               bigserial PRIMARY KEY,
    callback_id      uuid NOT NULL REFERENCES callbacks,
    kind             text NOT NULL CHECK (kind IN (
                         'voicemail', 'escalation', 'keep_place', 'return_visit')),
    at               timestamptz NOT NULL,
    msg_id           text,  -- Asterisk's msg_id of a voicemail
    linkedid         text,  -- the call it came from
    queue_joined_at  timestamptz  -- keep-your-place: the caller's original join time
);
CREATE INDEX callback_reasons_callback ON callback_reasons (callback_id, at);
CREATE UNIQUE INDEX callback_reasons_msg_id ON callback_reasons (msg_id)
    WHERE msg_id IS NOT NULL;
CREATE UNIQUE INDEX callback_reasons_call ON callback_reasons (linkedid, kind)
    WHERE linkedid IS NOT NULL AND kind IN ('keep_place', 'escalation');

-- Each attempt: its Originate's ChannelId, its times and result (from AMI).
CREATE TABLE callback_attempts (
    attempt_id   text PRIMARY KEY,
    callback_id  uuid NOT NULL REFERENCES callbacks,
    started_at   timestamptz NOT NULL,
    agent        text,
    ended_at     timestamptz,
    result       text CHECK (result IN (
                     'answered', 'no_answer', 'busy', 'failed', 'invalid_number',
                     'not_confirmed', 'no_agent')),
    cause        text,  -- the citizen leg's hangup cause, as AMI gave it
    CHECK ((ended_at IS NULL) = (result IS NULL))
);
CREATE INDEX callback_attempts_callback ON callback_attempts (callback_id, started_at);
CREATE INDEX callback_attempts_started ON callback_attempts (started_at);

-- Every change, appended, never changed.
CREATE TABLE callback_history (
    id           bigserial PRIMARY KEY,
    callback_id  uuid NOT NULL REFERENCES callbacks,
    at           timestamptz NOT NULL,
    event        text NOT NULL,  -- the model's event (Opened, Claimed, AttemptEnded, ...)
    from_state   text,           -- NULL when the callback was made
    to_state     text NOT NULL,
    actor        text NOT NULL,  -- a job number, or 'system'
    actor_role   text CHECK (actor_role IN ('agent', 'supervisor', 'admin')),  -- NULL: system
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX callback_history_callback ON callback_history (callback_id, id);
CREATE INDEX callback_history_closed ON callback_history (at)
    WHERE to_state IN ('done', 'failed', 'cancelled');

CREATE FUNCTION callback_history_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'callback_history is append-only';
END $$;
CREATE TRIGGER callback_history_append_only BEFORE UPDATE OR DELETE ON callback_history
    FOR EACH ROW EXECUTE FUNCTION callback_history_is_append_only();
CREATE TRIGGER callback_history_no_truncate BEFORE TRUNCATE ON callback_history
    FOR EACH STATEMENT EXECUTE FUNCTION callback_history_is_append_only();

-- Wake the dispatchers (callback/repo.py's CHANNEL) when a callback becomes open; the
-- payload is its id. Those due later, and expired leases, are found by polling.
CREATE FUNCTION callbacks_notify_open() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hotline_callbacks', NEW.id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER callbacks_opened AFTER INSERT ON callbacks
    FOR EACH ROW WHEN (NEW.state = 'open') EXECUTE FUNCTION callbacks_notify_open();
CREATE TRIGGER callbacks_reopened AFTER UPDATE OF state ON callbacks
    FOR EACH ROW WHEN (NEW.state = 'open' AND OLD.state <> 'open')
    EXECUTE FUNCTION callbacks_notify_open();
