-- One accounts model for agents, supervisors and admins (issue 10), keyed by the job
-- number (工号) everyone at the centre has. Agents sign in with a PIN and sit at a desk
-- phone; supervisors and admins sign in with a password (argon2id) and need neither.
ALTER TABLE agents ALTER COLUMN extension DROP NOT NULL;
ALTER TABLE agents ALTER COLUMN pin_hash DROP NOT NULL;
ALTER TABLE agents ADD COLUMN password_hash text;
ALTER TABLE agents DROP CONSTRAINT agents_role_check;
ALTER TABLE agents ADD CONSTRAINT agents_role_check
    CHECK (role IN ('agent', 'supervisor', 'admin'));
ALTER TABLE agents ADD CONSTRAINT agents_sign_in_check CHECK (
    CASE role
        WHEN 'agent' THEN extension IS NOT NULL AND pin_hash IS NOT NULL
        ELSE pin_hash IS NOT NULL OR password_hash IS NOT NULL
    END);
ALTER TABLE web_sessions DROP CONSTRAINT web_sessions_role_check;
ALTER TABLE web_sessions ADD CONSTRAINT web_sessions_role_check
    CHECK (role IN ('agent', 'supervisor', 'admin'));
