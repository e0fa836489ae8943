--
-- api: the pg_cron compatible SQL API (cron.schedule, cron.schedule_in_database,
-- cron.unschedule, cron.alter_job) and its per-job options.
--
-- Runs after other tests in the same database, so it never relies on what they
-- left behind: job ids are restarted at 1001 (error messages name ids), and
-- every job it creates is removed at the end.  No now()-dependent value is
-- printed; created_at/updated_at are compared instead.  Jobs use schedules
-- that fire once a year, so a running scheduler leaves them alone.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cronext;
DROP DATABASE IF EXISTS regress_otherdb;
DROP DATABASE IF EXISTS regress_gonedb;
DROP ROLE IF EXISTS regress_gone_role;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
ALTER SEQUENCE cron.jobid_seq RESTART WITH 1001;

-- the caller's error code, or 00000: makes SQLSTATEs visible in one table
CREATE FUNCTION pg_temp.sqlstate_of(cmd text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE cmd;
	RETURN '00000';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END
$$;

-- the settable columns of a job (without its id and timestamps)
CREATE FUNCTION pg_temp.job(id bigint)
RETURNS TABLE (jobname text, schedule text, command text, here boolean,
               active boolean, kind text, timezone text, catchup text,
               catchup_window interval, overlap text, max_retries integer,
               retry_delay interval, timeout interval)
LANGUAGE sql AS $$
	SELECT j.jobname, j.schedule, j.command, j.database = current_database(),
	       j.active, j.kind, j.timezone, j.catchup, j.catchup_window,
	       j.overlap, j.max_retries, j.retry_delay, j.timeout
	FROM cron.job j WHERE j.jobid = id
$$;

---------------------------------------------------------------------------
-- cron.schedule(schedule, command) and cron.schedule(name, schedule, command)
---------------------------------------------------------------------------
SELECT cron.schedule('0 3 1 1 *', 'SELECT 1') AS id1 \gset
SELECT :id1 AS unnamed_job;
SELECT cron.schedule('regress-named', '0 4 1 1 *', 'SELECT 2') AS id2 \gset
SELECT :id2 AS named_job, :id2 - :id1 AS step;
-- the same name again updates that job, keeps its id and consumes no new one
SELECT cron.schedule('regress-named', '0 5 1 1 *', 'SELECT 3') = :id2 AS same_id;
SELECT cron.schedule('regress-named', '0 6 1 1 *', 'SELECT 4') = :id2 AS same_id;
SELECT cron.schedule(job_name => 'regress-named', schedule => '@yearly',
                     command => 'SELECT 5') = :id2 AS same_id;
SELECT cron.schedule(schedule => '0 7 1 1 *', command => 'SELECT 6') AS id3 \gset
SELECT :id3 - :id2 AS step_after_updates;
SELECT cron.schedule('regress-second', '0 8 1 1 *', 'SELECT 7') AS id4 \gset
SELECT :id4 - :id3 AS step;
-- default values of a new job
SELECT j.* FROM generate_series(:id1, :id4) AS i, pg_temp.job(i) AS j;
SELECT username = CURRENT_USER::text AS mine,
       nodename, created_at = updated_at AS fresh
FROM cron.job WHERE jobid = :id1;

-- a failed call does not use up a job id either (pg_cron 1.6 validates the
-- schedule and the database before it draws an id): the next job still gets
-- the next id
SELECT cron.schedule('regress-bad', '0 24 * * *', 'SELECT 1');
SELECT cron.schedule('0 0 0 1 *', 'SELECT 1');
SELECT cron.schedule_in_database('regress-bad', '0 3 1 1 *', 'SELECT 1', 'regress_nosuchdb');
SELECT cron.schedule('regress-third', '0 9 1 1 *', 'SELECT 8') AS id5 \gset
SELECT :id5 - :id4 AS step_after_errors;

---------------------------------------------------------------------------
-- per-job options by name: cron.schedule
---------------------------------------------------------------------------
SELECT cron.schedule('regress-opts', '0 9 1 1 *', 'CALL send_report()',
                     timezone => 'America/New_York', catchup => 'all',
                     catchup_window => '2 hours', overlap => 'skip',
                     max_retries => 3, retry_delay => '30 seconds',
                     timeout => '5 minutes') AS opts \gset
SELECT * FROM pg_temp.job(:opts);
-- re-scheduling by name declares the job again: the options not given take
-- their defaults (nothing is kept from the earlier declaration)
SELECT cron.schedule('regress-opts', '0 10 1 1 *', 'CALL send_report(2)') = :opts AS same_id;
SELECT * FROM pg_temp.job(:opts);
-- options given on an update replace the old ones; timezone => '' resets to
-- NULL (cron.timezone) and timeout => '0' means no timeout (NULL)
SELECT cron.schedule('regress-opts', '0 10 1 1 *', 'CALL send_report(2)',
                     timezone => '', catchup => 'none', catchup_window => '0',
                     overlap => 'allow', max_retries => 0, retry_delay => '0',
                     timeout => '0') = :opts AS same_id;
SELECT * FROM pg_temp.job(:opts);
-- on a new job too
SELECT cron.schedule('regress-opts2', '0 11 1 1 *', 'SELECT 9', timezone => '',
                     timeout => '0 seconds') AS opts2 \gset
SELECT jobname, timezone, timeout FROM cron.job WHERE jobid = :opts2;
-- the upper bound of max_retries and the lower bound of intervals are accepted
SELECT cron.schedule('regress-opts2', '0 11 1 1 *', 'SELECT 9', max_retries => 100,
                     catchup_window => '0', retry_delay => '0') = :opts2 AS same_id;
SELECT jobname, max_retries, catchup_window, retry_delay FROM cron.job WHERE jobid = :opts2;

---------------------------------------------------------------------------
-- cron.schedule_in_database
---------------------------------------------------------------------------
CREATE DATABASE regress_otherdb;
SELECT cron.schedule_in_database('regress-other', '0 12 1 1 *', 'VACUUM',
                                 'regress_otherdb') AS other \gset
SELECT jobname, database, username = CURRENT_USER::text AS mine, active
FROM cron.job WHERE jobid = :other;
-- the same name again: same job, same id
SELECT cron.schedule_in_database('regress-other', '0 13 1 1 *', 'ANALYZE',
                                 'regress_otherdb', active => false) = :other AS same_id;
SELECT jobname, schedule, command, database, active FROM cron.job WHERE jobid = :other;
-- cron.schedule(name, ...) of that name moves the job back to the current
-- database, as in pg_cron 1.6 (database = the cron database); an inactive job
-- stays inactive (pg_cron 1.6 does not touch active on this path); a NOTICE
-- says the database changed
SELECT cron.schedule('regress-other', '0 14 1 1 *', 'ANALYZE') = :other AS same_id;
SELECT jobname, schedule, database = current_database() AS here, active
FROM cron.job WHERE jobid = :other;
-- the caller as explicit username is allowed
SELECT cron.schedule_in_database('regress-other2', '0 15 1 1 *', 'SELECT 10',
                                 'regress_otherdb', CURRENT_USER::text, true,
                                 timezone => 'Europe/Berlin', catchup => 'none',
                                 catchup_window => '10 minutes', overlap => 'skip',
                                 max_retries => 5, retry_delay => '2 minutes',
                                 timeout => '1 hour') AS other2 \gset
SELECT * FROM pg_temp.job(:other2);
SELECT database FROM cron.job WHERE jobid = :other2;
-- unknown database, unknown role
SELECT cron.schedule_in_database('regress-x', '0 0 1 1 *', 'SELECT 1', 'regress_nosuchdb');
\echo :SQLSTATE
SELECT cron.schedule_in_database('regress-x', '0 0 1 1 *', 'SELECT 1', 'regress_otherdb',
                                 'regress_nosuchrole');
\echo :SQLSTATE
SELECT count(*) AS no_job_created FROM cron.job WHERE jobname = 'regress-x';

---------------------------------------------------------------------------
-- cron.alter_job
---------------------------------------------------------------------------
CREATE TEMP TABLE before_alter AS SELECT * FROM cron.job WHERE jobid = :other2;
-- a change of nothing is an error (as in pg_cron) and leaves everything unchanged
SELECT cron.update_job(:other2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                      NULL, NULL, NULL, NULL);
SELECT cron.alter_job(:other2);
SELECT (j.jobid, j.schedule, j.command, j.nodename, j.nodeport, j.database,
        j.username, j.active, j.jobname, j.kind, j.timezone, j.catchup,
        j.catchup_window, j.overlap, j.max_retries, j.retry_delay, j.timeout,
        j.created_at)
       IS NOT DISTINCT FROM
       (b.jobid, b.schedule, b.command, b.nodename, b.nodeport, b.database,
        b.username, b.active, b.jobname, b.kind, b.timezone, b.catchup,
        b.catchup_window, b.overlap, b.max_retries, b.retry_delay, b.timeout,
        b.created_at) AS unchanged,
       j.updated_at >= b.updated_at AS updated_at_moves_forward
FROM cron.job j, before_alter b WHERE j.jobid = b.jobid;
-- every column by name
SELECT cron.update_job(:other2, schedule => '0 16 1 1 *', command => 'SELECT 11',
                      database => current_database(), active => false,
                      timezone => 'Australia/Lord_Howe', catchup => 'all',
                      catchup_window => '1 day', overlap => 'allow',
                      max_retries => 7, retry_delay => '5 seconds',
                      timeout => '90 seconds');
SELECT * FROM pg_temp.job(:other2);
-- one option at a time leaves the others
SELECT cron.update_job(:other2, max_retries => 1);
SELECT cron.update_job(:other2, overlap => 'queue');
SELECT * FROM pg_temp.job(:other2);
-- timezone => '' resets to NULL; timeout => '0' stores NULL
SELECT cron.update_job(:other2, timezone => '', timeout => '0');
SELECT timezone, timeout FROM cron.job WHERE jobid = :other2;
-- username => the caller is allowed
SELECT cron.alter_job(:other2, username => CURRENT_USER::text);
-- created_at never changes; updated_at follows
SELECT j.created_at = b.created_at AS created_at_unchanged,
       j.updated_at >= j.created_at AS updated_after_created,
       j.updated_at >= b.updated_at AS updated_at_moved
FROM cron.job j, before_alter b WHERE j.jobid = b.jobid;
-- nor can a direct write forge the timestamps
UPDATE cron.job SET created_at = '2000-01-01', updated_at = '2000-01-01' WHERE jobid = :other2;
SELECT j.created_at = b.created_at AS created_at_unchanged,
       j.updated_at > '2000-01-01' AS updated_at_not_forged
FROM cron.job j, before_alter b WHERE j.jobid = b.jobid;
INSERT INTO cron.job (schedule, command, created_at, updated_at)
VALUES ('0 17 1 1 *', 'SELECT 12', '2000-01-01', '2000-01-01') RETURNING jobid AS direct \gset
SELECT created_at > '2000-01-01' AS created_not_forged, updated_at > '2000-01-01' AS updated_not_forged
FROM cron.job WHERE jobid = :direct;
-- the jobid cannot be changed
UPDATE cron.job SET jobid = 999999 WHERE jobid = :direct;
\echo :SQLSTATE
-- alter_job errors
SELECT cron.alter_job(999999, active => false);
\echo :SQLSTATE
SELECT cron.alter_job(:other2, database => 'regress_nosuchdb');
\echo :SQLSTATE
SELECT cron.alter_job(:other2, username => 'regress_nosuchrole');
\echo :SQLSTATE
SELECT cron.alter_job(:other2, command => '');
\echo :SQLSTATE
SELECT cron.alter_job(:other2, schedule => '*/0 * * * *');
\echo :SQLSTATE
SELECT cron.update_job(:other2, timezone => 'Mars/Olympus_Mons');
\echo :SQLSTATE
-- failed changes changed nothing
SELECT * FROM pg_temp.job(:other2);

---------------------------------------------------------------------------
-- invalid option values: SQLSTATE 22023 (invalid_parameter_value) through
-- each of the three functions
---------------------------------------------------------------------------
SELECT v.opt, v.val,
       pg_temp.sqlstate_of(pg_catalog.format(
           $$SELECT cron.schedule('regress-badopt', '0 0 1 1 *', 'SELECT 1', %s => %L)$$,
           v.opt, v.val)) AS via_schedule,
       pg_temp.sqlstate_of(pg_catalog.format(
           $$SELECT cron.schedule_in_database('regress-badopt', '0 0 1 1 *', 'SELECT 1', 'regress_otherdb', %s => %L)$$,
           v.opt, v.val)) AS via_schedule_in_database,
       pg_temp.sqlstate_of(pg_catalog.format(
           $$SELECT cron.update_job(%s, %s => %L)$$, :other2, v.opt, v.val)) AS via_alter_job
FROM (VALUES ('timezone', 'Mars/Olympus_Mons'),
             ('timezone', 'America/Nowhere'),
             ('catchup', 'sometimes'),
             ('catchup', 'every'),
             ('overlap', 'never'),
             ('overlap', 'parallel'),
             ('catchup_window', '-1 second'),
             ('max_retries', '-1'),
             ('max_retries', '101'),
             ('retry_delay', '-1 minute'),
             ('timeout', '-5 seconds')) AS v(opt, val);
SELECT count(*) AS no_job_created FROM cron.job WHERE jobname = 'regress-badopt';
-- the messages
SELECT cron.schedule('regress-badopt', '0 0 1 1 *', 'SELECT 1', timezone => 'Mars/Olympus_Mons');
SELECT cron.schedule('regress-badopt', '0 0 1 1 *', 'SELECT 1', catchup_window => '-1 second');
SELECT cron.schedule('regress-badopt', '0 0 1 1 *', 'SELECT 1', max_retries => 101);
SELECT cron.schedule('regress-badopt', '0 0 1 1 *', 'SELECT 1', retry_delay => '-1 minute');
SELECT cron.schedule('regress-badopt', '0 0 1 1 *', 'SELECT 1', timeout => '-5 seconds');

---------------------------------------------------------------------------
-- invalid schedules through the API: 22023, naming the field and the value
---------------------------------------------------------------------------
SELECT cron.schedule('61 * * * *', 'SELECT 1');
\echo :SQLSTATE
SELECT cron.schedule('regress-badsched', '0 24 * * *', 'SELECT 1');
\echo :SQLSTATE
SELECT cron.schedule('regress-badsched', '0 0 32 * *', 'SELECT 1');
\echo :SQLSTATE
SELECT cron.schedule_in_database('regress-badsched', '0 0 1 13 *', 'SELECT 1', 'regress_otherdb');
\echo :SQLSTATE
SELECT cron.schedule_in_database('regress-badsched', '0 0 * * 8', 'SELECT 1', 'regress_otherdb');
\echo :SQLSTATE
SELECT cron.alter_job(:other2, schedule => '5-1 * * * *');
\echo :SQLSTATE
SELECT cron.alter_job(:other2, schedule => '* * * *');
\echo :SQLSTATE
SELECT cron.schedule('60 seconds', 'SELECT 1');
\echo :SQLSTATE
SELECT cron.schedule('0 seconds', 'SELECT 1');
\echo :SQLSTATE
SELECT cron.schedule('0 0 30 2 *', 'SELECT 1');
\echo :SQLSTATE
SELECT cron.schedule('', 'SELECT 1');
\echo :SQLSTATE
SELECT cron.schedule('@fortnightly', 'SELECT 1');
\echo :SQLSTATE
SELECT count(*) AS no_job_created FROM cron.job WHERE jobname = 'regress-badsched';

---------------------------------------------------------------------------
-- empty command, empty name
---------------------------------------------------------------------------
SELECT cron.schedule('0 0 1 1 *', '');
\echo :SQLSTATE
SELECT cron.schedule('regress-empty', '0 0 1 1 *', '   ');
\echo :SQLSTATE
SELECT cron.schedule_in_database('regress-empty', '0 0 1 1 *', E'\n\t', 'regress_otherdb');
\echo :SQLSTATE
SELECT cron.schedule('', '0 0 1 1 *', 'SELECT 1');
\echo :SQLSTATE

---------------------------------------------------------------------------
-- NULL arguments are errors, never a silent NULL
---------------------------------------------------------------------------
SELECT cron.schedule(NULL, 'SELECT 1');
\echo :SQLSTATE
SELECT cron.schedule('0 0 1 1 *', NULL);
\echo :SQLSTATE
SELECT cron.schedule(NULL, '0 0 1 1 *', 'SELECT 1');
\echo :SQLSTATE
SELECT cron.schedule('regress-null', NULL, 'SELECT 1');
\echo :SQLSTATE
SELECT cron.schedule('regress-null', '0 0 1 1 *', NULL);
\echo :SQLSTATE
-- and on the update path of an existing name
SELECT cron.schedule('regress-named', NULL, 'SELECT 1');
\echo :SQLSTATE
SELECT cron.schedule('regress-named', '0 0 1 1 *', NULL);
\echo :SQLSTATE
SELECT cron.schedule_in_database(NULL, '0 0 1 1 *', 'SELECT 1', 'regress_otherdb');
\echo :SQLSTATE
SELECT cron.schedule_in_database('regress-null', NULL, 'SELECT 1', 'regress_otherdb');
\echo :SQLSTATE
SELECT cron.schedule_in_database('regress-null', '0 0 1 1 *', NULL, 'regress_otherdb');
\echo :SQLSTATE
SELECT cron.schedule_in_database('regress-null', '0 0 1 1 *', 'SELECT 1', NULL);
\echo :SQLSTATE
SELECT cron.schedule_in_database('regress-null', '0 0 1 1 *', 'SELECT 1', 'regress_otherdb',
                                 NULL, NULL);
\echo :SQLSTATE
SELECT cron.unschedule(NULL);
\echo :SQLSTATE
SELECT cron.unschedule(NULL::bigint);
\echo :SQLSTATE
SELECT cron.unschedule(NULL::text);
\echo :SQLSTATE
SELECT cron.alter_job(NULL);
\echo :SQLSTATE
SELECT cron.alter_job(NULL, schedule => '0 0 1 1 *');
\echo :SQLSTATE
SELECT cron.check_schedule(NULL);
\echo :SQLSTATE
SELECT cron.next_runs(NULL);
\echo :SQLSTATE
SELECT cron.next_runs('0 0 1 1 *', 'UTC', NULL);
\echo :SQLSTATE
SELECT cron.next_runs('0 0 1 1 *', 'UTC', '2026-01-01', NULL);
\echo :SQLSTATE
SELECT count(*) AS no_job_created FROM cron.job WHERE jobname = 'regress-null';

---------------------------------------------------------------------------
-- cron.unschedule by id and by name
---------------------------------------------------------------------------
SELECT cron.unschedule(:id1);
SELECT cron.unschedule('regress-named');
SELECT count(*) AS gone FROM cron.job WHERE jobid IN (:id1, :id2);
-- unknown job: by id (also one just removed) and by name
SELECT cron.unschedule(:id1);
\echo :SQLSTATE
SELECT cron.unschedule(999999);
\echo :SQLSTATE
\set VERBOSITY terse
SELECT cron.unschedule('regress-named');
\echo :SQLSTATE
SELECT cron.unschedule('regress-no-such-job');
\echo :SQLSTATE
-- a quoted id is a job name, as in pg_cron
SELECT cron.unschedule(:'id4');
\echo :SQLSTATE
\set VERBOSITY default
SELECT jobname FROM cron.job WHERE jobid = :id4;

---------------------------------------------------------------------------
-- a job whose database or role has been dropped can still be paused, and
-- repaired (pg_cron 1.6 checks only the values alter_job is given)
---------------------------------------------------------------------------
CREATE DATABASE regress_gonedb;
CREATE ROLE regress_gone_role LOGIN;
SELECT cron.schedule_in_database('regress-gone-db', '0 20 1 1 *', 'SELECT 20',
                                 'regress_gonedb') AS gone_db \gset
SELECT cron.schedule_in_database('regress-gone-role', '0 21 1 1 *', 'SELECT 21',
                                 current_database(), 'regress_gone_role') AS gone_role \gset
DROP DATABASE regress_gonedb;
DROP ROLE regress_gone_role;
SELECT cron.alter_job(:gone_db, active => false);
SELECT cron.alter_job(:gone_role, active => false);
SELECT jobname, active FROM cron.job WHERE jobid IN (:gone_db, :gone_role) ORDER BY jobname;
SELECT cron.alter_job(:gone_db, database => current_database());
SELECT cron.alter_job(:gone_role, username => CURRENT_USER::text);
SELECT jobname, database = current_database() AS here, username = CURRENT_USER::text AS mine
FROM cron.job WHERE jobid IN (:gone_db, :gone_role) ORDER BY jobname;

---------------------------------------------------------------------------
-- clean up
---------------------------------------------------------------------------
SELECT count(cron.unschedule(jobid)) > 0 AS cleaned FROM cron.job WHERE jobid >= 1001;
SELECT count(*) AS left_over FROM cron.job WHERE jobid >= 1001;
DROP DATABASE regress_otherdb;
