-- Agents as the centre knows them (standard.md R8: known by job number, 工号).
-- States, queues and the audit log arrive with the agent-state work.
CREATE TABLE agents (
    job_number  text PRIMARY KEY CHECK (job_number ~ '^[0-9]{1,20}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    extension   text NOT NULL UNIQUE CHECK (extension ~ '^[0-9]{1,20}$'),
    pin_hash    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
