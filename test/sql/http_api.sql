--
-- http_api: scheduling HTTP jobs, without running them.  Validation of
-- url, method, headers and expect_status (22023), the privilege (EXECUTE on
-- cron.schedule_http, also for direct writes to cron.job), what cron.job
-- shows (command = METHOD URL, never a header), updates through
-- cron.schedule_http and cron.alter_job, and turning kinds into each other.
--
-- Roles: regress_http_app (granted the HTTP privilege), regress_http_plain
-- (not granted).  Dropped at the end, and at the start after an interrupted run.
--
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cronext;
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['regress_http_app', 'regress_http_plain'] LOOP
		IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE pg_catalog.format('DROP OWNED BY %I CASCADE', r);
			EXECUTE pg_catalog.format('DROP ROLE %I', r);
		END IF;
	END LOOP;
END
$$;
DELETE FROM cron.job WHERE username LIKE 'regress\_http\_%';
RESET client_min_messages;
\set SHOW_CONTEXT never

CREATE ROLE regress_http_app LOGIN;
CREATE ROLE regress_http_plain LOGIN;
GRANT USAGE ON SCHEMA cron TO regress_http_app, regress_http_plain;
GRANT EXECUTE ON FUNCTION cron.schedule_http TO regress_http_app;

-- EXECUTE is not granted to PUBLIC
SELECT has_function_privilege('regress_http_plain', 'cron.schedule_http(text,text,text,text,jsonb,text,interval,integer[],text,text,interval,text,integer,interval,boolean)', 'EXECUTE') AS plain_may,
	   has_function_privilege('regress_http_app', 'cron.schedule_http(text,text,text,text,jsonb,text,interval,integer[],text,text,interval,text,integer,interval,boolean)', 'EXECUTE') AS app_may;

---------------------------------------------------------------------------
-- a role with the privilege
---------------------------------------------------------------------------
SET ROLE regress_http_app;
SELECT cron.schedule_http('cleanup', '0 3 * * *',
		'https://app.example.com/internal/cleanup-stale-drafts',
		method => 'post',
		headers => '{"Authorization": "Bearer s3cr3t-value", "Content-Type": "application/json"}',
		body => '{"older_than_days": 7}',
		timezone => 'America/New_York', max_retries => 3) AS cleanup \gset
SELECT kind, command, http_method, http_url, http_body, http_expect_status,
	   timeout, max_retries, timezone, active
FROM cron.job WHERE jobid = :cleanup;
-- the command never shows a header
SELECT count(*) AS commands_with_secret FROM cron.job WHERE command LIKE '%s3cr3t%';

-- same name, same role: an update, same jobid; every option not given takes
-- its default (max_retries, timezone too: nothing is kept)
SELECT cron.schedule_http('cleanup', '0 4 * * *',
		'https://app.example.com/internal/cleanup-v2') = :cleanup AS same_jobid;
SELECT command, http_method, http_headers, http_body, timeout, max_retries, timezone
FROM cron.job WHERE jobid = :cleanup;

-- alter_job changes HTTP fields
SELECT cron.update_job(:cleanup, method => 'PUT', body => 'x=1',
					  expect_status => '{200,202}', timeout => '5 seconds');
SELECT command, http_body, http_expect_status, timeout FROM cron.job WHERE jobid = :cleanup;
SELECT cron.update_job(:cleanup, body => '', expect_status => '{}');
SELECT http_body IS NULL AS no_body, http_expect_status IS NULL AS any_2xx
FROM cron.job WHERE jobid = :cleanup;
-- the command of an HTTP job comes from its method and url
SELECT cron.alter_job(:cleanup, command => 'SELECT 1');
-- HTTP fields on a SQL job
SELECT cron.schedule('sqljob', '0 5 * * *', 'SELECT 1') AS sqljob \gset
SELECT cron.update_job(:sqljob, url => 'https://example.com/');

-- every method; a bad one
SELECT count(cron.schedule_http('m-' || m, '0 3 * * *', 'http://127.0.0.1:9/', method => m)) AS scheduled
FROM unnest(ARRAY['GET', 'post', 'Put', 'PATCH', 'delete', 'HEAD']) m;
SELECT jobname, http_method, command FROM cron.job WHERE jobname LIKE 'm-%' ORDER BY jobid;
SELECT cron.schedule_http('bad', '0 3 * * *', 'http://127.0.0.1/', method => 'TRACE');
SELECT cron.schedule_http('bad', '0 3 * * *', 'http://127.0.0.1/', method => NULL);

-- URLs: only http and https, parseable, with a host, without credentials
SELECT cron.schedule_http('bad', '0 3 * * *', 'file:///etc/passwd');
SELECT cron.schedule_http('bad', '0 3 * * *', 'ftp://example.com/x');
SELECT cron.schedule_http('bad', '0 3 * * *', 'gopher://example.com/');
SELECT cron.schedule_http('bad', '0 3 * * *', 'not a url');
SELECT cron.schedule_http('bad', '0 3 * * *', 'http://');
SELECT cron.schedule_http('bad', '0 3 * * *', 'https://user:pw@example.com/');
SELECT cron.schedule_http('bad', '0 3 * * *', NULL);
SELECT cron.schedule_http('bad', '0 3 * * *', 'HTTPS://Example.COM:8443/a?b=c#d') > 0 AS upper_case_scheme_ok;

-- headers: an object of strings, token names, no line breaks in values
SELECT cron.schedule_http('bad', '0 3 * * *', 'http://127.0.0.1/', headers => '["a"]');
SELECT cron.schedule_http('bad', '0 3 * * *', 'http://127.0.0.1/', headers => '{"X-Count": 3}');
SELECT cron.schedule_http('bad', '0 3 * * *', 'http://127.0.0.1/', headers => '{"Bad Name": "x"}');
SELECT cron.schedule_http('bad', '0 3 * * *', 'http://127.0.0.1/',
						  headers => '{"X-Evil": "a\r\nX-Injected: 1"}');

-- expect_status: real status codes
SELECT cron.schedule_http('bad', '0 3 * * *', 'http://127.0.0.1/', expect_status => '{200,700}');
SELECT cron.schedule_http('bad', '0 3 * * *', 'http://127.0.0.1/', expect_status => '{NULL}');

-- a schedule error is reported as for SQL jobs
SELECT cron.schedule_http('bad', '61 3 * * *', 'http://127.0.0.1/');

-- a SQL job of the same name becomes an HTTP job, and back
SELECT cron.schedule_http('sqljob', '0 5 * * *', 'http://127.0.0.1/hook') = :sqljob AS same_jobid;
SELECT kind, command FROM cron.job WHERE jobid = :sqljob;
SELECT cron.schedule('sqljob', '0 5 * * *', 'SELECT 2') = :sqljob AS same_jobid;
SELECT kind, command, http_url IS NULL AS no_url, http_headers IS NULL AS no_headers
FROM cron.job WHERE jobid = :sqljob;
RESET ROLE;

---------------------------------------------------------------------------
-- a role without the privilege: neither the function nor direct writes
---------------------------------------------------------------------------
SET ROLE regress_http_plain;
SELECT cron.schedule_http('nope', '0 3 * * *', 'http://127.0.0.1/');
INSERT INTO cron.job (schedule, command, kind, http_url)
VALUES ('0 3 * * *', 'x', 'http', 'http://127.0.0.1/');
-- nor turning its SQL job into an HTTP job
SELECT cron.schedule('plain-sql', '0 3 * * *', 'SELECT 1') AS plainjob \gset
UPDATE cron.job SET kind = 'http', http_url = 'http://127.0.0.1/' WHERE jobid = :plainjob;
-- it cannot see the other role's headers either (row-level security)
SELECT count(*) AS visible_http_jobs FROM cron.job WHERE kind = 'http';
RESET ROLE;

-- revoking the privilege keeps the jobs, but changing their requests needs it
REVOKE EXECUTE ON FUNCTION cron.schedule_http FROM regress_http_app;
SET ROLE regress_http_app;
SELECT cron.update_job(:cleanup, url => 'http://127.0.0.1/other');
-- pausing does not touch the request: allowed
SELECT cron.alter_job(:cleanup, active => false);
RESET ROLE;

---------------------------------------------------------------------------
-- clean up
---------------------------------------------------------------------------
SET client_min_messages = warning;
DELETE FROM cron.job WHERE username LIKE 'regress\_http\_%';
DROP OWNED BY regress_http_app, regress_http_plain CASCADE;
DROP ROLE regress_http_app, regress_http_plain;
