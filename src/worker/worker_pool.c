/*-------------------------------------------------------------------------
 *
 * worker_pool.c
 *	  The scheduler's pool of job workers (job_worker.c): starting them,
 *	  reusing an idle one of the same database and role, retiring idle
 *	  ones to make room, and collecting what they report through their
 *	  mailboxes (mailbox.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cronext.h"
#include "job_cache.h"
#include "ledger.h"
#include "run_state.h"
#include "text_clip.h"
#include "shared.h"

static List *workers = NIL;		/* CronWorker *, in cron_run_cxt */
static bool worker_warned = false;

/*
 * A worker's message, valid in the ledger's encoding.  The worker cut it on
 * a character boundary of its own database's encoding, which need not be
 * the ledger's: a message of a database with another encoding has its
 * invalid bytes replaced here, where it is recorded.
 */
static char *
report_message(const CronMailbox *mb)
{
	char	   *message = pnstrdup(mb->message, sizeof(mb->message) - 1);

	(void) cron_text_make_valid(message, strlen(message), false);
	return message;
}

static void
wake_worker(CronWorker *w)
{
	cron_wake_proc(w->mb->worker_procno);
}

/*
 * Record what the job workers reported since the last iteration, give the
 * workers whose outcome is recorded back to the pool, and forget the
 * workers that have exited.
 */
void
cron_pool_collect_reports(void)
{
	ListCell   *lc;

	foreach(lc, workers)
	{
		CronWorker *w = lfirst(lc);
		CronMailbox *mb = w->mb;
		CronRun    *run = w->run;
		pid_t		pid;
		bool		stopped;
		uint32		state;

		stopped = GetBackgroundWorkerPid(w->handle, &pid) == BGWH_STOPPED;
		/* read the state after the liveness: a report made before exiting counts */
		pg_memory_barrier();
		state = pg_atomic_read_u32(&mb->state);
		pg_read_barrier();

		if (run != NULL && state == MB_BOUNCED)
		{
			/* the worker's session went stale: a fresh worker takes the run */
			run->worker = NULL;
			w->run = NULL;
			cron_run_transition(run, CRON_RS_WAITING, NULL);
			run = NULL;
		}

		if (run != NULL)
		{
			if ((state == MB_RUNNING || state == MB_DONE) &&
				run->state == CRON_RS_HANDED)
			{
				CronRunEvent ev = {0};

				ev.pid = mb->pid;
				ev.start_time = mb->start_time;
				cron_run_transition(run, CRON_RS_RUNNING, &ev);
			}
			if (state == MB_DONE)
			{
				char	   *message = report_message(mb);

				if (mb->succeeded || !cron_retry_run(run, message, 0))
					cron_finish_run(run, mb->succeeded, message,
							   mb->start_time, mb->end_time);
				if (!stopped)
				{
					pg_atomic_write_u32(&mb->state, MB_IDLE);
					wake_worker(w);
				}
			}
			else if (stopped && state == MB_RUNNING && run->hard_stopped)
				cron_finish_run(run, false,
						   psprintf("timed out after %d ms; the command went on after its cancel, so the scheduler terminated its worker",
									run->timeout_ms),
						   mb->start_time, GetCurrentTimestamp());
			else if (stopped && state == MB_RUNNING)
				cron_finish_run(run, false,
						   "the job worker exited during the run (see the server log)",
						   mb->start_time, GetCurrentTimestamp());
			else if (stopped)
				cron_finish_run(run, false,
						   mb->message[0] ? report_message(mb) :
						   "the job worker exited before it could run the command (see the server log)",
						   0, GetCurrentTimestamp());
		}

		if (stopped)
		{
			dsm_detach(w->seg);
			pfree(w->handle);
			pfree(w);
			workers = foreach_delete_current(workers, lc);
		}
	}
}

/* put a run's request into a worker's mailbox */
static void
fill_request(CronMailbox *mb, CronRun *run)
{
	mb->jobid = run->jobid;
	mb->runid = run->runid;
	mb->timeout_ms = run->timeout_ms;
	mb->log_statement = cronext_log_statement;
	mb->start_time = 0;
	mb->end_time = 0;
	mb->succeeded = false;
	mb->message[0] = '\0';
	memcpy(mb->command, run->command, strlen(run->command) + 1);
}

/* start a new job worker for a run; false if no worker slot is free */
static bool
start_worker(CronRun *run)
{
	BackgroundWorker bgw;
	Size		capacity = Max(CRON_MAILBOX_COMMAND_MIN, strlen(run->command) + 1);
	CronWorker *w;
	dsm_segment *seg;
	CronMailbox *mb;
	BackgroundWorkerHandle *handle;
	MemoryContext old;
	bool		ok;

	/* out of segments: not started now, tried again when a worker ends */
	seg = dsm_create(CronMailboxSize(capacity), DSM_CREATE_NULL_IF_MAXSEGMENTS);
	if (seg == NULL)
		return false;
	dsm_pin_mapping(seg);
	mb = (CronMailbox *) dsm_segment_address(seg);
	memset(mb, 0, offsetof(CronMailbox, command));
	strlcpy(mb->database, run->database, sizeof(mb->database));
	strlcpy(mb->username, run->username, sizeof(mb->username));
	mb->roleid = run->roleid;
	mb->scheduler_procno = MyProc->pgprocno;
	mb->command_capacity = capacity;
	fill_request(mb, run);
	pg_atomic_init_u32(&mb->state, MB_ASSIGNED);

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(bgw.bgw_library_name, "cronext", BGW_MAXLEN);
	strlcpy(bgw.bgw_function_name, "cron_job_worker_main", BGW_MAXLEN);
	/* the name appears in the server log: cut it between characters */
	cron_text_copy(bgw.bgw_name,
				   psprintf("cronext job worker for %s in %s",
							run->username, run->database),
				   BGW_MAXLEN);
	strlcpy(bgw.bgw_type, "cronext job", BGW_MAXLEN);
	bgw.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	bgw.bgw_notify_pid = MyProcPid;

	/* the handle must outlive this iteration's memory */
	old = MemoryContextSwitchTo(cron_run_cxt);
	ok = RegisterDynamicBackgroundWorker(&bgw, &handle);
	MemoryContextSwitchTo(old);
	if (!ok)
	{
		dsm_detach(seg);
		return false;
	}

	w = MemoryContextAllocZero(cron_run_cxt, sizeof(CronWorker));
	w->seg = seg;
	w->mb = mb;
	w->handle = handle;
	strlcpy(w->database, run->database, sizeof(w->database));
	strlcpy(w->username, run->username, sizeof(w->username));
	w->roleid = run->roleid;
	w->run = run;
	run->worker = w;
	old = MemoryContextSwitchTo(cron_run_cxt);
	workers = lappend(workers, w);
	MemoryContextSwitchTo(old);
	return true;
}

/*
 * Hand a run to an idle worker of the same database and role, if any: the
 * same role by OID, not only by name, since a role renamed or dropped and
 * created again under the name is another role.
 */
static bool
reuse_worker(CronRun *run)
{
	ListCell   *lc;
	Size		len = strlen(run->command) + 1;

	foreach(lc, workers)
	{
		CronWorker *w = lfirst(lc);
		uint32		expected = MB_IDLE;

		if (w->run != NULL || len > w->mb->command_capacity ||
			strcmp(w->database, run->database) != 0 ||
			strcmp(w->username, run->username) != 0 ||
			w->roleid != run->roleid)
			continue;
		if (!pg_atomic_compare_exchange_u32(&w->mb->state, &expected, MB_RESERVED))
			continue;			/* it is leaving */
		fill_request(w->mb, run);
		pg_write_barrier();
		pg_atomic_write_u32(&w->mb->state, MB_ASSIGNED);
		wake_worker(w);
		w->run = run;
		run->worker = w;
		return true;
	}
	return false;
}

/* ask one idle worker to leave, to make room for another database or role */
static bool
retire_idle_worker(void)
{
	ListCell   *lc;

	foreach(lc, workers)
	{
		CronWorker *w = lfirst(lc);
		uint32		expected = MB_IDLE;

		if (w->run == NULL &&
			pg_atomic_compare_exchange_u32(&w->mb->state, &expected, MB_EXITING))
		{
			wake_worker(w);
			return true;
		}
	}
	return false;
}

/* hand a run to a job worker; false if none can take it now */
bool
cron_pool_launch(CronRun *run)
{
	if (reuse_worker(run))
		return true;
	if (list_length(workers) < cronext_max_running_jobs && start_worker(run))
	{
		worker_warned = false;
		return true;
	}
	/* idle workers of other databases or roles make room */
	if (retire_idle_worker())
		return false;
	if (list_length(workers) < cronext_max_running_jobs)
	{
		if (!worker_warned)
			ereport(WARNING,
					(errmsg("no background worker slot is free; due cron runs wait"),
					 errhint("Raise max_worker_processes (now %d).",
							 max_worker_processes)));
		worker_warned = true;
	}
	return false;
}
