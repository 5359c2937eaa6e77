-- Dial plans (issue 10): drafts an admin edits, published versions that never change,
-- and an audit of everything done to either. design.md "Calls, IVR and dial plans".
-- The life cycle (which state follows which) is dialplan/versions.py's; these tables
-- only refuse what can never be right.

-- A draft: a named plan an admin is editing (its JSON form, dialplan/model.py).
CREATE TABLE dial_plan_drafts (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
    plan        jsonb NOT NULL,
    revision    integer NOT NULL DEFAULT 1 CHECK (revision > 0),  -- +1 on each edit
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    edited_by   text NOT NULL,
    edited_at   timestamptz NOT NULL DEFAULT now()
);

-- A published version: its plan and compiled text never change; only its state does.
-- publishing: being handed to Asterisk (at most one, under the publish lock)
-- live: what the entry numbers run (exactly one once anything was published)
-- previous: was live once; the newest few stay loaded for callers still in them
-- failed: Asterisk did not take it (error says why); the former live stayed live
CREATE TABLE dial_plan_versions (
    version       integer PRIMARY KEY CHECK (version > 0),
    plan          jsonb NOT NULL,
    text_hash     text CHECK (text_hash ~ '^[0-9a-f]{64}$'),  -- sha256 of the compiled text
    published_by  text NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT now(),
    draft_id      bigint REFERENCES dial_plan_drafts ON DELETE SET NULL,
    draft_name    text,  -- kept: the draft may be deleted later
    rollback_of   integer REFERENCES dial_plan_versions,  -- a rollback republishes this one
    state         text NOT NULL CHECK (state IN ('publishing', 'live', 'previous', 'failed')),
    error         text,
    CHECK ((state = 'failed') = (error IS NOT NULL)),
    CHECK (state IN ('publishing', 'failed') OR text_hash IS NOT NULL)
);
-- exactly one live version at a time
CREATE UNIQUE INDEX dial_plan_versions_one_live ON dial_plan_versions ((true))
    WHERE state = 'live';
CREATE UNIQUE INDEX dial_plan_versions_one_publishing ON dial_plan_versions ((true))
    WHERE state = 'publishing';

CREATE FUNCTION dial_plan_versions_are_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a published dial plan version is never deleted';
    END IF;
    IF NEW.version <> OLD.version OR NEW.plan <> OLD.plan
       OR NEW.published_by <> OLD.published_by OR NEW.published_at <> OLD.published_at
       OR NEW.rollback_of IS DISTINCT FROM OLD.rollback_of
       OR NEW.draft_name IS DISTINCT FROM OLD.draft_name
       OR (OLD.text_hash IS NOT NULL AND NEW.text_hash IS DISTINCT FROM OLD.text_hash) THEN
        RAISE EXCEPTION 'a published dial plan version changes only its state';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER dial_plan_versions_immutable BEFORE UPDATE OR DELETE ON dial_plan_versions
    FOR EACH ROW EXECUTE FUNCTION dial_plan_versions_are_immutable();

-- Every draft edit, publish, failed publish and rollback: appended, never changed.
CREATE TABLE dial_plan_audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,  -- the admin's job number
    action      text NOT NULL CHECK (action IN (
                    'draft_created', 'draft_updated', 'draft_deleted',
                    'published', 'publish_failed', 'rolled_back', 'rollback_failed')),
    draft_id    bigint,  -- no foreign key: the audit outlives the draft
    draft_name  text,
    version     integer REFERENCES dial_plan_versions,
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX dial_plan_audit_at ON dial_plan_audit (at, id);

CREATE FUNCTION dial_plan_audit_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'dial_plan_audit is append-only';
END $$;
CREATE TRIGGER dial_plan_audit_append_only BEFORE UPDATE OR DELETE ON dial_plan_audit
    FOR EACH ROW EXECUTE FUNCTION dial_plan_audit_is_append_only();
