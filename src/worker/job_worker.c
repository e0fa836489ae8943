/*-------------------------------------------------------------------------
 *
 * job_worker.c
 *	  The dynamic background worker that runs SQL job runs.
 *
 * It connects to one database as one role (the server's own
 * authentication path for background workers: no libpq, no password, no
 * pg_hba entry) and runs the requests the scheduler puts in its mailbox
 * (mailbox.h), one at a time.  After each run it discards all session
 * state, so that no setting, temporary table, prepared statement, cursor,
 * advisory lock, LISTEN or SET ROLE survives into the next run; if that
 * fails, it exits rather than serve another run.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/elog.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "exec_command.h"
#include "mailbox.h"
#include "run_record.h"
#include "session_state.h"
#include "text_clip.h"
#include "shared.h"

/* how often a worker waiting for its scheduler looks whether it is there */
#define SCHEDULER_CHECK_MS	1000

static CronMailbox *connecting_mailbox = NULL;
static emit_log_hook_type prev_emit_log_hook = NULL;

/*
 * While connecting, a problem with the job's role or database ends this
 * process with FATAL before any code of ours could catch it.  Keep the
 * message, so the scheduler can record why the run failed.
 */
static void
capture_connect_error(ErrorData *edata)
{
	if (connecting_mailbox != NULL && edata->elevel >= ERROR &&
		edata->message != NULL)
		cron_text_copy(connecting_mailbox->message, edata->message,
					   sizeof(connecting_mailbox->message));
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/*
 * The run, as its command sees it: cron.job_id, cron.run_id,
 * cron.scheduled_for (timestamptz text, in the session's TimeZone) and
 * cron.attempt.  Session values: the reset after the run clears them.
 */
static void
set_run_context(CronMailbox *mb)
{
	char		buf[64];

	snprintf(buf, sizeof(buf), INT64_FORMAT, mb->jobid);
	SetConfigOption("cron.job_id", buf, PGC_SUSET, PGC_S_SESSION);
	snprintf(buf, sizeof(buf), INT64_FORMAT, mb->runid);
	SetConfigOption("cron.run_id", buf, PGC_SUSET, PGC_S_SESSION);
	SetConfigOption("cron.scheduled_for", timestamptz_to_str(mb->scheduled_for),
					PGC_SUSET, PGC_S_SESSION);
	snprintf(buf, sizeof(buf), "%d", mb->attempt);
	SetConfigOption("cron.attempt", buf, PGC_SUSET, PGC_S_SESSION);
}

/* run the assigned request and report its outcome */
static void
serve_request(CronMailbox *mb)
{
	char		appname[64];

	/* the catalog too: a new scheduler of that database finds its workers */
	snprintf(appname, sizeof(appname), "cronext job " INT64_FORMAT " (catalog %u)",
			 mb->jobid, mb->catalog_db);
	pgstat_report_appname(appname);

	mb->start_time = GetCurrentTimestamp();
	mb->message[0] = '\0';

	/*
	 * A cancel meant for an earlier run must not hit this one.  The
	 * scheduler signals only a run it sees running, so clear before saying
	 * so, and look for a cancel of this run after.
	 */
	QueryCancelPending = false;
	pg_write_barrier();
	pg_atomic_write_u32(&mb->state, MB_RUNNING);
	cron_wake_scheduler_of(mb->catalog_db);

	if (mb->log_statement)
		ereport(LOG,
				(errmsg("cron job " INT64_FORMAT " starting: %s",
						mb->jobid, mb->command)));

	set_run_context(mb);

	/* one meant for this run before it started stops it at once */
	pg_memory_barrier();
	if (mb->cancel_runid == mb->runid)
		mb->succeeded = false;
	else
	{
		CronCommandHooks hooks;
		bool		hooked = false;

		/*
		 * In the ledger's database, a command that runs in one transaction
		 * records its success in that transaction: exactly-once effect.
		 */
		cron_run_record_hooks(mb, &hooks);
		mb->succeeded = cron_execute_command(mb->command, mb->timeout_ms,
											 mb->message, sizeof(mb->message),
											 MyDatabaseId == mb->catalog_db ? &hooks : NULL,
											 &hooked);
		mb->exactly_once = hooked;
		/* the success committed with the command (a failure rolled back) */
		if (hooked && mb->succeeded && !mb->record_skipped)
			mb->recorded = true;
	}
	if (!mb->succeeded && mb->cancel_runid == mb->runid)
		strlcpy(mb->message, CRON_CANCELLED_MESSAGE, sizeof(mb->message));
	mb->end_time = GetCurrentTimestamp();
	pg_write_barrier();
	pg_atomic_write_u32(&mb->state, MB_DONE);
	cron_wake_scheduler_of(mb->catalog_db);
}

void
cron_job_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	CronMailbox *mb;
	TimestampTz idle_since = 0;
	bool		leaving = false;
	char	   *settings;
	int			served;

	/* SIGTERM cancels a running command cleanly and ends the worker */
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cronext job worker could not attach to its mailbox")));
	mb = (CronMailbox *) dsm_segment_address(seg);

	connecting_mailbox = mb;
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = capture_connect_error;
	BackgroundWorkerInitializeConnection(mb->database, mb->username, 0);
	emit_log_hook = prev_emit_log_hook;
	connecting_mailbox = NULL;
	{
		char		appname[64];

		snprintf(appname, sizeof(appname), "cronext job (catalog %u)", mb->catalog_db);
		pgstat_report_appname(appname);
	}

	/*
	 * The name may have passed to another role since the scheduler checked
	 * (dropped and created again, renamed): never run as that one.
	 */
	if (OidIsValid(mb->roleid) && GetUserId() != mb->roleid)
	{
		cron_text_copy(mb->message,
					   psprintf("role \"%s\" is not the role that scheduled the job: that role was dropped",
								mb->username),
					   sizeof(mb->message));
		proc_exit(1);
	}

	mb->worker_procno = MyProc->pgprocno;
	mb->pid = MyProcPid;
	MemoryContextSwitchTo(TopMemoryContext);
	settings = cron_session_settings();
	served = 0;

	for (;;)
	{
		uint32		state;
		long		timeout = -1;

		CHECK_FOR_INTERRUPTS();
		state = pg_atomic_read_u32(&mb->state);
		pg_read_barrier();

		if (state == MB_ASSIGNED && leaving)
		{
			/*
			 * The scheduler handed a run before it saw that this session
			 * could not be reset: a fresh worker takes it.
			 */
			pg_atomic_write_u32(&mb->state, MB_BOUNCED);
			break;
		}
		if (state == MB_ASSIGNED)
		{
			/* a later run must see the settings a new session would get */
			if (served > 0)
			{
				char	   *now_settings = cron_session_settings();
				bool		same = strcmp(now_settings, settings) == 0;

				pfree(now_settings);
				if (!same)
				{
					pg_atomic_write_u32(&mb->state, MB_BOUNCED);
					break;
				}
			}
			serve_request(mb);
			served++;
			/* a session that cannot be cleaned serves no further run */
			if (!cron_session_reset())
				leaving = true;
			idle_since = 0;
			continue;
		}
		if (state == MB_EXITING)
			break;
		if (state == MB_IDLE)
		{
			TimestampTz now = GetCurrentTimestamp();

			if (idle_since == 0)
				idle_since = now;
			timeout = CRON_WORKER_IDLE_MS -
				(long) ((now - idle_since) / 1000);
			if (timeout <= 0 || leaving)
			{
				uint32		expected = MB_IDLE;

				if (pg_atomic_compare_exchange_u32(&mb->state, &expected,
												   MB_EXITING))
					break;
				continue;		/* the scheduler reserved us: serve it */
			}
		}

		/*
		 * Waiting for the scheduler (to take an outcome, to hand a run):
		 * look now and then whether it is still there.  A worker whose
		 * scheduler left has nobody to serve, and must not keep its
		 * database busy (DROP DATABASE waits for every session).
		 */
		if (timeout < 0)
		{
			if (cron_scheduler_pid_of(mb->catalog_db) != mb->scheduler_pid)
				break;
			timeout = SCHEDULER_CHECK_MS;
		}
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | WL_TIMEOUT,
						 timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}

	cron_wake_scheduler_of(mb->catalog_db);
	dsm_detach(seg);
	proc_exit(0);
}
