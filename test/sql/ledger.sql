--
-- ledger: cron.job_run_details as the lock that makes a slot run at most
-- once -- UNIQUE (jobid, scheduled_for), the status and attempt checks -- and
-- the delete guard that keeps the rows the scheduler still needs.
--
-- Rows are inserted by hand, as the scheduler would (as superuser).  Every
-- part runs inside a transaction that is rolled back (psql's
-- ON_ERROR_ROLLBACK keeps it going past the expected errors), so a running
-- scheduler never sees the hand-made 'starting'/'running' rows and nothing
-- is left behind.  Job ids 900001..900003 belong to no job.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cronext;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
\set ON_ERROR_ROLLBACK on

---------------------------------------------------------------------------
-- UNIQUE (jobid, scheduled_for)
---------------------------------------------------------------------------
BEGIN;
-- the scheduler's claim: one row inserted
WITH claim AS (
	INSERT INTO cron.job_run_details (jobid, database, username, command, status, scheduled_for)
	VALUES (900001, current_database(), 'regress_nobody', 'SELECT 1', 'starting', '2026-03-08 07:00+00')
	ON CONFLICT (jobid, scheduled_for) DO NOTHING
	RETURNING 1)
SELECT count(*) AS inserted FROM claim;
-- a second claim of the same slot (after a restart, a crash, a failover):
-- nothing inserted
WITH claim AS (
	INSERT INTO cron.job_run_details (jobid, database, username, command, status, scheduled_for)
	VALUES (900001, current_database(), 'regress_nobody', 'SELECT 1', 'starting', '2026-03-08 07:00+00')
	ON CONFLICT (jobid, scheduled_for) DO NOTHING
	RETURNING 1)
SELECT count(*) AS inserted FROM claim;
WITH claim AS (
	INSERT INTO cron.job_run_details (jobid, database, username, command, status, scheduled_for)
	VALUES (900001, current_database(), 'regress_nobody', 'SELECT 1', 'starting', '2026-03-08 07:00+00')
	ON CONFLICT ON CONSTRAINT job_run_details_slot_uniq DO NOTHING
	RETURNING 1)
SELECT count(*) AS inserted FROM claim;
-- the same instant written in another zone is the same slot
WITH claim AS (
	INSERT INTO cron.job_run_details (jobid, database, username, command, status, scheduled_for)
	VALUES (900001, current_database(), 'regress_nobody', 'SELECT 1', 'starting', '2026-03-08 03:00-04')
	ON CONFLICT (jobid, scheduled_for) DO NOTHING
	RETURNING 1)
SELECT count(*) AS inserted FROM claim;
SELECT count(*) AS rows_for_the_slot FROM cron.job_run_details
WHERE jobid = 900001 AND scheduled_for = '2026-03-08 07:00+00';
-- a plain second INSERT fails
INSERT INTO cron.job_run_details (jobid, database, username, command, status, scheduled_for)
VALUES (900001, current_database(), 'regress_nobody', 'SELECT 1', 'succeeded', '2026-03-08 07:00+00');
\echo :SQLSTATE
-- also when the status or the attempt differ: the slot is the key
INSERT INTO cron.job_run_details (jobid, status, attempt, manual, scheduled_for)
VALUES (900001, 'failed', 3, true, '2026-03-08 07:00+00');
\echo :SQLSTATE
-- a claim can also not be moved onto a taken slot
INSERT INTO cron.job_run_details (jobid, status, scheduled_for)
VALUES (900001, 'succeeded', '2026-03-08 07:01+00');
UPDATE cron.job_run_details SET scheduled_for = '2026-03-08 07:00+00'
WHERE jobid = 900001 AND scheduled_for = '2026-03-08 07:01+00';
\echo :SQLSTATE
-- another slot of the same job, and the same slot of another job, are fine
INSERT INTO cron.job_run_details (jobid, status, scheduled_for)
VALUES (900001, 'starting', '2026-03-08 07:02+00'),
       (900002, 'starting', '2026-03-08 07:00+00');
SELECT jobid, scheduled_for, status, attempt, manual
FROM cron.job_run_details WHERE jobid BETWEEN 900000 AND 900099
ORDER BY jobid, scheduled_for;
-- ON CONFLICT DO UPDATE works on the slot key (a retry of the same slot)
INSERT INTO cron.job_run_details (jobid, status, scheduled_for)
VALUES (900002, 'starting', '2026-03-08 07:00+00')
ON CONFLICT (jobid, scheduled_for)
DO UPDATE SET attempt = cron.job_run_details.attempt + 1, status = 'running'
RETURNING jobid, scheduled_for, status, attempt;
-- defaults of a claim
SELECT attempt, manual, runid IS NOT NULL AS has_runid, start_time, end_time
FROM cron.job_run_details WHERE jobid = 900001 AND scheduled_for = '2026-03-08 07:00+00';

---------------------------------------------------------------------------
-- the other constraints (terse: the failing row shows a runid)
---------------------------------------------------------------------------
\set VERBOSITY terse
INSERT INTO cron.job_run_details (jobid, status, scheduled_for)
VALUES (900003, 'bogus', '2026-03-08 07:00+00');
\echo :SQLSTATE
INSERT INTO cron.job_run_details (jobid, status, scheduled_for)
VALUES (900003, 'Succeeded', '2026-03-08 07:00+00');
\echo :SQLSTATE
INSERT INTO cron.job_run_details (jobid, status, scheduled_for)
VALUES (900003, NULL, '2026-03-08 07:00+00');
\echo :SQLSTATE
-- a row without a slot is taken for pg_cron's (see pg_cron_api): its slot
-- is derived and, unfinished, it ends as failed
INSERT INTO cron.job_run_details (jobid, status, scheduled_for)
VALUES (900003, 'starting', NULL);
\echo :SQLSTATE
DELETE FROM cron.job_run_details
WHERE jobid = 900003 AND status = 'failed' AND return_message LIKE 'the server switched from pg_cron%';
INSERT INTO cron.job_run_details (jobid, status, scheduled_for, attempt)
VALUES (900003, 'starting', '2026-03-08 07:00+00', -1);
\echo :SQLSTATE
INSERT INTO cron.job_run_details (jobid, status, scheduled_for, attempt)
VALUES (900003, 'starting', '2026-03-08 07:00+00', NULL);
\echo :SQLSTATE
INSERT INTO cron.job_run_details (jobid, status, scheduled_for)
VALUES (NULL, 'starting', '2026-03-08 07:00+00');
\echo :SQLSTATE
UPDATE cron.job_run_details SET status = 'done' WHERE jobid = 900002;
\echo :SQLSTATE
UPDATE cron.job_run_details SET attempt = -1 WHERE jobid = 900002;
\echo :SQLSTATE
\set VERBOSITY default
-- every legal status
INSERT INTO cron.job_run_details (jobid, status, scheduled_for, attempt)
SELECT 900003, s, '2026-03-09 00:00+00'::timestamptz + n * interval '1 minute', n
FROM unnest(ARRAY['starting', 'running', 'succeeded', 'failed', 'skipped'])
     WITH ORDINALITY AS t(s, n);
SELECT status, attempt FROM cron.job_run_details WHERE jobid = 900003 ORDER BY scheduled_for;

-- rows of jobs that do not exist can all be deleted, except runs in progress
WITH d AS (DELETE FROM cron.job_run_details WHERE jobid BETWEEN 900000 AND 900099 RETURNING 1)
SELECT count(*) AS deleted FROM d;
SELECT jobid, status FROM cron.job_run_details WHERE jobid BETWEEN 900000 AND 900099
ORDER BY jobid, scheduled_for;
ROLLBACK;

---------------------------------------------------------------------------
-- the delete guard
---------------------------------------------------------------------------
BEGIN;
SELECT cron.schedule_in_database('regress-ledger', '0 0 1 1 *', 'SELECT 1',
                                 current_database(), active => false) AS j \gset
SELECT cron.schedule_in_database('regress-ledger-2', '0 0 1 1 *', 'SELECT 2',
                                 current_database(), active => false) AS k \gset
INSERT INTO cron.job_run_details (jobid, status, scheduled_for)
VALUES (:j, 'succeeded', '2026-01-01 00:00+00'),
       (:j, 'failed',    '2026-01-02 00:00+00'),
       (:j, 'skipped',   '2026-01-03 00:00+00'),
       (:j, 'running',   '2026-01-04 00:00+00'),
       (:j, 'starting',  '2026-01-05 00:00+00'),
       (:j, 'succeeded', '2026-01-06 00:00+00'),
       (:j, 'failed',    '2026-01-07 00:00+00'),
       (:k, 'succeeded', '2026-01-01 00:00+00'),
       (:k, 'running',   '2026-01-02 00:00+00'),
       (:k, 'failed',    '2026-01-03 00:00+00');
CREATE TEMP VIEW runs AS
SELECT CASE jobid WHEN :j THEN 'j' WHEN :k THEN 'k' END AS job,
       scheduled_for::date AS slot, status
FROM cron.job_run_details WHERE jobid IN (:j, :k);
-- a run in progress is kept
WITH d AS (DELETE FROM cron.job_run_details WHERE jobid = :j AND status = 'running' RETURNING 1)
SELECT count(*) AS deleted FROM d;
WITH d AS (DELETE FROM cron.job_run_details WHERE jobid = :j AND status = 'starting' RETURNING 1)
SELECT count(*) AS deleted FROM d;
-- the newest row of an existing job is kept
WITH d AS (DELETE FROM cron.job_run_details WHERE jobid = :j AND scheduled_for = '2026-01-07 00:00+00' RETURNING 1)
SELECT count(*) AS deleted FROM d;
SELECT * FROM runs WHERE job = 'j' ORDER BY slot;
-- an older finished row goes
WITH d AS (DELETE FROM cron.job_run_details WHERE jobid = :j AND scheduled_for = '2026-01-02 00:00+00' RETURNING 1)
SELECT count(*) AS deleted FROM d;
-- pruning all history keeps what must stay (runs in progress, each job's
-- newest row and its newest success), in whatever order rows come
WITH d AS (DELETE FROM cron.job_run_details WHERE jobid IN (:j, :k) RETURNING 1)
SELECT count(*) AS deleted FROM d;
SELECT * FROM runs ORDER BY job, slot;
-- a second pass changes nothing
WITH d AS (DELETE FROM cron.job_run_details WHERE jobid IN (:j, :k) RETURNING 1)
SELECT count(*) AS deleted FROM d;
-- once the running rows are finished (by the scheduler), they go too, but
-- the newest row still stays
UPDATE cron.job_run_details SET status = 'failed' WHERE jobid IN (:j, :k) AND status IN ('running', 'starting');
WITH d AS (DELETE FROM cron.job_run_details WHERE jobid IN (:j, :k) RETURNING 1)
SELECT count(*) AS deleted FROM d;
SELECT * FROM runs ORDER BY job, slot;
-- when the newest row is a run in progress, the finished rows before it go,
-- but for the newest success (the dead-man check counts from it)
INSERT INTO cron.job_run_details (jobid, status, scheduled_for)
VALUES (:k, 'succeeded', '2026-02-01 00:00+00'),
       (:k, 'running',   '2026-02-02 00:00+00');
WITH d AS (DELETE FROM cron.job_run_details WHERE jobid = :k RETURNING 1)
SELECT count(*) AS deleted FROM d;
SELECT * FROM runs WHERE job = 'k' ORDER BY slot;
-- rows of an unscheduled job can all be deleted (except a run in progress)
SELECT cron.unschedule(:j);
WITH d AS (DELETE FROM cron.job_run_details WHERE jobid = :j RETURNING 1)
SELECT count(*) AS deleted FROM d;
SELECT * FROM runs WHERE job = 'j' ORDER BY slot;
SELECT cron.unschedule(:k);
WITH d AS (DELETE FROM cron.job_run_details WHERE jobid = :k RETURNING 1)
SELECT count(*) AS deleted FROM d;
SELECT * FROM runs WHERE job = 'k' ORDER BY slot;
UPDATE cron.job_run_details SET status = 'failed' WHERE jobid = :k;
WITH d AS (DELETE FROM cron.job_run_details WHERE jobid = :k RETURNING 1)
SELECT count(*) AS deleted FROM d;
SELECT count(*) AS rows_left FROM cron.job_run_details WHERE jobid IN (:j, :k);
ROLLBACK;

-- the same as a non-superuser under row-level security, on her own rows
CREATE ROLE regress_ledger_user LOGIN;
GRANT USAGE ON SCHEMA cron TO regress_ledger_user;
BEGIN;
SET LOCAL ROLE regress_ledger_user;
SELECT cron.schedule('0 0 1 1 *', 'SELECT 1') AS u \gset
RESET ROLE;
INSERT INTO cron.job_run_details (jobid, username, status, scheduled_for)
VALUES (:u, 'regress_ledger_user', 'succeeded', '2026-01-01 00:00+00'),
       (:u, 'regress_ledger_user', 'running',   '2026-01-02 00:00+00'),
       (:u, 'regress_ledger_user', 'failed',    '2026-01-03 00:00+00'),
       (:u, 'regress_ledger_user', 'succeeded', '2026-01-04 00:00+00');
SET LOCAL ROLE regress_ledger_user;
WITH d AS (DELETE FROM cron.job_run_details RETURNING 1)
SELECT count(*) AS deleted FROM d;
SELECT scheduled_for::date AS slot, status FROM cron.job_run_details ORDER BY slot;
SELECT cron.unschedule(:u);
WITH d AS (DELETE FROM cron.job_run_details RETURNING 1)
SELECT count(*) AS deleted FROM d;
SELECT scheduled_for::date AS slot, status FROM cron.job_run_details ORDER BY slot;
ROLLBACK;
DROP OWNED BY regress_ledger_user;
DROP ROLE regress_ledger_user;
