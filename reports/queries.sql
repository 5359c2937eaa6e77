-- The quality figures and the staffing advice (reports/model.py defines each figure).
-- Common parameters: $1, $2 the range [start, end); $3 the centre's time zone; $4 the
-- grouping: 'day' (local day), 'agent' (job number) or 'queue'. Every block returns a
-- column "key"; NULL: no agent, or no queue.

-- name: quality_calls
-- From calls entered in the range. $5: the answer target (15 s); $6: R4's limit (30 s).
SELECT CASE $4 WHEN 'day' THEN to_char(c.entered_at AT TIME ZONE $3, 'YYYY-MM-DD')
               WHEN 'agent' THEN c.agent_job_number
               ELSE c.queue END AS key,
       count(*) AS calls,
       count(*) FILTER (WHERE c.queue_joined_at IS NOT NULL) AS asked_for_agent,
       count(*) FILTER (WHERE c.queue_joined_at IS NOT NULL
                          AND c.agent_answered_at IS NOT NULL) AS answered,
       count(*) FILTER (WHERE c.queue_joined_at IS NOT NULL
                          AND c.agent_answered_at <= c.queue_joined_at
                                                     + make_interval(secs => $5))
           AS answered_within_15s,
       count(*) FILTER (WHERE c.outcome = 'abandoned_queue') AS abandoned_queue,
       count(*) FILTER (WHERE c.outcome = 'abandoned_greeting') AS abandoned_greeting,
       sum(extract(epoch FROM coalesce(c.agent_answered_at, c.ended_at) - c.queue_joined_at))
           FILTER (WHERE c.queue_joined_at IS NOT NULL) AS wait_total_s,
       max(extract(epoch FROM coalesce(c.agent_answered_at, c.ended_at) - c.queue_joined_at))
           AS wait_max_s,
       count(*) FILTER (WHERE c.agent_answered_at IS NOT NULL
                          AND c.hung_up_first = 'agent') AS agent_hung_up_first,
       count(*) FILTER (WHERE c.agent_answered_at IS NOT NULL
                          AND c.classified_at > c.ended_at + make_interval(secs => $6))
           AS filed_over_30s,
       count(*) FILTER (WHERE c.agent_answered_at IS NOT NULL AND c.category IS NULL)
           AS unclassified
FROM calls c
WHERE c.entered_at >= $1 AND c.entered_at < $2
GROUP BY 1;

-- name: quality_categories
-- R5: calls per category (entered in the range).
SELECT CASE $4 WHEN 'day' THEN to_char(c.entered_at AT TIME ZONE $3, 'YYYY-MM-DD')
               WHEN 'agent' THEN c.agent_job_number
               ELSE c.queue END AS key,
       c.category, count(*) AS n
FROM calls c
WHERE c.entered_at >= $1 AND c.entered_at < $2 AND c.category IS NOT NULL
GROUP BY 1, 2;

-- name: quality_holds
-- R9: holds in the answered calls entered in the range; $5: a long hold (30 s).
SELECT CASE $4 WHEN 'day' THEN to_char(c.entered_at AT TIME ZONE $3, 'YYYY-MM-DD')
               WHEN 'agent' THEN c.agent_job_number
               ELSE c.queue END AS key,
       count(h.ordinal) AS holds,
       count(h.ordinal) FILTER (WHERE h.length_s > $5) AS holds_over_30s,
       count(DISTINCT c.linkedid) FILTER (WHERE c.hold_count IS NULL) AS calls_holds_unknown
FROM calls c
LEFT JOIN call_holds h ON h.linkedid = c.linkedid
WHERE c.entered_at >= $1 AND c.entered_at < $2 AND c.agent_answered_at IS NOT NULL
GROUP BY 1;

-- name: quality_states
-- The agents' audit as periods: a row that changes the state (or the busy reason)
-- starts one, the agent's next such row ends it (and says by which event). Periods
-- begun in the range, per key, state and reason: how many, how many ended, their total
-- length; $5: R4's limit plus slack (wrap-ups longer); $6: two ring cycles (R3: a
-- ringing period ended by Answered within it; counted if answered or rang that long).
-- By queue: the queue of the period's call, else each of the agent's queues.
WITH changes AS (
    SELECT a.job_number, a.at, a.to_state, a.to_reason, a.event, a.linkedid, a.id
    FROM agent_state_audit a
    WHERE a.at >= $1::timestamptz - interval '1 day' AND a.at < $2::timestamptz + interval '1 day'
      AND (a.from_state, a.from_reason) IS DISTINCT FROM (a.to_state, a.to_reason)
), periods AS (
    SELECT job_number, at AS started_at, to_state AS state, to_reason AS reason, linkedid,
           lead(at) OVER w AS ended_at, lead(event) OVER w AS ended_by
    FROM changes
    WINDOW w AS (PARTITION BY job_number ORDER BY at, id)
)
SELECT k.key, p.state, p.reason,
       count(*) AS periods,
       count(p.ended_at) AS ended,
       coalesce(sum(extract(epoch FROM p.ended_at - p.started_at)), 0) AS total_s,
       count(*) FILTER (WHERE p.ended_at - p.started_at > make_interval(secs => $5))
           AS over_wrap_up_limit,
       count(*) FILTER (WHERE p.ended_by = 'Answered'
                           OR p.ended_at - p.started_at >= make_interval(secs => $6))
           AS rings_counted,
       count(*) FILTER (WHERE p.ended_by = 'Answered'
                          AND p.ended_at - p.started_at <= make_interval(secs => $6))
           AS rings_in_time
FROM periods p
CROSS JOIN LATERAL (
    SELECT to_char(p.started_at AT TIME ZONE $3, 'YYYY-MM-DD') AS key WHERE $4 = 'day'
    UNION ALL
    SELECT p.job_number WHERE $4 = 'agent'
    UNION ALL
    SELECT c.queue FROM calls c
    WHERE $4 = 'queue' AND c.linkedid = p.linkedid AND c.queue IS NOT NULL
    UNION ALL
    SELECT q.queue FROM agent_queues q
    WHERE $4 = 'queue' AND q.job_number = p.job_number
      AND NOT EXISTS (SELECT 1 FROM calls c
                      WHERE c.linkedid = p.linkedid AND c.queue IS NOT NULL)
) k
WHERE p.started_at >= $1 AND p.started_at < $2
  AND p.state IN ('ringing', 'wrap_up', 'busy')
GROUP BY k.key, p.state, p.reason;

-- name: quality_callbacks
-- Callbacks: opened (made in the range), done (became done in it), overdue (due in it,
-- past due now, not closed before it was due: callback/queries.sql's figures); R13's
-- escalations to a department made in the range, and of those the ones forwarded.
-- By agent: the callback's owner, else the agent who last worked it; by queue: the
-- queue of the call it came from.
WITH closed AS (
    SELECT h.callback_id, min(h.at) AS at
    FROM callback_history h
    WHERE h.to_state IN ('done', 'failed', 'cancelled')
    GROUP BY h.callback_id
), happened AS (
    SELECT c.created_at AS at, 'opened' AS figure, c.id FROM callbacks c
    WHERE c.created_at >= $1 AND c.created_at < $2
    UNION ALL
    SELECT h.at, 'done', h.callback_id FROM callback_history h
    WHERE h.at >= $1 AND h.at < $2 AND h.to_state = 'done'
      AND h.from_state IS DISTINCT FROM 'done'
    UNION ALL
    SELECT c.due_at, 'overdue', c.id
    FROM callbacks c LEFT JOIN closed x ON x.callback_id = c.id
    WHERE c.due_at >= $1 AND c.due_at < $2 AND c.due_at < now()
      AND (x.at IS NULL OR x.at > c.due_at)
    UNION ALL
    SELECT c.created_at, 'complaint', c.id FROM callbacks c
    WHERE c.created_at >= $1 AND c.created_at < $2
      AND c.kind = 'escalation' AND c.department IS NOT NULL
    UNION ALL
    SELECT c.created_at, 'forwarded', c.id FROM callbacks c
    WHERE c.created_at >= $1 AND c.created_at < $2
      AND c.kind = 'escalation' AND c.department IS NOT NULL
      AND c.state = 'done' AND c.outcome = 'forwarded'
)
SELECT CASE $4 WHEN 'day' THEN to_char(e.at AT TIME ZONE $3, 'YYYY-MM-DD')
               WHEN 'agent' THEN coalesce(c.owner, c.agent)
               ELSE (SELECT cl.queue FROM callback_reasons r
                     JOIN calls cl ON cl.linkedid = r.linkedid
                     WHERE r.callback_id = c.id ORDER BY r.at, r.id LIMIT 1) END AS key,
       count(*) FILTER (WHERE e.figure = 'opened') AS callbacks_opened,
       count(*) FILTER (WHERE e.figure = 'done') AS callbacks_done,
       count(*) FILTER (WHERE e.figure = 'overdue') AS callbacks_overdue,
       count(*) FILTER (WHERE e.figure = 'complaint') AS complaints_escalated,
       count(*) FILTER (WHERE e.figure = 'forwarded') AS complaints_forwarded
FROM happened e JOIN callbacks c ON c.id = e.id
GROUP BY 1;

-- name: category_names
SELECT name FROM call_categories WHERE active ORDER BY position;

-- name: staffing_arrivals
-- Callers who asked for an agent (joined a queue) in [$1, $2) on local weekday $4
-- (ISO: 1 = Monday), per local half hour of the day (0 = 00:00-00:30 … 47).
SELECT (extract(hour FROM c.queue_joined_at AT TIME ZONE $3) * 2
        + floor(extract(minute FROM c.queue_joined_at AT TIME ZONE $3) / 30))::int AS slot,
       count(*) AS arrivals
FROM calls c
WHERE c.queue_joined_at >= $1 AND c.queue_joined_at < $2
  AND extract(isodow FROM c.queue_joined_at AT TIME ZONE $3) = $4
GROUP BY slot;

-- name: staffing_handle
-- The measured handle time in [$1, $2): mean talk of answered calls, mean wrap-up
-- (audit periods from entering wrap-up to the next state).
WITH changes AS (
    SELECT a.job_number, a.at, a.to_state, a.id
    FROM agent_state_audit a
    WHERE a.at >= $1 AND a.at < $2::timestamptz + interval '1 day'
      AND (a.from_state, a.from_reason) IS DISTINCT FROM (a.to_state, a.to_reason)
), wrap_ups AS (
    SELECT at, to_state, lead(at) OVER (PARTITION BY job_number ORDER BY at, id) AS ended_at
    FROM changes
)
SELECT (SELECT avg(extract(epoch FROM c.ended_at - c.agent_answered_at)) FROM calls c
        WHERE c.agent_answered_at >= $1 AND c.agent_answered_at < $2) AS talk_avg_s,
       (SELECT count(*) FROM calls c
        WHERE c.agent_answered_at >= $1 AND c.agent_answered_at < $2) AS answered,
       (SELECT avg(extract(epoch FROM w.ended_at - w.at)) FROM wrap_ups w
        WHERE w.to_state = 'wrap_up' AND w.at < $2 AND w.ended_at IS NOT NULL)
           AS wrap_up_avg_s;

-- name: staffing_signed_in
-- Agents signed in during each half hour of the local day starting at $1 (48 slots:
-- the centre's zone has no summer time), up to $2 (now): the mean number signed in
-- (signed-in seconds / 1800) and how many different agents were.
WITH changes AS (
    SELECT a.job_number, a.at, a.to_state, a.id
    FROM agent_state_audit a
    WHERE a.at >= $1::timestamptz - interval '1 day' AND a.at < $1::timestamptz + interval '1 day'
      AND a.from_state IS DISTINCT FROM a.to_state
), periods AS (
    SELECT job_number, to_state, at AS started_at,
           coalesce(lead(at) OVER (PARTITION BY job_number ORDER BY at, id), $2::timestamptz) AS ended_at
    FROM changes
), slots AS (
    SELECT g AS slot, $1::timestamptz + g * interval '30 minutes' AS s,
           $1::timestamptz + (g + 1) * interval '30 minutes' AS e
    FROM generate_series(0, 47) g
)
SELECT s.slot,
       sum(extract(epoch FROM least(s.e, p.ended_at) - greatest(s.s, p.started_at))) / 1800.0
           AS signed_in,
       count(DISTINCT p.job_number) AS agents
FROM slots s
JOIN periods p ON p.started_at < s.e AND p.ended_at > s.s AND p.to_state <> 'logged_out'
GROUP BY s.slot;
