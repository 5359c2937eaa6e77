-- name: list_departments
SELECT id, name, number, active FROM departments ORDER BY active DESC, name, id;

-- name: department_by_id
SELECT id, name, number, active FROM departments WHERE id = $1;

-- name: insert_department
INSERT INTO departments (name, number, active, updated_at)
VALUES ($1, $2, true, now())
RETURNING id, name, number, active;

-- name: update_department
-- $4: whether it is active (false: disabled)
UPDATE departments SET name = $2, number = $3, active = $4, updated_at = now()
WHERE id = $1
RETURNING id, name, number, active;

-- name: insert_transfer
INSERT INTO department_transfers (linkedid, department_id, number, agent, at)
VALUES ($1, $2, $3, $4, $5);

-- name: transfers_of_call
SELECT t.linkedid, t.department_id, d.name, t.number, t.agent, t.at
FROM department_transfers t JOIN departments d ON d.id = t.department_id
WHERE t.linkedid = $1 ORDER BY t.at, t.id;
