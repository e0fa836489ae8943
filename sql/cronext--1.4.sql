/*
 * cronext--1.4.sql
 *	  The cron schema: the job catalog, the run ledger, row-level security,
 *	  the guard trigger on every write to cron.job, and the pg_cron
 *	  compatible SQL API.
 *
 * Every name is schema-qualified and every function pins its search_path,
 * so objects a user creates in public (functions, operators, tables) never
 * run during CREATE EXTENSION or inside the API.  The API functions run
 * with the caller's rights: what they may do is what RLS and the guard
 * trigger allow, the same as for a direct INSERT or UPDATE on cron.job.
 */

\echo Use "CREATE EXTENSION cronext" to load this file. \quit

/*
 * Before anything is created: the library must be preloaded (who may
 * create the extension, in any database, is checked by the library: see
 * cron.creator_role).  Then schema cron, which this extension owns
 * as a member (DROP EXTENSION removes it): created here if absent; taken
 * over if it is pg_cron's (see "Taking over from pg_cron" below); adopted if
 * it is the caller's own and belongs to no extension (a restored dump, or
 * one made by hand).  A schema of another role could hold objects planted
 * for us: refuse it.
 */
DO $guard$
DECLARE
	v_owner_is_caller boolean;
	v_extension name;
BEGIN
	/* the settings exist only when the library was preloaded */
	IF pg_catalog.current_setting('cron.database_name', true) IS NULL THEN
		RAISE EXCEPTION 'cronext can only be loaded via shared_preload_libraries'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Add cronext to shared_preload_libraries in postgresql.conf and restart the server.';
	END IF;
	SELECT n.nspowner OPERATOR(pg_catalog.=)
		   (SELECT r.oid FROM pg_catalog.pg_roles r
			WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER),
		   (SELECT e.extname FROM pg_catalog.pg_depend d
			JOIN pg_catalog.pg_extension e ON e.oid OPERATOR(pg_catalog.=) d.refobjid
			WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
			  AND d.objid OPERATOR(pg_catalog.=) n.oid
			  AND d.deptype OPERATOR(pg_catalog.=) 'e')
	INTO v_owner_is_caller, v_extension
	FROM pg_catalog.pg_namespace n
	WHERE n.nspname OPERATOR(pg_catalog.=) 'cron';

	IF NOT FOUND THEN
		CREATE SCHEMA cron;
	ELSIF v_extension OPERATOR(pg_catalog.=) 'pg_cron'
		  OR EXISTS (SELECT 1 FROM pg_catalog.pg_extension e
					 WHERE e.extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
		NULL;					/* taken over just below */
	ELSIF v_extension IS NOT NULL THEN
		RAISE EXCEPTION 'schema "cron" belongs to extension "%"', v_extension
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Drop that extension, then create cronext.';
	ELSIF NOT v_owner_is_caller THEN
		RAISE EXCEPTION 'schema "cron" belongs to another role'
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Drop or rename the existing schema "cron", then create the extension again.';
	ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_class c
				  WHERE c.relnamespace OPERATOR(pg_catalog.=) 'cron'::pg_catalog.regnamespace)
		  OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
					 WHERE p.pronamespace OPERATOR(pg_catalog.=) 'cron'::pg_catalog.regnamespace)
		  OR EXISTS (SELECT 1 FROM pg_catalog.pg_type t
					 WHERE t.typnamespace OPERATOR(pg_catalog.=) 'cron'::pg_catalog.regnamespace)
		  OR EXISTS (SELECT 1 FROM pg_catalog.pg_operator o
					 WHERE o.oprnamespace OPERATOR(pg_catalog.=) 'cron'::pg_catalog.regnamespace) THEN
		/* what is in it would run inside cronext's functions */
		RAISE EXCEPTION 'schema "cron" is not empty'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'cronext adopts an existing schema "cron" only when it is empty: move its objects elsewhere, or drop it.';
	ELSE
		ALTER EXTENSION cronext ADD SCHEMA cron;
		/* its grants are a DBA's, not the extension's: pg_dump keeps them */
		DELETE FROM pg_catalog.pg_init_privs i
		WHERE i.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
		  AND i.objoid OPERATOR(pg_catalog.=) 'cron'::pg_catalog.regnamespace;
	END IF;
END
$guard$;

/* ----------------------------------------------------------------------
 * Taking over from pg_cron, first half.  When pg_cron (1.3 to 1.6) is
 * installed here, its jobs, runs, sequence positions and privileges are
 * copied aside, schema cron is detached from it and pg_cron's extension is
 * dropped (its tables, functions and trigger with it).  The second half,
 * at the end of this script, loads the copies into cronext's catalog.  All
 * of it runs inside CREATE EXTENSION: if any step fails, nothing changed.
 * ---------------------------------------------------------------------- */
DO $takeover$
DECLARE
	v_version text;
	v_detail text;
BEGIN
	SELECT e.extversion INTO v_version FROM pg_catalog.pg_extension e
	WHERE e.extname OPERATOR(pg_catalog.=) 'pg_cron';
	IF NOT FOUND THEN
		RETURN;
	END IF;
	IF v_version OPERATOR(pg_catalog.<>) ALL (ARRAY['1.3', '1.4', '1.4-1', '1.5', '1.6'])
	   OR pg_catalog.to_regclass('cron.job') IS NULL
	   OR pg_catalog.to_regclass('cron.job_run_details') IS NULL THEN
		RAISE EXCEPTION 'cannot take over pg_cron %: cronext takes over pg_cron 1.3 to 1.6', v_version
			USING ERRCODE = 'feature_not_supported',
				  HINT = 'Update pg_cron to 1.6 while it is still preloaded (ALTER EXTENSION pg_cron UPDATE), then switch to cronext.';
	END IF;

	CREATE TABLE cron._takeover_job AS
		SELECT j.jobid, j.schedule, j.command, j.nodename, j.nodeport,
			   j.database, j.username, j.active, (j.jobname)::text AS jobname
		FROM cron.job j;
	CREATE TABLE cron._takeover_run AS
		SELECT d.jobid, d.runid, d.job_pid, d.database, d.username, d.command,
			   d.status, d.return_message, d.start_time, d.end_time
		FROM cron.job_run_details d;
	CREATE TABLE cron._takeover_state AS
		SELECT v_version AS version,
			   /* a DBA's own indexes, triggers and policies on pg_cron's tables go with them */
			   (SELECT pg_catalog.string_agg(o.what, ', ' ORDER BY o.what) FROM (
					SELECT pg_catalog.format('index %I', i.relname) AS what
					FROM pg_catalog.pg_index x
					JOIN pg_catalog.pg_class i ON i.oid OPERATOR(pg_catalog.=) x.indexrelid
					WHERE x.indrelid OPERATOR(pg_catalog.=) ANY (ARRAY['cron.job'::pg_catalog.regclass, 'cron.job_run_details'::pg_catalog.regclass])
					  AND i.relname OPERATOR(pg_catalog.<>) ALL (ARRAY['job_pkey'::name, 'jobname_username_uniq'::name, 'jobname_username_idx'::name, 'job_run_details_pkey'::name])
					UNION ALL
					SELECT pg_catalog.format('trigger %I on %s', t.tgname, t.tgrelid::pg_catalog.regclass)
					FROM pg_catalog.pg_trigger t
					WHERE t.tgrelid OPERATOR(pg_catalog.=) ANY (ARRAY['cron.job'::pg_catalog.regclass, 'cron.job_run_details'::pg_catalog.regclass])
					  AND NOT t.tgisinternal
					  AND t.tgname OPERATOR(pg_catalog.<>) 'cron_job_cache_invalidate'
					UNION ALL
					SELECT pg_catalog.format('policy %I on %s', y.polname, y.polrelid::pg_catalog.regclass)
					FROM pg_catalog.pg_policy y
					WHERE y.polrelid OPERATOR(pg_catalog.=) ANY (ARRAY['cron.job'::pg_catalog.regclass, 'cron.job_run_details'::pg_catalog.regclass])
					  AND y.polname OPERATOR(pg_catalog.<>) ALL (ARRAY['cron_job_policy'::name, 'cron_job_run_details_policy'::name])
					UNION ALL
					SELECT pg_catalog.format('rule %I on %s', w.rulename, w.ev_class::pg_catalog.regclass)
					FROM pg_catalog.pg_rewrite w
					WHERE w.ev_class OPERATOR(pg_catalog.=) ANY (ARRAY['cron.job'::pg_catalog.regclass, 'cron.job_run_details'::pg_catalog.regclass])
					UNION ALL
					SELECT pg_catalog.format('statistics %I', x.stxname)
					FROM pg_catalog.pg_statistic_ext x
					WHERE x.stxrelid OPERATOR(pg_catalog.=) ANY (ARRAY['cron.job'::pg_catalog.regclass, 'cron.job_run_details'::pg_catalog.regclass])
					UNION ALL
					SELECT pg_catalog.format('membership of %s in publication %I', r.prrelid::pg_catalog.regclass, b.pubname)
					FROM pg_catalog.pg_publication_rel r
					JOIN pg_catalog.pg_publication b ON b.oid OPERATOR(pg_catalog.=) r.prpubid
					WHERE r.prrelid OPERATOR(pg_catalog.=) ANY (ARRAY['cron.job'::pg_catalog.regclass, 'cron.job_run_details'::pg_catalog.regclass])) o) AS dropped,
			   /* the value each sequence gives next */
			   (SELECT CASE WHEN s.is_called THEN s.last_value OPERATOR(pg_catalog.+) 1
							ELSE s.last_value END FROM cron.jobid_seq s) AS jobid_next,
			   (SELECT CASE WHEN s.is_called THEN s.last_value OPERATOR(pg_catalog.+) 1
							ELSE s.last_value END FROM cron.runid_seq s) AS runid_next;
	/*
	 * The privileges on pg_cron's functions, by name and argument types
	 * (pg_cron 1.3 and 1.4 took a job name as type name, cronext as text),
	 * and on its tables and sequences.
	 */
	CREATE TABLE cron._takeover_acl AS
		SELECT 'f'::text AS kind,
			   p.proname::text AS name,
			   pg_catalog.replace(pg_catalog.oidvectortypes(p.proargtypes), 'name', 'text') AS args,
			   p.proacl AS acl,
			   p.proowner AS owner
		FROM pg_catalog.pg_proc p
		JOIN pg_catalog.pg_depend d
		  ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
		 AND d.objid OPERATOR(pg_catalog.=) p.oid
		 AND d.deptype OPERATOR(pg_catalog.=) 'e'
		 AND d.refobjid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
												WHERE e.extname OPERATOR(pg_catalog.=) 'pg_cron')
		UNION ALL
		SELECT c.relkind::text, c.relname::text, NULL, c.relacl, c.relowner
		FROM pg_catalog.pg_class c
		WHERE c.relnamespace OPERATOR(pg_catalog.=) 'cron'::pg_catalog.regnamespace
		  AND c.relname OPERATOR(pg_catalog.=) ANY (ARRAY['job'::name, 'job_run_details'::name, 'jobid_seq'::name, 'runid_seq'::name])
		UNION ALL
		SELECT 'c', c.relname::text, a.attname::text, a.attacl, c.relowner
		FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid
		WHERE c.relnamespace OPERATOR(pg_catalog.=) 'cron'::pg_catalog.regnamespace
		  AND c.relname OPERATOR(pg_catalog.=) ANY (ARRAY['job'::name, 'job_run_details'::name])
		  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
		  AND a.attacl IS NOT NULL;

	IF EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
			   WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
				 AND d.objid OPERATOR(pg_catalog.=) 'cron'::pg_catalog.regnamespace
				 AND d.deptype OPERATOR(pg_catalog.=) 'e') THEN
		ALTER EXTENSION pg_cron DROP SCHEMA cron;
	END IF;
	BEGIN
		DROP EXTENSION pg_cron;
	EXCEPTION WHEN dependent_objects_still_exist THEN
		GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
		RAISE EXCEPTION 'cannot take over pg_cron: other objects depend on its tables or functions'
			USING ERRCODE = 'dependent_objects_still_exist',
				  DETAIL = v_detail,
				  HINT = 'Drop those objects (create them again after CREATE EXTENSION cronext), then run CREATE EXTENSION cronext again.';
	END;
	ALTER EXTENSION cronext ADD SCHEMA cron;
END
$takeover$;

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

/* ----------------------------------------------------------------------
 * The job catalog (pg_cron's columns first, then cronext's)
 * ---------------------------------------------------------------------- */

CREATE SEQUENCE cron.jobid_seq;

CREATE TABLE cron.job (
	jobid bigint NOT NULL,		/* assigned by the guard trigger */
	schedule text NOT NULL,
	command text NOT NULL,
	nodename text NOT NULL DEFAULT 'localhost'::text,
	nodeport integer NOT NULL
		DEFAULT (pg_catalog.current_setting('port'::text))::integer,
	database text NOT NULL DEFAULT (pg_catalog.current_database())::text,
	username text NOT NULL DEFAULT (CURRENT_USER)::text,
	active boolean NOT NULL DEFAULT true,
	jobname text,
	kind text NOT NULL DEFAULT 'sql'::text,
	timezone text,
	catchup text NOT NULL DEFAULT 'latest'::text,
	catchup_window interval NOT NULL DEFAULT '1 hour'::interval,
	overlap text NOT NULL DEFAULT 'queue'::text,
	max_retries integer NOT NULL DEFAULT 0,
	retry_delay interval NOT NULL DEFAULT '1 minute'::interval,
	timeout interval,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	/* HTTP jobs (kind 'http') only */
	http_method text,
	http_url text,
	http_headers jsonb,
	http_body text,
	http_expect_status integer[],
	/*
	 * The owner's role OID, set by the guard from username: a role dropped
	 * and created again under the same name is another role, and neither
	 * sees nor runs the old one's jobs.
	 */
	roleid oid,
	/* who declares the job: cron.apply_jobs's source, or NULL (made one by one) */
	source text,
	/* watching the job (README "Watching cronext") */
	alert_url text,				/* called when a run fails; NULL: cron.default_alert_url */
	expect_success_within interval, /* the dead-man check; NULL: none */
	paused_at timestamptz,		/* paused by cron.pause() since then; NULL: not paused */
	CONSTRAINT job_pkey PRIMARY KEY (jobid),
	CONSTRAINT jobname_username_uniq UNIQUE (username, jobname),
	CONSTRAINT job_kind_check CHECK (kind OPERATOR(pg_catalog.=) ANY (ARRAY['sql'::text, 'http'::text])),
	CONSTRAINT job_catchup_check CHECK (catchup OPERATOR(pg_catalog.=) ANY (ARRAY['none'::text, 'latest'::text, 'all'::text])),
	CONSTRAINT job_overlap_check CHECK (overlap OPERATOR(pg_catalog.=) ANY (ARRAY['queue'::text, 'skip'::text, 'allow'::text])),
	CONSTRAINT job_max_retries_check CHECK (max_retries OPERATOR(pg_catalog.>=) 0)
);

ALTER SEQUENCE cron.jobid_seq OWNED BY cron.job.jobid;

/* cron.job_status and lookups by name alone (the unique index leads with username) */
CREATE INDEX job_jobname_idx ON cron.job (jobname);

COMMENT ON TABLE cron.job IS 'cronext: scheduled jobs, one row per job';

/* ----------------------------------------------------------------------
 * The ledger: one row per slot.  UNIQUE (jobid, scheduled_for) is what
 * makes a slot run at most once: the scheduler claims a slot by inserting
 * its row and commits before the run starts.
 * ---------------------------------------------------------------------- */

CREATE SEQUENCE cron.runid_seq;

CREATE TABLE cron.job_run_details (
	jobid bigint NOT NULL,
	runid bigint NOT NULL
		DEFAULT pg_catalog.nextval('cron.runid_seq'::pg_catalog.regclass),
	job_pid integer,
	database text,
	username text,
	command text,
	status text NOT NULL,
	return_message text,
	start_time timestamptz,
	end_time timestamptz,
	scheduled_for timestamptz NOT NULL,
	attempt integer NOT NULL DEFAULT 0,
	manual boolean NOT NULL DEFAULT false,
	http_status integer,
	response_body text,
	roleid oid,					/* the job owner's OID (see cron.job.roleid) */
	next_attempt_at timestamptz,	/* status starting: a retry waits until then */
	CONSTRAINT job_run_details_pkey PRIMARY KEY (runid),
	CONSTRAINT job_run_details_slot_uniq UNIQUE (jobid, scheduled_for),
	CONSTRAINT job_run_details_status_check CHECK (status OPERATOR(pg_catalog.=) ANY (ARRAY['starting'::text, 'running'::text, 'succeeded'::text, 'failed'::text, 'skipped'::text])),
	CONSTRAINT job_run_details_attempt_check CHECK (attempt OPERATOR(pg_catalog.>=) 0)
);

ALTER SEQUENCE cron.runid_seq OWNED BY cron.job_run_details.runid;

/* history retention finds old rows by slot */
CREATE INDEX job_run_details_scheduled_for_idx ON cron.job_run_details (scheduled_for);

/* runs still open: found at scheduler start (restart cleanup) and by views */
CREATE INDEX job_run_details_unfinished_idx ON cron.job_run_details (jobid)
	WHERE status OPERATOR(pg_catalog.=) ANY (ARRAY['starting'::text, 'running'::text]);

COMMENT ON TABLE cron.job_run_details IS 'cronext: the run ledger, one row per claimed slot';

/* pg_dump keeps the jobs and the history (they are user data) */
SELECT pg_catalog.pg_extension_config_dump('cron.job', '');
SELECT pg_catalog.pg_extension_config_dump('cron.jobid_seq', '');
SELECT pg_catalog.pg_extension_config_dump('cron.job_run_details', '');
SELECT pg_catalog.pg_extension_config_dump('cron.runid_seq', '');

/* ----------------------------------------------------------------------
 * C functions
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cron.next_runs(schedule text,
							   timezone text DEFAULT NULL,
							   after timestamptz DEFAULT pg_catalog.now(),
							   count integer DEFAULT 5)
RETURNS SETOF timestamptz
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'cron_next_runs';

COMMENT ON FUNCTION cron.next_runs(text, text, timestamptz, integer)
	IS 'the next count slots of a schedule strictly after after, in a time zone (NULL: cron.timezone)';

CREATE FUNCTION cron.check_schedule(schedule text, timezone text DEFAULT NULL)
RETURNS void
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'cron_check_schedule';

COMMENT ON FUNCTION cron.check_schedule(text, text)
	IS 'raises an error if the schedule or the time zone is invalid';

/* the first slot after an instant, or NULL (also for a schedule cronext refuses) */
CREATE FUNCTION cron._next_run(schedule text, timezone text, after timestamptz)
RETURNS timestamptz
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'cron_next_run';

/* raises 22023 unless url is an http or https URL an HTTP job may call */
CREATE FUNCTION cron._check_http_url(url text)
RETURNS void
LANGUAGE C STRICT STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'cron_check_http_url';

/* ----------------------------------------------------------------------
 * The guard trigger: every write to cron.job, through the API or not, is
 * validated here, so the table cannot hold a job the API would refuse
 * (src/api/job_guard.c: who may write, the schedule and time zone, the
 * options, who runs the job and where, the limits, the owner's OID, the
 * job id; src/api/job_guard_http.c: HTTP jobs and alert URLs).  In C
 * since 1.4, with the rules and errors of 1.3's PL/pgSQL version: it runs
 * once per row, and an INSERT of many jobs spent most of its time there.
 * ---------------------------------------------------------------------- */

CREATE FUNCTION cron.job_guard()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'cron_job_guard';

CREATE TRIGGER job_guard BEFORE INSERT OR UPDATE OR DELETE ON cron.job
	FOR EACH ROW EXECUTE FUNCTION cron.job_guard();

/* tells the scheduler, at commit, which jobs changed */
CREATE FUNCTION cron.job_changed()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'cron_job_changed';

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

CREATE TRIGGER job_changed AFTER INSERT OR UPDATE OR DELETE ON cron.job
	FOR EACH ROW EXECUTE FUNCTION cron.job_changed();
CREATE TRIGGER job_truncated AFTER TRUNCATE ON cron.job
	FOR EACH STATEMENT EXECUTE FUNCTION cron.job_cache_invalidate();

/*
 * Deleting history is allowed (pg_cron's way of pruning it), but never the
 * row of a run still in progress, whose outcome the scheduler has yet to
 * write, nor the newest row of an existing job, which is the proof of the
 * last slot it ran, nor its newest success, which the dead-man check
 * counts from.  Such rows are silently kept, so that
 * "DELETE FROM cron.job_run_details WHERE ..." prunes what it safely can.
 */
CREATE FUNCTION cron.job_run_details_guard()
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

/* ----------------------------------------------------------------------
 * Row-level security: a role sees and changes only its own jobs and runs;
 * superusers (and the extension's owner) see all.
 * ---------------------------------------------------------------------- */

ALTER TABLE cron.job ENABLE ROW LEVEL SECURITY;
/* the default collation, so that the (username, jobname) index serves */
CREATE POLICY job_owner ON cron.job
	USING (username OPERATOR(pg_catalog.=) ((CURRENT_USER)::text COLLATE pg_catalog."default")
		   AND roleid OPERATOR(pg_catalog.=) (SELECT r.oid FROM pg_catalog.pg_roles r
											  WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER))
	WITH CHECK (username OPERATOR(pg_catalog.=) ((CURRENT_USER)::text COLLATE pg_catalog."default")
				AND roleid OPERATOR(pg_catalog.=) (SELECT r.oid FROM pg_catalog.pg_roles r
												   WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER));

ALTER TABLE cron.job_run_details ENABLE ROW LEVEL SECURITY;
/* rows the scheduler did not write (restored, imported) may lack a roleid */
CREATE POLICY job_run_details_owner ON cron.job_run_details
	USING (username OPERATOR(pg_catalog.=) (CURRENT_USER)::text
		   AND (roleid IS NULL
				OR roleid OPERATOR(pg_catalog.=) (SELECT r.oid FROM pg_catalog.pg_roles r
												  WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER)));

/*
 * Roles with USAGE on schema cron (granted by an administrator) may manage
 * their own jobs directly or through the API.  Only the scheduler writes
 * the ledger: roles may read their own runs, but not delete or lock them,
 * since a row or table lock held on the ledger would stall the scheduler
 * for everybody.
 */
GRANT SELECT, INSERT, UPDATE, DELETE ON cron.job TO PUBLIC;
GRANT USAGE ON SEQUENCE cron.jobid_seq TO PUBLIC;
GRANT SELECT ON cron.job_run_details TO PUBLIC;

/* ----------------------------------------------------------------------
 * The SQL API (pg_cron 1.6 compatible, plus per-job options by name)
 * ---------------------------------------------------------------------- */

/*
 * Does a job with this id exist, whoever owns it?  Lets the API tell an
 * unknown job from another user's job, which RLS hides; it reveals nothing
 * but existence (job ids are sequential anyway).
 */
CREATE FUNCTION cron._job_exists(job_id bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	RETURN EXISTS (SELECT 1 FROM cron.job j
				   WHERE j.jobid OPERATOR(pg_catalog.=) job_id);
END
$function$;

CREATE TRIGGER job_run_details_guard BEFORE DELETE ON cron.job_run_details
	FOR EACH ROW EXECUTE FUNCTION cron.job_run_details_guard();
REVOKE EXECUTE ON FUNCTION cron.job_run_details_guard() FROM PUBLIC;

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

/* raise the error for a NULL argument that needs a value */
CREATE FUNCTION cron._require(value anyelement, name text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	IF value IS NULL THEN
		RAISE EXCEPTION '% must not be NULL', name
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
END
$function$;

/*
 * Change job p_jobid; NULL arguments leave a column unchanged and an empty
 * timezone resets it to cron.timezone.  p_kind 'sql' turns an HTTP job
 * back into a SQL job (its HTTP fields are cleared); an empty p_body clears
 * the body and an empty p_expect_status means any 2xx.  Returns false if
 * the caller cannot see the job.  Shared by cron.alter_job and the update
 * path of the scheduling functions.
 */
CREATE FUNCTION cron._update_job(p_jobid bigint, p_schedule text, p_command text,
								 p_database text, p_username text,
								 p_active boolean, p_timezone text,
								 p_catchup text, p_catchup_window interval,
								 p_overlap text, p_max_retries integer,
								 p_retry_delay interval, p_timeout interval,
								 p_kind text DEFAULT NULL,
								 p_method text DEFAULT NULL,
								 p_url text DEFAULT NULL,
								 p_headers jsonb DEFAULT NULL,
								 p_body text DEFAULT NULL,
								 p_expect_status integer[] DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
	to_sql boolean := p_kind IS NOT DISTINCT FROM 'sql';
BEGIN
	UPDATE cron.job j SET
		schedule = COALESCE(p_schedule, j.schedule),
		command = COALESCE(p_command, j.command),
		database = COALESCE(p_database, j.database),
		username = COALESCE(p_username, j.username),
		active = COALESCE(p_active, j.active),
		timezone = CASE WHEN p_timezone IS NULL THEN j.timezone
						WHEN p_timezone OPERATOR(pg_catalog.=) '' THEN NULL
						ELSE p_timezone END,
		catchup = COALESCE(p_catchup, j.catchup),
		catchup_window = COALESCE(p_catchup_window, j.catchup_window),
		overlap = COALESCE(p_overlap, j.overlap),
		max_retries = COALESCE(p_max_retries, j.max_retries),
		retry_delay = COALESCE(p_retry_delay, j.retry_delay),
		timeout = COALESCE(p_timeout, j.timeout),
		kind = COALESCE(p_kind, j.kind),
		http_method = CASE WHEN to_sql THEN NULL
						   ELSE COALESCE(p_method, j.http_method) END,
		http_url = CASE WHEN to_sql THEN NULL
						ELSE COALESCE(p_url, j.http_url) END,
		http_headers = CASE WHEN to_sql THEN NULL
							ELSE COALESCE(p_headers, j.http_headers) END,
		http_body = CASE WHEN to_sql THEN NULL
						 WHEN p_body IS NULL THEN j.http_body
						 ELSE NULLIF(p_body, '') END,
		http_expect_status = CASE WHEN to_sql THEN NULL
								  ELSE COALESCE(p_expect_status, j.http_expect_status) END
	WHERE j.jobid OPERATOR(pg_catalog.=) p_jobid;
	RETURN FOUND;
END
$function$;

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
CREATE FUNCTION cron._save_job(p_jobname text, p_schedule text, p_command text,
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

/* cron.schedule(schedule, command): an unnamed job for the caller */
CREATE FUNCTION cron.schedule(schedule text, command text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
	v_jobid bigint;
BEGIN
	PERFORM cron._require($1, 'schedule');
	PERFORM cron._require($2, 'command');
	INSERT INTO cron.job (schedule, command) VALUES ($1, $2)
	RETURNING jobid INTO v_jobid;
	RETURN v_jobid;
END
$function$;

COMMENT ON FUNCTION cron.schedule(text, text)
	IS 'schedule an unnamed job in the current database; returns its jobid';

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
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	RETURN cron._save_job($1, $2, $3, (pg_catalog.current_database())::text,
						  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
END
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
 * cron.schedule_http: call an HTTP endpoint on a schedule.  Creating or
 * changing HTTP jobs is its own privilege (EXECUTE is revoked from PUBLIC
 * below; the guard trigger applies the same check to direct writes).  As
 * for every schedule function, a call declares the whole job: options not
 * given take their defaults (see cron._save_job).
 */
CREATE FUNCTION cron.schedule_http(job_name text, schedule text, url text,
								   method text DEFAULT 'GET',
								   headers jsonb DEFAULT '{}',
								   body text DEFAULT NULL,
								   timeout interval DEFAULT '30 seconds',
								   expect_status integer[] DEFAULT NULL,
								   timezone text DEFAULT NULL,
								   catchup text DEFAULT NULL,
								   catchup_window interval DEFAULT NULL,
								   overlap text DEFAULT NULL,
								   max_retries integer DEFAULT NULL,
								   retry_delay interval DEFAULT NULL,
								   active boolean DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	PERFORM cron._require($3, 'url');
	PERFORM cron._require($4, 'method');
	RETURN cron._save_job($1, $2, NULL, (pg_catalog.current_database())::text,
						  NULL, $15, $9, $10, $11, $12, $13, $14,
						  COALESCE($7, '0'::interval),
						  'http', pg_catalog.upper($4), $3,
						  COALESCE($5, '{}'::jsonb), COALESCE($6, ''),
						  COALESCE($8, '{}'::integer[]));
END
$function$;

REVOKE EXECUTE ON FUNCTION cron.schedule_http(text, text, text, text, jsonb, text, interval, integer[], text, text, interval, text, integer, interval, boolean) FROM PUBLIC;

/*
 * May this role create or change HTTP jobs?  The one definition of the
 * HTTP privilege, used by the guard trigger on writes and by the HTTP
 * worker before each request.
 */
CREATE FUNCTION cron._http_allowed(role_name name)
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

COMMENT ON FUNCTION cron.schedule_http(text, text, text, text, jsonb, text, interval, integer[], text, text, interval, text, integer, interval, boolean)
	IS 'call an HTTP endpoint on a schedule, or update the caller''s job of that name; returns its jobid';

/*
 * cron.schedule_at: a one-off job.  Its schedule is the instant in UTC
 * ('@at 2026-11-21 12:00:00+00', whole seconds); it runs once, and the
 * scheduler then marks it inactive.  Scheduling the same name again sets a
 * new instant and makes it active again.
 */
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

CREATE FUNCTION cron.schedule_at(job_name text, run_at timestamptz, command text,
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

COMMENT ON FUNCTION cron.schedule_at(text, timestamptz, text, text, interval, integer, interval, interval)
	IS 'run a command once at an instant, or move the caller''s one-off job of that name; returns its jobid';

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

COMMENT ON FUNCTION cron.apply_jobs(text, jsonb)
	IS 'make the caller''s jobs of a source exactly the ones declared (created, updated in place, removed); returns what changed';

/* raise the right error for a job id the caller cannot see */
CREATE FUNCTION cron._job_not_found(job_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	IF cron._job_exists(job_id) THEN
		RAISE EXCEPTION 'job % belongs to another role', job_id
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the job''s owner or a superuser can change it.';
	END IF;
	RAISE EXCEPTION 'job % does not exist', job_id
		USING ERRCODE = 'undefined_object';
END
$function$;

CREATE FUNCTION cron.unschedule(job_id bigint)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	PERFORM cron._require($1, 'job_id');
	DELETE FROM cron.job j WHERE j.jobid OPERATOR(pg_catalog.=) $1;
	IF NOT FOUND THEN
		PERFORM cron._job_not_found($1);
	END IF;
	RETURN true;
END
$function$;

CREATE FUNCTION cron.unschedule(job_name text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
	PERFORM cron._require($1, 'job_name');
	DELETE FROM cron.job j
	WHERE j.jobname OPERATOR(pg_catalog.=) ($1 COLLATE pg_catalog."default")
	  AND j.username OPERATOR(pg_catalog.=) ((CURRENT_USER)::text COLLATE pg_catalog."default");
	IF NOT FOUND THEN
		RAISE EXCEPTION 'job "%" does not exist', $1
			USING ERRCODE = 'undefined_object',
				  DETAIL = pg_catalog.format('Role %s has no job of that name.', CURRENT_USER);
	END IF;
	RETURN true;
END
$function$;

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

/* run a job now, as a manual slot of its own; returns the runid */
CREATE FUNCTION cron.run_job(job_id bigint)
RETURNS bigint
LANGUAGE C
AS 'MODULE_PATHNAME', 'cron_run_job';

CREATE FUNCTION cron.run_job(job_name text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
	v_jobid bigint;
BEGIN
	PERFORM cron._require($1, 'job_name');
	SELECT j.jobid INTO v_jobid FROM cron.job j
	WHERE j.jobname OPERATOR(pg_catalog.=) ($1 COLLATE pg_catalog."default")
	  AND j.username OPERATOR(pg_catalog.=) ((CURRENT_USER)::text COLLATE pg_catalog."default");
	IF NOT FOUND THEN
		RAISE EXCEPTION 'job "%" does not exist', $1
			USING ERRCODE = 'undefined_object',
				  DETAIL = pg_catalog.format('Role %s has no job of that name.', CURRENT_USER);
	END IF;
	RETURN cron.run_job(v_jobid);
END
$function$;

/*
 * What runs next and what failed, one row per job the caller can see (the
 * view runs with the caller's rights, so row-level security applies).
 * Every figure comes from an index scan on (jobid, scheduled_for), and
 * next_run from the scheduler's own slot code.
 */
/*
 * The guarantee of a job: 'exactly-once' for a SQL job in this database
 * whose command runs in one transaction (its outcome commits with it),
 * 'at-most-once' otherwise.  See README "Delivery guarantees".
 */
CREATE FUNCTION cron._delivery(kind text, command text, database text)
RETURNS text
LANGUAGE C STABLE
AS 'MODULE_PATHNAME', 'cron_delivery_sql';

CREATE VIEW cron.job_status WITH (security_invoker = true) AS
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

GRANT SELECT ON cron.job_status TO PUBLIC;

/* stop a run in progress; it ends as failed, saying it was cancelled */
CREATE FUNCTION cron.cancel_run(runid bigint)
RETURNS boolean
LANGUAGE C
AS 'MODULE_PATHNAME', 'cron_cancel_run';

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

/* ----------------------------------------------------------------------
 * Taking over from pg_cron, second half: load what the first half copied
 * aside.
 *
 * Jobs keep their jobid, name, schedule, command, database, owner and
 * active flag; cronext's options take their defaults.  They are written
 * with the guard trigger off, so that a job pg_cron kept (its role since
 * dropped, its database gone, a schedule cronext reads differently) is
 * kept too: it is listed in the NOTICE, and the scheduler reports and
 * skips it until it is changed.  created_at is now: a taken-over job runs
 * from its next slot, and slots missed while the server switched are not
 * caught up.
 *
 * Runs keep their runid, times, status and message; their slot is derived
 * and runs in flight under pg_cron end as failed, by the trigger that
 * adopts pg_cron's runs (cron.job_run_details_adopt, above), in runid
 * order.
 *
 * Privileges: every function with pg_cron's name and argument types gets
 * pg_cron's privileges exactly (a REVOKE on cron.schedule stays revoked).
 * Tables and sequences keep cronext's own grants, which its API needs,
 * plus every grant pg_cron's had beyond pg_cron's defaults; a default that
 * was revoked from PUBLIC on a table is revoked here too.  pg_cron's
 * default DELETE on cron.job_run_details is not carried over (cronext
 * prunes history itself; see cron.history_retention).  Schema cron itself
 * was kept, with its privileges.
 * ---------------------------------------------------------------------- */
DO $takeover$
DECLARE
	v_state record;
	v_acl record;
	v_jobs bigint;
	v_runs bigint;
	v_inflight bigint;
	v_invalid text := '';
	v_job record;
	v_grant record;
	v_retention bigint;
	v_old bigint := 0;
	v_detail text;
	v_skipped text;
	v_refused text;
	v_ready boolean;
	v_role text;
	v_srr text;
	v_cmm text;
	v_progress boolean;
BEGIN
	/*
	 * Only copies this script made, members of cronext: nothing could be
	 * planted under that name (the first half would have failed to create
	 * it, and an adopted schema must be empty).
	 */
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
				   JOIN pg_catalog.pg_depend d
					 ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
					AND d.objid OPERATOR(pg_catalog.=) c.oid
					AND d.deptype OPERATOR(pg_catalog.=) 'e'
					AND d.refobjid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
														   WHERE e.extname OPERATOR(pg_catalog.=) 'cronext')
				   WHERE c.relnamespace OPERATOR(pg_catalog.=) 'cron'::pg_catalog.regnamespace
					 AND c.relname OPERATOR(pg_catalog.=) '_takeover_state') THEN
		RETURN;
	END IF;
	SELECT * INTO v_state FROM cron._takeover_state;

	v_srr := pg_catalog.current_setting('session_replication_role');
	SET LOCAL session_replication_role = replica;	/* jobs as they are: no guard */

	INSERT INTO cron.job (jobid, schedule, command, nodename, nodeport,
						  database, username, active, jobname, roleid)
	SELECT t.jobid, t.schedule, t.command, t.nodename, t.nodeport,
		   t.database, t.username, t.active, t.jobname,
		   (SELECT r.oid FROM pg_catalog.pg_roles r
			WHERE r.rolname OPERATOR(pg_catalog.=) t.username::pg_catalog.name)
	FROM cron._takeover_job t;
	GET DIAGNOSTICS v_jobs = ROW_COUNT;

	PERFORM pg_catalog.set_config('session_replication_role', v_srr, true);

	/* runs through cron.job_run_details_adopt(), which derives their slot */
	INSERT INTO cron.job_run_details (jobid, runid, job_pid, database, username,
									  command, status, return_message,
									  start_time, end_time, roleid)
	SELECT r.jobid, r.runid, r.job_pid, r.database, r.username, r.command,
		   r.status, r.return_message, r.start_time, r.end_time,
		   (SELECT o.oid FROM pg_catalog.pg_roles o
			WHERE o.rolname OPERATOR(pg_catalog.=) r.username::pg_catalog.name)
	FROM cron._takeover_run r
	ORDER BY r.runid;
	GET DIAGNOSTICS v_runs = ROW_COUNT;
	SELECT pg_catalog.count(*) INTO v_inflight FROM cron._takeover_run r
	WHERE r.status IS NULL
	   OR r.status OPERATOR(pg_catalog.<>) ALL (ARRAY['succeeded'::text, 'failed'::text]);


	/* the sequences go on after the highest id pg_cron gave or used */
	PERFORM pg_catalog.setval('cron.jobid_seq',
		GREATEST(v_state.jobid_next, (SELECT pg_catalog.max(j.jobid) OPERATOR(pg_catalog.+) 1 FROM cron.job j), 1),
		false);
	PERFORM pg_catalog.setval('cron.runid_seq',
		GREATEST(v_state.runid_next, (SELECT pg_catalog.max(d.runid) OPERATOR(pg_catalog.+) 1 FROM cron.job_run_details d), 1),
		false);

	/* jobs the scheduler will report and skip until they are changed */
	FOR v_job IN SELECT j.jobid, j.schedule FROM cron.job j ORDER BY j.jobid LOOP
		BEGIN
			PERFORM cron.check_schedule(v_job.schedule, NULL);
		EXCEPTION WHEN invalid_parameter_value THEN
			v_invalid := v_invalid OPERATOR(pg_catalog.||)
				pg_catalog.format(' job %s (schedule %L);', v_job.jobid, v_job.schedule);
		END;
	END LOOP;
	FOR v_job IN SELECT j.jobid, j.username FROM cron.job j
				 WHERE j.roleid IS NULL ORDER BY j.jobid LOOP
		v_invalid := v_invalid OPERATOR(pg_catalog.||)
			pg_catalog.format(' job %s (role %I does not exist);', v_job.jobid, v_job.username);
	END LOOP;
	FOR v_job IN SELECT j.jobid, j.database FROM cron.job j
				 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_database d
								   WHERE d.datname OPERATOR(pg_catalog.=) j.database::pg_catalog.name)
				 ORDER BY j.jobid LOOP
		v_invalid := v_invalid OPERATOR(pg_catalog.||)
			pg_catalog.format(' job %s (database %I does not exist);', v_job.jobid, v_job.database);
	END LOOP;

	/* history the scheduler will prune at once: pg_cron kept it all */
	SELECT s.setting::pg_catalog.int8 INTO v_retention FROM pg_catalog.pg_settings s
	WHERE s.name OPERATOR(pg_catalog.=) 'cron.history_retention';
	IF v_retention OPERATOR(pg_catalog.>) 0 THEN
		/* what retention will delete: not a job's newest run nor its newest success */
		SELECT pg_catalog.count(*) INTO v_old FROM cron.job_run_details d
		WHERE d.scheduled_for OPERATOR(pg_catalog.<)
			  (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => v_retention))
		  AND NOT (EXISTS (SELECT 1 FROM cron.job j WHERE j.jobid OPERATOR(pg_catalog.=) d.jobid)
				   AND (NOT EXISTS (SELECT 1 FROM cron.job_run_details n
									WHERE n.jobid OPERATOR(pg_catalog.=) d.jobid
									  AND n.scheduled_for OPERATOR(pg_catalog.>) d.scheduled_for)
						OR (d.status OPERATOR(pg_catalog.=) 'succeeded'
							AND NOT EXISTS (SELECT 1 FROM cron.job_run_details n
											WHERE n.jobid OPERATOR(pg_catalog.=) d.jobid
											  AND n.status OPERATOR(pg_catalog.=) 'succeeded'
											  AND n.scheduled_for OPERATOR(pg_catalog.>) d.scheduled_for))));
	END IF;

	/*
	 * Privileges.  PostgreSQL records what an extension script grants as
	 * the extension's initial privileges (pg_init_privs), which pg_dump
	 * leaves out; so those of a fresh install are kept aside here and put
	 * back afterwards, for the privileges carried over from pg_cron to be
	 * dumped like any a DBA grants.
	 */
	CREATE TABLE cron._takeover_init AS
		SELECT i.* FROM pg_catalog.pg_init_privs i
		JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) i.classoid
		 AND d.objid OPERATOR(pg_catalog.=) i.objoid
		 AND d.deptype OPERATOR(pg_catalog.=) 'e'
		 AND d.refobjid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
												WHERE e.extname OPERATOR(pg_catalog.=) 'cronext');

	/* functions: pg_cron's privileges exactly, on the same signatures */
	FOR v_acl IN SELECT a.* FROM cron._takeover_acl a
				 WHERE a.kind OPERATOR(pg_catalog.=) 'f'
				   AND a.name OPERATOR(pg_catalog.<>) 'job_cache_invalidate'
				   AND pg_catalog.to_regprocedure(pg_catalog.format('cron.%I(%s)', a.name, a.args)) IS NOT NULL LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION cron.%I(%s) FROM PUBLIC', v_acl.name, v_acl.args);
	END LOOP;
	/*
	 * pg_cron's default SELECT on its history, if a DBA had revoked it.
	 * The same on cron.job is not carried over: cronext's functions run
	 * with the caller's rights and read it (row-level security shows each
	 * role only its own jobs); the NOTICE says so.
	 */
	IF NOT EXISTS (SELECT 1 FROM cron._takeover_acl a,
						  pg_catalog.aclexplode(COALESCE(a.acl, pg_catalog.acldefault('r', a.owner))) x
				   WHERE a.kind OPERATOR(pg_catalog.=) 'r'
					 AND a.name OPERATOR(pg_catalog.=) 'job_run_details'
					 AND x.grantee OPERATOR(pg_catalog.=) 0
					 AND x.privilege_type OPERATOR(pg_catalog.=) 'SELECT') THEN
		REVOKE SELECT ON cron.job_run_details FROM PUBLIC;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM cron._takeover_acl a,
						  pg_catalog.aclexplode(COALESCE(a.acl, pg_catalog.acldefault('r', a.owner))) x
				   WHERE a.kind OPERATOR(pg_catalog.=) 'r'
					 AND a.name OPERATOR(pg_catalog.=) 'job'
					 AND x.grantee OPERATOR(pg_catalog.=) 0
					 AND x.privilege_type OPERATOR(pg_catalog.=) 'SELECT') THEN
		v_skipped := 'the REVOKE of SELECT on cron.job from PUBLIC (cronext''s functions read it as their caller)';
	END IF;

	/*
	 * The grants: every one on a function; on tables and sequences those
	 * beyond pg_cron's defaults; on columns all; but only privileges that
	 * keep the ledger the scheduler's: reading it, and on cron.job what the
	 * guard checks (not TRUNCATE, TRIGGER or REFERENCES, which would let a
	 * role empty, hook or lock it for everybody), on the sequences reading
	 * and drawing (not setting).  Each is made by its grantor, so that a
	 * chain of WITH GRANT OPTION stays a chain (REVOKE ... CASCADE still
	 * reaches the end of it); a grant by pg_cron's owner is made by
	 * cronext's.  A grantor's grants wait until the grantor holds the grant
	 * option, hence the rounds.
	 */
	CREATE TABLE cron._takeover_grant AS
		SELECT pg_catalog.format('GRANT %s%s ON %s %s TO %s%s',
				   x.privilege_type,
				   CASE WHEN a.kind OPERATOR(pg_catalog.=) 'c' THEN pg_catalog.format(' (%I)', a.args) ELSE '' END,
				   CASE a.kind WHEN 'f' THEN 'FUNCTION' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
				   t.target,
				   CASE WHEN x.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
						ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(x.grantee)) END,
				   CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) AS stmt,
			   /* does the grantor hold the grant option yet? */
			   CASE WHEN x.grantor OPERATOR(pg_catalog.=) a.owner THEN NULL
					ELSE pg_catalog.format(CASE a.kind
						WHEN 'f' THEN 'SELECT pg_catalog.has_function_privilege(%L, %L, %L)'
						WHEN 'S' THEN 'SELECT pg_catalog.has_sequence_privilege(%L, %L, %L)'
						WHEN 'c' THEN 'SELECT pg_catalog.has_column_privilege(%L, %L, %L, %L)'
						ELSE 'SELECT pg_catalog.has_table_privilege(%L, %L, %L)' END,
						VARIADIC CASE WHEN a.kind OPERATOR(pg_catalog.=) 'c'
							THEN ARRAY[x.grantor::pg_catalog.regrole::text, t.target, a.args,
									   x.privilege_type OPERATOR(pg_catalog.||) ' WITH GRANT OPTION']
							ELSE ARRAY[x.grantor::pg_catalog.regrole::text, t.target,
									   x.privilege_type OPERATOR(pg_catalog.||) ' WITH GRANT OPTION'] END) END AS ready,
			   CASE WHEN x.grantor OPERATOR(pg_catalog.=) a.owner THEN NULL
					ELSE pg_catalog.pg_get_userbyid(x.grantor) END AS grantor,
			   CASE a.kind
				   WHEN 'f' THEN true
				   WHEN 'S' THEN x.privilege_type OPERATOR(pg_catalog.=) ANY (ARRAY['SELECT', 'USAGE'])
				   ELSE x.privilege_type OPERATOR(pg_catalog.=) ANY (
					   CASE WHEN a.name OPERATOR(pg_catalog.=) 'job'
							THEN ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']
							ELSE ARRAY['SELECT'] END)
			   END AS carried,
			   false AS done
		FROM cron._takeover_acl a
		CROSS JOIN LATERAL (SELECT CASE WHEN a.kind OPERATOR(pg_catalog.=) 'f'
										THEN pg_catalog.format('cron.%I(%s)', a.name, a.args)
										ELSE pg_catalog.format('cron.%I', a.name) END AS target) t
		CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(a.acl, pg_catalog.acldefault(
				 CASE WHEN a.kind OPERATOR(pg_catalog.=) 'c' THEN 'r' ELSE a.kind END::"char", a.owner))) x
		WHERE x.grantee OPERATOR(pg_catalog.<>) a.owner
		  AND CASE a.kind
				WHEN 'f' THEN a.name OPERATOR(pg_catalog.<>) 'job_cache_invalidate'
					AND pg_catalog.to_regprocedure(t.target) IS NOT NULL
				WHEN 'c' THEN EXISTS (SELECT 1 FROM pg_catalog.pg_attribute y
									  WHERE y.attrelid OPERATOR(pg_catalog.=) t.target::pg_catalog.regclass
										AND y.attname OPERATOR(pg_catalog.=) a.args::pg_catalog.name
										AND NOT y.attisdropped)
				ELSE NOT (x.grantee OPERATOR(pg_catalog.=) 0 AND
						  (a.name, x.privilege_type) IN (('job', 'SELECT'), ('job_run_details', 'SELECT'),
														 ('job_run_details', 'DELETE'),
														 ('jobid_seq', 'SELECT'), ('runid_seq', 'SELECT')))
			  END;
	SELECT pg_catalog.string_agg(pg_catalog.substr(g.stmt, 7), '; ' ORDER BY g.stmt) INTO v_refused
	FROM cron._takeover_grant g WHERE NOT g.carried;
	v_skipped := NULLIF(pg_catalog.concat_ws('; ', v_skipped, v_refused), '');

	v_role := pg_catalog.current_setting('role');
	LOOP
		v_progress := false;
		FOR v_grant IN SELECT g.ctid, g.* FROM cron._takeover_grant g
					   WHERE g.carried AND NOT g.done LOOP
			IF v_grant.grantor IS NOT NULL THEN
				EXECUTE v_grant.ready INTO v_ready;
				CONTINUE WHEN NOT v_ready;	/* a later round, or never */
				BEGIN
					EXECUTE pg_catalog.format('SET LOCAL ROLE %I', v_grant.grantor);
					EXECUTE v_grant.stmt;
					PERFORM pg_catalog.set_config('role', v_role, true);
				EXCEPTION WHEN insufficient_privilege THEN
					/* e.g. no USAGE on schema cron: cronext's owner grants it */
					EXECUTE v_grant.stmt;
				END;
			ELSE
				EXECUTE v_grant.stmt;
			END IF;
			UPDATE cron._takeover_grant g SET done = true WHERE g.ctid OPERATOR(pg_catalog.=) v_grant.ctid;
			v_progress := true;
		END LOOP;
		EXIT WHEN NOT v_progress;
	END LOOP;
	/* a grantor that never held the grant option: the grant is cronext's owner's */
	FOR v_grant IN SELECT g.* FROM cron._takeover_grant g WHERE g.carried AND NOT g.done LOOP
		EXECUTE v_grant.stmt;
	END LOOP;

	/* the initial privileges of a fresh install; schema cron had none */
	DELETE FROM pg_catalog.pg_init_privs i
	USING pg_catalog.pg_depend d
	WHERE d.classid OPERATOR(pg_catalog.=) i.classoid
	  AND d.objid OPERATOR(pg_catalog.=) i.objoid
	  AND d.deptype OPERATOR(pg_catalog.=) 'e'
	  AND d.refobjid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
											 WHERE e.extname OPERATOR(pg_catalog.=) 'cronext');
	INSERT INTO pg_catalog.pg_init_privs SELECT * FROM cron._takeover_init;
	DELETE FROM pg_catalog.pg_init_privs i
	WHERE i.classoid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
	  AND i.objoid OPERATOR(pg_catalog.=) 'cron'::pg_catalog.regnamespace;

	DROP TABLE cron._takeover_job, cron._takeover_run, cron._takeover_state, cron._takeover_acl,
		cron._takeover_init, cron._takeover_grant;

	/* extension scripts run with client_min_messages at warning or above */
	v_cmm := pg_catalog.current_setting('client_min_messages');
	PERFORM pg_catalog.set_config('client_min_messages', 'notice', true);

	v_detail := 'pg_cron''s extension was dropped; its jobs run under cronext from their next slot.';
	IF v_invalid OPERATOR(pg_catalog.<>) '' THEN
		v_detail := v_detail OPERATOR(pg_catalog.||)
			' Not scheduled until changed (cron.alter_job):' OPERATOR(pg_catalog.||)
			pg_catalog.rtrim(v_invalid, ';') OPERATOR(pg_catalog.||) '.';
	END IF;
	IF v_old OPERATOR(pg_catalog.>) 0 THEN
		v_detail := v_detail OPERATOR(pg_catalog.||) pg_catalog.format(
			' %s of the runs are older than cron.history_retention (%s) and will be deleted by the scheduler (each job keeps its newest run and its newest success); set cron.history_retention = 0 and reload to keep them.',
			v_old, pg_catalog.current_setting('cron.history_retention'));
	END IF;
	IF v_skipped IS NOT NULL THEN
		v_detail := v_detail OPERATOR(pg_catalog.||) pg_catalog.format(
			' Not carried over, since they would let a role empty, hook, lock or rewrite the ledger for everybody: %s.',
			v_skipped);
	END IF;
	IF v_state.dropped IS NOT NULL THEN
		v_detail := v_detail OPERATOR(pg_catalog.||) pg_catalog.format(
			' Dropped with pg_cron''s tables: %s; create them again on cronext''s tables if they are still needed.',
			v_state.dropped);
	END IF;
	RAISE NOTICE 'cronext took over pg_cron %: % job%, % run% of history (% in flight, now failed)',
		v_state.version, v_jobs, CASE WHEN v_jobs OPERATOR(pg_catalog.=) 1 THEN '' ELSE 's' END,
		v_runs, CASE WHEN v_runs OPERATOR(pg_catalog.=) 1 THEN '' ELSE 's' END, v_inflight
		USING DETAIL = v_detail;
	PERFORM pg_catalog.set_config('client_min_messages', v_cmm, true);
END
$takeover$;

/*
 * A member of cron.creator_role who creates the extension (it is trusted:
 * its objects belong to the bootstrap superuser) may use it: USAGE on
 * schema cron, as a superuser would grant it.  HTTP jobs stay a superuser's
 * grant (EXECUTE on cron.schedule_http).
 */
DO $creator$
DECLARE
	v_owner record;
BEGIN
	SELECT r.rolname, r.rolsuper INTO v_owner
	FROM pg_catalog.pg_extension e
	JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) e.extowner
	WHERE e.extname OPERATOR(pg_catalog.=) 'cronext';
	IF NOT v_owner.rolsuper THEN
		EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA cron TO %I', v_owner.rolname);
	END IF;
END
$creator$;

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
