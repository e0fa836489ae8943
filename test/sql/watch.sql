--
-- watch: how jobs are watched, without running them (test/t/220 runs
-- them).  alert_url and expect_success_within (cron.set_alerts, the guard,
-- cron.apply_jobs), signing secrets (cron.set_signing_secret: length,
-- ownership, nobody but a superuser reads them back, they go with their
-- job), cron.pause and cron.resume (counts, what cron.job_status shows,
-- the catch-up anchor), cron.schedule_http_at, the metrics surface, and
-- errors without cronext's internal CONTEXT lines.
--
-- Roles: regress_watch_app (granted the HTTP privilege), regress_watch_plain.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cronext;
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['regress_watch_app', 'regress_watch_plain'] LOOP
		IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE pg_catalog.format('DROP OWNED BY %I CASCADE', r);
			EXECUTE pg_catalog.format('DROP ROLE %I', r);
		END IF;
	END LOOP;
END
$$;
DELETE FROM cron.job WHERE username LIKE 'regress\_watch\_%';
RESET client_min_messages;

CREATE ROLE regress_watch_app LOGIN;
CREATE ROLE regress_watch_plain LOGIN;
GRANT USAGE ON SCHEMA cron TO regress_watch_app, regress_watch_plain;
GRANT EXECUTE ON FUNCTION cron.schedule_http TO regress_watch_app;

---------------------------------------------------------------------------
-- errors say what is wrong, without the lines of cronext's own functions
-- (SHOW_CONTEXT is left at its default here)
---------------------------------------------------------------------------
CREATE FUNCTION watch_setup() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
	RETURN cron.schedule('bad-too', '0 25 * * *', 'SELECT 1');
END
$$;
SET ROLE regress_watch_app;
SELECT cron.schedule('bad-schedule', '61 * * * *', 'SELECT 1');
SELECT cron.schedule_http('bad-header', '0 3 * * *', 'http://127.0.0.1/', headers => '{"X-N": 5}');
-- the caller's own frames stay
SELECT watch_setup();
\set SHOW_CONTEXT never

---------------------------------------------------------------------------
-- alerts
---------------------------------------------------------------------------
SELECT cron.schedule('nightly', '0 3 * * *', 'SELECT 1') > 0 AS scheduled;
SELECT cron.set_alerts('nightly', 'https://app.example.com/hooks/cron', '1 day') > 0 AS set;
SELECT alert_url, expect_success_within FROM cron.job WHERE jobname = 'nightly';
-- bounds, and the URL check of HTTP jobs
SELECT cron.set_alerts('nightly', NULL, '0.5 seconds');
SELECT cron.set_alerts('nightly', NULL, '400 days');
SELECT cron.set_alerts('nightly', 'ftp://app.example.com/x');
SELECT cron.set_alerts('nightly', 'https://user:pw@app.example.com/x');
SELECT cron.set_alerts('no-such-job', 'https://app.example.com/x');
-- NULLs remove
SELECT cron.set_alerts('nightly') > 0 AS cleared;
SELECT alert_url, expect_success_within FROM cron.job WHERE jobname = 'nightly';
-- an alert is an HTTP request: a role without the HTTP privilege cannot send one
SET ROLE regress_watch_plain;
SELECT cron.schedule('plain-job', '0 3 * * *', 'SELECT 1') > 0 AS scheduled;
SELECT cron.set_alerts('plain-job', 'https://app.example.com/x');
UPDATE cron.job SET alert_url = 'https://app.example.com/x' WHERE jobname = 'plain-job';
-- but may ask for a dead-man check (cron.default_alert_url sends it)
SELECT cron.set_alerts('plain-job', NULL, '2 hours') > 0 AS set;
-- and may not see another role's job
SELECT cron.set_alerts('nightly', NULL, '2 hours');
RESET ROLE;
-- nobody may read the alerts setting but a superuser
SET ROLE regress_watch_plain;
SELECT current_setting('cron.default_alert_url');
RESET ROLE;
SELECT current_setting('cron.default_alert_url') AS default_alert_url;

-- watching is not a change of the job: its catch-up anchor stays
SET ROLE regress_watch_app;
SELECT updated_at AS before FROM cron.job WHERE jobname = 'nightly' \gset
SELECT cron.set_alerts('nightly', NULL, '1 hour') > 0 AS set
FROM (SELECT pg_sleep(0.01)) s;
SELECT updated_at = :'before' AS anchor_kept FROM cron.job WHERE jobname = 'nightly';
RESET ROLE;

---------------------------------------------------------------------------
-- signing secrets
---------------------------------------------------------------------------
SET ROLE regress_watch_app;
SELECT cron.set_signing_secret('nightly', 'too-short');
SELECT cron.set_signing_secret('nightly', repeat('x', 1025));
SELECT cron.set_signing_secret('nightly', 'a-secret-of-thirty-two-characters') > 0 AS set;
-- nobody but a superuser reads it back, not even its owner
SELECT secret FROM cron._job_secret;
SELECT count(*) FROM cron._job_secret;
SELECT cron._store_secret(jobid, 'another-secret-at-least-16') FROM cron.job WHERE jobname = 'nightly';
SELECT cron._store_secret(jobid, 'another-secret-at-least-16') FROM cron.job WHERE jobname = 'nightly';
-- another role's job cannot be given a secret, even by id
RESET ROLE;
SELECT jobid AS nightly_id FROM cron.job WHERE jobname = 'nightly' \gset
SET ROLE regress_watch_plain;
\set VERBOSITY sqlstate
SELECT cron._store_secret(:nightly_id, 'yet-another-secret-16');
\set VERBOSITY default
SELECT cron._store_secret(NULL, 'yet-another-secret-16');
SELECT cron._store_secret(jobid, 'short') FROM cron.job WHERE jobname = 'plain-job';
SELECT cron.set_signing_secret('plain-job', 'yet-another-secret-16') > 0 AS set;
RESET ROLE;
SELECT j.jobname, s.secret FROM cron._job_secret s JOIN cron.job j USING (jobid) ORDER BY 1;
-- the secret's function runs nothing of the caller's: an operator planted
-- in the caller's search_path is not used (it would run as the bootstrap
-- superuser)
RESET ROLE;
CREATE SCHEMA watch_evil AUTHORIZATION regress_watch_app;
SET ROLE regress_watch_app;
CREATE FUNCTION watch_evil.eq(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE 'ALTER ROLE regress_watch_app SUPERUSER';
	RETURN a = b;
END $$;
CREATE OPERATOR watch_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = watch_evil.eq);
SET search_path = watch_evil, pg_catalog;
SELECT cron._store_secret(:nightly_id, 'planted-operator-secret-1');
SELECT cron._store_secret(:nightly_id, 'planted-operator-secret-2');
RESET search_path;
RESET ROLE;
SELECT rolsuper AS became_superuser FROM pg_roles WHERE rolname = 'regress_watch_app';
DROP SCHEMA watch_evil CASCADE;
-- a role that bypasses row-level security still sets only its own jobs' secrets
CREATE ROLE regress_watch_bypass LOGIN BYPASSRLS;
GRANT USAGE ON SCHEMA cron TO regress_watch_bypass;
SET ROLE regress_watch_bypass;
\set VERBOSITY sqlstate
SELECT cron._store_secret(:nightly_id, 'bypass-rls-secret-0123');
\set VERBOSITY default
RESET ROLE;
REVOKE USAGE ON SCHEMA cron FROM regress_watch_bypass;
DROP ROLE regress_watch_bypass;
-- the secret goes with its job
SET ROLE regress_watch_app;
SELECT cron.unschedule('nightly');
RESET ROLE;
SELECT count(*) AS secrets_left FROM cron._job_secret s
WHERE NOT EXISTS (SELECT 1 FROM cron.job j WHERE j.jobid = s.jobid);

---------------------------------------------------------------------------
-- declared from code: alert_url, expect_success_within, signing_secret
---------------------------------------------------------------------------
SET ROLE regress_watch_app;
SELECT action, job_name FROM cron.apply_jobs('app', '[
  {"job_name": "report", "schedule": "0 9 * * 1", "url": "http://127.0.0.1:1/report",
   "alert_url": "http://127.0.0.1:1/alerts", "expect_success_within": "8 days",
   "signing_secret": "0123456789abcdef0123"}]');
SELECT alert_url, expect_success_within FROM cron.job WHERE jobname = 'report';
-- the same declaration again: unchanged; a new secret: updated
SELECT action FROM cron.apply_jobs('app', '[
  {"job_name": "report", "schedule": "0 9 * * 1", "url": "http://127.0.0.1:1/report",
   "alert_url": "http://127.0.0.1:1/alerts", "expect_success_within": "8 days",
   "signing_secret": "0123456789abcdef0123"}]');
SELECT action FROM cron.apply_jobs('app', '[
  {"job_name": "report", "schedule": "0 9 * * 1", "url": "http://127.0.0.1:1/report",
   "alert_url": "http://127.0.0.1:1/alerts", "expect_success_within": "8 days",
   "signing_secret": "a-rotated-secret-0123"}]');
-- fields left out are removed
SELECT action FROM cron.apply_jobs('app', '[
  {"job_name": "report", "schedule": "0 9 * * 1", "url": "http://127.0.0.1:1/report"}]');
SELECT alert_url, expect_success_within FROM cron.job WHERE jobname = 'report';
SELECT cron.apply_jobs('app', '[
  {"job_name": "report", "schedule": "0 9 * * 1", "url": "http://127.0.0.1:1/report",
   "expect_success_within": "soon"}]');
RESET ROLE;
SELECT count(*) AS secrets FROM cron._job_secret s JOIN cron.job j USING (jobid)
WHERE j.jobname = 'report';

---------------------------------------------------------------------------
-- one-off HTTP jobs
---------------------------------------------------------------------------
SET ROLE regress_watch_app;
SELECT cron.schedule_http_at('once', now() + interval '1 day', 'http://127.0.0.1:1/once',
							 method => 'POST', body => '{"a": 1}') > 0 AS scheduled;
SELECT kind, schedule LIKE '@at %' AS one_off, command, http_body
FROM cron.job WHERE jobname = 'once';
\set VERBOSITY terse
SELECT cron.schedule_http_at('once', now() - interval '1 day', 'http://127.0.0.1:1/once');
\set VERBOSITY default
SET ROLE regress_watch_plain;
SELECT cron.schedule_http_at('once', now() + interval '1 day', 'http://127.0.0.1:1/once');
RESET ROLE;

---------------------------------------------------------------------------
-- pause and resume
---------------------------------------------------------------------------
SET ROLE regress_watch_app;
SELECT jobname, active, paused, next_run IS NOT NULL AS has_next_run, database = current_database() AS here, kind
FROM cron.job_status ORDER BY jobname;
SELECT updated_at AS before FROM cron.job WHERE jobname = 'report' \gset
SELECT cron.pause() AS paused;
SELECT cron.pause() AS paused_again;
SELECT jobname, active, paused, next_run FROM cron.job_status ORDER BY jobname;
SELECT updated_at = :'before' AS anchor_kept FROM cron.job WHERE jobname = 'report';
-- the other role's jobs are not paused by it
SET ROLE regress_watch_plain;
SELECT jobname, paused FROM cron.job_status;
SET ROLE regress_watch_app;
-- resuming with catch_up keeps the anchor; without, moves it past the pause
SELECT cron.resume(catch_up => true) AS resumed;
SELECT updated_at = :'before' AS anchor_kept FROM cron.job WHERE jobname = 'report';
SELECT cron.pause() AS paused;
SELECT cron.resume() AS resumed;
SELECT updated_at > :'before' AS anchor_moved FROM cron.job WHERE jobname = 'report';
SELECT cron.resume(NULL);
RESET ROLE;
-- a superuser pauses everyone's jobs
SELECT cron.pause() >= 3 AS paused_all;
SELECT count(*) FILTER (WHERE NOT paused) AS not_paused FROM cron.job_status
WHERE username LIKE 'regress\_watch\_%';
SELECT cron.resume() >= 3 AS resumed_all;

---------------------------------------------------------------------------
-- metrics
---------------------------------------------------------------------------
SET ROLE regress_watch_app;
SELECT jobname, kind, scheduled, succeeded_last_hour, failed_last_hour, failures_in_a_row,
	   seconds_since_success, last_status, overdue
FROM cron.job_metrics ORDER BY jobname;
RESET ROLE;
SELECT count(*) >= 0 AS readable FROM cron.scheduler_metrics();
SELECT attname FROM pg_attribute
WHERE attrelid = 'cron.job_alerts'::regclass AND attnum > 0 ORDER BY attnum;

DROP FUNCTION watch_setup();
DROP OWNED BY regress_watch_app, regress_watch_plain CASCADE;
DELETE FROM cron.job WHERE username LIKE 'regress\_watch\_%';
DROP ROLE regress_watch_app, regress_watch_plain;
