/*
 * cronext--1.0--1.1.sql
 *	  Upgrade a cronext 1.0 catalog to 1.1, so that it equals a fresh
 *	  install of 1.1 (test/t/190_upgrade.pl compares the two).
 *
 * 1.1 changes:
 *	- schema cron becomes a member of the extension (DROP EXTENSION removes
 *	  it), and the extension's own schema becomes pg_catalog, as for pg_cron
 *	  1.6;
 *	- pg_cron's exact signatures: cron.schedule(text,text,text),
 *	  cron.schedule_in_database(text,text,text,text,text,boolean) and
 *	  cron.alter_job(bigint,text,text,text,text,boolean), which errs when it
 *	  changes nothing; cronext's options move to overloads of schedule and
 *	  schedule_in_database (command as varchar) and to cron.update_job;
 *	- pg_cron's trigger function name, cron.job_cache_invalidate();
 *	- runs written without a slot (pg_cron's, taken over or restored from a
 *	  pg_cron dump) are adopted: slot derived, unfinished ones failed;
 *	- cron.job_status survives a schedule cronext refuses (cron._next_run);
 *	- the guard: direct writes take the pg_cron function's privilege, a
 *	  superuser's restore keeps rows as they are, a job whose role is gone
 *	  can be paused;
 *	- CREATE on schema cron is revoked from all but its owner.
 * Privileges granted on the three 1.0 functions that are replaced do not
 * carry over: grant them again on the new signatures.
 */

\echo Use "ALTER EXTENSION cronext UPDATE TO '1.1'" to load this file. \quit

/*
 * A schema that holds the extension cannot be its member: move the
 * extension's own schema to pg_catalog (which, being pinned, takes no
 * dependency), then adopt schema cron.  The catalogs are edited directly
 * since ALTER EXTENSION SET SCHEMA is for relocatable extensions only.
 */
UPDATE pg_catalog.pg_extension
SET extnamespace = 'pg_catalog'::pg_catalog.regnamespace
WHERE extname OPERATOR(pg_catalog.=) 'cronext';
DELETE FROM pg_catalog.pg_depend
WHERE classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
  AND objid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
									WHERE e.extname OPERATOR(pg_catalog.=) 'cronext')
  AND refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass;
ALTER EXTENSION cronext ADD SCHEMA cron;
/* its grants are a DBA's, not the extension's: pg_dump keeps them */
DELETE FROM pg_catalog.pg_init_privs
WHERE classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
  AND objoid OPERATOR(pg_catalog.=) 'cron'::pg_catalog.regnamespace;

DROP FUNCTION cron.schedule(text, text, text, text, text, interval, text, integer, interval, interval);
DROP FUNCTION cron.schedule_in_database(text, text, text, text, text, boolean, text, text, interval, text, integer, interval, interval);
DROP FUNCTION cron.alter_job(bigint, text, text, text, text, boolean, text, text, interval, text, integer, interval, interval, text, text, jsonb, text, integer[]);

/*
 * A run written without a slot is pg_cron's: copied by the takeover (see
 * the end of this script) or restored from a dump of a pg_cron database
 * into this one.  pg_cron records no slot, so one is derived: the run's
 * start time (else its end time, else now) truncated to the second, and
 * when that second is taken for the job, the next free microsecond.  A
 * run pg_cron had not finished (starting, connecting, sending, running)
 * ends as failed: its outcome is unknown.  The scheduler writes every run
 * with its slot, so the trigger never fires for its own rows.  Such a run's
 * end stays unknown (NULL) and pg_cron's status and message are kept in
 * the message.
 */
CREATE FUNCTION cron.job_run_details_adopt()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
	slot timestamptz;
BEGIN
	IF TG_TABLE_SCHEMA OPERATOR(pg_catalog.<>) 'cron'
	   OR TG_TABLE_NAME OPERATOR(pg_catalog.<>) 'job_run_details'
	   OR TG_OP OPERATOR(pg_catalog.<>) 'INSERT' OR TG_LEVEL OPERATOR(pg_catalog.<>) 'ROW'
	   OR TG_WHEN OPERATOR(pg_catalog.<>) 'BEFORE' THEN
		RAISE EXCEPTION 'cron.job_run_details_adopt() fires only before inserts into cron.job_run_details'
			USING ERRCODE = '39P01';
	END IF;
	NEW.jobid := COALESCE(NEW.jobid, 0);
	slot := pg_catalog.date_trunc('second', COALESCE(NEW.start_time, NEW.end_time, pg_catalog.now()));
	/* taken: after the last one used in that second (one index probe) */
	IF EXISTS (SELECT 1 FROM cron.job_run_details d
			   WHERE d.jobid OPERATOR(pg_catalog.=) NEW.jobid
				 AND d.scheduled_for OPERATOR(pg_catalog.=) slot) THEN
		SELECT pg_catalog.max(d.scheduled_for) OPERATOR(pg_catalog.+) '1 microsecond'::interval INTO slot
		FROM cron.job_run_details d
		WHERE d.jobid OPERATOR(pg_catalog.=) NEW.jobid
		  AND d.scheduled_for OPERATOR(pg_catalog.>=) slot
		  AND d.scheduled_for OPERATOR(pg_catalog.<) (slot OPERATOR(pg_catalog.+) '1 second'::interval);
	END IF;
	NEW.scheduled_for := slot;
	/* unfinished: failed, its end unknown (NULL) and pg_cron's message kept */
	IF NEW.status IS NULL
	   OR NEW.status OPERATOR(pg_catalog.<>) ALL (ARRAY['succeeded'::text, 'failed'::text]) THEN
		NEW.return_message := pg_catalog.concat_ws(' ',
			'the server switched from pg_cron to cronext before this run ended; its outcome is unknown'::text,
			'(pg_cron: ' OPERATOR(pg_catalog.||) COALESCE(NEW.status, 'no status')
			OPERATOR(pg_catalog.||) COALESCE(': ' OPERATOR(pg_catalog.||) NEW.return_message, '')
			OPERATOR(pg_catalog.||) ')');
		NEW.status := 'failed';
	END IF;
	RETURN NEW;
END
$function$;

CREATE TRIGGER job_run_details_adopt BEFORE INSERT ON cron.job_run_details
	FOR EACH ROW WHEN (NEW.scheduled_for IS NULL)
	EXECUTE FUNCTION cron.job_run_details_adopt();
REVOKE EXECUTE ON FUNCTION cron.job_run_details_adopt() FROM PUBLIC;

/*
 * pg_cron's name for its trigger function: here the same code, fired on
 * TRUNCATE (the whole job table changed).
 */
CREATE FUNCTION cron.job_cache_invalidate()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'cron_job_changed';

/* trigger functions fire whatever EXECUTE says; no role attaches them elsewhere */
REVOKE EXECUTE ON FUNCTION cron.job_guard() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION cron.job_changed() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION cron.job_cache_invalidate() FROM PUBLIC;

DROP TRIGGER job_truncated ON cron.job;
CREATE TRIGGER job_truncated AFTER TRUNCATE ON cron.job
	FOR EACH STATEMENT EXECUTE FUNCTION cron.job_cache_invalidate();

/*
 * pg_cron's signatures are kept exactly, so that GRANT and REVOKE written
 * for pg_cron name them, and cronext's options come as a second overload
 * of the same name.  Two overloads that both accept pg_cron's call forms
 * would make those calls ambiguous ("function is not unique"), so the
 * overload with options declares its command as varchar: a call with text
 * or an untyped literal matches pg_cron's signature better and resolves to
 * it, and only a call that names an option (timezone => ...) reaches the
 * overload.  The overload is allowed to whoever may execute its pg_cron
 * twin, so one GRANT or REVOKE governs both.
 */
CREATE FUNCTION cron._check_twin(twin pg_catalog.regprocedure)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	IF NOT pg_catalog.has_function_privilege(twin, 'EXECUTE') THEN
		RAISE EXCEPTION 'permission denied for function %',
			(SELECT p.proname FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) twin)
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = pg_catalog.format('Calling it with options needs EXECUTE on %s.', twin);
	END IF;
END
$function$;

/* cron.schedule(job_name, schedule, command): pg_cron's create or update */
CREATE FUNCTION cron.schedule(job_name text, schedule text, command text)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $function$
	SELECT cron._save_job($1, $2, $3, (pg_catalog.current_database())::text,
						  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
$function$;

COMMENT ON FUNCTION cron.schedule(text, text, text)
	IS 'schedule a named job in the current database, or update the caller''s job of that name; returns its jobid';

/* the same with cronext's options, named: cron.schedule(n, s, c, timezone => ...) */
CREATE FUNCTION cron.schedule(job_name text, schedule text, command varchar,
							  timezone text DEFAULT NULL,
							  catchup text DEFAULT NULL,
							  catchup_window interval DEFAULT NULL,
							  overlap text DEFAULT NULL,
							  max_retries integer DEFAULT NULL,
							  retry_delay interval DEFAULT NULL,
							  timeout interval DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	PERFORM cron._check_twin('cron.schedule(text,text,text)'::pg_catalog.regprocedure);
	RETURN cron._save_job($1, $2, $3, (pg_catalog.current_database())::text,
						  NULL, NULL, $4, $5, $6, $7, $8, $9, $10);
END
$function$;

COMMENT ON FUNCTION cron.schedule(text, text, varchar, text, text, interval, text, integer, interval, interval)
	IS 'schedule a named job with cronext''s options, or update the caller''s job of that name; returns its jobid';

/* pg_cron's: a job in another database, optionally as another role */
CREATE FUNCTION cron.schedule_in_database(job_name text, schedule text,
										  command text, database text,
										  username text DEFAULT NULL,
										  active boolean DEFAULT true)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	PERFORM cron._require($4, 'database');
	PERFORM cron._require($6, 'active');
	RETURN cron._save_job($1, $2, $3, $4, $5, $6, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
END
$function$;

COMMENT ON FUNCTION cron.schedule_in_database(text, text, text, text, text, boolean)
	IS 'schedule a named job in another database, optionally as another role (superuser only); returns its jobid';

CREATE FUNCTION cron.schedule_in_database(job_name text, schedule text,
										  command varchar, database text,
										  username text DEFAULT NULL,
										  active boolean DEFAULT true,
										  timezone text DEFAULT NULL,
										  catchup text DEFAULT NULL,
										  catchup_window interval DEFAULT NULL,
										  overlap text DEFAULT NULL,
										  max_retries integer DEFAULT NULL,
										  retry_delay interval DEFAULT NULL,
										  timeout interval DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	PERFORM cron._check_twin('cron.schedule_in_database(text,text,text,text,text,boolean)'::pg_catalog.regprocedure);
	PERFORM cron._require($4, 'database');
	PERFORM cron._require($6, 'active');
	RETURN cron._save_job($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13);
END
$function$;

COMMENT ON FUNCTION cron.schedule_in_database(text, text, varchar, text, text, boolean, text, text, interval, text, integer, interval, interval)
	IS 'schedule a named job in another database with cronext''s options; returns its jobid';

/*
 * pg_cron's alter_job: change a job; NULL leaves a value unchanged, and a
 * call that changes nothing is an error, as in pg_cron.
 */
CREATE FUNCTION cron.alter_job(job_id bigint,
							   schedule text DEFAULT NULL,
							   command text DEFAULT NULL,
							   database text DEFAULT NULL,
							   username text DEFAULT NULL,
							   active boolean DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	PERFORM cron._require($1, 'job_id');
	IF pg_catalog.num_nonnulls($2, $3, $4, $5, $6) OPERATOR(pg_catalog.=) 0 THEN
		RAISE EXCEPTION 'no updates specified'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give at least one of schedule, command, database, username or active.';
	END IF;
	IF NOT cron._update_job($1, $2, $3, $4, $5, $6, NULL, NULL, NULL, NULL,
							NULL, NULL, NULL) THEN
		PERFORM cron._job_not_found($1);
	END IF;
END
$function$;

COMMENT ON FUNCTION cron.alter_job(bigint, text, text, text, text, boolean)
	IS 'change a job''s schedule, command, database, owner or active flag; NULL leaves a value unchanged';

/*
 * cronext's alter_job with every option.  It cannot be an overload of
 * alter_job: cron.alter_job(5) and cron.alter_job(5, active => false)
 * would match both and be ambiguous.  url, method, headers, body and
 * expect_status change HTTP jobs (an empty body removes it, an empty
 * expect_status means any 2xx).  Allowed to whoever may execute alter_job.
 */
CREATE FUNCTION cron.update_job(job_id bigint,
								schedule text DEFAULT NULL,
								command text DEFAULT NULL,
								database text DEFAULT NULL,
								username text DEFAULT NULL,
								active boolean DEFAULT NULL,
								timezone text DEFAULT NULL,
								catchup text DEFAULT NULL,
								catchup_window interval DEFAULT NULL,
								overlap text DEFAULT NULL,
								max_retries integer DEFAULT NULL,
								retry_delay interval DEFAULT NULL,
								timeout interval DEFAULT NULL,
								url text DEFAULT NULL,
								method text DEFAULT NULL,
								headers jsonb DEFAULT NULL,
								body text DEFAULT NULL,
								expect_status integer[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	PERFORM cron._check_twin('cron.alter_job(bigint,text,text,text,text,boolean)'::pg_catalog.regprocedure);
	PERFORM cron._require($1, 'job_id');
	IF pg_catalog.num_nonnulls($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
							   $13, $14, $15, $16, $17, $18) OPERATOR(pg_catalog.=) 0 THEN
		RAISE EXCEPTION 'no updates specified'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give at least one value to change.';
	END IF;
	IF NOT cron._update_job($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
							NULL, $15, $14, $16, $17, $18) THEN
		PERFORM cron._job_not_found($1);
	END IF;
END
$function$;

COMMENT ON FUNCTION cron.update_job(bigint, text, text, text, text, boolean, text, text, interval, text, integer, interval, interval, text, text, jsonb, text, integer[])
	IS 'change any of a job''s settings, cronext''s options included; NULL leaves a value unchanged';

/* one-off jobs follow EXECUTE on cron.schedule(text,text,text) */
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
DECLARE
	utc timestamp;
BEGIN
	PERFORM cron._check_twin('cron.schedule(text,text,text)'::pg_catalog.regprocedure);
	PERFORM cron._require($2, 'run_at');
	IF NOT pg_catalog.isfinite($2) THEN
		RAISE EXCEPTION 'run_at must be a finite time'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF $2 OPERATOR(pg_catalog.<) pg_catalog.now() THEN
		RAISE EXCEPTION 'run_at is in the past'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('run_at is %s; the time now is %s.', $2, pg_catalog.now());
	END IF;
	/*
	 * Slots are whole seconds: a fraction rounds up, never earlier; an
	 * instant equal to now (to the microsecond) becomes the next second.
	 */
	utc := pg_catalog.date_trunc('second',
								 ($2 AT TIME ZONE 'UTC') OPERATOR(pg_catalog.+) '0.999999 seconds'::interval);
	IF utc OPERATOR(pg_catalog.<=) (pg_catalog.now() AT TIME ZONE 'UTC') THEN
		utc := utc OPERATOR(pg_catalog.+) '1 second'::interval;
	END IF;
	RETURN cron._save_job($1,
						  '@at ' OPERATOR(pg_catalog.||)
						  pg_catalog.to_char(utc, 'YYYY-MM-DD HH24:MI:SS') OPERATOR(pg_catalog.||) '+00',
						  $3, (pg_catalog.current_database())::text, NULL, true,
						  NULL, $4, $5, NULL, $6, $7, $8);
END
$function$;


/*
 * cron.job_status shows a job whose schedule cronext refuses (kept from
 * pg_cron) with no next run, instead of failing as a whole.
 */
/* the first slot after an instant, or NULL (also for a schedule cronext refuses) */
CREATE FUNCTION cron._next_run(schedule text, timezone text, after timestamptz)
RETURNS timestamptz
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'cron_next_run';

CREATE OR REPLACE VIEW cron.job_status WITH (security_invoker = true) AS
SELECT j.jobid,
	   j.jobname,
	   j.username,
	   j.schedule,
	   COALESCE(j.timezone, pg_catalog.current_setting('cron.timezone')) AS timezone,
	   j.active,
	   CASE WHEN j.active THEN
		   cron._next_run(j.schedule, j.timezone, pg_catalog.now())
	   END AS next_run,
	   l.start_time AS last_run_start,
	   l.status AS last_status,
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
		ORDER BY d.scheduled_for DESC LIMIT 1) AS running_pid
FROM cron.job j
LEFT JOIN LATERAL (
	SELECT d.start_time, d.end_time, d.status, d.return_message
	FROM cron.job_run_details d
	WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid
	  AND d.status OPERATOR(pg_catalog.<>) 'skipped'
	ORDER BY d.scheduled_for DESC LIMIT 1) l ON true;


/*
 * The guard: direct writes take the privilege of the pg_cron function that
 * does the same (DELETE included); a superuser restoring rows with their
 * ids gets them as they are; a job whose role is gone can be paused.
 */
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
	NEW.updated_at := pg_catalog.now();

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
			IF EXISTS (SELECT 1 FROM pg_catalog.jsonb_each(NEW.http_headers) h
					   WHERE pg_catalog.jsonb_typeof(h.value) OPERATOR(pg_catalog.<>) 'string'
						  OR h.key OPERATOR(pg_catalog.!~) '^[!#$%&''*+.^_`|~0-9A-Za-z-]+$'
						  OR (h.value OPERATOR(pg_catalog.#>>) '{}') OPERATOR(pg_catalog.~) '[\r\n\x01-\x08\x0b-\x1f\x7f]') THEN
				RAISE EXCEPTION 'invalid header in headers'
					USING ERRCODE = 'invalid_parameter_value',
						  DETAIL = 'Header names must be HTTP tokens and values strings without control characters.';
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
		   AND pg_catalog.octet_length(NEW.http_headers::pg_catalog.text) OPERATOR(pg_catalog.>) max_bytes THEN
			RAISE EXCEPTION 'the job is too large'
				USING ERRCODE = 'program_limit_exceeded',
					  DETAIL = pg_catalog.format('Its command, url, headers or body is longer than cron.max_command_bytes (%s bytes).', max_bytes),
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

DROP TRIGGER job_guard ON cron.job;
CREATE TRIGGER job_guard BEFORE INSERT OR UPDATE OR DELETE ON cron.job
	FOR EACH ROW EXECUTE FUNCTION cron.job_guard();

/*
 * Whoever may create objects in schema cron can plant a function or an
 * operator that cronext's functions would call with a superuser's rights:
 * only the schema's owner keeps CREATE on it (a kept or adopted schema may
 * have granted it; the takeover's NOTICE says so).
 */
DO $create$
DECLARE
	v_grantee text;
	v_revoked text;
BEGIN
	FOR v_grantee IN
		SELECT CASE WHEN x.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
					ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END
		FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) x
		WHERE n.nspname OPERATOR(pg_catalog.=) 'cron'
		  AND x.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
		  AND x.grantee OPERATOR(pg_catalog.<>) n.nspowner LOOP
		EXECUTE pg_catalog.format('REVOKE CREATE ON SCHEMA cron FROM %s CASCADE', v_grantee);
		v_revoked := pg_catalog.concat_ws(', ', v_revoked, v_grantee);
	END LOOP;
	IF v_revoked IS NOT NULL THEN
		RAISE WARNING 'CREATE on schema cron was revoked from %', v_revoked
			USING DETAIL = 'A role that may create objects in schema cron could plant code that cronext''s functions run with other roles'' rights.';
	END IF;
END
$create$;

