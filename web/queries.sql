-- name: create_session
-- Sessions of the agent and supervisor pages: only a hash of the token is kept.
INSERT INTO web_sessions (token_hash, job_number, role, expires_at) VALUES ($1, $2, $3, $4);

-- name: session
SELECT job_number, role, expires_at FROM web_sessions
WHERE token_hash = $1 AND expires_at > now();

-- name: end_sessions
-- an account changed (role, secret, disabled, deleted): its sessions end
DELETE FROM web_sessions WHERE job_number = $1;

-- name: end_session
-- signing out of the pages: this one session ends
DELETE FROM web_sessions WHERE token_hash = $1;
