-- The reference table for pgbench: one row per webhook, as the inbox stores it.
DROP TABLE IF EXISTS pgbench_inbox;
CREATE TABLE pgbench_inbox (id uuid PRIMARY KEY, received_at timestamptz NOT NULL, body text NOT NULL, state text NOT NULL);
