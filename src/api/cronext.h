/*-------------------------------------------------------------------------
 *
 * cronext.h
 *	  Settings shared by cronext's modules.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_H
#define CRONEXT_H

/* settings (GUCs), defined in settings.c, registered in cronext.c */
extern char *cronext_database_name;
extern char *cronext_timezone;
extern int	cronext_max_running_jobs;
extern bool cronext_log_run;
extern bool cronext_log_statement;
extern bool cronext_enable_superuser_jobs;
extern bool cronext_launch_active_jobs;
extern bool cronext_use_background_workers;
extern char *cronext_host;
extern int	cronext_history_retention;	/* seconds, 0 = keep all */
extern int	cronext_http_max_connections;
extern int	cronext_http_max_response_bytes;
extern int	cronext_max_running_jobs_per_role;
extern int	cronext_http_max_connections_per_role;
extern int	cronext_http_max_timeout;	/* seconds */
extern int	cronext_max_jobs_per_role;	/* 0 = no limit */
extern int	cronext_max_command_bytes;
extern int	cronext_log_min_messages;	/* an elevel, for the scheduler */
extern int	cronext_max_databases;
extern char *cronext_creator_role;
extern char *cronext_default_alert_url;
extern char *cronext_run_job_id;
extern char *cronext_run_run_id;
extern char *cronext_run_scheduled_for;
extern char *cronext_run_attempt;

/*
 * The catalog version this library works with: the extension's
 * default_version.  The scheduler runs no job while the installed catalog
 * is another version (see scheduler.c).
 */
#define CRONEXT_CATALOG_VERSION "1.4"

extern void cron_apply_log_min_messages(void);

#endif							/* CRONEXT_H */
