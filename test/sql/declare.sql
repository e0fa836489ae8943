--
-- Jobs declared from code: cron.apply_jobs(source, jobs), and what
-- re-declaring a job by name does (every option from the call or its
-- default; nothing sticky).
--
SET client_min_messages = notice;
-- the errors without the CONTEXT of the function's lines
\set SHOW_CONTEXT never

CREATE FUNCTION pg_temp.jobs(src text)
RETURNS TABLE (jobname text, schedule text, command text, database_is_here boolean,
			   active boolean, timezone text, max_retries integer, retry_delay interval,
			   timeout interval, kind text, http_headers jsonb)
LANGUAGE sql AS $$
	SELECT jobname, schedule, command, database = current_database(), active, timezone,
		   max_retries, retry_delay, timeout, kind, http_headers
	FROM cron.job WHERE source IS NOT DISTINCT FROM src ORDER BY jobname
$$;

---------------------------------------------------------------------------
-- a first declaration creates; the same again changes nothing
---------------------------------------------------------------------------
SELECT action, job_name FROM cron.apply_jobs('billing', '[
  {"job_name": "purge-drafts", "schedule": "0 3 * * *",
   "command": "DELETE FROM pg_temp_1.nothing", "timezone": "Europe/Paris", "max_retries": 3},
  {"job_name": "weekly-report", "schedule": "0 8 * * 1", "command": "SELECT 1",
   "retry_delay": 30, "timeout": "5 minutes"},
  {"job_name": "reconcile", "schedule": "0 * * * *",
   "url": "https://billing.example.com/internal/reconcile", "method": "POST",
   "headers": {"Authorization": "Bearer s3cr3t"}, "expect_status": [200, 202]}
]');
SELECT * FROM pg_temp.jobs('billing');
SELECT jobid AS purge_id FROM cron.job WHERE jobname = 'purge-drafts' \gset
SELECT action, job_name FROM cron.apply_jobs('billing', '[
  {"job_name": "purge-drafts", "schedule": "0 3 * * *",
   "command": "DELETE FROM pg_temp_1.nothing", "timezone": "Europe/Paris", "max_retries": 3},
  {"job_name": "weekly-report", "schedule": "0 8 * * 1", "command": "SELECT 1",
   "retry_delay": 30, "timeout": "5 minutes"},
  {"job_name": "reconcile", "schedule": "0 * * * *",
   "url": "https://billing.example.com/internal/reconcile", "method": "POST",
   "headers": {"Authorization": "Bearer s3cr3t"}, "expect_status": [200, 202]}
]');

---------------------------------------------------------------------------
-- a changed declaration updates in place; options it leaves out take their
-- defaults; a job it leaves out is removed
---------------------------------------------------------------------------
SELECT action, job_name, jobid = :purge_id AS same_jobid FROM cron.apply_jobs('billing', '[
  {"job_name": "purge-drafts", "schedule": "30 3 * * *", "command": "DELETE FROM pg_temp_1.nothing"},
  {"job_name": "reconcile", "schedule": "0 * * * *",
   "url": "https://billing.example.com/internal/reconcile", "method": "POST",
   "headers": {"Authorization": "Bearer s3cr3t"}, "expect_status": [200, 202]}
]');
SELECT * FROM pg_temp.jobs('billing');
SELECT count(*) AS weekly_report_left FROM cron.job WHERE jobname = 'weekly-report';

---------------------------------------------------------------------------
-- invalid input rejects the whole call, naming the job and the field
---------------------------------------------------------------------------
SELECT count(*) AS before FROM cron.job WHERE source = 'billing';
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "a", "schedule": "0 3 * * *", "command": "SELECT 1", "retries": 3}]');
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "a", "schedule": "0 3 * * *", "command": "SELECT 1", "max_retries": "three"}]');
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "a", "schedule": "0 3 * * *", "command": "SELECT 1", "max_retries": 1.5}]');
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "a", "schedule": "0 3 * * *", "command": "SELECT 1", "timeout": "soon"}]');
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "a", "schedule": "0 3 * * *", "command": "SELECT 1", "active": "yes"}]');
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "ok", "schedule": "0 3 * * *", "command": "SELECT 1"},
                                           {"job_name": "bad", "schedule": "0 25 * * *", "command": "SELECT 1"}]');
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "a", "schedule": "0 3 * * *", "command": "SELECT 1", "catchup": "some"}]');
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "a", "schedule": "0 3 * * *", "command": "SELECT 1", "database": "no_such_db"}]');
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "a", "schedule": "0 3 * * *", "command": "SELECT 1", "url": "http://x/"}]');
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "a", "schedule": "0 3 * * *"}]');
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "a", "schedule": "0 3 * * *", "command": "SELECT 1", "headers": {}}]');
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "h", "schedule": "0 3 * * *", "url": "http://127.0.0.1/", "database": "postgres"}]');
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "h", "schedule": "0 3 * * *", "url": "http://127.0.0.1/", "headers": {"Bad Name": "x"}}]');
SELECT * FROM cron.apply_jobs('billing', '[{"schedule": "0 3 * * *", "command": "SELECT 1"}]');
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "a", "schedule": "0 3 * * *", "command": "SELECT 1"},
                                           {"job_name": "a", "schedule": "0 4 * * *", "command": "SELECT 1"}]');
SELECT * FROM cron.apply_jobs('billing', '[1]');
SELECT * FROM cron.apply_jobs('billing', '{"job_name": "a"}');
SELECT * FROM cron.apply_jobs('', '[]');
SELECT * FROM cron.apply_jobs(NULL, '[]');
SELECT count(*) AS after FROM cron.job WHERE source = 'billing';
SELECT * FROM pg_temp.jobs('billing');

---------------------------------------------------------------------------
-- sources: a job made one by one joins the source that declares its name;
-- one of another source is refused; an empty declaration removes them all
---------------------------------------------------------------------------
SELECT cron.schedule('nightly-vacuum', '0 2 * * *', 'VACUUM') AS vac \gset
SELECT action, job_name, jobid = :vac AS same_jobid FROM cron.apply_jobs('ops', '[
  {"job_name": "nightly-vacuum", "schedule": "0 2 * * *", "command": "VACUUM"}]');
SELECT * FROM cron.apply_jobs('billing', '[{"job_name": "nightly-vacuum", "schedule": "0 2 * * *", "command": "VACUUM"}]');
SELECT action, job_name FROM cron.apply_jobs('ops', '[]');
SELECT action, job_name FROM cron.apply_jobs('billing', '[]');
SELECT count(*) AS left_declared FROM cron.job WHERE source IS NOT NULL;

---------------------------------------------------------------------------
-- re-declaring one job by name: every option from the call or its default,
-- its database the one the function names (with a NOTICE when that moves
-- it); active is kept by the functions that take no active argument
---------------------------------------------------------------------------
SELECT cron.schedule_http('hook', '0 * * * *', 'https://app.example.com/hook',
                          method => 'POST', headers => '{"Authorization": "Bearer s3cr3t"}',
                          max_retries => 2, timezone => 'UTC') AS hook \gset
SELECT cron.schedule_http('hook', '0 * * * *', 'https://app.example.com/hook', method => 'POST') = :hook AS same_jobid;
SELECT http_headers, max_retries, timezone FROM cron.job WHERE jobid = :hook;
SELECT cron.unschedule(:hook);
SELECT cron.schedule_in_database('elsewhere', '0 5 * * *', 'SELECT 1', 'postgres') AS ew \gset
SELECT cron.schedule('elsewhere', '0 5 * * *', 'SELECT 1') = :ew AS same_jobid;
SELECT cron.schedule('elsewhere', '0 5 * * *', 'SELECT 1') = :ew AS same_jobid_and_no_notice;
SELECT cron.alter_job(:ew, active => false);
SELECT cron.schedule('elsewhere', '0 6 * * *', 'SELECT 1') = :ew AS same_jobid;
SELECT active AS stays_paused FROM cron.job WHERE jobid = :ew;
SELECT cron.unschedule(:ew);

---------------------------------------------------------------------------
-- a run's context: empty outside a run, and not a user's to set
---------------------------------------------------------------------------
SELECT current_setting('cron.job_id') = '' AS job_id_empty,
       current_setting('cron.run_id') = '' AS run_id_empty,
       current_setting('cron.scheduled_for') = '' AS scheduled_for_empty,
       current_setting('cron.attempt') = '' AS attempt_empty;
CREATE ROLE regress_declare_user;
SET ROLE regress_declare_user;
SET cron.run_id = '42';
RESET ROLE;
DROP ROLE regress_declare_user;
