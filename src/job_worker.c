/*-------------------------------------------------------------------------
 *
 * job_worker.c
 *	  The dynamic background worker that runs one SQL job run.
 *
 * It connects to the job's database as the job's user (the server's own
 * authentication path for background workers: no libpq, no password, no
 * pg_hba entry), runs the command, and reports to the scheduler through
 * the run's shared memory segment.  Each run gets a fresh process, so a
 * run always starts in a clean session: no setting, temporary table,
 * prepared statement, advisory lock or SET ROLE survives from another run.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/elog.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "exec_command.h"
#include "run_request.h"

static CronRunRequest *current_request = NULL;
static emit_log_hook_type prev_emit_log_hook = NULL;

static void
wake_scheduler(CronRunRequest *req)
{
	SetLatch(&ProcGlobal->allProcs[req->scheduler_procno].procLatch);
}

/*
 * While connecting, a problem with the job's role or database ends this
 * process with FATAL before any code of ours could catch it.  Keep the
 * message, so the scheduler can record why the run failed.
 */
static void
capture_connect_error(ErrorData *edata)
{
	if (current_request != NULL && edata->elevel >= ERROR &&
		edata->message != NULL)
		strlcpy(current_request->message, edata->message,
				sizeof(current_request->message));
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

void
cron_job_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	CronRunRequest *req;
	char		appname[64];
	bool		succeeded;

	/* SIGTERM cancels a running command cleanly (cron.cancel_run, stop) */
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cronext job worker could not attach to its run request")));
	req = (CronRunRequest *) dsm_segment_address(seg);

	current_request = req;
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = capture_connect_error;
	BackgroundWorkerInitializeConnection(req->database, req->username, 0);
	emit_log_hook = prev_emit_log_hook;
	current_request = NULL;

	snprintf(appname, sizeof(appname), "cronext job " INT64_FORMAT, req->jobid);
	pgstat_report_appname(appname);

	req->pid = MyProcPid;
	req->start_time = GetCurrentTimestamp();
	pg_write_barrier();
	pg_atomic_write_u32(&req->state, RUN_RUNNING);
	wake_scheduler(req);

	if (req->log_statement)
		ereport(LOG,
				(errmsg("cron job " INT64_FORMAT " starting: %s",
						req->jobid, req->command)));

	MemoryContextSwitchTo(TopMemoryContext);
	succeeded = cron_execute_command(req->command, req->timeout_ms,
									 req->message, sizeof(req->message));

	req->end_time = GetCurrentTimestamp();
	req->succeeded = succeeded;
	pg_write_barrier();
	pg_atomic_write_u32(&req->state, RUN_DONE);
	wake_scheduler(req);

	dsm_detach(seg);
	proc_exit(0);
}
