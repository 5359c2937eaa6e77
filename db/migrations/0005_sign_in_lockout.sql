-- Sign-in lockout (issue 8): after repeated wrong PINs a job number is locked *from that
-- phone or client address only* (callers hear job numbers, R8: a stranger must not lock
-- an agent out everywhere). A supervisor may lift it. Every failure, lock and lift is
-- appended to an audit table that is never changed.

CREATE TABLE sign_in_lockouts (
    job_number  text NOT NULL REFERENCES agents ON DELETE CASCADE,
    origin      text NOT NULL CHECK (length(origin) BETWEEN 1 AND 100),
    until       timestamptz NOT NULL,
    PRIMARY KEY (job_number, origin)
);

CREATE TABLE sign_in_audit (
    id          bigserial PRIMARY KEY,
    job_number  text NOT NULL,
    origin      text NOT NULL,
    at          timestamptz NOT NULL,
    what        text NOT NULL CHECK (what IN ('failed', 'locked', 'lifted', 'succeeded')),
    until       timestamptz,  -- a lock's end
    actor       text,         -- who lifted it (a supervisor's job number)
    CHECK ((what = 'locked') = (until IS NOT NULL))
);
CREATE INDEX sign_in_audit_key ON sign_in_audit (job_number, origin, at);

CREATE FUNCTION sign_in_audit_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'sign_in_audit is append-only';
END $$;
CREATE TRIGGER sign_in_audit_append_only BEFORE UPDATE OR DELETE ON sign_in_audit
    FOR EACH ROW EXECUTE FUNCTION sign_in_audit_is_append_only();
