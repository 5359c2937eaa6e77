-- Journal entries (db/journal.py) PostgreSQL has applied, by id: a replay interrupted
-- after PostgreSQL's commit, or repeated by another instance, writes nothing twice
-- (issue 9). An id is claimed in the same transaction as the entry's own write.
CREATE TABLE applied_journal (
    entry_id   text PRIMARY KEY,
    kind       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
