-- Retention (retention/): rows older than their retention leave in batches, oldest
-- first. The audit tables stay append-only for everything else: a DELETE is refused
-- unless the purge's own transaction said so (SET LOCAL hotline.purge = 'on').
CREATE INDEX agent_state_audit_at ON agent_state_audit (at);
CREATE INDEX sign_in_audit_at ON sign_in_audit (at);

CREATE OR REPLACE FUNCTION agent_state_audit_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('hotline.purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'agent_state_audit is append-only';
END $$;

CREATE OR REPLACE FUNCTION sign_in_audit_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('hotline.purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'sign_in_audit is append-only';
END $$;
