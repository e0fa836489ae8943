--
-- pg_cron's API, exactly: every pg_cron 1.6 signature exists with its
-- argument types (so GRANT and REVOKE written for pg_cron work), every call
-- form resolves to one function, and cronext's options are reachable
-- through the overloads whose command is varchar and through
-- cron.update_job.
--
SET client_min_messages = warning;

-- the signatures, by regprocedure
SELECT 'cron.schedule(text,text)'::regprocedure,
       'cron.schedule(text,text,text)'::regprocedure,
       'cron.unschedule(bigint)'::regprocedure,
       'cron.unschedule(text)'::regprocedure,
       'cron.alter_job(bigint,text,text,text,text,boolean)'::regprocedure,
       'cron.schedule_in_database(text,text,text,text,text,boolean)'::regprocedure,
       'cron.job_cache_invalidate()'::regprocedure;

-- GRANT and REVOKE by pg_cron's signatures
CREATE ROLE regress_pgc_app LOGIN;
CREATE ROLE regress_pgc_other LOGIN;
GRANT USAGE ON SCHEMA cron TO regress_pgc_app, regress_pgc_other;
REVOKE EXECUTE ON FUNCTION cron.schedule(text,text,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cron.schedule(text,text,text) TO regress_pgc_app;
REVOKE EXECUTE ON FUNCTION cron.alter_job(bigint,text,text,text,text,boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cron.alter_job(bigint,text,text,text,text,boolean) TO regress_pgc_app;

-- positional, named and mixed call forms each resolve to one function
SET ROLE regress_pgc_app;
SELECT cron.schedule('pgc-a', '0 10 * * *', 'VACUUM') AS a \gset
SELECT cron.schedule(job_name => 'pgc-b', schedule => '0 10 * * *', command => 'VACUUM') AS b \gset
SELECT cron.schedule(job_name := 'pgc-c', schedule := '0 10 * * *', command := 'VACUUM') AS c \gset
SELECT cron.schedule('pgc-d', '0 10 * * *', format('SELECT %s', 1)) AS d \gset
SELECT cron.schedule('0 10 * * *', 'VACUUM') AS unnamed \gset
-- an option reaches the overload; the option is set
SELECT cron.schedule('pgc-e', '0 10 * * *', 'VACUUM', timezone => 'Asia/Tokyo') AS e \gset
SELECT jobname, timezone FROM cron.job WHERE jobname = 'pgc-e';
-- scheduling a name again updates it and uses no new jobid
SELECT cron.schedule('pgc-a', '0 11 * * *', 'VACUUM FULL') = :a AS same_jobid;
SELECT schedule, command FROM cron.job WHERE jobid = :a;
-- pg_cron's alter_job, positional and named
SELECT cron.alter_job(:a, '0 12 * * *');
SELECT cron.alter_job(job_id := :a, active := false);
SELECT cron.alter_job(:a::bigint, command => 'SELECT 2', active => true);
SELECT schedule, command, active FROM cron.job WHERE jobid = :a;
-- changing nothing is an error, as in pg_cron
SELECT cron.alter_job(:a);
SELECT cron.alter_job(job_id := :a);
-- cronext's options through update_job, allowed with alter_job's privilege
SELECT cron.update_job(:a, timezone => 'Europe/Paris', max_retries => 2);
SELECT timezone, max_retries FROM cron.job WHERE jobid = :a;
SELECT cron.update_job(:a);
-- unschedule by id, by name, by named argument
SELECT cron.unschedule(:b);
SELECT cron.unschedule('pgc-c');
SELECT cron.unschedule(job_name := 'pgc-d');
SELECT cron.unschedule(job_id := :unnamed);
SELECT cron.unschedule(job_name := 'pgc-no-such-job');
RESET ROLE;

-- a role without the grant is refused by both forms of schedule, and by
-- alter_job and update_job
SET ROLE regress_pgc_other;
SELECT cron.schedule('pgc-x', '0 10 * * *', 'VACUUM');
SELECT cron.schedule('pgc-x', '0 10 * * *', 'VACUUM', timezone => 'UTC');
SELECT cron.schedule_at('pgc-x', now() + interval '1 day', 'VACUUM');
SELECT cron.alter_job(1, active => false);
SELECT cron.update_job(1, timezone => 'UTC');
-- pg_cron's other signatures stay open
SELECT cron.schedule('0 10 * * *', 'VACUUM') > 0 AS unnamed_ok;
SELECT cron.schedule_in_database('pgc-y', '0 10 * * *', 'VACUUM', current_database()) > 0 AS in_db_ok;
SELECT cron.schedule_in_database('pgc-z', '0 10 * * *', 'VACUUM', current_database(),
                                 timezone => 'UTC') > 0 AS in_db_options_ok;
SELECT cron.unschedule('pgc-y'), cron.unschedule('pgc-z');
DELETE FROM cron.job;
RESET ROLE;

-- direct writes take the API's privileges: with every function that
-- schedules, changes or unschedules revoked, a role cannot write its jobs
-- in cron.job either
SELECT cron.schedule_in_database('pgc-o', '0 10 * * *', 'VACUUM', current_database(),
                                 'regress_pgc_other') AS o \gset
REVOKE EXECUTE ON FUNCTION cron.schedule(text,text),
    cron.schedule_in_database(text,text,text,text,text,boolean),
    cron.unschedule(bigint), cron.unschedule(text) FROM PUBLIC;
SET ROLE regress_pgc_other;
INSERT INTO cron.job (schedule, command) VALUES ('0 10 * * *', 'VACUUM');
UPDATE cron.job SET active = false WHERE jobid = :o;
DELETE FROM cron.job WHERE jobid = :o;
RESET ROLE;
GRANT EXECUTE ON FUNCTION cron.schedule(text,text),
    cron.schedule_in_database(text,text,text,text,text,boolean),
    cron.unschedule(bigint), cron.unschedule(text) TO PUBLIC;
SET ROLE regress_pgc_other;
UPDATE cron.job SET active = false WHERE jobid = :o;
DELETE FROM cron.job WHERE jobid = :o;
RESET ROLE;

-- a superuser writing a job with its id (a restore) gets the row as it is:
-- a schedule cronext refuses, a role that does not exist; the job shows in
-- cron.job_status with no next run, and can be paused and dropped
INSERT INTO cron.job (jobid, schedule, command, username)
VALUES (990100, '0 0 30 2 *', 'SELECT 1', 'regress_no_such_role');
SELECT jobid, schedule, username, roleid IS NULL AS no_owner FROM cron.job WHERE jobid = 990100;
SELECT jobid, next_run FROM cron.job_status WHERE jobid = 990100;
UPDATE cron.job SET active = false WHERE jobid = 990100;
SELECT active, roleid IS NULL AS no_owner FROM cron.job WHERE jobid = 990100;
-- without its id, the same row is refused, as any new job
INSERT INTO cron.job (schedule, command, username)
VALUES ('0 0 30 2 *', 'SELECT 1', 'regress_no_such_role');
DELETE FROM cron.job WHERE jobid = 990100;

-- pg_cron's schedule language details
SELECT cron.check_schedule('@restart');
SELECT * FROM cron.next_runs('@restart', 'UTC', '2026-01-01', 1);
SELECT cron.check_schedule('*/60 10 * * *');
SELECT cron.check_schedule('0 */24 * * *');
SELECT cron.check_schedule('*/5000000000 10 * * *');
SELECT cron.check_schedule('*/59 */23 */31 */12 */7');
SELECT cron.check_schedule(s) FROM unnest(ARRAY['1 second', ' 30 sEcOnDs ', '17  seconds ', '0 11 $ * *']) s;

-- runs written without a slot are pg_cron's (a takeover, a restored pg_cron
-- dump): the slot is derived from the start time (else the end time),
-- truncated to the second, the next microsecond when it is taken; runs
-- pg_cron had not finished end as failed
INSERT INTO cron.job_run_details (jobid, runid, status, return_message, start_time, end_time)
VALUES (990001, 990001, 'succeeded', '1 row', '2026-11-01 10:00:00.25+00', '2026-11-01 10:00:01+00'),
       (990001, 990002, 'failed', 'boom', '2026-11-01 10:00:00.75+00', '2026-11-01 10:00:01+00'),
       (990001, 990003, 'sending', NULL, NULL, NULL),
       (990001, 990004, 'connecting', NULL, NULL, '2026-11-01 11:00:00.5+00'),
       (NULL, 990005, 'running', NULL, '2026-11-01 12:00:00+00', NULL);
SELECT runid, jobid, status,
       CASE WHEN runid <> 990003 THEN scheduled_for END AS scheduled_for,
       CASE WHEN runid = 990003 THEN scheduled_for = date_trunc('second', now()) END AS now_slot,
       return_message, end_time IS NOT NULL AS ended
FROM cron.job_run_details WHERE runid BETWEEN 990001 AND 990005 ORDER BY runid;
DELETE FROM cron.job_run_details WHERE runid BETWEEN 990001 AND 990005;
-- the trigger function works on cron.job_run_details only, and only for
-- whom EXECUTE is granted
CREATE TABLE pgc_fake (jobid bigint, scheduled_for timestamptz, status text);
CREATE TRIGGER pgc_fake BEFORE INSERT ON pgc_fake FOR EACH ROW
    EXECUTE FUNCTION cron.job_run_details_adopt();
INSERT INTO pgc_fake VALUES (1, NULL, 'x');
DROP TABLE pgc_fake;
SELECT has_function_privilege('public', 'cron.job_run_details_adopt()', 'EXECUTE') AS public_may_execute;

-- cron.log_min_messages exists, with pg_cron's default
SHOW cron.log_min_messages;

DELETE FROM cron.job WHERE username LIKE 'regress_pgc%';
GRANT EXECUTE ON FUNCTION cron.schedule(text,text,text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION cron.alter_job(bigint,text,text,text,text,boolean) TO PUBLIC;
REVOKE ALL ON FUNCTION cron.schedule(text,text,text) FROM regress_pgc_app;
REVOKE ALL ON FUNCTION cron.alter_job(bigint,text,text,text,text,boolean) FROM regress_pgc_app;
REVOKE USAGE ON SCHEMA cron FROM regress_pgc_app, regress_pgc_other;
DROP ROLE regress_pgc_app;
DROP ROLE regress_pgc_other;
