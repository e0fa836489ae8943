--
-- security: row-level security between two roles, privilege checks on the
-- API and on direct writes, cron.enable_superuser_jobs, and immunity of the
-- API and of CREATE EXTENSION to search_path hijacking.
--
-- Roles: regress_alice and regress_bob (USAGE on schema cron), regress_carol
-- (no USAGE), regress_nologin (NOLOGIN), regress_super (a superuser, so that
-- messages naming "the superuser" do not depend on who runs the tests).
-- Everything is dropped at the end, and leftovers of an interrupted run at
-- the start, so the test can be run again.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cronext;
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['regress_alice', 'regress_bob', 'regress_carol',
							 'regress_nologin', 'regress_super'] LOOP
		IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE pg_catalog.format('DROP OWNED BY %I CASCADE', r);
			EXECUTE pg_catalog.format('DROP ROLE %I', r);
		END IF;
	END LOOP;
END
$$;
DELETE FROM cron.job WHERE username LIKE 'regress\_%';
DROP DATABASE IF EXISTS regress_privdb;
ALTER SYSTEM RESET cron.enable_superuser_jobs;
SELECT pg_reload_conf() AS reloaded;
RESET client_min_messages;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
ALTER SEQUENCE cron.jobid_seq RESTART WITH 2001;

CREATE ROLE regress_alice LOGIN;
CREATE ROLE regress_bob LOGIN;
CREATE ROLE regress_carol LOGIN;
CREATE ROLE regress_nologin NOLOGIN;
CREATE ROLE regress_super LOGIN SUPERUSER;
GRANT USAGE ON SCHEMA cron TO regress_alice, regress_bob, regress_nologin;

-- the error code of a statement, or 00000
CREATE FUNCTION pg_temp.sqlstate_of(cmd text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE cmd;
	RETURN '00000';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END
$$;

---------------------------------------------------------------------------
-- alice schedules jobs
---------------------------------------------------------------------------
SET ROLE regress_alice;
SELECT cron.schedule('shared-name', '0 1 1 1 *', 'SELECT 1') AS alice1 \gset
SELECT cron.schedule('0 2 1 1 *', 'SELECT 2') AS alice2 \gset
SELECT :alice1 AS alice1, :alice2 AS alice2;
SELECT jobid, jobname, username FROM cron.job ORDER BY jobid;
RESET ROLE;
-- bob has a job too (scheduled for him by a superuser)
SELECT cron.schedule_in_database('bob-job', '0 3 1 1 *', 'SELECT 3',
                                 current_database(), 'regress_bob') AS bob1 \gset
-- runs, as the scheduler would record them
INSERT INTO cron.job_run_details (jobid, database, username, command, status,
                                  return_message, scheduled_for)
VALUES (:alice1, current_database(), 'regress_alice', 'SELECT 1', 'succeeded', '1 row', '2026-01-01 01:00+00'),
       (:alice2, current_database(), 'regress_alice', 'SELECT 2', 'failed', 'boom', '2026-01-01 02:00+00'),
       (:bob1, current_database(), 'regress_bob', 'SELECT 3', 'succeeded', '1 row', '2026-01-01 03:00+00');

---------------------------------------------------------------------------
-- bob cannot see, change or remove alice's jobs and runs
---------------------------------------------------------------------------
SET ROLE regress_bob;
SELECT jobid, jobname, username FROM cron.job ORDER BY jobid;
SELECT jobid, username, status FROM cron.job_run_details ORDER BY jobid;
SELECT cron.unschedule(:alice1);
\echo :SQLSTATE
SELECT cron.alter_job(:alice1, active => false);
\echo :SQLSTATE
SELECT cron.alter_job(:alice2, command => 'DROP TABLE important');
\echo :SQLSTATE
-- by name, unschedule only looks at the caller's own jobs
SELECT cron.unschedule('shared-name');
\echo :SQLSTATE
-- direct writes see nothing of alice's
UPDATE cron.job SET command = 'DROP TABLE important' WHERE jobid = :alice1;
DELETE FROM cron.job WHERE jobid = :alice2;
DELETE FROM cron.job_run_details WHERE jobid IN (:alice1, :alice2);
-- the same job name for bob is a different job
SELECT cron.schedule('shared-name', '0 4 1 1 *', 'SELECT 4') AS bob2 \gset
SELECT :bob2 <> :alice1 AS different_job;
-- bob cannot schedule as alice, through the API or directly
SELECT cron.schedule_in_database('bob-as-alice', '0 5 1 1 *', 'SELECT 5',
                                 current_database(), 'regress_alice');
\echo :SQLSTATE
-- not even by naming alice's existing job
SELECT cron.schedule_in_database('shared-name', '0 5 1 1 *', 'DROP TABLE important',
                                 current_database(), 'regress_alice');
\echo :SQLSTATE
INSERT INTO cron.job (schedule, command, username) VALUES ('0 5 1 1 *', 'SELECT 5', 'regress_alice');
\echo :SQLSTATE
INSERT INTO cron.job (jobname, schedule, command, username)
VALUES ('shared-name', '0 5 1 1 *', 'SELECT 5', 'regress_alice')
ON CONFLICT (username, jobname) DO UPDATE SET command = 'DROP TABLE important';
\echo :SQLSTATE
-- nor turn his own job into one that runs as alice
UPDATE cron.job SET username = 'regress_alice' WHERE jobid = :bob2;
\echo :SQLSTATE
SELECT cron.alter_job(:bob2, username => 'regress_alice');
\echo :SQLSTATE
-- nor as a superuser
SELECT cron.alter_job(:bob2, username => 'regress_super');
\echo :SQLSTATE
-- direct writes are validated like the API (the guard trigger)
INSERT INTO cron.job (schedule, command) VALUES ('0 0 31 2 *', 'SELECT 6');
\echo :SQLSTATE
INSERT INTO cron.job (schedule, command) VALUES ('*/0 * * * *', 'SELECT 6');
\echo :SQLSTATE
SELECT cron.schedule('*/0 * * * *', 'SELECT 6');
\echo :SQLSTATE
UPDATE cron.job SET schedule = '0 0 1 13 *' WHERE jobid = :bob2;
\echo :SQLSTATE
INSERT INTO cron.job (schedule, command, timezone) VALUES ('0 0 1 1 *', 'SELECT 6', 'Mars/Olympus_Mons');
\echo :SQLSTATE
INSERT INTO cron.job (schedule, command) VALUES ('0 0 1 1 *', '');
\echo :SQLSTATE
INSERT INTO cron.job (schedule, command, database) VALUES ('0 0 1 1 *', 'SELECT 6', 'regress_nosuchdb');
\echo :SQLSTATE
-- only the scheduler writes the ledger
INSERT INTO cron.job_run_details (jobid, username, status, scheduled_for)
VALUES (:bob2, 'regress_bob', 'succeeded', '2026-01-01');
\echo :SQLSTATE
UPDATE cron.job_run_details SET status = 'failed' WHERE jobid = :bob1;
\echo :SQLSTATE
UPDATE cron.job_run_details SET status = 'failed' WHERE jobid = :alice1;
\echo :SQLSTATE
TRUNCATE cron.job_run_details;
\echo :SQLSTATE
-- bob sees his own jobs and runs
SELECT jobid, jobname, username FROM cron.job ORDER BY jobid;
SELECT jobid, username, status FROM cron.job_run_details ORDER BY jobid;
RESET ROLE;
-- alice's jobs and runs are intact
SELECT jobid, jobname, schedule, command, active, username FROM cron.job
WHERE username = 'regress_alice' ORDER BY jobid;
SELECT jobid, status FROM cron.job_run_details WHERE username = 'regress_alice' ORDER BY jobid;

-- alice, by id: her job
SET ROLE regress_alice;
SELECT cron.alter_job(:alice2, active => false);
SELECT jobid, active FROM cron.job WHERE jobid = :alice2;
RESET ROLE;

---------------------------------------------------------------------------
-- job ids come from the sequence: bob cannot take the ids that the next
-- jobs of other roles will get (whether his INSERT is refused or given a
-- fresh id, alice's next cron.schedule must work)
---------------------------------------------------------------------------
SET ROLE regress_bob;
DO $$
DECLARE
	v bigint := pg_catalog.nextval('cron.jobid_seq');
BEGIN
	INSERT INTO cron.job (jobid, schedule, command)
	SELECT v + i, '0 6 1 1 *', 'SELECT 6' FROM pg_catalog.generate_series(1, 3) AS i;
EXCEPTION WHEN OTHERS THEN
	NULL;
END
$$;
SET ROLE regress_alice;
SELECT cron.schedule('0 7 1 1 *', 'SELECT 7') > :alice2 AS alice_scheduled;
RESET ROLE;
-- whatever became of bob's attempt, remove it
WITH d AS (DELETE FROM cron.job WHERE username = 'regress_bob' AND command = 'SELECT 6' RETURNING 1)
SELECT true AS removed FROM (SELECT count(*) FROM d) AS s;

---------------------------------------------------------------------------
-- who a job may run as, and where
---------------------------------------------------------------------------
-- a role that cannot log in cannot run jobs (pg_cron 1.6: "role ... can not log in")
SELECT pg_temp.sqlstate_of($$SELECT cron.schedule_in_database('regress-nologin',
       '0 8 1 1 *', 'SELECT 8', current_database(), 'regress_nologin')$$)
       <> '00000' AS refused;
SELECT count(*) AS nologin_jobs FROM cron.job WHERE username = 'regress_nologin';
-- a role without CONNECT on a database cannot schedule jobs there (pg_cron 1.6:
-- "User ... does not have CONNECT privilege on ...")
CREATE DATABASE regress_privdb;
REVOKE CONNECT ON DATABASE regress_privdb FROM PUBLIC;
GRANT CONNECT ON DATABASE regress_privdb TO regress_alice;
SET ROLE regress_alice;
SELECT cron.schedule_in_database('alice-privdb', '0 9 1 1 *', 'SELECT 9', 'regress_privdb') > 0 AS scheduled;
SET ROLE regress_bob;
SELECT pg_temp.sqlstate_of($$SELECT cron.schedule_in_database('bob-privdb',
       '0 9 1 1 *', 'SELECT 9', 'regress_privdb')$$) AS bob_in_privdb;
SELECT pg_temp.sqlstate_of(pg_catalog.format($$SELECT cron.alter_job(%s, database => 'regress_privdb')$$, :bob2))
       AS bob_moves_to_privdb;
RESET ROLE;
SELECT pg_temp.sqlstate_of($$SELECT cron.schedule_in_database('bob-privdb2',
       '0 9 1 1 *', 'SELECT 9', 'regress_privdb', 'regress_bob')$$) AS superuser_for_bob_in_privdb;
SELECT jobname, database FROM cron.job WHERE database = 'regress_privdb' ORDER BY jobname;

---------------------------------------------------------------------------
-- a role without USAGE on schema cron cannot use the API or the tables
---------------------------------------------------------------------------
SET ROLE regress_carol;
SELECT cron.schedule('0 0 1 1 *', 'SELECT 1');
\echo :SQLSTATE
SELECT cron.schedule('carol', '0 0 1 1 *', 'SELECT 1');
\echo :SQLSTATE
SELECT count(*) FROM cron.job;
\echo :SQLSTATE
SELECT count(*) FROM cron.job_run_details;
\echo :SQLSTATE
RESET ROLE;

---------------------------------------------------------------------------
-- superusers see everything
---------------------------------------------------------------------------
SELECT username, jobname, schedule, database = current_database() AS here
FROM cron.job WHERE username IN ('regress_alice', 'regress_bob')
ORDER BY username, schedule;
SELECT username, jobid, status FROM cron.job_run_details
WHERE username IN ('regress_alice', 'regress_bob') ORDER BY username, jobid;
-- and may change other roles' jobs
SELECT cron.alter_job(:alice1, command => 'SELECT 10');
SELECT cron.alter_job(:alice2, username => 'regress_bob');
SELECT jobid, username, command FROM cron.job WHERE jobid IN (:alice1, :alice2) ORDER BY jobid;
-- a job name is unique per role
SELECT cron.alter_job(:bob2, username => 'regress_alice');
\echo :SQLSTATE
SELECT cron.unschedule(:bob2);

---------------------------------------------------------------------------
-- cron.enable_superuser_jobs (default on; a PGC_SIGHUP setting)
---------------------------------------------------------------------------
SHOW cron.enable_superuser_jobs;
SET cron.enable_superuser_jobs = off;
\echo :SQLSTATE
SET ROLE regress_super;
SELECT cron.schedule('super-job', '0 10 1 1 *', 'SELECT 10') AS super1 \gset
SELECT username FROM cron.job WHERE jobid = :super1;
RESET ROLE;
-- only a superuser may change it
SET ROLE regress_alice;
ALTER SYSTEM SET cron.enable_superuser_jobs = off;
\echo :SQLSTATE
RESET ROLE;
ALTER SYSTEM SET cron.enable_superuser_jobs = off;
SELECT pg_reload_conf();
-- wait (at most 5 s) until this backend has read the new value
\o /dev/null
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'off';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'off';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'off';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'off';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'off';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'off';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'off';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'off';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'off';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'off';
\o
SHOW cron.enable_superuser_jobs;
SET ROLE regress_super;
SELECT cron.schedule('super-job2', '0 11 1 1 *', 'SELECT 11');
\echo :SQLSTATE
SELECT cron.schedule('0 11 1 1 *', 'SELECT 11');
\echo :SQLSTATE
RESET ROLE;
SELECT cron.schedule_in_database('super-job3', '0 11 1 1 *', 'SELECT 11',
                                 current_database(), 'regress_super');
\echo :SQLSTATE
SELECT cron.alter_job(:alice1, username => 'regress_super');
\echo :SQLSTATE
-- a superuser may still schedule jobs that run as ordinary roles
SELECT cron.schedule_in_database('for-alice', '0 12 1 1 *', 'SELECT 12',
                                 current_database(), 'regress_alice') > 0 AS scheduled;
-- and an existing superuser job can be removed
SET ROLE regress_super;
SELECT cron.unschedule('super-job');
RESET ROLE;
ALTER SYSTEM RESET cron.enable_superuser_jobs;
SELECT pg_reload_conf();
\o /dev/null
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'on';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'on';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'on';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'on';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'on';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'on';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'on';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'on';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'on';
SELECT pg_sleep(0.5) WHERE current_setting('cron.enable_superuser_jobs') <> 'on';
\o
SHOW cron.enable_superuser_jobs;

---------------------------------------------------------------------------
-- search_path hijacking: alice plants functions and operators that shadow
-- pg_catalog's (now, nextval, current_setting, current_database, btrim,
-- format, texteq, =, <>, <, >= ...) in her schema regress_evil and in public;
-- each RAISEs NOTICE 'hijacked'.  Nothing the extension runs may call them.
---------------------------------------------------------------------------
CREATE SCHEMA regress_evil AUTHORIZATION regress_alice;
GRANT CREATE ON SCHEMA public TO regress_alice;
SET ROLE regress_alice;
DO $do$
DECLARE
	s text;
BEGIN
	FOREACH s IN ARRAY ARRAY['regress_evil', 'public'] LOOP
		EXECUTE pg_catalog.format($f$
			CREATE FUNCTION %1$I.now() RETURNS timestamptz LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.now()'; RETURN pg_catalog.now(); END $b$;
			CREATE FUNCTION %1$I.nextval(regclass) RETURNS bigint LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.nextval()'; RETURN pg_catalog.nextval($1); END $b$;
			CREATE FUNCTION %1$I.current_setting(text) RETURNS text LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.current_setting()'; RETURN pg_catalog.current_setting($1); END $b$;
			CREATE FUNCTION %1$I.current_setting(text, boolean) RETURNS text LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.current_setting()'; RETURN pg_catalog.current_setting($1, $2); END $b$;
			CREATE FUNCTION %1$I.current_database() RETURNS name LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.current_database()'; RETURN pg_catalog.current_database(); END $b$;
			CREATE FUNCTION %1$I.btrim(text) RETURNS text LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.btrim()'; RETURN pg_catalog.btrim($1); END $b$;
			CREATE FUNCTION %1$I.format(text, text) RETURNS text LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.format()'; RETURN pg_catalog.format($1, $2); END $b$;
			CREATE FUNCTION %1$I.format(text, interval) RETURNS text LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.format()'; RETURN pg_catalog.format($1, $2); END $b$;
			CREATE FUNCTION %1$I.format(text, integer) RETURNS text LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.format()'; RETURN pg_catalog.format($1, $2); END $b$;
			CREATE FUNCTION %1$I.texteq(text, text) RETURNS boolean LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.texteq()'; RETURN pg_catalog.texteq($1, $2); END $b$;
			CREATE FUNCTION %1$I.evil_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.= (text, text)'; RETURN pg_catalog.texteq($1, $2); END $b$;
			CREATE OPERATOR %1$I.= (LEFTARG = text, RIGHTARG = text, FUNCTION = %1$I.evil_eq);
			CREATE FUNCTION %1$I.evil_ne(text, text) RETURNS boolean LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.<> (text, text)'; RETURN pg_catalog.textne($1, $2); END $b$;
			CREATE OPERATOR %1$I.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = %1$I.evil_ne);
			CREATE FUNCTION %1$I.evil_nameeq(name, name) RETURNS boolean LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.= (name, name)'; RETURN pg_catalog.nameeq($1, $2); END $b$;
			CREATE OPERATOR %1$I.= (LEFTARG = name, RIGHTARG = name, FUNCTION = %1$I.evil_nameeq);
			CREATE FUNCTION %1$I.evil_oideq(oid, oid) RETURNS boolean LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.= (oid, oid)'; RETURN pg_catalog.oideq($1, $2); END $b$;
			CREATE OPERATOR %1$I.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = %1$I.evil_oideq);
			CREATE FUNCTION %1$I.evil_int8eq(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.= (bigint, bigint)'; RETURN pg_catalog.int8eq($1, $2); END $b$;
			CREATE OPERATOR %1$I.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = %1$I.evil_int8eq);
			CREATE FUNCTION %1$I.evil_intervallt(interval, interval) RETURNS boolean LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.< (interval, interval)'; RETURN pg_catalog.interval_lt($1, $2); END $b$;
			CREATE OPERATOR %1$I.< (LEFTARG = interval, RIGHTARG = interval, FUNCTION = %1$I.evil_intervallt);
			CREATE FUNCTION %1$I.evil_intervaleq(interval, interval) RETURNS boolean LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.= (interval, interval)'; RETURN pg_catalog.interval_eq($1, $2); END $b$;
			CREATE OPERATOR %1$I.= (LEFTARG = interval, RIGHTARG = interval, FUNCTION = %1$I.evil_intervaleq);
			CREATE FUNCTION %1$I.evil_tsge(timestamptz, timestamptz) RETURNS boolean LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.>= (timestamptz, timestamptz)'; RETURN pg_catalog.timestamptz_ge($1, $2); END $b$;
			CREATE OPERATOR %1$I.>= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = %1$I.evil_tsge);
			CREATE FUNCTION %1$I.evil_int4lt(integer, integer) RETURNS boolean LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.< (integer, integer)'; RETURN pg_catalog.int4lt($1, $2); END $b$;
			CREATE OPERATOR %1$I.< (LEFTARG = integer, RIGHTARG = integer, FUNCTION = %1$I.evil_int4lt);
			CREATE FUNCTION %1$I.evil_int4gt(integer, integer) RETURNS boolean LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.> (integer, integer)'; RETURN pg_catalog.int4gt($1, $2); END $b$;
			CREATE OPERATOR %1$I.> (LEFTARG = integer, RIGHTARG = integer, FUNCTION = %1$I.evil_int4gt);
			CREATE FUNCTION %1$I.evil_int4ge(integer, integer) RETURNS boolean LANGUAGE plpgsql AS $b$
			BEGIN RAISE NOTICE 'hijacked: %1$s.>= (integer, integer)'; RETURN pg_catalog.int4ge($1, $2); END $b$;
			CREATE OPERATOR %1$I.>= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = %1$I.evil_int4ge);
		$f$, s);
	END LOOP;
END
$do$;

-- alice puts her schema first
SET search_path = regress_evil, pg_catalog;
-- the traps work: alice's own unqualified query is hijacked
SELECT now() IS NOT NULL AS control_now;
SELECT 'a'::text = 'a'::text AS control_eq;
-- the API is not: no NOTICE below
SELECT cron.schedule('0 13 1 1 *', 'SELECT 13') > 0 AS scheduled;
SELECT cron.schedule('evil-named', '0 13 1 1 *', 'SELECT 13',
                     timezone => 'Europe/Berlin', catchup => 'all',
                     catchup_window => '5 minutes', overlap => 'skip',
                     max_retries => 2, retry_delay => '1 minute',
                     timeout => '0') AS evil1 \gset
SELECT cron.schedule('evil-named', '0 14 1 1 *', 'SELECT 14', timezone => '',
                     timeout => '10 seconds') OPERATOR(pg_catalog.=) :evil1 AS same_id;
SELECT cron.schedule_in_database('evil-db', '0 14 1 1 *', 'SELECT 14',
                                 pg_catalog.current_database(), 'regress_alice', false,
                                 catchup => 'none') > 0 AS scheduled;
SELECT cron.update_job(:evil1, schedule => '0 15 1 1 *', command => 'SELECT 15',
                      active => false, timezone => 'Asia/Tokyo', catchup => 'latest',
                      catchup_window => '0', overlap => 'allow', max_retries => 0,
                      retry_delay => '0', timeout => '0');
SELECT cron.alter_job(:evil1);
SELECT cron.check_schedule('0 0 1 1 *', 'UTC');
SELECT count(*) FROM cron.next_runs('0 0 1 1 *', 'UTC', '2026-01-01 00:00+00', 3);
-- errors are reported without calling the traps either
SELECT cron.schedule('evil-bad', '61 * * * *', 'SELECT 1');
SELECT cron.alter_job(:bob1, active => false);
SELECT cron.unschedule(999999);
-- direct writes go through the guard triggers
INSERT INTO cron.job (schedule, command) VALUES ('0 16 1 1 *', 'SELECT 16')
RETURNING jobid > 0 AS inserted;
UPDATE cron.job SET command = 'SELECT 17' WHERE jobid OPERATOR(pg_catalog.=) :evil1;
DELETE FROM cron.job_run_details WHERE jobid OPERATOR(pg_catalog.=) :alice1;
SELECT cron.unschedule('evil-named');
SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname OPERATOR(pg_catalog.=) 'evil-db';
RESET search_path;
RESET ROLE;

-- a superuser with alice's schema first on the search_path: nothing hijacked
SET search_path = regress_evil, pg_catalog;
SELECT now() IS NOT NULL AS control_now;
SELECT cron.schedule_in_database('evil-su', '0 18 1 1 *', 'SELECT 18',
                                 pg_catalog.current_database(), 'regress_alice',
                                 timezone => 'UTC', timeout => '1 minute') AS evil2 \gset
SELECT cron.update_job(:evil2, username => 'regress_bob', catchup_window => '1 hour');
SELECT cron.unschedule(:evil2);
DELETE FROM cron.job_run_details WHERE jobid OPERATOR(pg_catalog.=) :alice2;
RESET search_path;

-- DROP EXTENSION / CREATE EXTENSION with the traps in public and public
-- first on the search_path: nothing hijacked
SET search_path = public, pg_catalog;
SELECT now() IS NOT NULL AS control_now;
SELECT 'a'::text = 'a'::text AS control_eq;
DROP EXTENSION cronext;
CREATE EXTENSION cronext;
GRANT USAGE ON SCHEMA cron TO regress_alice;
SELECT cron.schedule('after-recreate', '0 19 1 1 *', 'SELECT 19') > 0 AS scheduled;
SELECT cron.unschedule('after-recreate');
SET ROLE regress_alice;
SELECT cron.schedule('0 19 1 1 *', 'SELECT 19') AS alice_again \gset
SELECT cron.update_job(:alice_again, timezone => 'Europe/Berlin', max_retries => 1);
SELECT cron.unschedule(:alice_again);
RESET ROLE;
RESET search_path;

---------------------------------------------------------------------------
-- clean up
---------------------------------------------------------------------------
SET client_min_messages = warning;
DELETE FROM cron.job WHERE username LIKE 'regress\_%';
DELETE FROM cron.job_run_details WHERE username LIKE 'regress\_%';
REVOKE CREATE ON SCHEMA public FROM regress_alice;
DROP OWNED BY regress_alice, regress_bob, regress_carol, regress_nologin, regress_super CASCADE;
DROP ROLE regress_alice, regress_bob, regress_carol, regress_nologin, regress_super;
DROP DATABASE regress_privdb;
RESET client_min_messages;
SELECT count(*) AS functions_left_in_public FROM pg_proc
WHERE pronamespace = 'public'::regnamespace AND proname IN ('now', 'nextval', 'evil_eq');
