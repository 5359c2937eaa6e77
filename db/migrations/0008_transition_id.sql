-- Each audited transition carries an id made when the service decided it. A write whose
-- commit reached PostgreSQL but whose reply was lost (the server stopping under it) is
-- journalled and replayed; the id makes the replay write no second row (issue 9).
-- Rows written before this migration, and entries journalled by an older version,
-- have none (NULLs never conflict).
ALTER TABLE agent_state_audit ADD COLUMN transition_id uuid UNIQUE;
