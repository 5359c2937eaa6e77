-- A callback given to an owner by a supervisor (reassigned) is offered to that owner
-- alone for callback_owner_wait_s from then (callback/attempts.py for_owner); NULL: from
-- when it was due, as for one that has had its owner since it was made.
ALTER TABLE callbacks ADD COLUMN owner_since timestamptz;
