/*-------------------------------------------------------------------------
 *
 * runs.h
 *	  The scheduler's claimed runs: claims, the outcomes transports report,
 *	  retries, cancels and timeouts (runs.c, run_launch.c, role_shares.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_RUNS_H
#define CRONEXT_RUNS_H

#include "datatype/timestamp.h"

#include "job_cache.h"

extern void cron_runs_init(void);
extern void cron_runs_set_job_table_readable(bool readable);
extern bool cron_runs_job_table_readable(void);
extern int	cron_runs_count_sql_of(const char *username);
extern int	cron_runs_count_http_of(const char *username);
extern int	cron_runs_sql_cap(bool superuser);
extern int	cron_runs_http_cap(bool superuser);
extern int	cron_runs_http_claim_cap(const CronJob *job);
extern int	cron_runs_count_sql_places(void);
extern int64 cron_runs_claim(CronJob *job, TimestampTz slot, bool manual);
extern void cron_runs_resume(CronJob *job, int64 runid, TimestampTz slot,
							 int attempt);
extern int64 cron_runs_record_skipped(CronJob *job, TimestampTz slot, bool manual,
								 const char *why);
extern void cron_runs_collect_reports(void);
extern void cron_runs_apply_reports(List *reports);
extern void cron_runs_serve_cancels(void);
extern List *cron_runs_pick_sql_launches(void);
extern bool cron_runs_need_commands(List *starting);
extern void cron_runs_fetch_commands(List **starting);
extern void cron_runs_launch_claimed(List *starting);
extern void cron_runs_add_wakes(CronWake *wake);
extern bool cron_runs_reports_waiting(void);
extern void cron_runs_flush_deactivations(void);
extern int	cron_runs_take_failed(const int64 **runids);
extern void cron_runs_claims_committed(void);
extern void cron_runs_claims_rolled_back(void);
extern void cron_runs_close_lost(void);

#endif							/* CRONEXT_RUNS_H */
