/*-------------------------------------------------------------------------
 *
 * shared.c
 *	  cronext's state in the server's main shared memory, and every
 *	  protocol over it: who the scheduler is, how a process wakes another,
 *	  the jobs that changed, cron.run_job's requests and answers,
 *	  cron.cancel_run's requests, and where the HTTP worker's queue is.
 *	  No other file sees the struct.
 *
 * Backends never talk to the scheduler directly: they note changed jobs or
 * queue a request here and set the scheduler's latch, and the scheduler
 * picks the change up on its next loop.  That keeps the scheduler's sleep
 * "until the earliest deadline or until told", with no polling.
 *
 * One LWLock guards the struct (the lists it copies are up to 64 kB, more
 * than a spinlock should guard).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/wait_event.h"

#include "shared.h"

typedef struct CronShared
{
	LWLock	   *lock;			/* protects the fields below it */
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

static CronShared *cron_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
cron_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(CronShared)));
	RequestNamedLWLockTranche("cronext", 1);
}

static void
cron_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	cron_shared = ShmemInitStruct("cronext", sizeof(CronShared), &found);
	if (!found)
	{
		memset(cron_shared, 0, sizeof(CronShared));
		cron_shared->lock = &(GetNamedLWLockTranche("cronext"))[0].lock;
		cron_shared->scheduler_procno = -1;
		cron_shared->next_ticket = 1;
		ConditionVariableInit(&cron_shared->requests_cv);
	}
	LWLockRelease(AddinShmemInitLock);
}

/* install the hooks; called from _PG_init */
void
cron_shared_request(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = cron_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = cron_shmem_startup;
}

static void
lock_shared(void)
{
	LWLockAcquire(cron_shared->lock, LW_EXCLUSIVE);
}

static void
unlock_shared(void)
{
	LWLockRelease(cron_shared->lock);
}

/* ---- processes: who the scheduler is, waking ---------------------------- */

/*
 * Set the latch of the process with this pgprocno (-1: none).  The one way
 * cronext's processes wake each other: the scheduler, a job worker, the
 * HTTP worker.
 */
void
cron_wake_proc(int procno)
{
	if (procno >= 0)
		SetLatch(&ProcGlobal->allProcs[procno].procLatch);
}

/* set the scheduler's latch, if it is running */
void
cron_wake_scheduler(void)
{
	int			procno;

	if (cron_shared == NULL)
		return;
	cron_scheduler_identity(&procno, NULL);
	cron_wake_proc(procno);
}

/* the scheduler says it is running (this process), or that it stopped */
void
cron_scheduler_attach(void)
{
	lock_shared();
	cron_shared->scheduler_procno = MyProc->pgprocno;
	cron_shared->scheduler_pid = MyProcPid;
	unlock_shared();
}

void
cron_scheduler_detach(void)
{
	lock_shared();
	cron_shared->scheduler_procno = -1;
	cron_shared->scheduler_pid = 0;
	unlock_shared();
	/* cron.run_job callers waiting for it learn it is gone */
	ConditionVariableBroadcast(&cron_shared->requests_cv);
}

/* the running scheduler's pgprocno (-1: none) and pid (0: none); either may be NULL */
void
cron_scheduler_identity(int *procno, pid_t *pid)
{
	lock_shared();
	if (procno)
		*procno = cron_shared->scheduler_procno;
	if (pid)
		*pid = cron_shared->scheduler_pid;
	unlock_shared();
}

/* ---- jobs changed -------------------------------------------------------- */

/*
 * Add a committed transaction's changed jobs (sorted, without repeats) to
 * the shared list; all means "re-read every job".
 * A few ids (the usual edit) are skipped when already listed, so that a
 * role committing edits of its own job in a tight loop cannot overflow
 * the list and force a re-read of every job; past that the ids are added,
 * and a list that cannot take them means "re-read all".
 */
void
cron_publish_changed_jobs(const int64 *xact_changed, int xact_nchanged, bool all)
{
	int			nshared;

	if (cron_shared == NULL)
		return;
	lock_shared();
	nshared = cron_shared->nchanged;
	if (all)
	{
		cron_shared->changed_overflow = true;
		unlock_shared();
		return;
	}
	for (int i = 0; i < xact_nchanged; i++)
	{
		bool		listed = false;

		/* the newest entries only: the lock is held */
		if (xact_nchanged <= 8)
		{
			for (int j = nshared - 1; j >= Max(0, nshared - 64) && !listed; j--)
				listed = cron_shared->changed_jobs[j] == xact_changed[i];
		}
		if (listed)
			continue;
		if (cron_shared->nchanged >= CRON_MAX_CHANGED_JOBS)
		{
			cron_shared->changed_overflow = true;
			break;
		}
		cron_shared->changed_jobs[cron_shared->nchanged++] = xact_changed[i];
	}
	unlock_shared();
}

/*
 * For the scheduler: take the ids of the jobs changed by transactions that
 * committed so far.  Returns how many went into ids (room for
 * CRON_MAX_CHANGED_JOBS); *overflow means "re-read all jobs".
 */
int
cron_take_changed_jobs(int64 *ids, bool *overflow)
{
	int			n;

	lock_shared();
	n = cron_shared->nchanged;
	memcpy(ids, cron_shared->changed_jobs, n * sizeof(int64));
	*overflow = cron_shared->changed_overflow;
	cron_shared->nchanged = 0;
	cron_shared->changed_overflow = false;
	unlock_shared();
	return n;
}

/* for the scheduler: take the runids cron.cancel_run asked to stop */
int
cron_take_cancel_requests(int64 *runids)
{
	int			n;

	lock_shared();
	n = cron_shared->ncancel;
	memcpy(runids, cron_shared->cancel_runids, n * sizeof(int64));
	cron_shared->ncancel = 0;
	unlock_shared();
	return n;
}

/* ---- cron.cancel_run ----------------------------------------------------- */

/* queue a run for the scheduler to stop; false if no scheduler or no room */
bool
cron_cancel_post(int64 runid)
{
	bool		queued = false;

	lock_shared();
	if (cron_shared->scheduler_procno >= 0 &&
		cron_shared->ncancel < CRON_MAX_CANCEL_REQUESTS)
	{
		cron_shared->cancel_runids[cron_shared->ncancel++] = runid;
		queued = true;
	}
	unlock_shared();
	return queued;
}

/* ---- cron.run_job -------------------------------------------------------- */

/*
 * A backend queues a request to run a job now: returns its entry, -1 when
 * every entry is taken, -2 when no scheduler runs.
 */
int
cron_manual_post(int64 jobid)
{
	int			idx = -1;

	lock_shared();
	if (cron_shared->scheduler_procno < 0)
		idx = -2;
	else
	{
		for (int i = 0; i < CRON_MAX_MANUAL_REQUESTS; i++)
		{
			CronManualRequest *r = &cron_shared->requests[i];

			if (r->jobid == 0)
			{
				idx = i;
				r->jobid = jobid;
				r->ticket = cron_shared->next_ticket++;
				r->runid = 0;
				r->message[0] = '\0';
				break;
			}
		}
	}
	unlock_shared();
	return idx;
}

/*
 * The answer to a backend's request so far: the runid (0 while pending, -1
 * refused, with why in message), and whether the scheduler has gone.
 */
int64
cron_manual_answer(int idx, char *message, size_t msglen, bool *scheduler_gone)
{
	int64		runid;

	lock_shared();
	runid = cron_shared->requests[idx].runid;
	strlcpy(message, cron_shared->requests[idx].message, msglen);
	*scheduler_gone = cron_shared->scheduler_procno < 0;
	unlock_shared();
	return runid;
}

/* wait for answers: prepare, then sleep up to timeout_ms (true: timed out) */
void
cron_manual_prepare_wait(void)
{
	ConditionVariablePrepareToSleep(&cron_shared->requests_cv);
}

bool
cron_manual_wait(long timeout_ms)
{
	return ConditionVariableTimedSleep(&cron_shared->requests_cv, timeout_ms,
									   PG_WAIT_EXTENSION);
}

/* the backend is done with its entry, answered or not */
void
cron_manual_forget(int idx)
{
	lock_shared();
	cron_shared->requests[idx].jobid = 0;
	unlock_shared();
}

/* the scheduler takes the requests not answered yet; returns how many */
int
cron_manual_take(CronManualRequest *out)
{
	int			n = 0;

	lock_shared();
	for (int i = 0; i < CRON_MAX_MANUAL_REQUESTS; i++)
	{
		CronManualRequest *r = &cron_shared->requests[i];

		if (r->jobid != 0 && r->runid == 0)
			out[n++] = *r;
	}
	unlock_shared();
	return n;
}

/*
 * The scheduler answers the request with this ticket (if its backend still
 * waits); cron_manual_answers_done() then wakes the backends.
 */
void
cron_manual_reply(uint64 ticket, int64 runid, TimestampTz scheduled_for,
				  const char *message)
{
	lock_shared();
	for (int j = 0; j < CRON_MAX_MANUAL_REQUESTS; j++)
	{
		CronManualRequest *r = &cron_shared->requests[j];

		if (r->jobid != 0 && r->ticket == ticket)
		{
			r->runid = runid;
			r->scheduled_for = scheduled_for;
			strlcpy(r->message, message, sizeof(r->message));
		}
	}
	unlock_shared();
}

void
cron_manual_answers_done(void)
{
	ConditionVariableBroadcast(&cron_shared->requests_cv);
}

/* ---- the HTTP worker's queue --------------------------------------------- */

/* the worker publishes its queue's segment (0: none) */
void
cron_http_queue_publish(uint32 handle, pid_t worker_pid)
{
	lock_shared();
	cron_shared->http_queue = handle;
	cron_shared->http_worker_pid = worker_pid;
	unlock_shared();
}

/* the scheduler looks it up */
void
cron_http_queue_lookup(uint32 *handle, pid_t *worker_pid)
{
	lock_shared();
	*handle = cron_shared->http_queue;
	*worker_pid = cron_shared->http_worker_pid;
	unlock_shared();
}
