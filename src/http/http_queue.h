/*-------------------------------------------------------------------------
 *
 * http_queue.h
 *	  The slots between the scheduler and the HTTP worker: one dynamic
 *	  shared memory segment, cron.http_max_connections slots, one request
 *	  in flight per slot.
 *
 * The scheduler claims an HTTP job's slot in the ledger exactly as for a
 * SQL job, then puts the run (ids only) into a free slot and sets the HTTP
 * worker's latch.  The worker reads the job's URL, method, headers and body
 * itself (it is connected to cron.database_name), so secrets never pass
 * through the scheduler, and starts the request at once with libcurl's
 * multi interface.  When a request ends, the worker writes the outcome
 * into the slot and sets the scheduler's latch; the scheduler records it
 * in the ledger (or retries) and frees the slot.  Each slot is independent:
 * no request waits for another.
 *
 * A slot's state machine (who moves it):
 *	 HS_FREE	  scheduler: unused; next HS_ASSIGNED (scheduler)
 *	 HS_ASSIGNED  scheduler: a run is ready; next HS_RUNNING (worker), or
 *				  HS_DONE (worker: the request could not even start)
 *	 HS_RUNNING   worker: the request is in flight; next HS_DONE (worker)
 *	 HS_DONE	  worker: outcome written; next HS_FREE (scheduler, after
 *				  recording it)
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_HTTP_QUEUE_H
#define CRONEXT_HTTP_QUEUE_H

#include "datatype/timestamp.h"
#include "port/atomics.h"

#include "mailbox.h"

typedef enum CronHttpSlotState
{
	HS_FREE = 0,
	HS_ASSIGNED,
	HS_RUNNING,
	HS_DONE
} CronHttpSlotState;

typedef struct CronHttpSlot
{
	pg_atomic_uint32 state;		/* CronHttpSlotState */

	/* the request, set by the scheduler */
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
} CronHttpSlot;

typedef struct CronHttpQueue
{
	int			nslots;
	Size		body_capacity;	/* cron.http_max_response_bytes */
	Size		slot_size;		/* bytes from one slot to the next */
	int			scheduler_procno;	/* whose latch to set */
	pid_t		scheduler_pid;	/* the worker leaves when it changes */
	int			worker_procno;	/* set by the worker once running, else -1 */
	pid_t		worker_pid;
	/* the slots follow, MAXALIGNed */
} CronHttpQueue;

#define CronHttpSlotSize(capacity) \
	MAXALIGN(offsetof(CronHttpSlot, body) + (capacity) + 1)
#define CronHttpQueueSize(nslots, capacity) \
	(MAXALIGN(sizeof(CronHttpQueue)) + (Size) (nslots) * CronHttpSlotSize(capacity))

static inline CronHttpSlot *
cron_http_slot(CronHttpQueue *q, int i)
{
	return (CronHttpSlot *) ((char *) q + MAXALIGN(sizeof(CronHttpQueue)) +
							 (Size) i * q->slot_size);
}

/* entry point of the HTTP worker, named in its BackgroundWorker struct */
extern PGDLLEXPORT void cron_http_worker_main(Datum main_arg);

#endif							/* CRONEXT_HTTP_QUEUE_H */
