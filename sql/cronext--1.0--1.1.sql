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
 *	  pg_cron dump) are adopted: slot derived, unfinished ones failed.
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
 * with its slot, so the trigger never fires for its own rows.
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
	WHILE EXISTS (SELECT 1 FROM cron.job_run_details d
				  WHERE d.jobid OPERATOR(pg_catalog.=) NEW.jobid
					AND d.scheduled_for OPERATOR(pg_catalog.=) slot) LOOP
		slot := slot OPERATOR(pg_catalog.+) '1 microsecond'::interval;
	END LOOP;
	NEW.scheduled_for := slot;
	IF NEW.status IS NULL
	   OR NEW.status OPERATOR(pg_catalog.<>) ALL (ARRAY['succeeded'::text, 'failed'::text]) THEN
		NEW.status := 'failed';
		NEW.return_message := 'the server switched from pg_cron to cronext before this run ended; its outcome is unknown';
		NEW.end_time := COALESCE(NEW.end_time, pg_catalog.now());
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
	PERFORM cron._check_twin('cron.schedule(text,text,text)');
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
	PERFORM cron._check_twin('cron.schedule_in_database(text,text,text,text,text,boolean)');
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
	PERFORM cron._check_twin('cron.alter_job(bigint,text,text,text,text,boolean)');
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
	PERFORM cron._check_twin('cron.schedule(text,text,text)');
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

