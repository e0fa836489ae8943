/*-------------------------------------------------------------------------
 *
 * run_request.h
 *	  What the scheduler hands a job worker, and what the worker reports
 *	  back: one dynamic shared memory segment per run.
 *
 * The scheduler creates the segment, fills in the request, and starts a
 * dynamic background worker with the segment's handle.  The worker writes
 * its progress and outcome into the same segment and sets the scheduler's
 * latch; only the scheduler writes the ledger, so a job that runs in
 * another database still lands in the one ledger.
 *
 * A run's life (state, written by the worker unless noted):
 *	 RUN_REQUESTED	set by the scheduler; next: RUN_RUNNING, or the worker
 *					dies before connecting (seen as "stopped, no report")
 *	 RUN_RUNNING	connected as the job's user, command started;
 *					next: RUN_DONE
 *	 RUN_DONE		outcome, message and end time are valid
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_RUN_REQUEST_H
#define CRONEXT_RUN_REQUEST_H

#include "datatype/timestamp.h"
#include "port/atomics.h"

/* longest return_message kept; longer messages are cut */
#define CRON_MESSAGE_MAX	4096

typedef enum CronRunState
{
	RUN_REQUESTED = 0,
	RUN_RUNNING = 1,
	RUN_DONE = 2
} CronRunState;

typedef struct CronRunRequest
{
	/* set by the scheduler */
	int64		jobid;
	int64		runid;
	char		database[NAMEDATALEN];
	char		username[NAMEDATALEN];
	int			scheduler_procno;	/* whose latch to set */
	int32		timeout_ms;		/* statement_timeout, 0 = none */
	bool		log_statement;
	Size		command_len;

	/* written by the worker */
	pg_atomic_uint32 state;		/* CronRunState */
	int			pid;			/* the worker's process id */
	TimestampTz start_time;
	TimestampTz end_time;
	bool		succeeded;
	char		message[CRON_MESSAGE_MAX];

	/* the command, NUL-terminated, command_len bytes before the NUL */
	char		command[FLEXIBLE_ARRAY_MEMBER];
} CronRunRequest;

#define CronRunRequestSize(command_len) \
	(offsetof(CronRunRequest, command) + (command_len) + 1)

/* entry point of job workers, named in their BackgroundWorker struct */
extern PGDLLEXPORT void cron_job_worker_main(Datum main_arg);

#endif							/* CRONEXT_RUN_REQUEST_H */
