/*-------------------------------------------------------------------------
 *
 * http_dispatch.c
 *	  The scheduler's side of the HTTP queue (http_queue.h): starting the
 *	  HTTP worker, posting runs into free slots, and noticing the worker's
 *	  exit.
 *
 * The HTTP worker is started on the first HTTP run and then stays for the
 * scheduler's life (it holds libcurl's connection cache; it is connected
 * to cron.database_name, which the scheduler is connected to anyway).  If
 * it exits, the runs in its slots fail (runs.c) and the next HTTP run
 * starts a new one with a new queue.
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

#include "cronext.h"
#include "http_dispatch.h"
#include "http_queue.h"

static dsm_segment *queue_seg;
static CronHttpQueue *queue;
static BackgroundWorkerHandle *worker_handle;
static bool start_failed_warned = false;

/* start the HTTP worker with a fresh queue; false if no worker slot is free */
static bool
start_http_worker(void)
{
	BackgroundWorker bgw;
	Size		size = CronHttpQueueSize(cronext_http_max_connections,
										 cronext_http_max_response_bytes);
	dsm_segment *seg;
	CronHttpQueue *q;
	MemoryContext old;
	bool		ok;

	seg = dsm_create(size, 0);
	dsm_pin_mapping(seg);
	q = dsm_segment_address(seg);
	memset(q, 0, size);
	q->nslots = cronext_http_max_connections;
	q->body_capacity = cronext_http_max_response_bytes;
	q->slot_size = CronHttpSlotSize(q->body_capacity);
	q->scheduler_procno = MyProc->pgprocno;
	q->scheduler_pid = MyProcPid;
	q->worker_procno = -1;
	for (int i = 0; i < q->nslots; i++)
		pg_atomic_init_u32(&cron_http_slot(q, i)->state, HS_FREE);

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(bgw.bgw_library_name, "cronext", BGW_MAXLEN);
	strlcpy(bgw.bgw_function_name, "cron_http_worker_main", BGW_MAXLEN);
	strlcpy(bgw.bgw_name, "cronext HTTP worker", BGW_MAXLEN);
	strlcpy(bgw.bgw_type, "cronext http", BGW_MAXLEN);
	bgw.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	bgw.bgw_notify_pid = MyProcPid;

	old = MemoryContextSwitchTo(TopMemoryContext);
	ok = RegisterDynamicBackgroundWorker(&bgw, &worker_handle);
	MemoryContextSwitchTo(old);
	if (!ok)
	{
		dsm_detach(seg);
		if (!start_failed_warned)
			ereport(WARNING,
					(errmsg("no background worker slot is free for the cronext HTTP worker; HTTP runs wait"),
					 errhint("Raise max_worker_processes (now %d).", max_worker_processes)));
		start_failed_warned = true;
		return false;
	}
	start_failed_warned = false;
	queue_seg = seg;
	queue = q;
	return true;
}

/*
 * Post a run into a free slot and wake the worker (starting it first if
 * needed).  Returns the slot number, or -1 if every slot is busy or the
 * worker cannot start: the run waits and is posted again later.
 */
int
http_post(int64 runid, int64 jobid, TimestampTz scheduled_for, int attempt)
{
	if (queue == NULL && !start_http_worker())
		return -1;

	for (int i = 0; i < queue->nslots; i++)
	{
		CronHttpSlot *slot = cron_http_slot(queue, i);

		if (pg_atomic_read_u32(&slot->state) != HS_FREE)
			continue;
		slot->runid = runid;
		slot->jobid = jobid;
		slot->scheduled_for = scheduled_for;
		slot->attempt = attempt;
		slot->cancel = false;
		slot->start_time = 0;
		slot->end_time = 0;
		slot->succeeded = false;
		slot->retryable = false;
		slot->retry_after_ms = 0;
		slot->http_status = 0;
		slot->has_body = false;
		slot->body_len = 0;
		slot->message[0] = '\0';
		pg_write_barrier();
		pg_atomic_write_u32(&slot->state, HS_ASSIGNED);
		http_wake_worker();
		return i;
	}
	return -1;
}

CronHttpSlot *
http_slot(int slotno)
{
	Assert(queue != NULL);
	return cron_http_slot(queue, slotno);
}

/* the outcome is recorded: the slot may take another run */
void
http_release(int slotno)
{
	pg_atomic_write_u32(&http_slot(slotno)->state, HS_FREE);
}

void
http_wake_worker(void)
{
	int			procno;

	if (queue == NULL)
		return;
	procno = queue->worker_procno;
	pg_read_barrier();
	/* before it has started, it looks at every slot anyway */
	if (procno >= 0)
		SetLatch(&ProcGlobal->allProcs[procno].procLatch);
}

/* ask the worker to stop the request in a slot */
void
http_cancel(int slotno)
{
	http_slot(slotno)->cancel = true;
	pg_write_barrier();
	http_wake_worker();
}

/* the worker's pid, 0 before it runs */
int
http_worker_pid(void)
{
	return queue ? queue->worker_pid : 0;
}

/* has the worker exited?  (its slots' runs then fail; see runs.c) */
bool
http_worker_gone(void)
{
	pid_t		pid;

	if (queue == NULL)
		return false;
	return GetBackgroundWorkerPid(worker_handle, &pid) == BGWH_STOPPED;
}

/* forget an exited worker and its queue; the next run starts another */
void
http_forget_worker(void)
{
	if (queue == NULL)
		return;
	dsm_detach(queue_seg);
	pfree(worker_handle);
	queue_seg = NULL;
	queue = NULL;
	worker_handle = NULL;
}
