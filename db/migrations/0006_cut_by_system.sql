-- A call Asterisk itself tore down (core stop / core restart) is not the caller's
-- abandonment: outcome 'cut_by_system', hung_up_first 'system' (issue 8).
ALTER TABLE calls DROP CONSTRAINT calls_outcome_check;
ALTER TABLE calls ADD CONSTRAINT calls_outcome_check CHECK (outcome IN (
    'answered', 'abandoned_greeting', 'abandoned_queue',
    'voicemail', 'transferred', 'unanswered', 'cut_by_system'));
