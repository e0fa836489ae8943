/*-------------------------------------------------------------------------
 *
 * shared.h
 *	  cronext's state in the server's main shared memory: how backends
 *	  reach the scheduler (its latch), which jobs changed, and the queue of
 *	  cron.run_job requests.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_SHARED_H
#define CRONEXT_SHARED_H

#include "datatype/timestamp.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/spin.h"

/*
 * Job ids changed since the scheduler last looked; more means "all" (a
 * full re-read).  Well above the default cron.max_jobs_per_role, so that a
 * role changing all its jobs, even twice between two passes, cannot force
 * a full re-read.
 */
#define CRON_MAX_CHANGED_JOBS		8192

/* cron.cancel_run requests waiting for the scheduler */
#define CRON_MAX_CANCEL_REQUESTS	64

/* cron.run_job requests waiting for the scheduler */
#define CRON_MAX_MANUAL_REQUESTS	64

typedef struct CronManualRequest
{
	int64		jobid;			/* 0 = free entry */
	uint64		ticket;			/* identifies the request to its caller */
	int64		runid;			/* set by the scheduler: 0 pending, -1 refused */
	TimestampTz scheduled_for;	/* the manual slot, set by the scheduler */
	char		message[128];	/* why it was refused */
} CronManualRequest;

typedef struct CronShared
{
	slock_t		mutex;			/* protects the fields below it */
	int			scheduler_procno;	/* pgprocno, or -1 when not running */
	pid_t		scheduler_pid;
	uint64		next_ticket;
	CronManualRequest requests[CRON_MAX_MANUAL_REQUESTS];

	/* runs to cancel, for the scheduler */
	int			ncancel;
	int64		cancel_runids[CRON_MAX_CANCEL_REQUESTS];

	/* jobs whose rows committed transactions changed, for the scheduler */
	int			nchanged;
	bool		changed_overflow;	/* too many, or TRUNCATE: re-read all */
	int64		changed_jobs[CRON_MAX_CHANGED_JOBS];

	/* manual requests processed: run_job callers sleep on it */
	ConditionVariable requests_cv;

	/* the HTTP worker's queue (http_queue.h), published by the worker */
	uint32		http_queue;		/* dsm_handle, 0 = none */
	pid_t		http_worker_pid;	/* who published it */
} CronShared;

extern CronShared *cron_shared;

extern void cron_shared_request(void);
extern void cron_wake_scheduler(void);
extern int	cron_take_changed_jobs(int64 *ids, bool *overflow);
extern int	cron_take_cancel_requests(int64 *runids);

extern void cron_wake_proc(int procno);

#endif							/* CRONEXT_SHARED_H */
