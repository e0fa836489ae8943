/*-------------------------------------------------------------------------
 *
 * shared_queues.c
 *	  The queues in shared memory that backends fill for their database's
 *	  scheduler: the jobs that changed, cron.cancel_run's requests,
 *	  cron.run_job's requests and answers, and where the HTTP worker's
 *	  queue is.  The state itself and its lock are shared.c's
 *	  (shared_internal.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "storage/condition_variable.h"
#include "storage/lwlock.h"
#include "utils/wait_event.h"

#include "shared.h"
#include "shared_internal.h"

/* ---- jobs changed -------------------------------------------------------- */

/*
 * Add a committed transaction's changed jobs (sorted, without repeats) to
 * the shared list of this database; all means "re-read every job".
 * A few ids (the usual edit) are skipped when already listed, so that a
 * role committing edits of its own job in a tight loop cannot overflow
 * the list and force a re-read of every job; past that the ids are added,
 * and a list that cannot take them means "re-read all".  With no entry,
 * no scheduler ran here yet: the one that starts reads every job.
 */
void
cron_publish_changed_jobs(const int64 *xact_changed, int xact_nchanged, bool all)
{
	CronDbShared *db = cron_this_db();
	int			nshared;

	if (db == NULL)
		return;
	cron_shared_lock();
	nshared = db->nchanged;
	if (all)
	{
		db->changed_overflow = true;
		cron_shared_unlock();
		return;
	}
	for (int i = 0; i < xact_nchanged; i++)
	{
		bool		listed = false;

		/* the newest entries only: the lock is held */
		if (xact_nchanged <= 8)
		{
			for (int j = nshared - 1; j >= Max(0, nshared - 64) && !listed; j--)
				listed = db->changed_jobs[j] == xact_changed[i];
		}
		if (listed)
			continue;
		if (db->nchanged >= CRON_MAX_CHANGED_JOBS)
		{
			db->changed_overflow = true;
			break;
		}
		db->changed_jobs[db->nchanged++] = xact_changed[i];
	}
	cron_shared_unlock();
}

/*
 * For the scheduler: take the ids of the jobs changed by transactions that
 * committed so far.  Returns how many went into ids (room for
 * CRON_MAX_CHANGED_JOBS); *overflow means "re-read all jobs".
 */
int
cron_take_changed_jobs(int64 *ids, bool *overflow)
{
	CronDbShared *db = cron_this_db();
	int			n;

	cron_shared_lock();
	n = db->nchanged;
	memcpy(ids, db->changed_jobs, n * sizeof(int64));
	*overflow = db->changed_overflow;
	db->nchanged = 0;
	db->changed_overflow = false;
	cron_shared_unlock();
	return n;
}

/* ---- cron.cancel_run ----------------------------------------------------- */

/* for the scheduler: take the runids cron.cancel_run asked to stop */
int
cron_take_cancel_requests(int64 *runids)
{
	CronDbShared *db = cron_this_db();
	int			n;

	cron_shared_lock();
	n = db->ncancel;
	memcpy(runids, db->cancel_runids, n * sizeof(int64));
	db->ncancel = 0;
	cron_shared_unlock();
	return n;
}

/* queue a run for the scheduler to stop; false if no scheduler or no room */
bool
cron_cancel_post(int64 runid)
{
	CronDbShared *db = cron_this_db();
	bool		queued = false;

	if (db == NULL)
		return false;
	cron_shared_lock();
	if (db->scheduler_procno >= 0 &&
		db->ncancel < CRON_MAX_CANCEL_REQUESTS)
	{
		db->cancel_runids[db->ncancel++] = runid;
		queued = true;
	}
	cron_shared_unlock();
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
	CronDbShared *db = cron_this_db();
	int			idx = -1;

	if (db == NULL)
		return -2;
	cron_shared_lock();
	if (db->scheduler_procno < 0)
		idx = -2;
	else
	{
		for (int i = 0; i < CRON_MAX_MANUAL_REQUESTS; i++)
		{
			CronManualRequest *r = &db->requests[i];

			if (r->jobid == 0)
			{
				idx = i;
				r->jobid = jobid;
				r->ticket = db->next_ticket++;
				r->runid = 0;
				r->message[0] = '\0';
				break;
			}
		}
	}
	cron_shared_unlock();
	return idx;
}

/*
 * The answer to a backend's request so far: the runid (0 while pending, -1
 * refused, with why in message), and whether the scheduler has gone.
 */
int64
cron_manual_answer(int idx, char *message, size_t msglen, bool *scheduler_gone)
{
	CronDbShared *db = cron_this_db();
	int64		runid;

	cron_shared_lock();
	runid = db->requests[idx].runid;
	strlcpy(message, db->requests[idx].message, msglen);
	*scheduler_gone = db->scheduler_procno < 0;
	cron_shared_unlock();
	return runid;
}

/* wait for answers: prepare, then sleep up to timeout_ms (true: timed out) */
void
cron_manual_prepare_wait(void)
{
	ConditionVariablePrepareToSleep(&cron_this_db()->requests_cv);
}

bool
cron_manual_wait(long timeout_ms)
{
	return ConditionVariableTimedSleep(&cron_this_db()->requests_cv, timeout_ms,
									   PG_WAIT_EXTENSION);
}

/* the backend is done with its entry, answered or not */
void
cron_manual_forget(int idx)
{
	CronDbShared *db = cron_this_db();

	cron_shared_lock();
	db->requests[idx].jobid = 0;
	cron_shared_unlock();
}

/* the scheduler takes the requests not answered yet; returns how many */
int
cron_manual_take(CronManualRequest *out)
{
	CronDbShared *db = cron_this_db();
	int			n = 0;

	cron_shared_lock();
	for (int i = 0; i < CRON_MAX_MANUAL_REQUESTS; i++)
	{
		CronManualRequest *r = &db->requests[i];

		if (r->jobid != 0 && r->runid == 0)
			out[n++] = *r;
	}
	cron_shared_unlock();
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
	CronDbShared *db = cron_this_db();

	cron_shared_lock();
	for (int j = 0; j < CRON_MAX_MANUAL_REQUESTS; j++)
	{
		CronManualRequest *r = &db->requests[j];

		if (r->jobid != 0 && r->ticket == ticket)
		{
			r->runid = runid;
			r->scheduled_for = scheduled_for;
			strlcpy(r->message, message, sizeof(r->message));
		}
	}
	cron_shared_unlock();
}

void
cron_manual_answers_done(void)
{
	ConditionVariableBroadcast(&cron_this_db()->requests_cv);
}

/* ---- the HTTP worker's queue --------------------------------------------- */

/* the worker publishes its queue's segment (0: none) */
void
cron_http_queue_publish(uint32 handle, pid_t worker_pid)
{
	CronDbShared *db = cron_this_db();

	if (db == NULL)
		return;
	cron_shared_lock();
	db->http_queue = handle;
	db->http_worker_pid = worker_pid;
	cron_shared_unlock();
}

/* the scheduler looks it up */
void
cron_http_queue_lookup(uint32 *handle, pid_t *worker_pid)
{
	CronDbShared *db = cron_this_db();

	cron_shared_lock();
	*handle = db->http_queue;
	*worker_pid = db->http_worker_pid;
	cron_shared_unlock();
}
