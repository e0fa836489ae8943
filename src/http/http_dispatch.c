/*-------------------------------------------------------------------------
 *
 * http_dispatch.c
 *	  The scheduler's side of the HTTP queue (http_queue.h): starting the
 *	  HTTP worker, posting runs into free entries, and noticing the worker's
 *	  exit.
 *
 * The HTTP worker is started on the first HTTP run and then stays for the
 * scheduler's life (it holds libcurl's connection cache; it is connected
 * to cron.database_name, which the scheduler is connected to anyway).  It
 * creates the queue and publishes its handle in cronext's shared memory;
 * the scheduler maps it then.  If the worker exits, the runs in its entries
 * fail (runs.c) and the next HTTP run starts a new one with a new queue.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cronext.h"
#include "http_dispatch.h"
#include "run_state.h"
#include "http_queue.h"
#include "shared.h"

/* how soon to try again when the worker could not start (max_worker_processes) */
#define WORKER_START_RETRY_MS	100

/* after the HTTP worker failed to get ready, wait this long to start another */
#define HTTP_RESTART_DELAY_MS	10000

static dsm_segment *queue_seg;
static CronHttpQueue *queue;	/* NULL until the worker has published it */
static BackgroundWorkerHandle *worker_handle;	/* NULL: no worker started */
static TimestampTz next_start_at;
static bool start_failed_warned = false;
static uint64 queue_gen = 1;	/* counts queues: a forgotten one's entries are gone */

/* the start of the run in each entry was reported (in TopMemoryContext) */
static bool *start_reported = NULL;
static int	start_reported_n = 0;

/*
 * Start the HTTP worker.  It creates the queue itself, so that a failure to
 * allocate it (cron.http_max_connections x cron.http_max_response_bytes of
 * shared memory) ends that worker with an error, never the scheduler.
 */
static void
start_http_worker(void)
{
	BackgroundWorker bgw;
	MemoryContext old;
	bool		ok;

	cron_http_queue_publish(0, 0);

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(bgw.bgw_library_name, "cronext", BGW_MAXLEN);
	strlcpy(bgw.bgw_function_name, "cron_http_worker_main", BGW_MAXLEN);
	strlcpy(bgw.bgw_name, "cronext HTTP worker", BGW_MAXLEN);
	strlcpy(bgw.bgw_type, "cronext http", BGW_MAXLEN);
	bgw.bgw_main_arg = ObjectIdGetDatum(MyDatabaseId);	/* the catalog's */
	bgw.bgw_notify_pid = MyProcPid;

	old = MemoryContextSwitchTo(TopMemoryContext);
	ok = RegisterDynamicBackgroundWorker(&bgw, &worker_handle);
	MemoryContextSwitchTo(old);
	if (!ok)
	{
		worker_handle = NULL;
		next_start_at = GetCurrentTimestamp() + WORKER_START_RETRY_MS * 1000;
		if (!start_failed_warned)
			ereport(WARNING,
					(errmsg("no background worker slot is free for the cronext HTTP worker; HTTP runs wait"),
					 errhint("Raise max_worker_processes (now %d).", max_worker_processes)));
		start_failed_warned = true;
		return;
	}
	start_failed_warned = false;
}

/* map the queue the worker published, once it has */
static bool
attach_queue(void)
{
	pid_t		pid;
	uint32		handle;
	pid_t		publisher;
	dsm_segment *seg;

	if (GetBackgroundWorkerPid(worker_handle, &pid) != BGWH_STARTED)
		return false;
	cron_http_queue_lookup(&handle, &publisher);
	if (handle == 0 || publisher != pid)
		return false;
	seg = dsm_attach(handle);
	if (seg == NULL)
		return false;			/* it is exiting; cron_http_worker_gone() will say so */
	dsm_pin_mapping(seg);
	queue_seg = seg;
	queue = dsm_segment_address(seg);
	if (start_reported_n < queue->nentries)
	{
		if (start_reported)
			pfree(start_reported);
		start_reported = MemoryContextAllocZero(TopMemoryContext,
												queue->nentries * sizeof(bool));
		start_reported_n = queue->nentries;
	}
	return true;
}

/*
 * Post a run into a free entry and wake the worker (starting it first if
 * needed).  Returns the entry number, or -1 if every entry is busy or the
 * worker is not ready: the run waits and is posted again later.
 */
static int	post_entry(int64 alertid, int64 runid, int64 jobid,
					   TimestampTz scheduled_for, int attempt);

int
cron_http_post(int64 runid, int64 jobid, TimestampTz scheduled_for, int attempt)
{
	return post_entry(0, runid, jobid, scheduled_for, attempt);
}

/* post an alert of job jobid (scheduler/alerts.c), as a run is posted */
int
cron_http_post_alert(int64 alertid, int64 jobid, int attempt)
{
	return post_entry(alertid, 0, jobid, 0, attempt);
}

/* which queue the entries posted now belong to (see cron_http_forget_worker) */
uint64
cron_http_queue_gen(void)
{
	return queue_gen;
}

static int
post_entry(int64 alertid, int64 runid, int64 jobid, TimestampTz scheduled_for,
		   int attempt)
{
	if (queue == NULL)
	{
		if (worker_handle == NULL)
		{
			if (GetCurrentTimestamp() >= next_start_at)
				start_http_worker();
			return -1;
		}
		if (!attach_queue())
			return -1;
	}

	for (int i = 0; i < queue->nentries; i++)
	{
		CronHttpEntry *entry = cron_http_entry(queue, i);

		if (pg_atomic_read_u32(&entry->state) != HE_FREE)
			continue;
		entry->alertid = alertid;
		entry->runid = runid;
		entry->jobid = jobid;
		entry->scheduled_for = scheduled_for;
		entry->attempt = attempt;
		entry->cancel = false;
		entry->start_time = 0;
		entry->end_time = 0;
		entry->succeeded = false;
		entry->retryable = false;
		entry->retry_after_ms = 0;
		entry->http_status = 0;
		entry->has_body = false;
		entry->body_len = 0;
		entry->message[0] = '\0';
		start_reported[i] = false;
		pg_write_barrier();
		pg_atomic_write_u32(&entry->state, HE_ASSIGNED);
		cron_http_wake_worker();
		return i;
	}
	return -1;
}

CronHttpEntry *
cron_dispatch_entry(int entryno)
{
	Assert(queue != NULL);
	return cron_http_entry(queue, entryno);
}

/* the outcome is recorded: the entry may take another run */
void
cron_http_release(int entryno)
{
	pg_atomic_write_u32(&cron_dispatch_entry(entryno)->state, HE_FREE);
}

void
cron_http_wake_worker(void)
{
	int			procno;

	if (queue == NULL)
		return;
	/* the entry's state is written before; the worker sets procno, then scans */
	pg_memory_barrier();
	procno = queue->worker_procno;
	/* before it has started, it looks at every entry anyway */
	if (procno >= 0)
		cron_wake_proc(procno);
}

/* ask the worker to stop the request in an entry */
void
cron_http_cancel(int entryno)
{
	cron_dispatch_entry(entryno)->cancel = true;
	pg_write_barrier();
	cron_http_wake_worker();
}

/* the worker's pid, 0 before it runs */
int
cron_http_worker_pid(void)
{
	return queue ? queue->worker_pid : 0;
}

/* has the worker exited?  (its entries' runs then fail; see runs.c) */
bool
cron_http_worker_gone(void)
{
	pid_t		pid;

	if (worker_handle == NULL)
		return false;
	return GetBackgroundWorkerPid(worker_handle, &pid) == BGWH_STOPPED;
}

/* forget an exited worker and its queue; a later run starts another */
void
cron_http_forget_worker(void)
{
	if (worker_handle == NULL)
		return;
	if (queue == NULL)
	{
		/* it never got ready: do not start one after another */
		ereport(WARNING,
				(errmsg("the cronext HTTP worker exited before it was ready (see the server log); HTTP runs wait %d s",
						HTTP_RESTART_DELAY_MS / 1000)));
		next_start_at = GetCurrentTimestamp() + HTTP_RESTART_DELAY_MS * 1000;
	}
	else
		dsm_detach(queue_seg);
	pfree(worker_handle);
	queue_seg = NULL;
	queue = NULL;
	worker_handle = NULL;
	queue_gen++;
	cron_http_queue_publish(0, 0);
}

/*
 * What the HTTP worker reported since the last call about the posted runs
 * (those of runs with an HTTP queue entry), as CronReports in the caller's
 * memory context, for the run module to apply: a start, an outcome (the
 * entry is then free again), or, when the worker has exited, the requests
 * it had, lost.  Nothing here decides what a report means for the run.
 */
/*
 * Has the HTTP worker said something about these runs that the last
 * collection did not see (see cron_pool_reports_waiting)?
 */
bool
cron_http_reports_waiting(List *runs)
{
	ListCell   *lc;

	foreach(lc, runs)
	{
		CronRun    *run = lfirst(lc);
		CronHttpEntry *entry;
		uint32		state;

		if (run->http_entry < 0)
			continue;
		entry = cron_dispatch_entry(run->http_entry);
		state = pg_atomic_read_u32(&entry->state);
		if (state == HE_DONE ||
			(state == HE_RUNNING && !start_reported[run->http_entry] &&
			 entry->start_time != 0))
			return true;
	}
	return false;
}

List *
cron_http_collect_reports(List *runs)
{
	bool		gone = cron_http_worker_gone();
	List	   *reports = NIL;
	ListCell   *lc;

	foreach(lc, runs)
	{
		CronRun    *run = lfirst(lc);
		int			entryno = run->http_entry;
		CronHttpEntry *entry;
		uint32		state;
		CronReport *r;

		if (entryno < 0)
			continue;
		entry = cron_dispatch_entry(entryno);
		state = pg_atomic_read_u32(&entry->state);
		pg_read_barrier();
		if (!start_reported[entryno] && entry->start_time != 0 &&
			(state == HE_RUNNING || state == HE_DONE))
		{
			r = palloc0(sizeof(CronReport));
			r->run = run;
			r->kind = CRON_REPORT_STARTED;
			r->pid = cron_http_worker_pid();
			r->start_time = entry->start_time;
			reports = lappend(reports, r);
			start_reported[entryno] = true;
		}
		if (state == HE_DONE)
		{
			r = palloc0(sizeof(CronReport));
			r->run = run;
			r->kind = CRON_REPORT_FINISHED;
			r->succeeded = entry->succeeded;
			r->retryable = entry->retryable;
			r->retry_after_ms = entry->retry_after_ms;
			r->start_time = entry->start_time;
			r->end_time = entry->end_time;
			r->message = pstrdup(entry->message);
			r->http_status = entry->http_status;
			r->body = entry->has_body ? pstrdup(entry->body) : NULL;
			reports = lappend(reports, r);
			run->http_entry = -1;
			cron_http_release(entryno);
		}
		else if (gone)
		{
			r = palloc0(sizeof(CronReport));
			r->run = run;
			r->kind = CRON_REPORT_LOST;
			r->started = entry->start_time != 0;
			r->start_time = entry->start_time;
			r->end_time = GetCurrentTimestamp();
			r->message = pstrdup("the HTTP worker exited during the request (see the server log)");
			reports = lappend(reports, r);
			run->http_entry = -1;
		}
	}
	if (gone)
		cron_http_forget_worker();
	return reports;
}
