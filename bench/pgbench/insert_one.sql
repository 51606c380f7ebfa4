-- One durable single-row insert per transaction (autocommit), with a body of a webhook's size.
INSERT INTO pgbench_inbox VALUES (gen_random_uuid(), now(), repeat('x', 600), 'pending');
