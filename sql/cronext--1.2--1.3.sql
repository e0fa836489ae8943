/*
 * cronext--1.2--1.3.sql
 *	  From 1.2 to 1.3: watching jobs.  What changed in the catalog:
 *	- cron.job.alert_url, expect_success_within and paused_at; the guard
 *	  checks them, and a change of only those keeps the catch-up anchor;
 *	- cron.job_run_details.next_attempt_at (a retry waiting), and
 *	  cron.job_run_attempts (every attempt of a slot before its last);
 *	- cron.job_alerts (failure, overdue and recovered alerts, sent by the
 *	  scheduler through the HTTP worker) and the trigger that writes a
 *	  failure's alert with its outcome;
 *	- cron._job_secret (signing secrets, readable by superusers only),
 *	  cron.set_signing_secret, cron.set_alerts, cron.pause, cron.resume,
 *	  cron.schedule_http_at, cron.job_metrics, cron.scheduler_metrics;
 *	- cron.job_status gains database, kind, paused and next_attempt;
 *	- cron.apply_jobs takes alert_url, expect_success_within and
 *	  signing_secret; a bad header's error names it.
 *	  Blocks below are copies of cronext--1.3.sql; test/t/195 checks that
 *	  an updated catalog equals a fresh one.
 */

\echo Use "ALTER EXTENSION cronext UPDATE TO '1.3'" to load this file. \quit

ALTER TABLE cron.job
	ADD COLUMN alert_url text,
	ADD COLUMN expect_success_within interval,
	ADD COLUMN paused_at timestamptz;
ALTER TABLE cron.job_run_details ADD COLUMN next_attempt_at timestamptz;

CREATE OR REPLACE FUNCTION cron.job_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
	caller_is_superuser boolean;
	target record;
	is_insert boolean := TG_OP OPERATOR(pg_catalog.=) 'INSERT';
	is_restore boolean;
	max_bytes bigint;
	max_jobs bigint;
	njobs bigint;
	owner oid;
BEGIN
	IF TG_TABLE_SCHEMA OPERATOR(pg_catalog.<>) 'cron' OR TG_TABLE_NAME OPERATOR(pg_catalog.<>) 'job'
	   OR TG_WHEN OPERATOR(pg_catalog.<>) 'BEFORE' OR TG_LEVEL OPERATOR(pg_catalog.<>) 'ROW' THEN
		RAISE EXCEPTION 'cron.job_guard() fires only before writes to cron.job'
			USING ERRCODE = '39P01';
	END IF;
	SELECT r.rolsuper INTO caller_is_superuser
	FROM pg_catalog.pg_roles r
	WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER;

	/*
	 * pg_cron's model: the functions are the gate.  Writing cron.job
	 * directly takes what the API takes, EXECUTE on the pg_cron function
	 * that does the same, so that a REVOKE on it (kept by a takeover)
	 * closes the table too.
	 */
	IF NOT caller_is_superuser THEN
		IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
			IF NOT (pg_catalog.has_function_privilege('cron.unschedule(bigint)'::pg_catalog.regprocedure, 'EXECUTE')
					OR pg_catalog.has_function_privilege('cron.unschedule(text)'::pg_catalog.regprocedure, 'EXECUTE')) THEN
				RAISE EXCEPTION 'permission denied to unschedule jobs'
					USING ERRCODE = 'insufficient_privilege',
						  DETAIL = 'Deleting from cron.job takes EXECUTE on cron.unschedule, as the API does.';
			END IF;
		ELSIF NOT (is_insert AND NEW.kind OPERATOR(pg_catalog.=) 'http')
		   AND NOT (pg_catalog.has_function_privilege('cron.schedule(text,text,text)'::pg_catalog.regprocedure, 'EXECUTE')
					OR pg_catalog.has_function_privilege('cron.schedule_in_database(text,text,text,text,text,boolean)'::pg_catalog.regprocedure, 'EXECUTE')
					OR CASE WHEN is_insert
							THEN pg_catalog.has_function_privilege('cron.schedule(text,text)'::pg_catalog.regprocedure, 'EXECUTE')
							ELSE pg_catalog.has_function_privilege('cron.alter_job(bigint,text,text,text,text,boolean)'::pg_catalog.regprocedure, 'EXECUTE')
								 OR (OLD.kind OPERATOR(pg_catalog.=) 'http' AND cron._http_allowed(CURRENT_USER)) END) THEN
			RAISE EXCEPTION 'permission denied to % jobs', CASE WHEN is_insert THEN 'schedule' ELSE 'change' END
				USING ERRCODE = 'insufficient_privilege',
					  DETAIL = CASE WHEN is_insert
								   THEN 'Writing cron.job takes EXECUTE on cron.schedule or cron.schedule_in_database, as the API does.'
								   ELSE 'Changing cron.job takes EXECUTE on cron.alter_job, cron.schedule or cron.schedule_in_database, as the API does.' END;
		END IF;
	END IF;
	IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
		RETURN OLD;
	END IF;

	/*
	 * A superuser writing a job with its id (a pg_dump being restored) gets
	 * the row as it is, as a takeover does: whether its role, database and
	 * schedule are usable is checked when it runs (the scheduler skips and
	 * reports it), since one row refused here would lose the whole COPY.
	 */
	is_restore := is_insert AND caller_is_superuser AND NEW.jobid IS NOT NULL;

	/* the catch-up anchor and the identity cannot be forged */
	IF is_insert THEN
		NEW.created_at := pg_catalog.now();
	ELSE
		IF NEW.jobid OPERATOR(pg_catalog.<>) OLD.jobid THEN
			RAISE EXCEPTION 'the jobid of a job cannot be changed'
				USING ERRCODE = 'feature_not_supported';
		END IF;
		NEW.created_at := OLD.created_at;
	END IF;
	/*
	 * cron.pause() stamps paused_at (once); clearing it resumes.  A write that
	 * changes only how the job is watched or paused (paused_at, alert_url,
	 * expect_success_within) is no change of the job: its catch-up anchor,
	 * updated_at, stays, unless the writer moves updated_at itself (which is
	 * how cron.resume() without catch_up skips the slots of the pause).
	 */
	IF NEW.paused_at IS NOT NULL AND NOT is_restore THEN
		NEW.paused_at := CASE WHEN NOT is_insert AND OLD.paused_at IS NOT NULL
							  THEN OLD.paused_at ELSE pg_catalog.now() END;
	END IF;
	IF NOT is_insert AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at
	   AND (pg_catalog.to_jsonb(NEW) OPERATOR(pg_catalog.-) ARRAY['paused_at', 'alert_url', 'expect_success_within'])
		   OPERATOR(pg_catalog.=)
		   (pg_catalog.to_jsonb(OLD) OPERATOR(pg_catalog.-) ARRAY['paused_at', 'alert_url', 'expect_success_within']) THEN
		NEW.updated_at := OLD.updated_at;
	ELSE
		NEW.updated_at := pg_catalog.now();
	END IF;

	/*
	 * A failure alert is an HTTP request from the server, like an HTTP job:
	 * setting its URL takes the same privilege and passes the same checks.
	 */
	NEW.alert_url := NULLIF(NEW.alert_url, '');
	IF NEW.alert_url IS NOT NULL
	   AND (is_insert OR NEW.alert_url IS DISTINCT FROM OLD.alert_url) THEN
		IF NOT cron._http_allowed(CURRENT_USER) THEN
			RAISE EXCEPTION 'permission denied to set alert_url of job "%"', COALESCE(NEW.jobname, NEW.jobid::text, '(unnamed)')
				USING ERRCODE = 'insufficient_privilege',
					  DETAIL = 'An alert is an HTTP request: it needs EXECUTE on cron.schedule_http, granted by an administrator.',
					  HINT = 'Ask an administrator to set cron.default_alert_url, which covers every job.';
		END IF;
		PERFORM cron._check_http_url(NEW.alert_url);
	END IF;
	IF NEW.expect_success_within IS NOT NULL
	   AND (NEW.expect_success_within OPERATOR(pg_catalog.<) '1 second'::interval
			OR NEW.expect_success_within OPERATOR(pg_catalog.>) '366 days'::interval) THEN
		RAISE EXCEPTION 'expect_success_within must be between 1 second and 366 days'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('expect_success_within of job "%s" is %s.',
											 COALESCE(NEW.jobname, NEW.jobid::text, '(unnamed)'), NEW.expect_success_within);
	END IF;

	IF NEW.kind OPERATOR(pg_catalog.=) 'http' THEN
		/*
		 * HTTP jobs reach the network from the database server: creating or
		 * changing one takes the privilege an administrator grants as
		 * EXECUTE on cron.schedule_http, however the row is written.
		 */
		IF (is_insert OR OLD.kind OPERATOR(pg_catalog.<>) 'http'
			OR NEW.http_url IS DISTINCT FROM OLD.http_url
			OR NEW.http_method IS DISTINCT FROM OLD.http_method
			OR NEW.http_headers IS DISTINCT FROM OLD.http_headers
			OR NEW.http_body IS DISTINCT FROM OLD.http_body
			OR NEW.username IS DISTINCT FROM OLD.username)
		   AND NOT cron._http_allowed(CURRENT_USER) THEN
			RAISE EXCEPTION 'permission denied to schedule HTTP jobs'
				USING ERRCODE = 'insufficient_privilege',
					  DETAIL = 'HTTP jobs need EXECUTE on cron.schedule_http, granted by an administrator.';
		END IF;
		IF NOT is_insert AND OLD.kind OPERATOR(pg_catalog.=) 'http'
		   AND NEW.command IS DISTINCT FROM OLD.command THEN
			RAISE EXCEPTION 'the command of an HTTP job cannot be set'
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = 'An HTTP job''s command shows its method and URL.',
					  HINT = 'Change the url or method instead.';
		END IF;
		/* the request is validated when it is written, not on every change */
		IF is_insert OR OLD.kind OPERATOR(pg_catalog.<>) 'http'
		   OR NEW.http_url IS DISTINCT FROM OLD.http_url
		   OR NEW.http_method IS DISTINCT FROM OLD.http_method
		   OR NEW.http_headers IS DISTINCT FROM OLD.http_headers
		   OR NEW.http_expect_status IS DISTINCT FROM OLD.http_expect_status THEN
			IF NEW.http_url IS NULL THEN
				RAISE EXCEPTION 'an HTTP job needs a url'
					USING ERRCODE = 'invalid_parameter_value';
			END IF;
			PERFORM cron._check_http_url(NEW.http_url);
			NEW.http_method := pg_catalog.upper(COALESCE(NEW.http_method, 'GET'));
			IF NEW.http_method OPERATOR(pg_catalog.<>) ALL (ARRAY['GET'::text, 'POST'::text, 'PUT'::text, 'PATCH'::text, 'DELETE'::text, 'HEAD'::text]) THEN
				RAISE EXCEPTION 'invalid HTTP method "%"', NEW.http_method
					USING ERRCODE = 'invalid_parameter_value',
						  HINT = 'Use GET, POST, PUT, PATCH, DELETE or HEAD.';
			END IF;
			NEW.http_headers := COALESCE(NEW.http_headers, '{}'::jsonb);
			IF pg_catalog.jsonb_typeof(NEW.http_headers) OPERATOR(pg_catalog.<>) 'object' THEN
				RAISE EXCEPTION 'headers must be a JSON object'
					USING ERRCODE = 'invalid_parameter_value',
						  HINT = 'Write headers as ''{"Authorization": "Bearer ..."}''.';
			END IF;
			SELECT h.key,
				   CASE WHEN h.key OPERATOR(pg_catalog.!~) '^[!#$%&''*+.^_`|~0-9A-Za-z-]+$'
						THEN 'its name is not an HTTP token (letters, digits and !#$%&''*+-.^_`|~)'
						WHEN pg_catalog.jsonb_typeof(h.value) OPERATOR(pg_catalog.<>) 'string'
						THEN pg_catalog.format('its value is JSON %s, not a string', pg_catalog.jsonb_typeof(h.value))
						ELSE 'its value has a control character (such as a line break)' END AS why
			INTO target
			FROM pg_catalog.jsonb_each(NEW.http_headers) h
			WHERE pg_catalog.jsonb_typeof(h.value) OPERATOR(pg_catalog.<>) 'string'
			   OR h.key OPERATOR(pg_catalog.!~) '^[!#$%&''*+.^_`|~0-9A-Za-z-]+$'
			   OR (h.value OPERATOR(pg_catalog.#>>) '{}') OPERATOR(pg_catalog.~) '[\r\n\x01-\x08\x0b-\x1f\x7f]'
			ORDER BY h.key LIMIT 1;
			IF FOUND THEN
				RAISE EXCEPTION 'job "%": invalid header "%" in headers', COALESCE(NEW.jobname, NEW.jobid::text, '(unnamed)'), target.key
					USING ERRCODE = 'invalid_parameter_value',
						  DETAIL = pg_catalog.format('Header "%s": %s.', target.key, target.why),
						  HINT = 'Write headers as a JSON object of strings, such as ''{"Authorization": "Bearer ..."}''.';
			END IF;
			IF pg_catalog.cardinality(NEW.http_expect_status) OPERATOR(pg_catalog.=) 0 THEN
				NEW.http_expect_status := NULL;
			END IF;
			IF EXISTS (SELECT 1 FROM pg_catalog.unnest(NEW.http_expect_status) c
					   WHERE c IS NULL OR c OPERATOR(pg_catalog.<) 100 OR c OPERATOR(pg_catalog.>) 599) THEN
				RAISE EXCEPTION 'expect_status must list HTTP status codes between 100 and 599'
					USING ERRCODE = 'invalid_parameter_value';
			END IF;
		END IF;
		/* what cron.job and the ledger show: never a header */
		NEW.command := NEW.http_method OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) NEW.http_url;
	ELSIF NEW.http_method IS NOT NULL OR NEW.http_url IS NOT NULL
		  OR NEW.http_headers IS NOT NULL OR NEW.http_body IS NOT NULL
		  OR NEW.http_expect_status IS NOT NULL THEN
		RAISE EXCEPTION 'url, method, headers, body and expect_status apply to HTTP jobs only'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Schedule HTTP jobs with cron.schedule_http.';
	END IF;

	/* the (username, jobname) index could not hold much more anyway */
	IF pg_catalog.octet_length(NEW.jobname) OPERATOR(pg_catalog.>) 1000 THEN
		RAISE EXCEPTION 'job name is too long'
			USING ERRCODE = 'program_limit_exceeded',
				  DETAIL = pg_catalog.format('A job name has at most 1000 bytes; this one has %s.', pg_catalog.octet_length(NEW.jobname));
	END IF;
	IF NEW.jobname OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'job name must not be empty'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give the job a name, or use cron.schedule(schedule, command) for an unnamed job.';
	END IF;

	IF pg_catalog.btrim(NEW.command, E' \t\n\r\f\v') OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'command must not be empty'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	/* raises 22023 naming the field and the value */
	IF (is_insert AND NOT is_restore)
	   OR (NOT is_insert AND (NEW.schedule IS DISTINCT FROM OLD.schedule
							  OR NEW.timezone IS DISTINCT FROM OLD.timezone)) THEN
		PERFORM cron.check_schedule(NEW.schedule, NEW.timezone);
	END IF;

	/*
	 * A one-off job whose instant is not after now would never run (the
	 * scheduler counts only slots after the job's last change): refuse to
	 * create it, move it there, or switch it back on once it has run.
	 */
	IF NEW.active AND NOT is_restore AND NEW.schedule OPERATOR(pg_catalog.~*) '^\s*@at\s'
	   AND (is_insert OR NEW.schedule IS DISTINCT FROM OLD.schedule OR NOT OLD.active)
	   AND NOT EXISTS (SELECT 1 FROM cron.next_runs(NEW.schedule, NULL, pg_catalog.now(), 1)) THEN
		RAISE EXCEPTION 'the instant of schedule "%" is not in the future', NEW.schedule
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('The time now is %s.', pg_catalog.now()),
				  HINT = 'A one-off job runs once; schedule it again with a later instant.';
	END IF;

	IF NEW.catchup OPERATOR(pg_catalog.<>) ALL (ARRAY['none'::text, 'latest'::text, 'all'::text]) THEN
		RAISE EXCEPTION 'invalid catchup policy "%"', NEW.catchup
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use none, latest or all.';
	END IF;
	IF NEW.overlap OPERATOR(pg_catalog.<>) ALL (ARRAY['queue'::text, 'skip'::text, 'allow'::text]) THEN
		RAISE EXCEPTION 'invalid overlap policy "%"', NEW.overlap
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use queue, skip or allow.';
	END IF;
	IF NEW.catchup_window OPERATOR(pg_catalog.<) '0'::interval
	   OR NEW.catchup_window OPERATOR(pg_catalog.>) '366 days'::interval THEN
		RAISE EXCEPTION 'catchup_window must be between 0 and 366 days'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('catchup_window is %s.', NEW.catchup_window);
	END IF;
	IF NEW.max_retries OPERATOR(pg_catalog.<) 0
	   OR NEW.max_retries OPERATOR(pg_catalog.>) 100 THEN
		RAISE EXCEPTION 'max_retries must be between 0 and 100'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('max_retries is %s.', NEW.max_retries);
	END IF;
	IF NEW.retry_delay OPERATOR(pg_catalog.<) '0'::interval
	   OR NEW.retry_delay OPERATOR(pg_catalog.>) '30 days'::interval THEN
		RAISE EXCEPTION 'retry_delay must be between 0 and 30 days'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('retry_delay is %s.', NEW.retry_delay);
	END IF;
	/* a zero timeout means none, as for statement_timeout */
	IF NEW.timeout OPERATOR(pg_catalog.=) '0'::interval THEN
		NEW.timeout := NULL;
	ELSIF NEW.timeout OPERATOR(pg_catalog.>) '0'::interval
	   AND NEW.timeout OPERATOR(pg_catalog.<) '1 millisecond'::interval THEN
		/* runs time out in whole milliseconds: never round down to none */
		NEW.timeout := '1 millisecond'::interval;
	ELSIF NEW.timeout OPERATOR(pg_catalog.<) '0'::interval
	   OR NEW.timeout OPERATOR(pg_catalog.>) '24 days'::interval THEN
		RAISE EXCEPTION 'timeout must be between 0 and 24 days'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('timeout is %s.', NEW.timeout),
				  HINT = 'Use 0 for no timeout.';
	END IF;

	/*
	 * Who runs the job, and where.  Checked when set, not on every change,
	 * so that a job whose role or database has gone can still be paused.
	 */
	IF (is_insert AND NOT is_restore)
	   OR (NOT is_insert AND (NEW.username IS DISTINCT FROM OLD.username
							  OR NEW.database IS DISTINCT FROM OLD.database
							  OR NEW.kind IS DISTINCT FROM OLD.kind)) THEN
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_database d
					   WHERE d.datname OPERATOR(pg_catalog.=) NEW.database::pg_catalog.name) THEN
			RAISE EXCEPTION 'database "%" does not exist', NEW.database
				USING ERRCODE = 'invalid_catalog_name';
		END IF;

		SELECT r.rolsuper, r.rolcanlogin INTO target
		FROM pg_catalog.pg_roles r
		WHERE r.rolname OPERATOR(pg_catalog.=) NEW.username::pg_catalog.name;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'role "%" does not exist', NEW.username
				USING ERRCODE = 'undefined_object';
		END IF;

		IF NEW.username OPERATOR(pg_catalog.<>) (CURRENT_USER)::text
		   AND NOT caller_is_superuser THEN
			RAISE EXCEPTION 'permission denied to schedule a job as role "%"', NEW.username
				USING ERRCODE = 'insufficient_privilege',
					  DETAIL = 'Only superusers can schedule jobs that run as another role.';
		END IF;
		IF NEW.kind OPERATOR(pg_catalog.=) 'http' THEN
			/* an HTTP job opens no session: no LOGIN or CONNECT needed */
			NULL;
		ELSIF NOT target.rolcanlogin THEN
			RAISE EXCEPTION 'role "%" is not permitted to log in', NEW.username
				USING ERRCODE = 'insufficient_privilege',
					  DETAIL = 'A job runs in a session of its role, which needs LOGIN.';
		END IF;
		IF NEW.kind OPERATOR(pg_catalog.=) 'sql'
		   AND NOT pg_catalog.has_database_privilege(NEW.username::pg_catalog.name,
													 NEW.database, 'CONNECT') THEN
			RAISE EXCEPTION 'role "%" does not have CONNECT privilege on database "%"',
				NEW.username, NEW.database
				USING ERRCODE = 'insufficient_privilege';
		END IF;
		IF target.rolsuper AND NEW.kind OPERATOR(pg_catalog.=) 'sql'
		   AND NOT COALESCE(pg_catalog.current_setting('cron.enable_superuser_jobs', true), 'on')::boolean THEN
			RAISE EXCEPTION 'jobs cannot run as superuser "%"', NEW.username
				USING ERRCODE = 'insufficient_privilege',
					  DETAIL = 'cron.enable_superuser_jobs is off.',
					  HINT = 'Schedule the job as a role without superuser rights.';
		END IF;
	END IF;

	/*
	 * Limits a DBA sets for roles that share the server (superusers are not
	 * limited): the size of what a job carries, and how many jobs a role
	 * owns.  A role's concurrent transactions each see only their own new
	 * rows, so the count can be passed by as many jobs as they create at
	 * once.
	 */
	IF NOT caller_is_superuser THEN
		/* shown as '5000B', '64kB' or '1MB'; pg_size_bytes says 'bytes' for B */
		max_bytes := pg_catalog.pg_size_bytes(pg_catalog.regexp_replace(
			pg_catalog.current_setting('cron.max_command_bytes'), '^([0-9]+)B$', '\1 bytes'));
		/* only what changes: a job stored under a higher limit can still be paused */
		IF (is_insert OR NEW.command IS DISTINCT FROM OLD.command)
		   AND pg_catalog.octet_length(NEW.command) OPERATOR(pg_catalog.>) max_bytes
		   OR (is_insert OR NEW.http_url IS DISTINCT FROM OLD.http_url)
		   AND pg_catalog.octet_length(NEW.http_url) OPERATOR(pg_catalog.>) max_bytes
		   OR (is_insert OR NEW.http_body IS DISTINCT FROM OLD.http_body)
		   AND pg_catalog.octet_length(NEW.http_body) OPERATOR(pg_catalog.>) max_bytes
		   OR (is_insert OR NEW.http_headers IS DISTINCT FROM OLD.http_headers)
		   AND pg_catalog.octet_length(NEW.http_headers::pg_catalog.text) OPERATOR(pg_catalog.>) max_bytes
		   OR (is_insert OR NEW.alert_url IS DISTINCT FROM OLD.alert_url)
		   AND pg_catalog.octet_length(NEW.alert_url) OPERATOR(pg_catalog.>) max_bytes THEN
			RAISE EXCEPTION 'the job is too large'
				USING ERRCODE = 'program_limit_exceeded',
					  DETAIL = pg_catalog.format('Its command, url, headers, body or alert_url is longer than cron.max_command_bytes (%s bytes).', max_bytes),
					  HINT = 'Put long code in a function or procedure and call it from the job.';
		END IF;
		max_jobs := pg_catalog.current_setting('cron.max_jobs_per_role')::pg_catalog.int8;
		IF max_jobs OPERATOR(pg_catalog.>) 0
		   AND (is_insert OR NEW.username IS DISTINCT FROM OLD.username) THEN
			SELECT pg_catalog.count(*) INTO njobs FROM cron.job j
			WHERE j.username OPERATOR(pg_catalog.=) (NEW.username COLLATE pg_catalog."default");
		END IF;
		IF njobs OPERATOR(pg_catalog.>=) max_jobs THEN
			RAISE EXCEPTION 'role "%" already has % jobs', NEW.username, njobs
				USING ERRCODE = 'program_limit_exceeded',
					  DETAIL = pg_catalog.format('cron.max_jobs_per_role (%s) is the most jobs one role may own.', max_jobs),
					  HINT = 'Unschedule jobs that are no longer needed, or ask an administrator to raise the limit.';
		END IF;
	END IF;

	/*
	 * The owner's identity is the role's OID, never taken from the writer.
	 * A superuser gives the jobs of a dropped role to the new role of the
	 * same name by setting roleid to NULL, or to that role's OID (only a
	 * superuser sees them).  A job without an owner (restored or taken over
	 * after its role was dropped) stays without one when it is paused or
	 * changed otherwise, and runs as nobody meanwhile.
	 */
	IF is_insert OR NEW.username IS DISTINCT FROM OLD.username
	   OR (NEW.roleid IS NULL AND OLD.roleid IS NOT NULL)
	   OR (caller_is_superuser AND NEW.roleid IS DISTINCT FROM OLD.roleid) THEN
		owner := (SELECT r.oid FROM pg_catalog.pg_roles r
				  WHERE r.rolname OPERATOR(pg_catalog.=) NEW.username::pg_catalog.name);
		IF NOT is_insert AND NEW.username IS NOT DISTINCT FROM OLD.username
		   AND NEW.roleid IS NOT NULL AND NEW.roleid IS DISTINCT FROM owner THEN
			RAISE EXCEPTION 'roleid must be the OID of role "%"', NEW.username
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Set roleid to NULL to give the job to the role of that name.';
		END IF;
		NEW.roleid := owner;
		IF NEW.roleid IS NULL AND NOT is_restore
		   AND (is_insert OR NEW.username IS DISTINCT FROM OLD.username) THEN
			RAISE EXCEPTION 'role "%" does not exist', NEW.username
				USING ERRCODE = 'undefined_object';
		END IF;
	ELSE
		NEW.roleid := OLD.roleid;
	END IF;

	/*
	 * Ids come from the sequence only once the row is valid, so refused
	 * writes use none (ids stay consecutive, as in pg_cron), and only a
	 * superuser (pg_dump's restore) may choose one.
	 */
	IF is_insert AND (NEW.jobid IS NULL OR NOT caller_is_superuser) THEN
		NEW.jobid := pg_catalog.nextval('cron.jobid_seq'::pg_catalog.regclass);
	END IF;

	RETURN NEW;
END
$function$;

/*
 * A one-off job's schedule for an instant: '@at <UTC instant>', in whole
 * seconds (a fraction rounds up, never earlier; an instant equal to now,
 * to the microsecond, becomes the next second).  The instant must be
 * finite and not past.
 */
CREATE FUNCTION cron._at_schedule(run_at timestamptz)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
	utc timestamp;
BEGIN
	PERFORM cron._require($1, 'run_at');
	IF NOT pg_catalog.isfinite($1) THEN
		RAISE EXCEPTION 'run_at must be a finite time'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF $1 OPERATOR(pg_catalog.<) pg_catalog.now() THEN
		RAISE EXCEPTION 'run_at is in the past'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('run_at is %s; the time now is %s.', $1, pg_catalog.now());
	END IF;
	utc := pg_catalog.date_trunc('second',
								 ($1 AT TIME ZONE 'UTC') OPERATOR(pg_catalog.+) '0.999999 seconds'::interval);
	IF utc OPERATOR(pg_catalog.<=) (pg_catalog.now() AT TIME ZONE 'UTC') THEN
		utc := utc OPERATOR(pg_catalog.+) '1 second'::interval;
	END IF;
	RETURN '@at ' OPERATOR(pg_catalog.||)
		   pg_catalog.to_char(utc, 'YYYY-MM-DD HH24:MI:SS') OPERATOR(pg_catalog.||) '+00';
END
$function$;

CREATE OR REPLACE FUNCTION cron.schedule_at(job_name text, run_at timestamptz, command text,
								 catchup text DEFAULT NULL,
								 catchup_window interval DEFAULT NULL,
								 max_retries integer DEFAULT NULL,
								 retry_delay interval DEFAULT NULL,
								 timeout interval DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	PERFORM cron._check_twin('cron.schedule(text,text,text)'::pg_catalog.regprocedure);
	RETURN cron._save_job($1, cron._at_schedule($2),
						  $3, (pg_catalog.current_database())::text, NULL, true,
						  NULL, $4, $5, NULL, $6, $7, $8);
END
$function$;

CREATE OR REPLACE FUNCTION cron.apply_jobs(source text, jobs jsonb)
RETURNS TABLE (action text, job_name text, jobid bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
#variable_conflict use_variable
DECLARE
	p_source text := source;
	v_known constant text[] := ARRAY['job_name', 'schedule', 'command', 'url',
		'database', 'active', 'timezone', 'catchup', 'catchup_window', 'overlap',
		'max_retries', 'retry_delay', 'timeout', 'method', 'headers', 'body',
		'expect_status', 'alert_url', 'expect_success_within', 'signing_secret'];
	v_http_only constant text[] := ARRAY['url', 'method', 'headers', 'body', 'expect_status'];
	v_job jsonb;
	v_i bigint;
	v_name text;
	v_names text[] := '{}';
	v_key text;
	v_before record;
	v_found boolean;
	v_id bigint;
	v_ctid tid;
	v_msg text;
	v_detail text;
	v_hint text;
	v_state text;
	v_out text[] := '{}';
	v_ids bigint[] := '{}';
	v_actions text[] := '{}';
	v_watch_changed boolean;
BEGIN
	PERFORM cron._require(p_source, 'source');
	PERFORM cron._require(jobs, 'jobs');
	IF p_source OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'source must not be empty'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Name the application or component that declares these jobs, e.g. ''billing''.';
	END IF;
	IF pg_catalog.jsonb_typeof(jobs) OPERATOR(pg_catalog.<>) 'array' THEN
		RAISE EXCEPTION 'jobs must be a JSON array of job objects, not JSON %', pg_catalog.jsonb_typeof(jobs)
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	/* the shape of every job first, so that nothing is written for a bad call */
	FOR v_job, v_i IN SELECT e.value, e.ordinality FROM pg_catalog.jsonb_array_elements(jobs) WITH ORDINALITY AS e LOOP
		IF pg_catalog.jsonb_typeof(v_job) OPERATOR(pg_catalog.<>) 'object' THEN
			RAISE EXCEPTION 'job % of jobs is JSON %, not an object', v_i, pg_catalog.jsonb_typeof(v_job)
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		IF pg_catalog.jsonb_typeof(v_job OPERATOR(pg_catalog.->) 'job_name') IS DISTINCT FROM 'string'
		   OR (v_job OPERATOR(pg_catalog.->>) 'job_name') OPERATOR(pg_catalog.=) '' THEN
			RAISE EXCEPTION 'job % of jobs has no job_name', v_i
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Every declared job needs "job_name" (a non-empty string): it is how a later call finds it.';
		END IF;
		v_name := v_job OPERATOR(pg_catalog.->>) 'job_name';
		IF v_name OPERATOR(pg_catalog.=) ANY (v_names) THEN
			RAISE EXCEPTION 'job "%" is declared twice', v_name
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		v_names := v_names OPERATOR(pg_catalog.||) v_name;
		FOR v_key IN SELECT pg_catalog.jsonb_object_keys(v_job) LOOP
			IF NOT v_key OPERATOR(pg_catalog.=) ANY (v_known) THEN
				RAISE EXCEPTION 'job "%": unknown field "%"', v_name, v_key
					USING ERRCODE = 'invalid_parameter_value',
						  HINT = 'Fields are: ' OPERATOR(pg_catalog.||) pg_catalog.array_to_string(v_known, ', ') OPERATOR(pg_catalog.||) '.';
			END IF;
		END LOOP;
		IF (v_job OPERATOR(pg_catalog.?) 'command') OPERATOR(pg_catalog.=) (v_job OPERATOR(pg_catalog.?) 'url') THEN
			RAISE EXCEPTION 'job "%": give either "command" (a SQL job) or "url" (an HTTP job)', v_name
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		IF v_job OPERATOR(pg_catalog.?) 'command' THEN
			FOR v_key IN SELECT k FROM pg_catalog.unnest(v_http_only) k WHERE v_job OPERATOR(pg_catalog.?) k LOOP
				RAISE EXCEPTION 'job "%": field "%" is for HTTP jobs (with "url"), not SQL jobs', v_name, v_key
					USING ERRCODE = 'invalid_parameter_value';
			END LOOP;
		ELSIF v_job OPERATOR(pg_catalog.?) 'database' THEN
			RAISE EXCEPTION 'job "%": an HTTP job has no "database"', v_name
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = 'HTTP jobs are read and recorded in the database of the catalog.';
		END IF;
	END LOOP;

	FOR v_job IN SELECT e FROM pg_catalog.jsonb_array_elements(jobs) e LOOP
		v_name := v_job OPERATOR(pg_catalog.->>) 'job_name';
		SELECT j.ctid, j.source, j.schedule,
			   (NOT j.active AND j.schedule OPERATOR(pg_catalog.~~) '@at %') AS done_once
		INTO v_before FROM cron.job j
		WHERE j.jobname OPERATOR(pg_catalog.=) (v_name COLLATE pg_catalog."default")
		  AND j.username OPERATOR(pg_catalog.=) ((CURRENT_USER)::text COLLATE pg_catalog."default");
		v_found := FOUND;
		IF v_found AND v_before.source IS NOT NULL
		   AND v_before.source OPERATOR(pg_catalog.<>) p_source THEN
			RAISE EXCEPTION 'job "%" is declared by source "%", not "%"', v_name, v_before.source, p_source
				USING ERRCODE = 'duplicate_object',
					  HINT = 'Job names are per role: rename one, or remove it from the other source first.';
		END IF;
		BEGIN
			IF v_job OPERATOR(pg_catalog.?) 'command' THEN
				v_id := cron.schedule_in_database(
					job_name => v_name,
					schedule => cron._declared(v_job, v_name, 'schedule', 'string'),
					command => cron._declared(v_job, v_name, 'command', 'string')::varchar,
					database => COALESCE(cron._declared(v_job, v_name, 'database', 'string'),
										 (pg_catalog.current_database())::text),
					username => NULL,
					active => COALESCE(cron._declared(v_job, v_name, 'active', 'boolean')::boolean,
									   /* a one-off job that ran stays done */
									   NOT (v_found AND v_before.done_once
											AND v_before.schedule OPERATOR(pg_catalog.=) cron._declared(v_job, v_name, 'schedule', 'string'))),
					timezone => cron._declared(v_job, v_name, 'timezone', 'string'),
					catchup => cron._declared(v_job, v_name, 'catchup', 'string'),
					catchup_window => cron._declared(v_job, v_name, 'catchup_window', 'interval')::interval,
					overlap => cron._declared(v_job, v_name, 'overlap', 'string'),
					max_retries => cron._declared(v_job, v_name, 'max_retries', 'number')::integer,
					retry_delay => cron._declared(v_job, v_name, 'retry_delay', 'interval')::interval,
					timeout => cron._declared(v_job, v_name, 'timeout', 'interval')::interval);
			ELSE
				v_id := cron.schedule_http(
					job_name => v_name,
					schedule => cron._declared(v_job, v_name, 'schedule', 'string'),
					url => cron._declared(v_job, v_name, 'url', 'string'),
					method => COALESCE(cron._declared(v_job, v_name, 'method', 'string'), 'GET'),
					headers => COALESCE(cron._declared(v_job, v_name, 'headers', 'object')::jsonb, '{}'),
					body => cron._declared(v_job, v_name, 'body', 'string'),
					timeout => COALESCE(cron._declared(v_job, v_name, 'timeout', 'interval')::interval, '30 seconds'),
					expect_status => (SELECT pg_catalog.array_agg(e::integer)
									  FROM pg_catalog.jsonb_array_elements_text(
										cron._declared(v_job, v_name, 'expect_status', 'array')::jsonb) e),
					timezone => cron._declared(v_job, v_name, 'timezone', 'string'),
					catchup => cron._declared(v_job, v_name, 'catchup', 'string'),
					catchup_window => cron._declared(v_job, v_name, 'catchup_window', 'interval')::interval,
					overlap => cron._declared(v_job, v_name, 'overlap', 'string'),
					max_retries => cron._declared(v_job, v_name, 'max_retries', 'number')::integer,
					retry_delay => cron._declared(v_job, v_name, 'retry_delay', 'interval')::interval,
					active => COALESCE(cron._declared(v_job, v_name, 'active', 'boolean')::boolean, true));
			END IF;
			/* how the job is watched and signed is declared too: absent, none */
			v_watch_changed := cron._set_alerts(v_id,
				cron._declared(v_job, v_name, 'alert_url', 'string'),
				cron._declared(v_job, v_name, 'expect_success_within', 'interval')::interval);
			v_watch_changed := cron._store_secret(v_id,
				cron._declared(v_job, v_name, 'signing_secret', 'string')) OR v_watch_changed;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS v_msg = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL,
									v_hint = PG_EXCEPTION_HINT, v_state = RETURNED_SQLSTATE;
			/* the error, with the job's name in front (once) */
			IF NOT pg_catalog.starts_with(v_msg, 'job "') THEN
				v_msg := pg_catalog.format('job "%s": %s', v_name, v_msg);
			END IF;
			IF v_detail OPERATOR(pg_catalog.=) '' AND v_hint OPERATOR(pg_catalog.=) '' THEN
				RAISE EXCEPTION USING MESSAGE = v_msg, ERRCODE = v_state;
			ELSIF v_hint OPERATOR(pg_catalog.=) '' THEN
				RAISE EXCEPTION USING MESSAGE = v_msg, ERRCODE = v_state, DETAIL = v_detail;
			ELSIF v_detail OPERATOR(pg_catalog.=) '' THEN
				RAISE EXCEPTION USING MESSAGE = v_msg, ERRCODE = v_state, HINT = v_hint;
			END IF;
			RAISE EXCEPTION USING MESSAGE = v_msg, ERRCODE = v_state,
				DETAIL = v_detail, HINT = v_hint;
		END;
		UPDATE cron.job j SET source = p_source
		WHERE j.jobid OPERATOR(pg_catalog.=) v_id AND j.source IS DISTINCT FROM p_source;
		SELECT j.ctid INTO v_ctid FROM cron.job j WHERE j.jobid OPERATOR(pg_catalog.=) v_id;
		v_out := v_out OPERATOR(pg_catalog.||) v_name;
		v_ids := v_ids OPERATOR(pg_catalog.||) v_id;
		v_actions := v_actions OPERATOR(pg_catalog.||)
			CASE WHEN NOT v_found THEN 'created'
				 WHEN v_ctid OPERATOR(pg_catalog.<>) v_before.ctid OR v_watch_changed THEN 'updated'
				 ELSE 'unchanged' END;
	END LOOP;

	/* the source's jobs no longer declared */
	FOR v_name, v_id IN
		SELECT j.jobname, j.jobid FROM cron.job j
		WHERE j.source OPERATOR(pg_catalog.=) p_source
		  AND j.username OPERATOR(pg_catalog.=) ((CURRENT_USER)::text COLLATE pg_catalog."default")
		  AND NOT j.jobname OPERATOR(pg_catalog.=) ANY (v_names)
	LOOP
		PERFORM cron.unschedule(v_id);
		v_out := v_out OPERATOR(pg_catalog.||) v_name;
		v_ids := v_ids OPERATOR(pg_catalog.||) v_id;
		v_actions := v_actions OPERATOR(pg_catalog.||) 'removed'::text;
	END LOOP;

	RETURN QUERY
		SELECT r.a, r.n, r.i
		FROM ROWS FROM (pg_catalog.unnest(v_actions), pg_catalog.unnest(v_out),
						pg_catalog.unnest(v_ids)) AS r(a, n, i)
		ORDER BY r.n;
END
$function$;

CREATE OR REPLACE VIEW cron.job_status WITH (security_invoker = true) AS
SELECT j.jobid,
	   j.jobname,
	   j.username,
	   j.schedule,
	   COALESCE(j.timezone, pg_catalog.current_setting('cron.timezone')) AS timezone,
	   j.active,
	   CASE WHEN j.active AND j.paused_at IS NULL THEN
		   cron._next_run(j.schedule, j.timezone, pg_catalog.now())
	   END AS next_run,
	   l.start_time AS last_run_start,
	   /* a slot whose retry waits reads retrying, with its next_attempt */
	   CASE WHEN l.status OPERATOR(pg_catalog.=) 'starting' AND l.next_attempt_at IS NOT NULL
			THEN 'retrying' ELSE l.status END AS last_status,
	   l.end_time OPERATOR(pg_catalog.-) l.start_time AS last_duration,
	   l.return_message AS last_message,
	   /* the common case, a last run that succeeded, costs no lookup */
	   CASE WHEN l.status OPERATOR(pg_catalog.=) 'succeeded' THEN 0 ELSE
	   (SELECT pg_catalog.count(*) FROM cron.job_run_details f
		WHERE f.jobid OPERATOR(pg_catalog.=) j.jobid
		  AND f.status OPERATOR(pg_catalog.=) 'failed'
		  AND f.scheduled_for OPERATOR(pg_catalog.>) COALESCE(
			  (SELECT pg_catalog.max(s.scheduled_for) FROM cron.job_run_details s
			   WHERE s.jobid OPERATOR(pg_catalog.=) j.jobid
				 AND s.status OPERATOR(pg_catalog.=) 'succeeded'),
			  '-infinity'::timestamptz))::integer END AS consecutive_failures,
	   (SELECT d.job_pid FROM cron.job_run_details d
		WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid
		  AND d.status OPERATOR(pg_catalog.=) 'running'
		ORDER BY d.scheduled_for DESC LIMIT 1) AS running_pid,
	   /* what a crash can do to a slot: see README "Delivery guarantees" */
	   cron._delivery(j.kind, j.command, j.database) AS delivery,
	   j.database,
	   j.kind,
	   j.paused_at IS NOT NULL AS paused,
	   l.next_attempt_at AS next_attempt
FROM cron.job j
LEFT JOIN LATERAL (
	SELECT d.start_time, d.end_time, d.status, d.return_message, d.next_attempt_at
	FROM cron.job_run_details d
	WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid
	  AND d.status OPERATOR(pg_catalog.<>) 'skipped'
	ORDER BY d.scheduled_for DESC LIMIT 1) l ON true;


/* ----------------------------------------------------------------------
 * Watching jobs (1.3): every attempt kept, alerts, the dead-man check,
 * signing secrets, and pausing all of a role's jobs.  README "Watching
 * cronext".
 * ---------------------------------------------------------------------- */

/*
 * Every attempt of a slot but its last: before a failed attempt is tried
 * again, the scheduler copies it here, so a slot that succeeded at its
 * third attempt still shows why the first two failed.  The ledger row
 * holds the last attempt.
 */
CREATE TABLE cron.job_run_attempts (
	runid bigint NOT NULL,
	attempt integer NOT NULL,
	jobid bigint NOT NULL,
	scheduled_for timestamptz NOT NULL,
	status text NOT NULL,
	http_status integer,
	return_message text,
	start_time timestamptz,
	end_time timestamptz,
	username text,
	roleid oid,
	CONSTRAINT job_run_attempts_pkey PRIMARY KEY (runid, attempt)
);

COMMENT ON TABLE cron.job_run_attempts IS 'cronext: the attempts of a slot before its last, one row each';

ALTER TABLE cron.job_run_attempts ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_run_attempts_owner ON cron.job_run_attempts
	USING (username OPERATOR(pg_catalog.=) (CURRENT_USER)::text
		   AND (roleid IS NULL
				OR roleid OPERATOR(pg_catalog.=) (SELECT r.oid FROM pg_catalog.pg_roles r
												  WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER)));
GRANT SELECT ON cron.job_run_attempts TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('cron.job_run_attempts', '');

/* history deleted from the ledger (retention, or by hand) takes its attempts */
CREATE FUNCTION cron._forget_attempts()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	DELETE FROM cron.job_run_attempts a USING gone g
	WHERE a.runid OPERATOR(pg_catalog.=) g.runid;
	RETURN NULL;
END
$function$;
REVOKE EXECUTE ON FUNCTION cron._forget_attempts() FROM PUBLIC;
CREATE TRIGGER job_run_details_forget_attempts AFTER DELETE ON cron.job_run_details
	REFERENCING OLD TABLE AS gone
	FOR EACH STATEMENT EXECUTE FUNCTION cron._forget_attempts();

/*
 * Alerts: an outbox the scheduler sends through the HTTP worker.  A row is
 * written in the transaction that records what it tells (a run's failure)
 * or by the scheduler's dead-man check (overdue, recovered), and is sent,
 * and tried again, until the endpoint answers 2xx or 5 attempts failed.
 * UNIQUE (jobid, event, slot) is what makes each alert fire once.
 * The URL is the job's alert_url when it has one; NULL means
 * cron.default_alert_url, read when the alert is sent (a superuser's
 * setting, never copied where the job's owner could read it).
 *	 failed		slot: the failed run's slot
 *	 overdue	slot: the job's last success (or its creation); fired when
 *				expect_success_within passed after it without another
 *	 recovered	slot: the overdue alert's; fired at the next success
 */
CREATE SEQUENCE cron.alertid_seq;

CREATE TABLE cron.job_alerts (
	alertid bigint NOT NULL
		DEFAULT pg_catalog.nextval('cron.alertid_seq'::pg_catalog.regclass),
	jobid bigint NOT NULL,
	event text NOT NULL,
	slot timestamptz NOT NULL,
	runid bigint,
	url text,					/* the job's own alert_url; NULL: cron.default_alert_url */
	resolved boolean NOT NULL DEFAULT true, /* false: written while cron.job was locked */
	payload jsonb NOT NULL,
	status text NOT NULL DEFAULT 'pending'::text,
	attempts integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	sent_at timestamptz,
	http_status integer,
	return_message text,
	username text,
	roleid oid,
	CONSTRAINT job_alerts_pkey PRIMARY KEY (alertid),
	CONSTRAINT job_alerts_once UNIQUE (jobid, event, slot),
	CONSTRAINT job_alerts_event_check CHECK (event OPERATOR(pg_catalog.=) ANY (ARRAY['failed'::text, 'overdue'::text, 'recovered'::text])),
	CONSTRAINT job_alerts_status_check CHECK (status OPERATOR(pg_catalog.=) ANY (ARRAY['pending'::text, 'sent'::text, 'failed'::text]))
);

ALTER SEQUENCE cron.alertid_seq OWNED BY cron.job_alerts.alertid;

/* the dead-man check's look for watched jobs */
CREATE INDEX job_watched_idx ON cron.job (jobid)
	WHERE expect_success_within IS NOT NULL;

/* the scheduler's look for alerts to send */
CREATE INDEX job_alerts_pending_idx ON cron.job_alerts (next_attempt_at)
	WHERE status OPERATOR(pg_catalog.=) 'pending';

COMMENT ON TABLE cron.job_alerts IS 'cronext: alerts about jobs (failed, overdue, recovered) and their delivery';

ALTER TABLE cron.job_alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY job_alerts_owner ON cron.job_alerts
	USING (username OPERATOR(pg_catalog.=) (CURRENT_USER)::text
		   AND (roleid IS NULL
				OR roleid OPERATOR(pg_catalog.=) (SELECT r.oid FROM pg_catalog.pg_roles r
												  WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER)));
GRANT SELECT ON cron.job_alerts TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('cron.job_alerts', '');
SELECT pg_catalog.pg_extension_config_dump('cron.alertid_seq', '');

/*
 * Where a job's alerts go: its own alert_url, else cron.default_alert_url
 * (a superuser-only setting: only cronext's processes call this).
 */
CREATE FUNCTION cron._alert_url(job_alert_url text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	RETURN COALESCE(NULLIF(job_alert_url, ''),
					NULLIF(pg_catalog.current_setting('cron.default_alert_url', true), ''));
END
$function$;
REVOKE EXECUTE ON FUNCTION cron._alert_url(text) FROM PUBLIC;

/*
 * A run ended failed (after its last attempt): the alert is written in the
 * same transaction as the outcome, so none is lost to a crash.  Only the
 * scheduler writes outcomes (an UPDATE of a claimed row); restored or
 * taken-over history is inserted, and alerts nobody.  Recording an
 * outcome never waits for cron.job: if it is locked (an administrator's
 * LOCK TABLE), the alert is written without its URL and job fields, which
 * the scheduler adds once it can read the job (scheduler/alerts.c), or
 * drops if the job has no alert URL.
 */
CREATE FUNCTION cron._alert_failed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '10ms'
AS $function$
DECLARE
	j record;
	v_payload jsonb := pg_catalog.jsonb_build_object(
		'event', 'failed',
		'job_id', NEW.jobid,
		'owner', NEW.username,
		'database', pg_catalog.current_database(),
		'run_id', NEW.runid,
		'scheduled_for', NEW.scheduled_for,
		'attempts', NEW.attempt,
		'started_at', NEW.start_time,
		'ended_at', NEW.end_time,
		'http_status', NEW.http_status,
		'message', pg_catalog.left(NEW.return_message, 2000));
BEGIN
	BEGIN
		SELECT c.jobname, c.kind, c.alert_url AS own_url, cron._alert_url(c.alert_url) AS url INTO j
		FROM cron.job c WHERE c.jobid OPERATOR(pg_catalog.=) NEW.jobid;
		IF NOT FOUND THEN
			RETURN NULL;
		END IF;
	EXCEPTION WHEN lock_not_available THEN
		j := NULL;
	END;
	/*
	 * A job whose endpoint is down or slow keeps at most 10 failure alerts
	 * waiting; later failures are in the ledger, not the outbox, so no job
	 * floods the alerts of others.
	 */
	IF (SELECT pg_catalog.count(*) FROM (SELECT 1 FROM cron.job_alerts a
			WHERE a.jobid OPERATOR(pg_catalog.=) NEW.jobid
			  AND a.event OPERATOR(pg_catalog.=) 'failed'
			  AND a.status OPERATOR(pg_catalog.=) 'pending' LIMIT 10) p) OPERATOR(pg_catalog.>=) 10 THEN
		RETURN NULL;
	END IF;
	IF j IS NULL THEN
		/* cron.job is locked: the scheduler completes or drops it later */
		INSERT INTO cron.job_alerts (jobid, event, slot, runid, url, resolved, username, roleid, payload)
		VALUES (NEW.jobid, 'failed', NEW.scheduled_for, NEW.runid, NULL, false, NEW.username,
				NEW.roleid, v_payload)
		ON CONFLICT DO NOTHING;
	ELSIF j.url IS NOT NULL THEN
		INSERT INTO cron.job_alerts (jobid, event, slot, runid, url, username, roleid, payload)
		VALUES (NEW.jobid, 'failed', NEW.scheduled_for, NEW.runid, NULLIF(j.own_url, ''),
				NEW.username, NEW.roleid,
				v_payload OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('job_name', j.jobname, 'kind', j.kind))
		ON CONFLICT DO NOTHING;
	END IF;
	RETURN NULL;
END
$function$;
REVOKE EXECUTE ON FUNCTION cron._alert_failed() FROM PUBLIC;
CREATE TRIGGER job_run_details_alert AFTER UPDATE OF status ON cron.job_run_details
	FOR EACH ROW
	WHEN (NEW.status OPERATOR(pg_catalog.=) 'failed' AND OLD.status OPERATOR(pg_catalog.<>) 'failed')
	EXECUTE FUNCTION cron._alert_failed();

/*
 * Signing secrets, one per job that has one.  No role but a superuser can
 * read this table; a job's owner writes it only through
 * cron._store_secret(), which checks that the caller sees the job.
 */
CREATE TABLE cron._job_secret (
	jobid bigint NOT NULL,
	secret text NOT NULL,
	CONSTRAINT _job_secret_pkey PRIMARY KEY (jobid)
);
REVOKE ALL ON cron._job_secret FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('cron._job_secret', '');

/*
 * Set (or with NULL or '', remove) the signing secret of a job the caller
 * sees; returns whether anything changed.  Written as the bootstrap
 * superuser, after the visibility check made as the caller.
 */
CREATE FUNCTION cron._store_secret(job_id bigint, secret text)
RETURNS boolean
LANGUAGE C
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'cron_store_secret';

/* an unscheduled job's secret goes with it */
CREATE FUNCTION cron._forget_secrets()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
		DELETE FROM cron._job_secret;
	ELSE
		DELETE FROM cron._job_secret s USING gone g
		WHERE s.jobid OPERATOR(pg_catalog.=) g.jobid;
	END IF;
	RETURN NULL;
END
$function$;
REVOKE EXECUTE ON FUNCTION cron._forget_secrets() FROM PUBLIC;
CREATE TRIGGER job_forget_secrets AFTER DELETE ON cron.job
	REFERENCING OLD TABLE AS gone
	FOR EACH STATEMENT EXECUTE FUNCTION cron._forget_secrets();
CREATE TRIGGER job_truncate_secrets AFTER TRUNCATE ON cron.job
	FOR EACH STATEMENT EXECUTE FUNCTION cron._forget_secrets();

/* the caller's job of that name, or the error that says why not */
CREATE FUNCTION cron._own_job(job_name text)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
	v_id bigint;
BEGIN
	PERFORM cron._require(job_name, 'job_name');
	SELECT j.jobid INTO v_id FROM cron.job j
	WHERE j.jobname OPERATOR(pg_catalog.=) (job_name COLLATE pg_catalog."default")
	  AND j.username OPERATOR(pg_catalog.=) ((CURRENT_USER)::text COLLATE pg_catalog."default");
	IF NOT FOUND THEN
		RAISE EXCEPTION 'job "%" does not exist', job_name
			USING ERRCODE = 'undefined_object',
				  DETAIL = pg_catalog.format('Role "%s" has no job of that name.', CURRENT_USER);
	END IF;
	RETURN v_id;
END
$function$;

/* set a job's alerting (NULL: none); writes only a change; returns whether it did */
CREATE FUNCTION cron._set_alerts(job_id bigint, alert_url text, expect_success_within interval)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	UPDATE cron.job j SET alert_url = NULLIF($2, ''), expect_success_within = $3
	WHERE j.jobid OPERATOR(pg_catalog.=) $1
	  AND (j.alert_url, j.expect_success_within) IS DISTINCT FROM (NULLIF($2, ''), $3);
	RETURN FOUND;
END
$function$;

/*
 * How the caller's job tells of trouble: alert_url is called (POST, JSON)
 * when a run fails, and with expect_success_within, when that long passes
 * without a success (and once more at the next success).  NULLs remove.
 */
CREATE FUNCTION cron.set_alerts(job_name text, alert_url text DEFAULT NULL,
								expect_success_within interval DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
	v_id bigint := cron._own_job($1);
BEGIN
	PERFORM cron._set_alerts(v_id, $2, $3);
	RETURN v_id;
END
$function$;

COMMENT ON FUNCTION cron.set_alerts(text, text, interval)
	IS 'set where the caller''s job sends alerts, and how often it must succeed; returns its jobid';

/*
 * Sign every request of the caller's job (HTTP calls and alerts) with
 * HMAC-SHA256 under this secret (X-Cron-Signature); NULL stops signing.
 * The secret cannot be read back.
 */
CREATE FUNCTION cron.set_signing_secret(job_name text, secret text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
	v_id bigint := cron._own_job($1);
BEGIN
	IF pg_catalog.octet_length($2) OPERATOR(pg_catalog.>) 0
	   AND (pg_catalog.octet_length($2) OPERATOR(pg_catalog.<) 16
			OR pg_catalog.octet_length($2) OPERATOR(pg_catalog.>) 1024) THEN
		RAISE EXCEPTION 'signing_secret of job "%" must have 16 to 1024 bytes', $1
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('It has %s.', pg_catalog.octet_length($2)),
				  HINT = 'Generate one with, e.g., python3 -c "import secrets; print(secrets.token_urlsafe(32))".';
	END IF;
	PERFORM cron._store_secret(v_id, $2);
	RETURN v_id;
END
$function$;

COMMENT ON FUNCTION cron.set_signing_secret(text, text)
	IS 'sign the requests of the caller''s job with this secret (NULL: stop); returns its jobid';

/*
 * Pause all of the caller's jobs (a superuser's call: every job): none
 * starts a new slot until cron.resume(); runs in progress finish.  Returns
 * how many jobs were paused (those paused already are not counted).
 */
CREATE FUNCTION cron.pause()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
	n bigint;
BEGIN
	UPDATE cron.job j SET paused_at = pg_catalog.now() WHERE j.paused_at IS NULL;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$function$;

COMMENT ON FUNCTION cron.pause()
	IS 'pause all of the caller''s jobs (a superuser: all jobs); returns how many were paused';

/*
 * Resume the caller's paused jobs.  The slots that fell due during the
 * pause do not run, unless catch_up: then each job catches up as its
 * catchup option says, as after a restart.
 */
CREATE FUNCTION cron.resume(catch_up boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
	n bigint;
BEGIN
	PERFORM cron._require(catch_up, 'catch_up');
	IF catch_up THEN
		UPDATE cron.job j SET paused_at = NULL WHERE j.paused_at IS NOT NULL;
	ELSE
		/* a new catch-up anchor: the pause's slots are behind it */
		UPDATE cron.job j SET paused_at = NULL, updated_at = pg_catalog.clock_timestamp()
		WHERE j.paused_at IS NOT NULL;
	END IF;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$function$;

COMMENT ON FUNCTION cron.resume(boolean)
	IS 'resume the caller''s paused jobs (a superuser: all); slots of the pause run only with catch_up; returns how many';

/*
 * cron.schedule_http_at: a one-off HTTP call, as cron.schedule_at is a
 * one-off SQL job.  The HTTP privilege is checked as for cron.schedule_http
 * (EXECUTE on it), by the guard trigger.
 */
CREATE FUNCTION cron.schedule_http_at(job_name text, run_at timestamptz, url text,
									  method text DEFAULT 'GET',
									  headers jsonb DEFAULT '{}',
									  body text DEFAULT NULL,
									  timeout interval DEFAULT '30 seconds',
									  expect_status integer[] DEFAULT NULL,
									  catchup text DEFAULT NULL,
									  catchup_window interval DEFAULT NULL,
									  max_retries integer DEFAULT NULL,
									  retry_delay interval DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	PERFORM cron._require($3, 'url');
	PERFORM cron._require($4, 'method');
	RETURN cron._save_job($1, cron._at_schedule($2), NULL,
						  (pg_catalog.current_database())::text,
						  NULL, true, NULL, $9, $10, NULL, $11, $12,
						  COALESCE($7, '0'::interval),
						  'http', pg_catalog.upper($4), $3,
						  COALESCE($5, '{}'::jsonb), COALESCE($6, ''),
						  COALESCE($8, '{}'::integer[]));
END
$function$;

COMMENT ON FUNCTION cron.schedule_http_at(text, timestamptz, text, text, jsonb, text, interval, integer[], text, interval, integer, interval)
	IS 'call an HTTP endpoint once at an instant, or move the caller''s one-off job of that name; returns its jobid';

/*
 * Metrics, one row per job the caller sees, for dashboards and Prometheus
 * (postgres_exporter: metrics/postgres_exporter.yml).  Each figure comes
 * from the job's newest ledger rows through the (jobid, scheduled_for)
 * index, and the counts from the last hour's rows through the slot index,
 * so a scrape costs a few index probes per job.
 */
CREATE VIEW cron.job_metrics WITH (security_invoker = true) AS
SELECT j.jobid,
	   j.jobname,
	   j.username,
	   j.database,
	   j.kind,
	   (j.active AND j.paused_at IS NULL) AS scheduled,
	   COALESCE(h.succeeded, 0) AS succeeded_last_hour,
	   COALESCE(h.failed, 0) AS failed_last_hour,
	   COALESCE(h.skipped, 0) AS skipped_last_hour,
	   COALESCE(h.retries, 0) AS retries_last_hour,
	   /* failures since the last success (counted up to 1000) */
	   (SELECT pg_catalog.count(*) FROM
		   (SELECT f.status FROM cron.job_run_details f
			WHERE f.jobid OPERATOR(pg_catalog.=) j.jobid
			  AND f.status OPERATOR(pg_catalog.<>) ALL (ARRAY['starting', 'running', 'skipped'])
			  AND f.scheduled_for OPERATOR(pg_catalog.>) COALESCE(s.scheduled_for, '-infinity')
			ORDER BY f.scheduled_for DESC LIMIT 1000) c)::integer AS failures_in_a_row,
	   pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) s.end_time) AS seconds_since_success,
	   pg_catalog.date_part('epoch', l.start_time OPERATOR(pg_catalog.-) l.scheduled_for) AS last_start_lag_seconds,
	   pg_catalog.date_part('epoch', l.end_time OPERATOR(pg_catalog.-) l.start_time) AS last_duration_seconds,
	   l.status AS last_status,
	   /* as the dead-man check judges it (scheduler/alerts.c) */
	   j.expect_success_within IS NOT NULL
		 AND j.schedule OPERATOR(pg_catalog.!~~) '@at %'
		 AND GREATEST(j.created_at, s.end_time) OPERATOR(pg_catalog.+) j.expect_success_within
			 OPERATOR(pg_catalog.<=) pg_catalog.now() AS overdue
FROM cron.job j
LEFT JOIN LATERAL (
	SELECT d.scheduled_for, d.end_time FROM cron.job_run_details d
	WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid AND d.status OPERATOR(pg_catalog.=) 'succeeded'
	ORDER BY d.scheduled_for DESC LIMIT 1) s ON true
LEFT JOIN LATERAL (
	SELECT d.scheduled_for, d.start_time, d.end_time, d.status FROM cron.job_run_details d
	WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid
	  AND d.status OPERATOR(pg_catalog.<>) ALL (ARRAY['starting', 'running', 'skipped'])
	ORDER BY d.scheduled_for DESC LIMIT 1) l ON true
LEFT JOIN LATERAL (
	SELECT pg_catalog.count(*) FILTER (WHERE d.status OPERATOR(pg_catalog.=) 'succeeded') AS succeeded,
		   pg_catalog.count(*) FILTER (WHERE d.status OPERATOR(pg_catalog.=) 'failed') AS failed,
		   pg_catalog.count(*) FILTER (WHERE d.status OPERATOR(pg_catalog.=) 'skipped') AS skipped,
		   pg_catalog.sum(GREATEST(d.attempt OPERATOR(pg_catalog.-) 1, 0)) AS retries
	FROM cron.job_run_details d
	WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid
	  AND d.scheduled_for OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) '1 hour'::interval)) h ON true;

GRANT SELECT ON cron.job_metrics TO PUBLIC;

/*
 * The schedulers, one row per database with cronext (what each published
 * in shared memory at its last pass): jobs loaded, runs in flight and
 * waiting, the job workers' saturation, HTTP requests in flight.  Anyone
 * may read these counts; they name no job.
 */
CREATE FUNCTION cron.scheduler_metrics(OUT database name, OUT pid integer,
									   OUT jobs_loaded bigint, OUT runs_running integer,
									   OUT runs_waiting integer, OUT workers_busy integer,
									   OUT workers_max integer, OUT saturation float8,
									   OUT http_in_flight integer, OUT http_max integer)
RETURNS SETOF record
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'cron_scheduler_metrics';

/* LANGUAGE sql functions become plpgsql: errors inside name them with their schema */
CREATE OR REPLACE FUNCTION cron._job_exists(job_id bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	RETURN EXISTS (SELECT 1 FROM cron.job j
				   WHERE j.jobid OPERATOR(pg_catalog.=) job_id);
END
$function$;

CREATE OR REPLACE FUNCTION cron.schedule(job_name text, schedule text, command text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	RETURN cron._save_job($1, $2, $3, (pg_catalog.current_database())::text,
						  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
END
$function$;

CREATE OR REPLACE FUNCTION cron._http_allowed(role_name name)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	RETURN pg_catalog.has_function_privilege(role_name,
		'cron.schedule_http(text,text,text,text,jsonb,text,interval,integer[],text,text,interval,text,integer,interval,boolean)'::pg_catalog.regprocedure,
		'EXECUTE');
END
$function$;

CREATE OR REPLACE FUNCTION cron.job_run_details_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	IF OLD.status OPERATOR(pg_catalog.=) ANY (ARRAY['starting'::text, 'running'::text]) THEN
		RETURN NULL;
	END IF;
	IF OLD.scheduled_for OPERATOR(pg_catalog.>=)
		(SELECT pg_catalog.max(d.scheduled_for) FROM cron.job_run_details d
		 WHERE d.jobid OPERATOR(pg_catalog.=) OLD.jobid)
	   AND cron._job_exists(OLD.jobid) THEN
		RETURN NULL;
	END IF;
	/* nor its newest success: the dead-man check counts from it */
	IF OLD.status OPERATOR(pg_catalog.=) 'succeeded'
	   AND NOT EXISTS (SELECT 1 FROM cron.job_run_details d
					   WHERE d.jobid OPERATOR(pg_catalog.=) OLD.jobid
						 AND d.status OPERATOR(pg_catalog.=) 'succeeded'
						 AND d.scheduled_for OPERATOR(pg_catalog.>) OLD.scheduled_for)
	   AND cron._job_exists(OLD.jobid) THEN
		RETURN NULL;
	END IF;
	RETURN OLD;
END
$function$;
