-- The prompt library (issue 10): one row per prompt file Asterisk plays,
-- <prompts_dir>/<language>/<name>.wav, with where it came from and who changed it last;
-- prompt_history keeps every change (append-only: the code only inserts).
CREATE TABLE prompts (
    name text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_-]{0,63}$'),
    language text NOT NULL CHECK (language IN ('zh', 'ug', 'kk')),
    source text NOT NULL CHECK (source IN ('default', 'upload', 'tts')),
    text text,  -- what espeak-ng spoke (default, tts); NULL for an upload
    upload_type text CHECK (upload_type IN ('wav', 'mp3', 'vorbis')),
    duration_ms integer NOT NULL CHECK (duration_ms >= 0),
    size_bytes integer NOT NULL CHECK (size_bytes > 0),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    changed_by text,  -- the admin's job number; NULL for the service's defaults
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (language, name),
    CHECK ((source = 'upload') = (upload_type IS NOT NULL)),
    CHECK (source = 'upload' OR text IS NOT NULL)
);

CREATE TABLE prompt_history (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    language text NOT NULL,
    action text NOT NULL CHECK (action IN ('default', 'upload', 'tts', 'delete')),
    text text,
    upload_type text,
    duration_ms integer,
    size_bytes integer,
    sha256 text,  -- NULL for a delete
    changed_by text,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX prompt_history_by_prompt ON prompt_history (language, name, id);
