/*-------------------------------------------------------------------------
 *
 * shared_internal.h
 *	  The structs of cronext's shared memory and their lock, for the two
 *	  files that implement the protocols over them (shared.c,
 *	  shared_queues.c).  No other file includes this.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_SHARED_INTERNAL_H
#define CRONEXT_SHARED_INTERNAL_H

#include "storage/condition_variable.h"
#include "storage/lwlock.h"

#include "shared.h"

/* one database with cronext (or one being looked at): its scheduler's state */
typedef struct CronDbShared
{
	Oid			dboid;			/* InvalidOid: a free entry */

	/* the launcher's view (launcher.c) */
	CronDbState state;
	bool		start_now;		/* a commit asked for its scheduler */
	uint64		start_gen;		/* counts those requests */
	int			held_by;		/* statements that need nobody connected */
	TimestampTz held_since;

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

	/* the scheduler's counts at its last pass */
	CronSchedulerMetrics metrics;

	/* manual requests processed: run_job callers sleep on it */
	ConditionVariable requests_cv;

	/* the HTTP worker's queue (http_queue.h), published by the worker */
	uint32		http_queue;		/* dsm_handle, 0 = none */
	pid_t		http_worker_pid;	/* who published it */
} CronDbShared;

typedef struct CronShared
{
	LWLock	   *lock;			/* protects everything below */
	int			launcher_procno;	/* -1 when not running */
	bool		rescan;			/* pg_database changed: the launcher looks */
	int			ndbs;			/* cron.max_databases */
	CronDbShared dbs[FLEXIBLE_ARRAY_MEMBER];
} CronShared;

extern CronShared *cron_shared;

/* the one lock over it all: a holder does a few copies and leaves */
extern void cron_shared_lock(void);
extern void cron_shared_unlock(void);

/* this process's database's entry, or NULL if it has none */
extern CronDbShared *cron_this_db(void);

#endif							/* CRONEXT_SHARED_INTERNAL_H */
