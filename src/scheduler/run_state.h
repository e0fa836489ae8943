/*-------------------------------------------------------------------------
 *
 * run_state.h
 *	  The scheduler's claimed runs, their life as one state machine, and
 *	  the job workers: shared by runs.c (the runs' life), run_launch.c and
 *	  worker_pool.c (the job workers that run them).  All live in the
 *	  scheduler process only.
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
 * A claimed run's life, one state at a time; cron_run_transition() (runs.c)
 * is the only writer of it.  Who moves it, and the legal next states:
 *	 CRON_RS_WAITING  claimed (cron_runs_claim), or back after a retry, a
 *					  start that did not happen or a worker that bounced it;
 *					  waits for a place and its not_before.  Next: PICKED
 *					  (run_launch.c: a SQL run chosen to start in this pass),
 *					  HANDED (run_launch.c: an HTTP run posted), ENDED
 *					  (cancelled, or it could not start).
 *	 CRON_RS_PICKED	  chosen to start in this pass; holds its place.  Next:
 *					  HANDED (a job worker has it), WAITING (no worker could
 *					  take it, or the pass rolled back), ENDED.
 *	 CRON_RS_HANDED	  a job worker or the HTTP worker has it, not started yet.
 *					  Next: RUNNING (the transport reported its start),
 *					  WAITING (a retry, or the worker bounced it), ENDED.
 *	 CRON_RS_RUNNING  started (status running in the ledger).  Next: WAITING
 *					  (a retry), ENDED.
 *	 CRON_RS_ENDED	  its outcome is written (or its claim rolled back); the
 *					  run is freed.
 * PICKED, HANDED and RUNNING hold one of the job's running places
 * (CronJob.running), WAITING one of its waiting ones (CronJob.waiting).
 */
typedef enum CronRunState
{
	CRON_RS_WAITING,
	CRON_RS_PICKED,
	CRON_RS_HANDED,
	CRON_RS_RUNNING,
	CRON_RS_ENDED
} CronRunState;

/*
 * What a transition writes to the ledger: for RUNNING, the worker's pid and
 * the start time; for WAITING after an attempt, the attempt's message (NULL:
 * nothing is written); for ENDED, the outcome (NULL: the claim rolled back,
 * nothing is written).
 */
typedef struct CronRunEvent
{
	int			pid;
	TimestampTz start_time;
	TimestampTz end_time;
	bool		succeeded;
	const char *message;
	int			http_status;	/* 0: none */
	const char *body;			/* NULL: none */
	bool		in_ledger;		/* the worker wrote it to the ledger already */
} CronRunEvent;

/* a claimed run */
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
	CronRunState state;
	bool		uncommitted;	/* claimed in the transaction not yet committed */
	TimestampTz woke_at;		/* the start of the pass that claimed it */
	TimestampTz committed_at;	/* when its claim committed */
	char	   *launch_error;	/* why it could not be started, or NULL */
	bool		hard_stopped;	/* its worker was terminated for the timeout */
	struct CronWorker *worker;	/* serving it, or NULL while it waits */
	bool		http;			/* an HTTP job's run */
	int			http_entry;		/* its HTTP queue slot while posted, else -1 */
} CronRun;

/*
 * What a transport (the job-worker pool, the HTTP worker's queue) reports
 * about a run since it was last asked; the run module decides what each
 * means for the run (runs.c: cron_runs_apply_reports).  A transport that
 * reports FINISHED, LOST or BOUNCED no longer has the run.
 */
typedef enum CronReportKind
{
	CRON_REPORT_STARTED,		/* pid, start_time */
	CRON_REPORT_FINISHED,		/* the outcome of the attempt */
	CRON_REPORT_LOST,			/* the transport lost it (its process exited) */
	CRON_REPORT_BOUNCED			/* not run, to be given to another worker */
} CronReportKind;

/*
 * Interruptions (a worker that exited, a restart) of a run of exactly-once
 * effect that are run again, beyond the job's max_retries
 */
#define CRON_MAX_INTERRUPTIONS	3

typedef struct CronReport
{
	struct CronRun *run;
	CronReportKind kind;
	int			pid;
	TimestampTz start_time;		/* 0: not started */
	TimestampTz end_time;
	bool		succeeded;
	bool		retryable;		/* a failed attempt another may follow */
	int			retry_after_ms; /* no retry sooner (an HTTP Retry-After) */
	bool		started;		/* LOST: it had started */
	bool		exactly_once;	/* STARTED, LOST: it runs in one transaction
								 * with its outcome (and the worker marked it
								 * running), so it left no effect unless its
								 * row says succeeded */
	bool		recorded;		/* FINISHED: the outcome is in the ledger */
	char	   *message;		/* the outcome's, or why it was lost (NULL: none) */
	int			http_status;	/* 0: none */
	char	   *body;			/* NULL: none */
} CronReport;

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
	bool		start_reported; /* its run's start was reported */
	uint64		awaited_round;	/* a waiting run expects it (worker_pool.c) */
} CronWorker;

/* what became of a run handed to the worker pool (worker_pool.c) */
typedef enum CronPoolLaunch
{
	CRON_POOL_LAUNCHED,			/* a worker has it */
	CRON_POOL_WAIT,				/* it waits for a worker starting or soon free */
	CRON_POOL_FULL				/* no worker can start now */
} CronPoolLaunch;

/* runs.c */
extern MemoryContext cron_run_cxt;
extern List *cron_runs;			/* CronRun *, claimed and not finished */
extern bool cron_launch_blocked;	/* a launch must be tried again soon */
extern TimestampTz cron_pass_started_at;	/* when this pass began */
extern bool cron_run_launched(const CronRun *run);
extern void cron_run_transition(CronRun *run, CronRunState to,
								const CronRunEvent *ev);
extern void cron_finish_run(CronRun *run, bool succeeded, const char *message,
					   TimestampTz start_time, TimestampTz end_time);
extern bool cron_retry_run(CronRun *run, const CronReport *r);
extern void cron_run_set_command(CronRun *run, char *command);
extern void cron_run_drop_command(CronRun *run);
extern void cron_runs_trim_commands(void);
extern void cron_finish_run_response(CronRun *run, bool succeeded,
									 const char *message,
									 TimestampTz start_time,
									 TimestampTz end_time, int http_status,
									 const char *body, bool in_ledger);
extern TimestampTz cron_run_hard_stop_at(const CronRun *run);

/*
 * How long past its timeout a SQL run may go on before the scheduler
 * terminates its worker (ms).  The timeout cancels the statement; a
 * command that catches the cancel (an EXCEPTION clause in PL/pgSQL) would
 * run on.
 */
#define HARD_STOP_GRACE_MS	2000

extern int	cron_run_sql_cap(const CronRun *run);
extern int	cron_run_http_cap(const CronRun *run);
extern void cron_note_unlaunched(CronRun *run);

/* run_check.c */
extern char *cron_run_problem(const CronRun *run);

/* worker_pool.c */
extern void cron_pool_begin_launches(void);
extern CronPoolLaunch cron_pool_launch(CronRun *run);
extern int	cron_pool_capacity(void);
extern TimestampTz cron_pool_wake_at(void);
extern bool cron_pool_reports_waiting(void);
extern void cron_pool_release_idle(void);
extern List *cron_pool_collect_reports(void);
extern TimestampTz cron_pool_start_time(const CronRun *run);
extern void cron_pool_cancel(const CronRun *run);
extern bool cron_pool_terminate(const CronRun *run);

#endif							/* CRONEXT_RUN_STATE_H */
