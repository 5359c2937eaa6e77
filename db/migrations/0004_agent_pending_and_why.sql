-- A request that takes an agent out of idle is in force only once Asterisk confirms it
-- (issue 8): until then the agent stays where Asterisk has it, with the request pending.
-- And every audit row can say why (a reconcile's disagreement: what the database said,
-- what Asterisk said).

ALTER TABLE agent_states
    ADD COLUMN busy_pending text CHECK (busy_pending IN (
        'manual', 'ring_no_answer', 'phone_unreachable', 'break', 'reconciled', 'supervisor'));

ALTER TABLE agent_state_audit
    ADD COLUMN busy_pending text,
    ADD COLUMN sign_out_pending boolean NOT NULL DEFAULT false,
    ADD COLUMN detail text;  -- why, in words a supervisor can act on
