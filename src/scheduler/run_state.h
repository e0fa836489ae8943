/*-------------------------------------------------------------------------
 *
 * run_state.h
 *	  The scheduler's claimed runs and job workers, shared by runs.c (the
 *	  runs' life) and worker_pool.c (the job workers that run them).  Both
 *	  live in the scheduler process only.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_RUN_STATE_H
#define CRONEXT_RUN_STATE_H

#include "datatype/timestamp.h"
#include "postmaster/bgworker.h"
#include "nodes/pg_list.h"
#include "storage/dsm.h"

#include "mailbox.h"

struct CronWorker;

/*
 * A claimed run.  Life: claimed (worker == NULL) -> handed to a job worker
 * -> marked running (the worker reported its start) -> finished (removed).
 */
typedef struct CronRun
{
	int64		runid;
	int64		jobid;
	TimestampTz scheduled_for;
	char	   *database;
	char	   *username;
	Oid			roleid;			/* the job's owner, InvalidOid if unknown */
	bool		superuser;		/* the owner was a superuser when claimed */
	char	   *command;		/* SQL runs: only while being started */
	int			timeout_ms;
	int			attempt;		/* 1 for the first */
	bool		cancelled;		/* cron.cancel_run asked to stop it */
	int			max_retries;
	int64		retry_delay;	/* microseconds, before the first retry */
	TimestampTz not_before;		/* a retry waits until then */
	bool		marked_running;
	bool		uncommitted;	/* claimed in the transaction not yet committed */
	bool		picked;			/* chosen to start in this pass (counts as running) */
	char	   *launch_error;	/* why it could not be started, or NULL */
	bool		hard_stopped;	/* its worker was terminated for the timeout */
	struct CronWorker *worker;	/* serving it, or NULL while it waits */
	bool		http;			/* an HTTP job's run */
	int			http_slot;		/* its HTTP queue slot while posted, else -1 */
} CronRun;

/* a job worker (job_worker.c) and its mailbox (mailbox.h) */
typedef struct CronWorker
{
	dsm_segment *seg;
	CronMailbox *mb;
	BackgroundWorkerHandle *handle;
	char		database[NAMEDATALEN];
	char		username[NAMEDATALEN];
	Oid			roleid;			/* the role it is connected as */
	CronRun    *run;			/* the run it serves, or NULL when idle */
} CronWorker;

/* runs.c */
extern MemoryContext cron_run_cxt;
extern List *cron_runs;			/* CronRun *, claimed and not finished */
extern bool cron_launch_blocked;	/* a launch must be tried again soon */
extern bool cron_run_launched(const CronRun *run);
extern void cron_finish_run(CronRun *run, bool succeeded, const char *message,
					   TimestampTz start_time, TimestampTz end_time);
extern bool cron_retry_run(CronRun *run, const char *message, int min_delay_ms);

extern int	cron_run_sql_cap(const CronRun *run);
extern int	cron_run_http_cap(const CronRun *run);
extern void cron_note_unlaunched(CronRun *run);

/* run_check.c */
extern char *cron_run_problem(const CronRun *run);

/* worker_pool.c */
extern bool cron_pool_launch(CronRun *run);
extern void cron_pool_collect_reports(void);

#endif							/* CRONEXT_RUN_STATE_H */
