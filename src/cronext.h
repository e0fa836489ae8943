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

#endif							/* CRONEXT_H */
