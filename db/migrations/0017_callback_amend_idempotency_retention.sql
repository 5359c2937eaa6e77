-- Callbacks (issue 11), three gaps: an escalation's details added later, idempotent
-- creation through the API, and the voicemail messages removed after a retention time.

-- The due time was computed from the default working days (a desk-phone escalation
-- carries no category): when the agent adds the category later, the due time follows the
-- category's configured days (callback/amend.py). False once a category or a person set it.
ALTER TABLE callbacks ADD COLUMN due_by_default boolean NOT NULL DEFAULT false;

-- The Idempotency-Key of the API request that made a callback (the IETF draft's header):
-- the same key from the same actor returns that callback instead of a second one; the
-- fingerprint (of the request's route and body) tells a retry from a different request.
CREATE TABLE callback_idempotency (
    actor        text NOT NULL,   -- the job number that sent the key
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    fingerprint  text NOT NULL,
    callback_id  uuid NOT NULL REFERENCES callbacks,
    created      boolean NOT NULL,  -- the request made it (false: it was linked or merged)
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (actor, key)
);
CREATE INDEX callback_idempotency_callback ON callback_idempotency (callback_id);

-- A voicemail's message removed from Asterisk's spool (callback_voicemail_retention_days
-- after its callback closed); the recording route then answers 410.
ALTER TABLE callback_reasons ADD COLUMN removed_at timestamptz;
CREATE INDEX callback_reasons_kept_voicemail ON callback_reasons (callback_id)
    WHERE kind = 'voicemail' AND msg_id IS NOT NULL AND removed_at IS NULL;
