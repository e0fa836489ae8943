/*-------------------------------------------------------------------------
 *
 * cronext.c
 *	  Module entry point: refuses to load outside shared_preload_libraries,
 *	  defines the settings, reserves shared memory, installs the hooks and
 *	  registers the launcher background worker.
 *
 * Settings keep pg_cron's names and defaults so that an existing
 * postgresql.conf works unchanged.  The "cron" prefix is reserved, so a
 * misspelt cron.* setting is reported and pg_cron cannot be loaded beside
 * cronext.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/guc.h"

#include "cronext.h"
#include "db_events.h"
#include "error_context.h"
#include "http_check.h"
#include "lock_guard.h"
#include "schedule_pg.h"
#include "shared.h"

PG_MODULE_MAGIC;


void		_PG_init(void);

/* the levels of log_min_messages, whose own list guc.c keeps static */
static const struct config_enum_entry log_level_options[] = {
	{"debug5", DEBUG5, false},
	{"debug4", DEBUG4, false},
	{"debug3", DEBUG3, false},
	{"debug2", DEBUG2, false},
	{"debug1", DEBUG1, false},
	{"debug", DEBUG2, true},
	{"info", INFO, false},
	{"notice", NOTICE, false},
	{"warning", WARNING, false},
	{"error", ERROR, false},
	{"log", LOG, false},
	{"fatal", FATAL, false},
	{"panic", PANIC, false},
	{NULL, 0, false}
};

/*
 * cron.timezone must be a zone PostgreSQL would take for its own TimeZone
 * setting (a POSIX specification too, unlike a job's zone; no leap-second
 * zone)
 */
static bool
check_cron_timezone(char **newval, void **extra, GucSource source)
{
	if (!cron_tz_setting_is_valid(*newval))
	{
		GUC_check_errdetail("\"%s\" is not a time zone PostgreSQL accepts.",
							*newval ? *newval : "");
		GUC_check_errhint("Use a name from pg_timezone_names, e.g. 'America/New_York' or 'GMT'.");
		return false;
	}
	return true;
}

/* cron.default_alert_url: empty (no alerts), or a URL an HTTP job could call */
static bool
check_default_alert_url(char **newval, void **extra, GucSource source)
{
	const char *hint;
	bool		show_url;
	const char *problem;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	problem = cron_http_url_problem(*newval, &hint, &show_url);
	if (problem)
	{
		GUC_check_errdetail("%s", problem);
		if (hint)
			GUC_check_errhint("%s", hint);
		return false;
	}
	return true;
}

/*
 * The launcher: one per cluster, started once recovery is over (so nothing
 * runs on a hot standby, and everything starts at promotion), restarted if
 * it dies.  It starts a scheduler for each database with cronext.
 */
static void
register_launcher(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 1;
	strlcpy(worker.bgw_library_name, "cronext", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "cron_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "cronext launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "cronext launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

void
_PG_init(void)
{
	/*
	 * The scheduler is a background worker registered at server start, and
	 * the settings are read by it, so loading the library any other way
	 * (CREATE EXTENSION without preloading, LOAD) cannot work.
	 */
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cronext can only be loaded via shared_preload_libraries"),
				 errhint("Add cronext to shared_preload_libraries in postgresql.conf and restart the server.")));

	DefineCustomStringVariable("cron.database_name",
							   "Database in which cronext keeps its job table and ledger.",
							   NULL,
							   &cronext_database_name,
							   "postgres",
							   PGC_POSTMASTER,
							   GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("cron.timezone",
							   "Time zone of jobs that do not name their own.",
							   NULL,
							   &cronext_timezone,
							   "GMT",
							   PGC_SIGHUP,
							   0,
							   check_cron_timezone, NULL, NULL);

	DefineCustomIntVariable("cron.max_running_jobs",
							"Maximum number of job runs in progress at once.",
							NULL,
							&cronext_max_running_jobs,
							32,
							1, 10000,
							PGC_POSTMASTER,
							0,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("cron.log_run",
							 "Record each run in cron.job_run_details.",
							 NULL,
							 &cronext_log_run,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("cron.log_statement",
							 "Write each job's command to the server log before running it.",
							 NULL,
							 &cronext_log_statement,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("cron.enable_superuser_jobs",
							 "Allow jobs that run as a superuser.",
							 NULL,
							 &cronext_enable_superuser_jobs,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("cron.launch_active_jobs",
							 "Launch active jobs; off pauses all scheduled runs.",
							 NULL,
							 &cronext_launch_active_jobs,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("cron.use_background_workers",
							 "Accepted for compatibility with pg_cron; cronext always runs jobs in background workers.",
							 NULL,
							 &cronext_use_background_workers,
							 false,
							 PGC_POSTMASTER,
							 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("cron.host",
							   "Accepted for compatibility with pg_cron; cronext does not connect over libpq.",
							   NULL,
							   &cronext_host,
							   "localhost",
							   PGC_POSTMASTER,
							   GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("cron.history_retention",
							"How long rows stay in cron.job_run_details; 0 keeps them all.",
							"A running run's row and the newest row of each job are always kept.",
							&cronext_history_retention,
							30 * 24 * 3600,
							0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cron.http_max_connections",
							"Most HTTP job requests in flight at once.",
							"Further due HTTP runs wait for a request to end; SQL jobs are not affected.",
							&cronext_http_max_connections,
							64,
							1, 1000,
							PGC_POSTMASTER,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cron.http_max_response_bytes",
							"Most bytes of an HTTP response body kept in cron.job_run_details.",
							"Reading stops there; the run's message says the body was truncated.",
							&cronext_http_max_response_bytes,
							64 * 1024,
							0, 16 * 1024 * 1024,
							PGC_POSTMASTER,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cron.max_running_jobs_per_role",
							"Most SQL runs of one role in progress at once.",
							"Runs past it wait, so one role cannot take every worker; waiting runs are served round-robin across roles.",
							&cronext_max_running_jobs_per_role,
							16,
							1, 10000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cron.http_max_connections_per_role",
							"Most HTTP requests of one role in flight at once.",
							"Requests past it wait, so one role cannot take every connection; waiting requests are served round-robin across roles.",
							&cronext_http_max_connections_per_role,
							16,
							1, 1000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cron.http_max_timeout",
							"Longest an HTTP request may take, whatever its job's timeout says.",
							"Also the limit of HTTP jobs without a timeout.",
							&cronext_http_max_timeout,
							10 * 60,
							1, 24 * 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cron.max_jobs_per_role",
							"Most jobs one role may own; 0 means no limit.",
							"Checked when a job is created or given to another role; superusers are not limited.",
							&cronext_max_jobs_per_role,
							1000,
							0, INT_MAX,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("cron.max_command_bytes",
							"Longest command, HTTP URL, headers or body a job may have.",
							"Superusers are not limited.",
							&cronext_max_command_bytes,
							1024 * 1024,
							1024, 64 * 1024 * 1024,
							PGC_SIGHUP,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomEnumVariable("cron.log_min_messages",
							 "Least severe message the scheduler and the HTTP worker log.",
							 "As log_min_messages, for cronext's own processes only.",
							 &cronext_log_min_messages,
							 WARNING,
							 log_level_options,
							 PGC_SIGHUP,
							 GUC_SUPERUSER_ONLY,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("cron.max_databases",
							"Most databases that can have cronext at once.",
							"Each has its own scheduler process; see max_worker_processes.",
							&cronext_max_databases,
							100,
							1, 10000,
							PGC_POSTMASTER,
							0,
							NULL, NULL, NULL);

	DefineCustomStringVariable("cron.creator_role",
							   "Role whose members may create the cronext extension.",
							   "Empty: superusers only.  A member also needs CREATE on the database.",
							   &cronext_creator_role,
							   "",
							   PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("cron.default_alert_url",
							   "Where the alerts of jobs without their own alert_url are sent.",
							   "Empty: only jobs with an alert_url send alerts.",
							   &cronext_default_alert_url,
							   "",
							   PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY,
							   check_default_alert_url, NULL, NULL);

	/*
	 * A SQL job's run, as its command sees it: set by the job worker for
	 * each run, empty elsewhere.  Superuser-settable only, so that a
	 * command cannot pass itself off as another run.
	 */
	DefineCustomStringVariable("cron.job_id",
							   "The jobid of the job whose command is running (in a job's run only).",
							   NULL, &cronext_run_job_id, "",
							   PGC_SUSET, GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("cron.run_id",
							   "The runid of the run in progress (in a job's run only).",
							   NULL, &cronext_run_run_id, "",
							   PGC_SUSET, GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("cron.scheduled_for",
							   "The slot of the run in progress, as timestamptz text (in a job's run only).",
							   NULL, &cronext_run_scheduled_for, "",
							   PGC_SUSET, GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("cron.attempt",
							   "The attempt of the run in progress: 1, then 2... (in a job's run only).",
							   NULL, &cronext_run_attempt, "",
							   PGC_SUSET, GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							   NULL, NULL, NULL);

	MarkGUCPrefixReserved("cron");

	cron_shared_request();
	cron_lock_guard_install();
	cron_db_events_install();
	cron_error_context_install();
	register_launcher();
}
