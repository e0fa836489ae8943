/*-------------------------------------------------------------------------
 *
 * ledger.h
 *	  Every statement the scheduler runs against cron.job and
 *	  cron.job_run_details, as prepared plans.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_LEDGER_H
#define CRONEXT_LEDGER_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

/* one row of cron.job as the scheduler needs it */
typedef struct CronJobRow
{
	int64		jobid;
	char	   *schedule;
	Oid			roleid;			/* the owner; InvalidOid if unknown */
	char	   *database;
	char	   *username;
	char	   *timezone;		/* NULL: cron.timezone */
	bool		active;
	char	   *catchup;
	double		catchup_window;	/* seconds */
	char	   *overlap;
	int			max_retries;
	double		retry_delay;	/* seconds */
	double		timeout;		/* seconds, 0 = none */
	TimestampTz changed_at;		/* created or last changed */
	bool		http;			/* kind 'http' */
	bool		watched;		/* has expect_success_within (the dead-man check) */
	bool		alerting;		/* has its own alert_url */
	bool		has_last_slot;
	TimestampTz last_slot;		/* newest non-manual slot in the ledger */
} CronJobRow;

/*
 * A run's status in the ledger (cron.job_run_details.status, whose CHECK
 * constraint lists the same words); cron_run_status_name() is the one
 * table of the words.
 */
typedef enum CronRunStatus
{
	CRON_RUN_STARTING,			/* claimed, not started (or waiting to retry) */
	CRON_RUN_RUNNING,			/* its command or request started */
	CRON_RUN_SUCCEEDED,
	CRON_RUN_FAILED,
	CRON_RUN_SKIPPED			/* a slot recorded as missed or skipped */
} CronRunStatus;

extern const char *cron_run_status_name(CronRunStatus status);

/* what a claim inserts */
typedef struct CronClaim
{
	int64		jobid;
	const char *database;
	const char *username;
	Oid			roleid;			/* the job's owner, InvalidOid if unknown */
	TimestampTz scheduled_for;
	bool		manual;
	CronRunStatus status;		/* CRON_RUN_STARTING or CRON_RUN_SKIPPED */
	const char *message;		/* return_message, may be NULL */
	bool		read_command;	/* record the job's command (reads cron.job) */
} CronClaim;

extern void cron_ledger_prepare(void);
extern void cron_ledger_lock_jobs(void *arg);
extern void cron_ledger_run_commands(const int64 *runids, int n, MemoryContext cxt,
								char **commands);
extern List *cron_ledger_load_jobs(bool with_last_slots, MemoryContext cxt);
extern List *cron_ledger_load_some_jobs(const int64 *ids, int nids,
								   MemoryContext cxt);
extern int64 cron_ledger_claim(const CronClaim *claim, MemoryContext cxt,
						  char **command);
extern void cron_ledger_mark_running(int64 runid, int pid, TimestampTz start_time);
extern void cron_ledger_finish(int64 runid, bool succeeded, const char *message,
						  TimestampTz start_time, TimestampTz end_time);
extern void cron_ledger_finish_http(int64 runid, bool succeeded, const char *message,
							   TimestampTz start_time, TimestampTz end_time,
							   int http_status, const char *body);
extern int	cron_ledger_deactivate_jobs(int64 *jobids, const char **schedules, int n);
extern void cron_ledger_retrying(int64 runid, int next_attempt, const char *message,
								 TimestampTz next_at, int http_status,
								 TimestampTz start_time, TimestampTz end_time);
extern void cron_ledger_notify_failed(const int64 *runids, int n);
extern void cron_ledger_forget_history(int64 jobid, int64 keep_runid);
extern uint64 cron_ledger_prune(TimestampTz before, int batch);
extern uint64 cron_ledger_close_orphans(const int64 *keep, int nkeep);

/* a run of exactly-once effect put back to 'starting' after a restart */
typedef struct CronResumedRun
{
	int64		runid;
	int64		jobid;
	TimestampTz scheduled_for;
	int			attempt;
} CronResumedRun;

extern List *cron_ledger_resume_orphans(int max_interruptions, MemoryContext cxt);

extern int	cron_ledger_signal_orphan_workers(void);
extern int	cron_ledger_count_orphan_workers(void);

#endif							/* CRONEXT_LEDGER_H */
