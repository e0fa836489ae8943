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

#include <signal.h>

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cronext.h"
#include "run_state.h"
#include "text_clip.h"
#include "shared.h"

/* job workers starting (not yet connected) at once; see the header */
#define CRON_WORKER_STARTS_AT_ONCE	4
/* a run that began less than this ago is expected to end soon (µs) */
#define CRON_RUN_SOON_US			(5 * 1000)

static List *workers = NIL;		/* CronWorker *, in pool_cxt */
static uint64 launch_round = 0; /* cron_pool_begin_launches calls */
static MemoryContext pool_cxt = NULL;	/* the pool's, for its life */

static MemoryContext
get_pool_cxt(void)
{
	if (pool_cxt == NULL)
		pool_cxt = AllocSetContextCreate(TopMemoryContext, "cronext job workers",
										 ALLOCSET_SMALL_SIZES);
	return pool_cxt;
}
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

/* a report about the run of worker w, in the caller's context */
static CronReport *
new_report(CronWorker *w, CronReportKind kind)
{
	CronReport *r = palloc0(sizeof(CronReport));

	r->run = w->run;
	r->kind = kind;
	return r;
}

/* the worker no longer has its run */
static void
unlink_run(CronWorker *w)
{
	w->run->worker = NULL;
	w->run = NULL;
}

/*
 * What the job workers reported since the last call, as CronReports (in
 * the caller's memory context), for the run module to apply.  Workers
 * whose run ended are given back to the pool, and the workers that have
 * exited are forgotten.  Nothing here decides what a report means for the
 * run (a retry, an outcome): runs.c does.
 */
List *
cron_pool_collect_reports(void)
{
	List	   *reports = NIL;
	ListCell   *lc;

	foreach(lc, workers)
	{
		CronWorker *w = lfirst(lc);
		CronMailbox *mb = w->mb;
		pid_t		pid;
		bool		stopped;
		uint32		state;

		stopped = GetBackgroundWorkerPid(w->handle, &pid) == BGWH_STOPPED;
		/* read the state after the liveness: a report made before exiting counts */
		pg_memory_barrier();
		state = pg_atomic_read_u32(&mb->state);
		pg_read_barrier();

		if (w->run != NULL && state == MB_BOUNCED)
		{
			/* the worker's session went stale: a fresh worker takes the run */
			reports = lappend(reports, new_report(w, CRON_REPORT_BOUNCED));
			unlink_run(w);
		}

		if (w->run != NULL)
		{
			CronReport *r;

			if ((state == MB_RUNNING || state == MB_DONE) && !w->start_reported)
			{
				r = new_report(w, CRON_REPORT_STARTED);
				r->pid = mb->pid;
				r->start_time = mb->start_time;
				r->exactly_once = mb->exactly_once;
				reports = lappend(reports, r);
				w->start_reported = true;
			}
			if (state == MB_DONE)
			{
				r = new_report(w, CRON_REPORT_FINISHED);
				r->succeeded = mb->succeeded;
				r->retryable = !mb->succeeded;
				r->recorded = mb->recorded;
				r->start_time = mb->start_time;
				r->end_time = mb->end_time;
				r->message = report_message(mb);
				reports = lappend(reports, r);
				unlink_run(w);
				if (!stopped)
				{
					pg_atomic_write_u32(&mb->state, MB_IDLE);
					wake_worker(w);
				}
			}
			else if (stopped)
			{
				r = new_report(w, CRON_REPORT_LOST);
				r->started = state == MB_RUNNING;
				r->exactly_once = mb->exactly_once;
				if (r->started)
				{
					r->start_time = mb->start_time;
					r->message = pstrdup("the job worker exited during the run (see the server log)");
				}
				else
					r->message = mb->message[0] ? report_message(mb) :
						pstrdup("the job worker exited before it could run the command (see the server log)");
				r->end_time = GetCurrentTimestamp();
				reports = lappend(reports, r);
				unlink_run(w);
			}
		}

		if (stopped)
		{
			dsm_detach(w->seg);
			pfree(w->handle);
			pfree(w);
			workers = foreach_delete_current(workers, lc);
		}
	}
	return reports;
}

/* put a run's request into a worker's mailbox */
static void
fill_request(CronMailbox *mb, CronRun *run)
{
	mb->jobid = run->jobid;
	mb->runid = run->runid;
	mb->scheduled_for = run->scheduled_for;
	mb->attempt = run->attempt;
	mb->timeout_ms = run->timeout_ms;
	mb->log_statement = cronext_log_statement;
	mb->start_time = 0;
	mb->end_time = 0;
	mb->succeeded = false;
	mb->exactly_once = false;
	mb->recorded = false;
	mb->record_skipped = false;
	mb->message[0] = '\0';
	memcpy(mb->command, run->command, strlen(run->command) + 1);
}

/* start a new job worker for a run; false if none can start (max_worker_processes) */
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
	mb->catalog_db = MyDatabaseId;
	mb->scheduler_pid = MyProcPid;
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
	old = MemoryContextSwitchTo(get_pool_cxt());
	ok = RegisterDynamicBackgroundWorker(&bgw, &handle);
	MemoryContextSwitchTo(old);
	if (!ok)
	{
		dsm_detach(seg);
		return false;
	}

	w = MemoryContextAllocZero(get_pool_cxt(), sizeof(CronWorker));
	w->seg = seg;
	w->mb = mb;
	w->handle = handle;
	strlcpy(w->database, run->database, sizeof(w->database));
	strlcpy(w->username, run->username, sizeof(w->username));
	w->roleid = run->roleid;
	w->run = run;
	w->start_reported = false;
	run->worker = w;
	old = MemoryContextSwitchTo(get_pool_cxt());
	workers = lappend(workers, w);
	MemoryContextSwitchTo(old);
	return true;
}

/* does worker w serve the run's database and role? */
static bool
same_session(const CronWorker *w, const CronRun *run)
{
	return strcmp(w->database, run->database) == 0 &&
		strcmp(w->username, run->username) == 0 &&
		w->roleid == run->roleid;
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
			!same_session(w, run))
			continue;
		if (!pg_atomic_compare_exchange_u32(&w->mb->state, &expected, MB_RESERVED))
			continue;			/* it is leaving */
		fill_request(w->mb, run);
		pg_write_barrier();
		pg_atomic_write_u32(&w->mb->state, MB_ASSIGNED);
		wake_worker(w);
		w->run = run;
		w->start_reported = false;
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

/*
 * The scheduler is leaving (a statement holds its database, the extension
 * was dropped, it is shutting down): its idle workers leave now rather
 * than after their idle time, so that nothing of cronext keeps the
 * database busy.  A worker still running a command leaves when it sees
 * its scheduler gone (job_worker.c).
 */
void
cron_pool_release_idle(void)
{
	ListCell   *lc;

	foreach(lc, workers)
	{
		CronWorker *w = lfirst(lc);
		uint32		expected = MB_IDLE;

		if (pg_atomic_compare_exchange_u32(&w->mb->state, &expected, MB_EXITING))
			wake_worker(w);
	}
}

/*
 * Workers of the run's database and role started and not yet connected
 * (they set their pid then).  The limit on starts
 * is per database and role, so that workers that cannot connect (their
 * database held by CREATE DATABASE ... TEMPLATE, say) hold back only runs
 * that could not have run either.
 */
static int
starting_workers(const CronRun *run)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, workers)
	{
		CronWorker *w = lfirst(lc);

		if (w->mb->pid == 0 && same_session(w, run))
			n++;
	}
	return n;
}

/*
 * Is this busy worker likely to be free soon: its run was just handed to
 * it, has ended, or began less than CRON_RUN_SOON_US ago?  A worker still
 * starting is not: its first run may be long.
 */
static bool
frees_soon(CronWorker *w, TimestampTz now)
{
	uint32		state;

	if (w->run == NULL || w->mb->pid == 0)
		return false;
	state = pg_atomic_read_u32(&w->mb->state);
	return state == MB_ASSIGNED || state == MB_DONE ||
		(state == MB_RUNNING && w->mb->start_time > 0 &&
		 now - w->mb->start_time < CRON_RUN_SOON_US);
}

/*
 * A worker of the run's database and role likely to be free soon, and not
 * yet awaited by another run of this round of launches.
 */
static CronWorker *
worker_free_soon(const CronRun *run, TimestampTz now)
{
	ListCell   *lc;

	foreach(lc, workers)
	{
		CronWorker *w = lfirst(lc);

		if (w->awaited_round != launch_round && same_session(w, run) &&
			frees_soon(w, now))
			return w;
	}
	return NULL;
}

/*
 * How many runs the pool could take now, to pick no more: its idle
 * workers, and the workers it may start in one pass (within
 * cron.max_running_jobs and the starts at once of one database and role)
 * beyond those that will be free soon.  A run of another role or
 * database than an idle worker's may still have to wait for that worker
 * to retire.
 */
int
cron_pool_capacity(void)
{
	ListCell   *lc;
	TimestampTz now = GetCurrentTimestamp();
	int			idle = 0;
	int			soon = 0;
	int			startable;

	foreach(lc, workers)
	{
		CronWorker *w = lfirst(lc);

		if (w->run == NULL && pg_atomic_read_u32(&w->mb->state) == MB_IDLE)
			idle++;
		else if (frees_soon(w, now))
			soon++;
	}
	startable = Min(CRON_WORKER_STARTS_AT_ONCE,
					cronext_max_running_jobs - list_length(workers)) - soon;
	return idle + Max(startable, 0);
}

/* a new round of launches: no worker is awaited yet */
void
cron_pool_begin_launches(void)
{
	launch_round++;
}

/*
 * Hand a run to a job worker.  CRON_POOL_WAIT: it waits for a worker that
 * is starting or will be free soon (that worker wakes the scheduler, or
 * cron_pool_wake_at says when to look again); CRON_POOL_FULL: no worker
 * can be started now (max_worker_processes).
 */
CronPoolLaunch
cron_pool_launch(CronRun *run)
{
	CronWorker *soon;

	if (reuse_worker(run))
		return CRON_POOL_LAUNCHED;
	soon = worker_free_soon(run, GetCurrentTimestamp());
	if (soon != NULL)
	{
		soon->awaited_round = launch_round;
		return CRON_POOL_WAIT;
	}
	if (starting_workers(run) >= CRON_WORKER_STARTS_AT_ONCE)
		return CRON_POOL_WAIT;
	if (list_length(workers) < cronext_max_running_jobs && start_worker(run))
	{
		worker_warned = false;
		return CRON_POOL_LAUNCHED;
	}
	/* idle workers of other databases or roles make room */
	if (retire_idle_worker())
		return CRON_POOL_FULL;
	if (list_length(workers) < cronext_max_running_jobs)
	{
		if (!worker_warned)
			ereport(WARNING,
					(errmsg("no background worker slot is free; due cron runs wait"),
					 errhint("Raise max_worker_processes (now %d).",
							 max_worker_processes)));
		worker_warned = true;
	}
	return CRON_POOL_FULL;
}

/*
 * When to look again at runs that wait for workers expected to be free
 * soon, in case their runs turn out long (then the pool grows): the
 * earliest instant a running worker stops counting as soon free, or 0.
 */
TimestampTz
cron_pool_wake_at(void)
{
	ListCell   *lc;
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz at = 0;

	foreach(lc, workers)
	{
		CronWorker *w = lfirst(lc);
		TimestampTz until = w->mb->start_time + CRON_RUN_SOON_US;

		/* only those still soon free: the others are looked past already */
		if (pg_atomic_read_u32(&w->mb->state) == MB_RUNNING &&
			frees_soon(w, now) && (at == 0 || until < at))
			at = until;
	}
	return at;
}

/*
 * Has a worker said something that the last collection did not see?  The
 * worker woke the scheduler, but a wait for a lock during the pass (the
 * lock manager sleeps on the same latch, and resets it) may have eaten
 * that wake-up: the scheduler looks here before it sleeps.
 */
bool
cron_pool_reports_waiting(void)
{
	ListCell   *lc;

	foreach(lc, workers)
	{
		CronWorker *w = lfirst(lc);
		uint32		state = pg_atomic_read_u32(&w->mb->state);
		pid_t		pid;

		if (w->run != NULL &&
			(state == MB_DONE || state == MB_BOUNCED ||
			 (state == MB_RUNNING && !w->start_reported)))
			return true;
		if (GetBackgroundWorkerPid(w->handle, &pid) == BGWH_STOPPED)
			return true;
	}
	return false;
}

/*
 * When the command of the run its worker has started began, or 0 when the
 * run has no worker or has not started.
 */
TimestampTz
cron_pool_start_time(const CronRun *run)
{
	return run->worker ? run->worker->mb->start_time : 0;
}

/*
 * Ask the worker of a run to cancel it: a running command is interrupted
 * (SIGINT cancels its statement; the worker reports it as cancelled), one
 * not started yet is not run.
 */
void
cron_pool_cancel(const CronRun *run)
{
	CronMailbox *mb = run->worker->mb;

	mb->cancel_runid = run->runid;
	pg_memory_barrier();
	if (pg_atomic_read_u32(&mb->state) == MB_RUNNING && mb->pid > 0)
		(void) kill(mb->pid, SIGINT);
}

/*
 * Terminate the worker of a run whose command is still running: true if it
 * was signalled (its exit is reported as CRON_REPORT_LOST).
 */
bool
cron_pool_terminate(const CronRun *run)
{
	CronMailbox *mb = run->worker->mb;

	if (pg_atomic_read_u32(&mb->state) != MB_RUNNING || mb->pid <= 0)
		return false;
	(void) kill(mb->pid, SIGTERM);
	return true;
}
