-- 50 rows per insert and per transaction.
INSERT INTO pgbench_inbox SELECT gen_random_uuid(), now(), repeat('x', 600), 'pending' FROM generate_series(1, 50);
