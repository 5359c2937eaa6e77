-- Desk phones an admin adds (deskphones/), published to Asterisk as a generated PJSIP
-- include and its dialplan (names.PHONES_DIR). No password is kept: only the digest
-- PJSIP checks, MD5(extension:realm:password), for the realm it was made with. The
-- sandbox's static phones stay in the rendered pjsip.conf and are not rows here.
CREATE TABLE desk_phones (
    extension  text PRIMARY KEY CHECK (extension ~ '^[0-9]{1,20}$'),
    realm      text NOT NULL CHECK (realm ~ '^[A-Za-z0-9_-]{1,64}$'),
    digest     text NOT NULL CHECK (digest ~ '^[0-9a-f]{32}$'),
    active     boolean NOT NULL DEFAULT true,
    changed_at timestamptz NOT NULL,
    changed_by text NOT NULL
);

-- who added, re-keyed, disabled or enabled a phone, when (never a password or digest)
CREATE TABLE desk_phone_audit (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL,
    actor     text NOT NULL,
    extension text NOT NULL,
    what      text NOT NULL CHECK (what IN ('added', 'password_changed', 'disabled', 'enabled'))
);
CREATE INDEX desk_phone_audit_extension ON desk_phone_audit (extension, at DESC);
