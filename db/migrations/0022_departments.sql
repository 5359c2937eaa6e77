-- Department numbers (standard.md R11b, R13): where an agent transfers a caller, and
-- what an escalation's department names. A department is disabled, never deleted (old
-- callbacks and transfers keep naming it). departments/model.py holds the rules.

CREATE TABLE departments (
    id          serial PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    -- digits only (dialplan.model.DEPARTMENT_NUMBER): dialled through the outbound trunk
    number      text NOT NULL CHECK (number ~ '^[0-9]{3,20}$'),
    active      boolean NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- two active departments of one name would make the name ambiguous on a callback
CREATE UNIQUE INDEX departments_active_name ON departments (name) WHERE active;

-- R11b: each transfer of a caller to a department, from the agent console (the call
-- row has no place for it: it is written when the call ends, from CEL)
CREATE TABLE department_transfers (
    id            bigserial PRIMARY KEY,
    linkedid      text NOT NULL,
    department_id integer NOT NULL REFERENCES departments,
    number        text NOT NULL,          -- the number dialled, as it was then
    agent         text NOT NULL,          -- the job number of the agent who transferred
    at            timestamptz NOT NULL
);
CREATE INDEX department_transfers_linkedid ON department_transfers (linkedid);
