-- Accounts managed by admins (issue 10). An account can be disabled (kept with its
-- history; no sign-in, off the desk-phone roster) or deleted; every change an admin makes
-- is appended to account_audit: who, when, what — never a PIN, a password or a hash.
ALTER TABLE agents ADD COLUMN disabled_at timestamptz;
-- an admin signs in with a password only and sits at no desk phone (least privilege);
-- an agent signs in with a PIN only
ALTER TABLE agents ADD CONSTRAINT agents_admin_check CHECK (
    role <> 'admin' OR (password_hash IS NOT NULL AND pin_hash IS NULL AND extension IS NULL));
ALTER TABLE agents ADD CONSTRAINT agents_agent_password_check CHECK (
    role <> 'agent' OR password_hash IS NULL);

CREATE TABLE account_audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text NOT NULL CHECK (length(actor) BETWEEN 1 AND 40),  -- a job number, or the CLI
    job_number  text NOT NULL,  -- no reference: a deleted account keeps its history
    what        text NOT NULL CHECK (what IN ('created', 'role_changed', 'pin_reset',
                                              'password_reset', 'disabled', 'enabled',
                                              'deleted', 'password_rehashed')),
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX account_audit_key ON account_audit (job_number, at);

CREATE FUNCTION account_audit_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'account_audit is append-only';
END $$;
CREATE TRIGGER account_audit_append_only BEFORE UPDATE OR DELETE ON account_audit
    FOR EACH ROW EXECUTE FUNCTION account_audit_is_append_only();
