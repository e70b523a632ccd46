-- One full flow's SQL, as the service sends it (captured with CaptureQueriesContext, see
-- docs/benchmarks.md): POST /actions/request (3 statements), POST /actions/complete
-- (the auth SELECT, the one-time claim, the scoring transaction, the anti-cheat reads).
-- A random bench player per flow; :n picks it from bench_players (made by bench/pgbench.py).
\set n random(1, :players)
SELECT password, last_login, is_superuser, first_name, last_name, is_staff, is_active, date_joined, id, username, email, status, is_service_account, score, total_actions, score_updated_at, last_action_at FROM accounts_user WHERE id = (SELECT id FROM bench_players WHERE n = :n);
SELECT id, code, points, min_duration_ms, max_duration_ms, repeatable, authoritative, enabled FROM actions_actiontype WHERE code = 'COMPLETE_LEVEL' ORDER BY 2 ASC LIMIT 1;
INSERT INTO actions_actiontoken (id, user_id, action_type_id, reference, metadata, points, token_hash, proof_key, key_id, created_at, expires_at, used_at, outcome) VALUES (gen_random_uuid(), (SELECT id FROM bench_players WHERE n = :n), (SELECT id FROM actions_actiontype WHERE code = 'COMPLETE_LEVEL'), '', '{}'::jsonb, 100, md5(random()::text) || md5(random()::text), md5(random()::text) || md5(random()::text), 'bench', now(), now() + interval '5 minutes', NULL, 'pending') RETURNING id AS token_id, token_hash \gset
SELECT password, last_login, is_superuser, first_name, last_name, is_staff, is_active, date_joined, id, username, email, status, is_service_account, score, total_actions, score_updated_at, last_action_at FROM accounts_user WHERE id = (SELECT id FROM bench_players WHERE n = :n);
UPDATE actions_actiontoken SET used_at = now(), outcome = 'completed' WHERE id = :token_id AND token_hash = :token_hash AND used_at IS NULL RETURNING reference, proof_key, created_at;
BEGIN;
SELECT score FROM accounts_user WHERE id = (SELECT id FROM bench_players WHERE n = :n) LIMIT 21 FOR UPDATE;
UPDATE accounts_user SET score = score + 100, total_actions = total_actions + 1, score_updated_at = now(), last_action_at = now() WHERE id = (SELECT id FROM bench_players WHERE n = :n) RETURNING score AS new_score \gset
INSERT INTO leaderboard_scorehistory (user_id, kind, action_id, action_type, reference, once_per_reference, increment, previous_score, new_score, completion_time_ms, server_elapsed_ms, proof, signature, reverses_id, completed_by_id, note, created_at) VALUES ((SELECT id FROM bench_players WHERE n = :n), 'action', :token_id, 'COMPLETE_LEVEL', '', false, 100, :new_score - 100, :new_score, 1000, 1050, '{"completionTime": 1000, "checksum": "0000000000000000000000000000000000000000000000000000000000000000"}'::jsonb, '', NULL, (SELECT id FROM bench_players WHERE n = :n), '', now());
COMMIT;
SELECT id, action_type, increment, completion_time_ms, server_elapsed_ms, created_at FROM leaderboard_scorehistory WHERE kind = 'action' AND user_id = (SELECT id FROM bench_players WHERE n = :n) ORDER BY 6 DESC, 1 DESC LIMIT 50;
SELECT completion_time_ms, server_elapsed_ms FROM leaderboard_scorehistory WHERE action_type = 'COMPLETE_LEVEL' AND kind = 'action' AND NOT (user_id = (SELECT id FROM bench_players WHERE n = :n)) ORDER BY created_at DESC LIMIT 200;
