-- Hot desking (agent_state/seats.py): the desk phone an agent works at is the session's,
-- not the account's. agent_states.phone is where the signed-in agent's queue member
-- rings (Local/<phone>@agents-local/n), kept so that a restart or a reconcile rebuilds
-- the same member; freed (NULL) at sign-out. Two agents never hold one phone at once:
-- the unique index is the race-safe last word. agents.extension stays the home phone,
-- the default when a sign-in names none.
ALTER TABLE agent_states
    ADD COLUMN phone text CHECK (phone ~ '^[0-9]{1,20}$'),
    ADD CONSTRAINT agent_states_phone_only_signed_in CHECK (state <> 'logged_out' OR phone IS NULL);

-- agents signed in before hot desking sit at their home phones
UPDATE agent_states s SET phone = a.extension
FROM agents a
WHERE a.job_number = s.job_number AND s.state <> 'logged_out' AND a.extension IS NOT NULL;

CREATE UNIQUE INDEX agent_states_phone_taken ON agent_states (phone) WHERE phone IS NOT NULL;
