/*-------------------------------------------------------------------------
 *
 * mailbox.h
 *	  The mailbox between the scheduler and a job worker: one dynamic
 *	  shared memory segment per worker, holding one run at a time.
 *
 * A job worker is connected to one database as one role, and serves the
 * runs of jobs with that database and role one after another, so a burst
 * of runs does not pay a process start and a connection each.  Between
 * runs it discards all session state (DISCARD ALL), so every run starts in
 * a clean session.  It exits after a short idle time, so that it never
 * holds a database connection that would block DROP DATABASE for long.
 *
 * Only the scheduler writes the ledger: the worker reports here and sets
 * the scheduler's latch, so a job that runs in another database still
 * lands in the one ledger.
 *
 * The mailbox's state machine (who moves it, and the legal next states):
 *	 MB_ASSIGNED  scheduler: a request is ready; next MB_RUNNING (worker),
 *				  MB_BOUNCED (worker), or the worker dies before connecting
 *	 MB_BOUNCED   worker: it did not run the request, because its session
 *				  no longer matches what a new session of the role would get
 *				  (ALTER ROLE/DATABASE ... SET changed); the scheduler gives
 *				  the run to a fresh worker; final
 *	 MB_RUNNING   worker: the command started; next MB_DONE (worker)
 *	 MB_DONE	  worker: outcome written; next MB_IDLE (scheduler, after
 *				  recording it)
 *	 MB_IDLE	  scheduler: the worker may take another run; next
 *				  MB_RESERVED (scheduler) or MB_EXITING (worker idle too long,
 *				  or scheduler retiring it)
 *	 MB_RESERVED  scheduler: writing the next request; next MB_ASSIGNED
 *	 MB_EXITING   the worker is leaving; final
 * The IDLE -> RESERVED / IDLE -> EXITING race is settled by compare-and-
 * exchange, so a request is never given to a worker that is leaving.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_MAILBOX_H
#define CRONEXT_MAILBOX_H

#include "datatype/timestamp.h"
#include "port/atomics.h"

/* the message of a run stopped by cron.cancel_run */
#define CRON_CANCELLED_MESSAGE	"cancelled by cron.cancel_run"

/* longest return_message kept; longer messages are cut */
#define CRON_MESSAGE_MAX	4096

/* command space of a pooled worker's mailbox; longer commands get their own */
#define CRON_MAILBOX_COMMAND_MIN	(64 * 1024)

/* how long an idle job worker waits for another run before exiting */
#define CRON_WORKER_IDLE_MS		2000

typedef enum CronMailboxState
{
	MB_ASSIGNED = 1,
	MB_RUNNING,
	MB_DONE,
	MB_IDLE,
	MB_RESERVED,
	MB_EXITING,
	MB_BOUNCED
} CronMailboxState;

typedef struct CronMailbox
{
	pg_atomic_uint32 state;		/* CronMailboxState */

	/* fixed for the worker's life, set by the scheduler */
	char		database[NAMEDATALEN];
	char		username[NAMEDATALEN];
	Oid			roleid;			/* the role's OID, InvalidOid if unknown */
	Oid			catalog_db;		/* the scheduler's database: whom to wake */
	pid_t		scheduler_pid;	/* the scheduler that started the worker */
	Size		command_capacity;	/* bytes available in command[] */

	/* set by the worker once connected */
	int			worker_procno;
	int			pid;

	/* the current request, set by the scheduler */
	int64		jobid;
	int64		runid;
	TimestampTz scheduled_for;	/* the slot */
	int32		attempt;		/* 1, then 2... for retries */
	int32		timeout_ms;		/* 0 = none */
	bool		log_statement;
	int64		cancel_runid;	/* cron.cancel_run asked to stop this run */

	/* the current outcome, set by the worker */
	TimestampTz start_time;
	TimestampTz end_time;
	bool		succeeded;
	bool		exactly_once;	/* ran in one transaction with its outcome */
	bool		recorded;		/* the outcome is in the ledger already */
	bool		record_skipped; /* read-only: the outcome was not written */
	char		message[CRON_MESSAGE_MAX];

	/* the current command, NUL-terminated */
	char		command[FLEXIBLE_ARRAY_MEMBER];
} CronMailbox;

#define CronMailboxSize(capacity) \
	(offsetof(CronMailbox, command) + (capacity))

/* entry point of job workers, named in their BackgroundWorker struct */
extern PGDLLEXPORT void cron_job_worker_main(Datum main_arg);

#endif							/* CRONEXT_MAILBOX_H */
