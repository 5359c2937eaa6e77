-- CEL through a file (calls/cel_loader.py): Asterisk appends its rows to a spool file,
-- the loader moves it aside and COPYs it into cel. Each moved-aside file's row says how
-- many of its bytes are in cel already, updated in the same transaction as the COPY, so
-- a loader that stops anywhere (or a second one) loads every byte exactly once. File
-- names are never reused (the time they were moved aside, in nanoseconds).
CREATE TABLE cel_spool_files (
    name         text PRIMARY KEY,
    loaded_bytes bigint NOT NULL DEFAULT 0 CHECK (loaded_bytes >= 0),
    rows         bigint NOT NULL DEFAULT 0,
    rejects      integer NOT NULL DEFAULT 0,
    loaded_at    timestamptz NOT NULL DEFAULT now()
);

-- What in a spool file was no CEL row (not UTF-8, a NUL, a broken record): kept as it
-- was, for a person to look at; nothing Asterisk wrote is dropped.
CREATE TABLE cel_spool_rejects (
    id          bigserial PRIMARY KEY,
    file        text NOT NULL,
    byte_offset bigint NOT NULL,
    raw         bytea NOT NULL,
    reason      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);

-- Asterisk no longer writes to PostgreSQL: the role it wrote CEL as (0002) loses its grants.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'asterisk_cel') THEN
        REVOKE INSERT ON cel FROM asterisk_cel;
        REVOKE USAGE ON SEQUENCE cel_id_seq FROM asterisk_cel;
    END IF;
END $$;
