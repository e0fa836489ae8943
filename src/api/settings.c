/*-------------------------------------------------------------------------
 *
 * settings.c
 *	  The values of cronext's settings (GUCs), read by every module.
 *
 * They are defined here, apart from cronext.c where _PG_init registers
 * them, so that the modules that read a setting depend on this file only
 * and never on the module that loads the library (no cycle between them).
 * Names and defaults are pg_cron's where pg_cron has the setting.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "cronext.h"

char	   *cronext_database_name = NULL;
char	   *cronext_timezone = NULL;
int			cronext_max_running_jobs = 32;
bool		cronext_log_run = true;
bool		cronext_log_statement = true;
bool		cronext_enable_superuser_jobs = true;
bool		cronext_launch_active_jobs = true;
bool		cronext_use_background_workers = false;
char	   *cronext_host = NULL;
int			cronext_history_retention = 30 * 24 * 3600;
int			cronext_http_max_connections = 64;
int			cronext_http_max_response_bytes = 64 * 1024;
int			cronext_max_running_jobs_per_role = 16;
int			cronext_http_max_connections_per_role = 16;
int			cronext_http_max_timeout = 10 * 60;
int			cronext_max_jobs_per_role = 1000;
int			cronext_max_command_bytes = 1024 * 1024;
int			cronext_log_min_messages = WARNING;
int			cronext_max_databases = 100;
char	   *cronext_creator_role = NULL;
char	   *cronext_default_alert_url = NULL;

/* the run in progress, for its command (job workers only) */
char	   *cronext_run_job_id = NULL;
char	   *cronext_run_run_id = NULL;
char	   *cronext_run_scheduled_for = NULL;
char	   *cronext_run_attempt = NULL;

/*
 * cron.log_min_messages is log_min_messages for cronext's own processes
 * (the scheduler and the HTTP worker), as in pg_cron.  Job workers keep
 * the server's: what a job's SQL logs is the job's business.  Called at
 * start and after each configuration reload.
 */
void
cron_apply_log_min_messages(void)
{
	const char *value = GetConfigOption("cron.log_min_messages", false, false);

	SetConfigOption("log_min_messages", value, PGC_SUSET, PGC_S_OVERRIDE);
}
