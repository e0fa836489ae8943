/*
 * cronext--1.1--1.2.sql
 *	  From 1.1 to 1.2: cronext in any number of databases, and jobs declared
 *	  from code.  What changed in the catalog:
 *	- cron._home_database (the database the catalog was made in, so that a
 *	  copy of the database runs none of the copied jobs),
 *	  cron.adopt_copied_jobs() and cron._start_scheduler_at_commit();
 *	- cron.job.source and cron.apply_jobs(source, jobs);
 *	- re-declaring a job by name sets every option (cron._save_job);
 *	- cron.job_status.delivery (cron._delivery): exactly-once effect for SQL
 *	  jobs in this database whose command runs in one transaction.
 *	  Blocks below are copies of cronext--1.2.sql; test/t/195 checks that
 *	  an updated catalog equals a fresh one.
 */

\echo Use "ALTER EXTENSION cronext UPDATE TO '1.2'" to load this file. \quit

/* ----------------------------------------------------------------------
 * The database this catalog was made in.
 *
 * A copy of the database (CREATE DATABASE ... TEMPLATE, a file-level copy)
 * carries this row of the original: its scheduler sees another database's
 * OID and runs none of the copied jobs until cron.adopt_copied_jobs() is
 * called there.  The name follows ALTER DATABASE ... RENAME: the scheduler
 * then moves the jobs that named the old name to the new one.  The table
 * is not dumped: a restored dump writes its own row at CREATE EXTENSION.
 * Only the scheduler and cron.adopt_copied_jobs (as its owner) write it.
 */
CREATE TABLE cron._home_database (
	datoid oid NOT NULL,
	datname name NOT NULL
);
CREATE UNIQUE INDEX _home_database_one_row ON cron._home_database ((true));
REVOKE ALL ON cron._home_database FROM PUBLIC;
GRANT SELECT ON cron._home_database TO PUBLIC;
INSERT INTO cron._home_database (datoid, datname)
	SELECT d.oid, d.datname FROM pg_catalog.pg_database d
	WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database();

/* the commit of the calling transaction starts this database's scheduler */
CREATE FUNCTION cron._start_scheduler_at_commit()
RETURNS void
LANGUAGE C
AS 'MODULE_PATHNAME', 'cron_start_scheduler_at_commit_sql';
REVOKE EXECUTE ON FUNCTION cron._start_scheduler_at_commit() FROM PUBLIC;

/*
 * In a database copied from another, make the copied jobs this database's:
 * their database column (the original's name) becomes this one's, and,
 * unless activate is true, every job is paused first, so that nothing the
 * original ran starts here by surprise.  Superusers and the extension's
 * owner only; returns how many jobs there are.
 */
CREATE FUNCTION cron.adopt_copied_jobs(activate boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
	v_home record;
	v_jobs bigint;
	v_srr text;
BEGIN
	PERFORM cron._require(activate, 'activate');
	IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r
			WHERE r.rolname OPERATOR(pg_catalog.=) SESSION_USER)
	   AND NOT pg_catalog.pg_has_role(SESSION_USER,
			(SELECT e.extowner FROM pg_catalog.pg_extension e
			 WHERE e.extname OPERATOR(pg_catalog.=) 'cronext'), 'MEMBER') THEN
		RAISE EXCEPTION 'permission denied to adopt the copied jobs of database "%"',
			pg_catalog.current_database()
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'A superuser or the owner of extension cronext may.';
	END IF;
	SELECT h.datoid, h.datname INTO v_home FROM cron._home_database h;
	IF v_home.datoid OPERATOR(pg_catalog.=)
	   (SELECT d.oid FROM pg_catalog.pg_database d
		WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()) THEN
		RAISE EXCEPTION 'database "%" is not a copy: its jobs are its own',
			pg_catalog.current_database()
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	/*
	 * Past the guard trigger (as a restore): the jobs stay whose they are,
	 * whether or not their owners may still log in here; the scheduler,
	 * started at commit, reads them all.
	 */
	v_srr := pg_catalog.current_setting('session_replication_role');
	PERFORM pg_catalog.set_config('session_replication_role', 'replica', true);
	IF NOT activate THEN
		UPDATE cron.job SET active = false WHERE active;
	END IF;
	UPDATE cron.job SET database = pg_catalog.current_database()
	WHERE database OPERATOR(pg_catalog.=) v_home.datname::text;
	PERFORM pg_catalog.set_config('session_replication_role', v_srr, true);
	UPDATE cron._home_database
	SET datoid = (SELECT d.oid FROM pg_catalog.pg_database d
				  WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()),
		datname = pg_catalog.current_database();
	PERFORM cron._start_scheduler_at_commit();
	SELECT pg_catalog.count(*) INTO v_jobs FROM cron.job;
	RETURN v_jobs;
END
$function$;

/* who declares the job: cron.apply_jobs's source, or NULL (made one by one) */
ALTER TABLE cron.job ADD COLUMN source text;

/*
 * Create or re-declare the caller's job called p_jobname for p_username
 * (NULL: the caller).  A declaration is complete: re-declaring a name sets
 * every option to the value given or to its default, exactly as creating
 * it would (nothing is kept from the earlier declaration), and its
 * database to the one the calling function names; only active, when the
 * function takes no such argument (p_active NULL), is left as it is, so a
 * paused job stays paused as in pg_cron.  The jobid and the history are
 * kept, and nothing is written when nothing changes.  A change of database
 * or kind is said in a NOTICE.  Creating consumes one sequence
 * value, updating none, so ids stay consecutive as in pg_cron.  p_kind is
 * 'sql' or 'http'; the p_http... arguments are for HTTP jobs.
 */
CREATE OR REPLACE FUNCTION cron._save_job(p_jobname text, p_schedule text, p_command text,
							   p_database text, p_username text,
							   p_active boolean, p_timezone text,
							   p_catchup text, p_catchup_window interval,
							   p_overlap text, p_max_retries integer,
							   p_retry_delay interval, p_timeout interval,
							   p_kind text DEFAULT 'sql',
							   p_method text DEFAULT NULL,
							   p_url text DEFAULT NULL,
							   p_headers jsonb DEFAULT NULL,
							   p_body text DEFAULT NULL,
							   p_expect_status integer[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
	v_username text := COALESCE(p_username, (CURRENT_USER)::text);
	v_jobid bigint;
	v_conflicts integer := 0;
	v_old cron.job;
	v_new cron.job;
BEGIN
	PERFORM cron._require(p_jobname, 'job_name');
	PERFORM cron._require(p_schedule, 'schedule');
	IF p_kind OPERATOR(pg_catalog.=) 'sql' THEN
		PERFORM cron._require(p_command, 'command');
	ELSE
		PERFORM cron._require(p_url, 'url');
	END IF;

	/* the job as declared: given values, or the defaults */
	v_new.schedule := p_schedule;
	v_new.command := COALESCE(p_command, p_method OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) p_url);
	v_new.database := COALESCE(p_database, (pg_catalog.current_database())::text);
	v_new.timezone := NULLIF(p_timezone, '');
	v_new.catchup := COALESCE(p_catchup, 'latest');
	v_new.catchup_window := COALESCE(p_catchup_window, '1 hour'::interval);
	v_new.overlap := COALESCE(p_overlap, 'queue');
	v_new.max_retries := COALESCE(p_max_retries, 0);
	v_new.retry_delay := COALESCE(p_retry_delay, '1 minute'::interval);
	/* as the guard trigger will store them, so that "unchanged" is seen */
	v_new.timeout := CASE WHEN p_timeout OPERATOR(pg_catalog.=) '0'::interval THEN NULL
						  WHEN p_timeout OPERATOR(pg_catalog.>) '0'::interval
						   AND p_timeout OPERATOR(pg_catalog.<) '1 millisecond'::interval
						  THEN '1 millisecond'::interval
						  ELSE p_timeout END;
	v_new.kind := p_kind;
	v_new.http_method := pg_catalog.upper(p_method);
	v_new.http_url := p_url;
	v_new.http_headers := CASE WHEN p_kind OPERATOR(pg_catalog.=) 'http'
							   THEN COALESCE(p_headers, '{}'::jsonb) END;
	v_new.http_body := NULLIF(p_body, '');
	v_new.http_expect_status := CASE WHEN pg_catalog.cardinality(p_expect_status) OPERATOR(pg_catalog.=) 0
									 THEN NULL ELSE p_expect_status END;

	LOOP
		/* the default collation, so that the (username, jobname) index serves */
		SELECT j.* INTO v_old FROM cron.job j
		WHERE j.jobname OPERATOR(pg_catalog.=) (p_jobname COLLATE pg_catalog."default")
		  AND j.username OPERATOR(pg_catalog.=) (v_username COLLATE pg_catalog."default")
		FOR UPDATE;
		v_new.active := COALESCE(p_active, v_old.active, true);
		IF FOUND THEN
			IF (v_old.schedule, v_old.command, v_old.database, v_old.active,
				v_old.timezone, v_old.catchup, v_old.catchup_window,
				v_old.overlap, v_old.max_retries, v_old.retry_delay,
				v_old.timeout, v_old.kind, v_old.http_method, v_old.http_url,
				v_old.http_headers, v_old.http_body, v_old.http_expect_status)
			   IS NOT DISTINCT FROM
			   (v_new.schedule, v_new.command, v_new.database, v_new.active,
				v_new.timezone, v_new.catchup, v_new.catchup_window,
				v_new.overlap, v_new.max_retries, v_new.retry_delay,
				v_new.timeout, v_new.kind, v_new.http_method, v_new.http_url,
				v_new.http_headers, v_new.http_body, v_new.http_expect_status) THEN
				RETURN v_old.jobid;
			END IF;
			UPDATE cron.job j SET
				schedule = v_new.schedule,
				/* an HTTP job's command is its method and URL (the guard writes it) */
				command = CASE WHEN v_new.kind OPERATOR(pg_catalog.=) 'http'
							   THEN j.command ELSE v_new.command END,
				database = v_new.database, active = v_new.active,
				timezone = v_new.timezone, catchup = v_new.catchup,
				catchup_window = v_new.catchup_window, overlap = v_new.overlap,
				max_retries = v_new.max_retries, retry_delay = v_new.retry_delay,
				timeout = v_new.timeout, kind = v_new.kind,
				http_method = v_new.http_method, http_url = v_new.http_url,
				http_headers = v_new.http_headers, http_body = v_new.http_body,
				http_expect_status = v_new.http_expect_status
			WHERE j.jobid OPERATOR(pg_catalog.=) v_old.jobid;
			IF v_old.database OPERATOR(pg_catalog.<>) v_new.database THEN
				RAISE NOTICE 'job "%" now runs in database "%" (it ran in "%")',
					p_jobname, v_new.database, v_old.database
					USING HINT = 'Re-declaring a job sets every option, its database too: name the database to keep it.';
			END IF;
			IF v_old.kind OPERATOR(pg_catalog.<>) v_new.kind THEN
				RAISE NOTICE 'job "%" is now an % job (it was an % job)',
					p_jobname, pg_catalog.upper(v_new.kind), pg_catalog.upper(v_old.kind);
			END IF;
			RETURN v_old.jobid;
		END IF;

		BEGIN
			INSERT INTO cron.job (jobname, schedule, command, database, username,
								  active, timezone, catchup, catchup_window,
								  overlap, max_retries, retry_delay, timeout,
								  kind, http_method, http_url, http_headers,
								  http_body, http_expect_status)
			VALUES (p_jobname, v_new.schedule, v_new.command, v_new.database,
					v_username, v_new.active, v_new.timezone, v_new.catchup,
					v_new.catchup_window, v_new.overlap, v_new.max_retries,
					v_new.retry_delay, v_new.timeout, v_new.kind,
					v_new.http_method, v_new.http_url, v_new.http_headers,
					v_new.http_body, v_new.http_expect_status)
			RETURNING jobid INTO v_jobid;
			RETURN v_jobid;
		EXCEPTION WHEN unique_violation THEN
			/*
			 * A concurrent call created the same name: update it instead.
			 * If the name is still taken by a row this role cannot see, it
			 * belongs to a dropped role of the same name.
			 */
			v_conflicts := v_conflicts OPERATOR(pg_catalog.+) 1;
			IF v_conflicts OPERATOR(pg_catalog.>=) 3 THEN
				RAISE EXCEPTION 'job name "%" is taken by a job of an earlier role named "%"',
					p_jobname, v_username
					USING ERRCODE = 'duplicate_object',
						  DETAIL = 'That role was dropped; its jobs do not pass to a new role of the same name.',
						  HINT = 'Use another job name, or ask a superuser to unschedule that job or give it to this role (UPDATE cron.job SET roleid = NULL).';
			END IF;
		END;
	END LOOP;
END
$function$;

/* ----------------------------------------------------------------------
 * Jobs declared from code: cron.apply_jobs(source, jobs).
 * ---------------------------------------------------------------------- */

/*
 * One field of one declared job, checked for its JSON type and returned as
 * text (NULL when absent or JSON null): 'string', 'number', 'boolean',
 * 'object' or 'array'; intervals may be a string or a number of seconds.
 */
CREATE FUNCTION cron._declared(job jsonb, job_name text, field text, json_type text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
	v jsonb := job OPERATOR(pg_catalog.->) field;
	t text := pg_catalog.jsonb_typeof(v);
	r text;
BEGIN
	IF v IS NULL OR t OPERATOR(pg_catalog.=) 'null' THEN
		RETURN NULL;
	END IF;
	IF json_type OPERATOR(pg_catalog.=) 'interval' AND t OPERATOR(pg_catalog.=) ANY (ARRAY['string', 'number']) THEN
		r := CASE WHEN t OPERATOR(pg_catalog.=) 'number' THEN (v::text) OPERATOR(pg_catalog.||) ' seconds'
				  ELSE job OPERATOR(pg_catalog.->>) field END;
		BEGIN
			PERFORM r::interval;
		EXCEPTION WHEN OTHERS THEN
			RAISE EXCEPTION 'job "%": field "%" is not an interval: %', job_name, field, SQLERRM
				USING ERRCODE = SQLSTATE,
					  HINT = 'Write it as a string such as ''5 minutes'', or a number of seconds.';
		END;
		RETURN r;
	END IF;
	IF t OPERATOR(pg_catalog.=) json_type THEN
		IF t OPERATOR(pg_catalog.=) 'number' AND NOT (v::text OPERATOR(pg_catalog.~) '^[0-9]{1,9}$') THEN
			RAISE EXCEPTION 'job "%": field "%" must be a whole number from 0 to 999999999, not %', job_name, field, v::text
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		RETURN CASE WHEN t OPERATOR(pg_catalog.=) 'string' THEN job OPERATOR(pg_catalog.->>) field
					ELSE v::text END;
	END IF;
	RAISE EXCEPTION 'job "%": field "%" must be %, not %', job_name, field,
		CASE json_type WHEN 'interval' THEN 'an interval (a string such as ''5 minutes'', or a number of seconds)'
					   WHEN 'object' THEN 'a JSON object'
					   WHEN 'array' THEN 'a JSON array'
					   ELSE 'a JSON ' OPERATOR(pg_catalog.||) json_type END,
		'JSON ' OPERATOR(pg_catalog.||) t
		USING ERRCODE = 'invalid_parameter_value';
END
$function$;

/*
 * Make the caller's jobs of one source exactly the ones declared: jobs is a
 * JSON array of objects whose keys are the named arguments of
 * cron.schedule / cron.schedule_in_database (command) or
 * cron.schedule_http (url).  New names are created, declared ones are set
 * from the declaration (every option from it or its default, in place:
 * same jobid, history kept; nothing written when nothing changes), the
 * source's jobs not declared are unscheduled.  A job of the caller made
 * one by one (no source) with a declared name joins the source.  All or
 * nothing: any invalid job rejects the call, naming the job and the field.
 * Returns one row per job: created, updated, unchanged or removed.
 */
CREATE FUNCTION cron.apply_jobs(source text, jobs jsonb)
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
		'expect_status'];
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
				 WHEN v_ctid OPERATOR(pg_catalog.<>) v_before.ctid THEN 'updated'
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

COMMENT ON FUNCTION cron.apply_jobs(text, jsonb)
	IS 'make the caller''s jobs of a source exactly the ones declared (created, updated in place, removed); returns what changed';

/*
 * The guarantee of a job: 'exactly-once' for a SQL job in this database
 * whose command runs in one transaction (its outcome commits with it),
 * 'at-most-once' otherwise.  See README "Delivery guarantees".
 */
CREATE FUNCTION cron._delivery(kind text, command text, database text)
RETURNS text
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'cron_delivery_sql';

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
		ORDER BY d.scheduled_for DESC LIMIT 1) AS running_pid,
	   /* what a crash can do to a slot: see README "Delivery guarantees" */
	   cron._delivery(j.kind, j.command, j.database) AS delivery
FROM cron.job j
LEFT JOIN LATERAL (
	SELECT d.start_time, d.end_time, d.status, d.return_message
	FROM cron.job_run_details d
	WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid
	  AND d.status OPERATOR(pg_catalog.<>) 'skipped'
	ORDER BY d.scheduled_for DESC LIMIT 1) l ON true;

