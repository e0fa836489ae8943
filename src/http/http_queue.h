/*-------------------------------------------------------------------------
 *
 * http_queue.h
 *	  The queue between the scheduler and the HTTP worker: one dynamic
 *	  shared memory segment of cron.http_max_connections entries, one
 *	  request in flight per entry.
 *
 * The scheduler claims an HTTP job's slot in the ledger exactly as for a
 * SQL job, then puts the run (ids only) into a free entry and sets the HTTP
 * worker's latch.  The worker reads the job's URL, method, headers and body
 * itself (it is connected to cron.database_name), so secrets never pass
 * through the scheduler, and starts the request at once with libcurl's
 * multi interface.  When a request ends, the worker writes the outcome
 * into the entry and sets the scheduler's latch; the scheduler records it
 * in the ledger (or retries) and frees the entry.  Each entry is independent:
 * no request waits for another.
 *
 * An entry may instead carry an alert (alertid, scheduler/alerts.c): the
 * worker reads the alert's URL and JSON from cron.job_alerts and POSTs it;
 * its outcome comes back the same way, and no run is involved.
 *
 * An entry's state machine (who moves it):
 *	 HE_FREE	  scheduler: unused; next HE_ASSIGNED (scheduler)
 *	 HE_ASSIGNED  scheduler: a run is ready; next HE_RUNNING (worker), or
 *				  HE_DONE (worker: the request could not even start)
 *	 HE_RUNNING   worker: the request is in flight; next HE_DONE (worker)
 *	 HE_DONE	  worker: outcome written; next HE_FREE (scheduler, after
 *				  recording it)
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_HTTP_QUEUE_H
#define CRONEXT_HTTP_QUEUE_H

#include "datatype/timestamp.h"
#include "port/atomics.h"

#include "mailbox.h"

typedef enum CronHttpEntryState
{
	HE_FREE = 0,
	HE_ASSIGNED,
	HE_RUNNING,
	HE_DONE
} CronHttpEntryState;

typedef struct CronHttpEntry
{
	pg_atomic_uint32 state;		/* CronHttpEntryState */

	/* the request, set by the scheduler */
	int64		alertid;		/* an alert (cron.job_alerts), not a run: 0 */
	int64		runid;
	int64		jobid;
	TimestampTz scheduled_for;	/* with jobid, the Idempotency-Key */
	int			attempt;
	bool		cancel;			/* cron.cancel_run asked to stop it */

	/* the outcome, set by the worker */
	TimestampTz start_time;		/* 0 if no request was sent */
	TimestampTz end_time;
	bool		succeeded;
	bool		retryable;		/* a retry may succeed (5xx, 429, network) */
	int			retry_after_ms; /* the server's Retry-After, or 0 */
	int			http_status;	/* 0 = no response */
	bool		has_body;
	int			body_len;
	char		message[CRON_MESSAGE_MAX];
	char		body[FLEXIBLE_ARRAY_MEMBER];	/* body_capacity bytes */
} CronHttpEntry;

typedef struct CronHttpQueue
{
	int			nentries;
	Size		body_capacity;	/* cron.http_max_response_bytes */
	Size		entry_size;		/* bytes from one entry to the next */
	pid_t		scheduler_pid;	/* the scheduler that started the worker: it
								 * leaves when another runs */
	int			worker_procno;	/* set by the worker once running, else -1 */
	pid_t		worker_pid;
	/* the entries follow, MAXALIGNed */
} CronHttpQueue;

#define CronHttpEntrySize(capacity) \
	MAXALIGN(offsetof(CronHttpEntry, body) + (capacity) + 1)
#define CronHttpQueueSize(nentries, capacity) \
	(MAXALIGN(sizeof(CronHttpQueue)) + (Size) (nentries) * CronHttpEntrySize(capacity))

static inline CronHttpEntry *
cron_http_entry(CronHttpQueue *q, int i)
{
	return (CronHttpEntry *) ((char *) q + MAXALIGN(sizeof(CronHttpQueue)) +
							 (Size) i * q->entry_size);
}

/* entry point of the HTTP worker, named in its BackgroundWorker struct */
extern PGDLLEXPORT void cron_http_worker_main(Datum main_arg);

#endif							/* CRONEXT_HTTP_QUEUE_H */
