-- Issue 10: the call record keeps the caller's way through the dial plan and the
-- agent's holds (standard.md R9, R14; design.md "Every call gets a record").
--
-- The path is a column: an ordered list of node ids read and written with its call.
-- Holds are rows of their own (call_holds): each has a start and a length, and the R9
-- figure "holds over 30 s per agent per day" is a count over them. hold_count and
-- hold_total_s stay on the call for listing and filtering without a join; NULL there
-- means "not known" (a call rebuilt from CEL: Asterisk's CEL has no hold events), 0
-- means "no hold". Both tables are written by one statement (queries.sql insert_call),
-- so a call's holds exist exactly when its row does.
ALTER TABLE calls
    ADD COLUMN plan_version integer CHECK (plan_version > 0),
    ADD COLUMN menu_path    text[] NOT NULL DEFAULT '{}',
    ADD COLUMN language     text CHECK (language IN ('zh', 'ug', 'kk')),
    ADD COLUMN ended_node   text CHECK (ended_node ~ '^[a-z][a-z0-9_]{0,31}$'),
    ADD COLUMN hold_count   integer CHECK (hold_count >= 0),
    ADD COLUMN hold_total_s double precision CHECK (hold_total_s >= 0);
-- calls written before this migration: no path, holds not followed (NULL)

CREATE INDEX calls_ended_node ON calls (ended_node, entered_at) WHERE ended_node IS NOT NULL;

CREATE TABLE call_holds (
    linkedid    text NOT NULL REFERENCES calls (linkedid) ON DELETE CASCADE,
    ordinal     integer NOT NULL CHECK (ordinal >= 1),  -- 1 for the call's first hold
    started_at  timestamptz NOT NULL,
    length_s    double precision NOT NULL CHECK (length_s >= 0),
    PRIMARY KEY (linkedid, ordinal)
);
CREATE INDEX call_holds_started_at ON call_holds (started_at);
