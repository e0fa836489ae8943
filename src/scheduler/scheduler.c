/*-------------------------------------------------------------------------
 *
 * scheduler.c
 *	  The cronext scheduler's loop: one background worker per database with
 *	  cronext (started by the launcher, launcher/launcher.c) that runs passes (each in its own transaction), reads job changes, and
 *	  recovers from errors in its own work.  Deciding due slots, starting
 *	  runs (job workers or the HTTP worker) and recording outcomes are done
 *	  by the files named below.
 *
 * Each loop iteration runs in one transaction: read cron.job if it changed,
 * record what running job workers reported, decide the due slots, and
 * claim the runs that may start; the transaction commits before any of
 * those runs is launched, so a run never starts without its claim being in
 * the database.  Then the loop sleeps on its latch until the next slot is
 * due, a job worker reports, cron.job changes, or cron.run_job asks.
 *
 * Which due slots run, which are missed or skipped, and how claims are
 * shared across roles, is decided in decide.c.
 *
 * Claimed runs, from their claim to their outcome, live in runs.c; they
 * are started by run_launch.c, on the pool of job workers of
 * worker/worker_pool.c or the HTTP worker's queue (http/http_dispatch.c).
 *
 * The scheduler starts only once recovery has finished, so on a hot
 * standby it runs nothing; after promotion it starts, and the replicated
 * ledger keeps it from re-running slots the old primary ran.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "after_pass.h"
#include "alerts.h"
#include "cronext.h"
#include "decide.h"
#include "home_db.h"
#include "job_cache.h"
#include "ledger.h"
#include "lock_timeout.h"
#include "manual_runs.h"
#include "run_state.h"
#include "run_resume.h"
#include "runs.h"
#include "schedule_pg.h"
#include "scheduler.h"
#include "shared.h"

/* how often to look again while the extension is not installed */
#define EXTENSION_POLL_MS	1000

/* how soon to retry reading cron.job when it was locked */
#define RELOAD_RETRY_MS		500

/* history retention: rows per batch, and the pause between passes */
#define PRUNE_BATCH			1000
#define PRUNE_INTERVAL		(60 * USECS_PER_SEC)
#define PRUNE_CATCHUP		(100 * 1000)	/* after a full batch: 100 ms */

/* after a pass that failed, wait this long before the next */
#define ERROR_RETRY_MS		1000


static MemoryContext loop_cxt;

static bool extension_ready = false;
static bool ever_ready = false;	/* this process found cronext here once */
/* no cronext here, or a copy's: exit after this pass, saying which */
static CronDbState leave_as = CRON_DB_WANTED;
static uint64 pass_gen = 0;
static char *my_dbname;
static bool first_load = true;
static bool reload_pending = true;
static Oid	loaded_job_relid = InvalidOid;
static TimestampTz scheduler_started_at = 0;
static bool reload_warned = false;
static TimestampTz next_prune_at = 0;	/* 0 = at the next pass */

/* after a failed pass: re-read every job's last slot from the ledger */
static bool resync_pending = false;

/*
 * Runs an earlier scheduler left open are closed by the first pass that
 * commits (not merely the first that tries: a failed one rolls it back).
 */
static bool orphans_pending = true;
static bool orphans_closing = false;

/* the last error of a pass, so that a repeated one is logged once a minute */
static char last_error[256] = "";
static TimestampTz last_error_at = 0;
static int	repeated_errors = 0;


static void
scheduler_detach_shared(int code, Datum arg)
{
	/* its idle job workers leave with it (their mailboxes are still mapped) */
	cron_pool_release_idle();
	cron_scheduler_detach();
}

/*
 * Is cronext's catalog here, at the version this library needs?  If not,
 * say once per scheduler start what to run, and run no job meanwhile:
 * pg_cron's jobs untaken, or a catalog of another version, would otherwise
 * sit idle without a word, or be read with the wrong columns.  With no
 * cronext here at all, the scheduler leaves (see the main loop).
 */
static CronCatalogState
catalog_state(void)
{
	static bool warned[CATALOG_READY + 1];
	char	   *version;
	CronCatalogState state = cron_home_catalog_state(&version);

	if (state == CATALOG_READY || state == CATALOG_ABSENT || warned[state])
		return state;
	warned[state] = true;
	if (state == CATALOG_PG_CRON)
		ereport(WARNING,
				(errmsg("database \"%s\" has pg_cron %s installed but not cronext: no job runs",
						my_dbname, version),
				 errhint("Run CREATE EXTENSION cronext in database \"%s\": it takes over pg_cron's jobs, history and privileges.",
						 my_dbname)));
	else if (state == CATALOG_OLD)
		ereport(WARNING,
				(errmsg("cronext's catalog in database \"%s\" is version %s, older than this library's %s: no job runs until it is updated",
						my_dbname, version, CRONEXT_CATALOG_VERSION),
				 errhint("Run ALTER EXTENSION cronext UPDATE in database \"%s\".",
						 my_dbname)));
	else
		ereport(WARNING,
				(errmsg("cronext's catalog in database \"%s\" is version %s, which this library (for version %s) does not know: no job runs",
						my_dbname, version, CRONEXT_CATALOG_VERSION),
				 errhint("Install the cronext library that matches the catalog, or ALTER EXTENSION cronext UPDATE TO '%s'.",
						 CRONEXT_CATALOG_VERSION)));
	return state;
}

/*
 * How long to sleep: until the next slot, or a retry; -1 = until woken.
 * *at is the earliest instant asked for (0: none), which the whole
 * milliseconds may overshoot.
 */
static long
sleep_ms(int64 *at)
{
	CronJob    *job;
	CronWake	wake;

	*at = 0;
	if (!extension_ready)
		return EXTENSION_POLL_MS;
	if (cron_runs_reports_waiting())
		return 0;
	cron_wake_init(&wake);
	job = cron_job_cache_first();
	if (job)
		cron_wake_at(&wake, job->next_slot);
	cron_runs_add_wakes(&wake);
	if (!first_load)
		cron_alerts_add_wakes(&wake);
	if (reload_pending)
		cron_wake_in(&wake, RELOAD_RETRY_MS);
	if (cronext_history_retention > 0)
		cron_wake_at(&wake, next_prune_at);
	if (wake.any)
		*at = wake.at;
	return cron_wake_sleep_ms(&wake, cron_server_clock());
}

/*
 * Sleep until woken or ms have passed (-1: until woken).  The latch's
 * timer counts whole milliseconds, rounded up, and Linux lets a sleep end
 * up to 0.1 % late (1 ms in a second): waking at a slot that way would
 * start its runs a millisecond or two late.  So when ms ends at the
 * instant at, the latch is waited on in shorter and shorter steps, each
 * ending a little early, and the last two milliseconds at most are slept
 * with a fine timer (the only part that does not watch the latch).
 */
static void
sleep_until_woken(long ms, int64 at)
{
	const int64 fine_us = 2000;
	int64		now = cron_clock_now(cron_server_clock());

	/* at does not bound this sleep: something else comes first */
	if (ms < 0 || at <= 0 || at - now > (int64) ms * 1000 + 1000)
	{
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | (ms >= 0 ? WL_TIMEOUT : 0),
						 ms, PG_WAIT_EXTENSION);
		return;
	}
	while (at - now > fine_us)
	{
		long		left_ms = (long) ((at - now) / 1000);
		long		step = left_ms - 1 - left_ms / 500;

		if (WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | WL_TIMEOUT,
					  Max(step, 1), PG_WAIT_EXTENSION) & WL_LATCH_SET)
			return;
		now = cron_clock_now(cron_server_clock());
	}
	if (at > now)
		pg_usleep((long) (at - now));
}

/*
 * cron.history_retention: at least once a minute, delete one small batch
 * of old history (short, row-level locks only); after a full batch, come
 * back soon for the next.  The delete guard and the query itself keep the
 * rows of runs in progress and the newest row of each job.
 */
static void
prune_history(void)
{
	TimestampTz now = cron_now();
	uint64		deleted;

	if (cronext_history_retention <= 0 || now < next_prune_at)
		return;
	deleted = cron_ledger_prune(now - (int64) cronext_history_retention * USECS_PER_SEC,
						   PRUNE_BATCH);
	/* alerts that are done go with the history */
	deleted = Max(deleted, cron_alerts_prune(now - (int64) cronext_history_retention * USECS_PER_SEC,
											 PRUNE_BATCH));
	next_prune_at = now + (deleted >= PRUNE_BATCH ? PRUNE_CATCHUP : PRUNE_INTERVAL);
}

/*
 * Job workers of an earlier scheduler of this server lifetime (it died, and
 * the postmaster restarted us) still run commands nobody will record.
 * Stop them and wait until they are gone, so that the runs closed as
 * failed next really committed nothing, and a queued job never runs twice
 * at once.
 */
static void
stop_orphan_workers(void)
{
	int			waited_ms = 0;
	int			left;

	left = cron_ledger_signal_orphan_workers();
	if (left == 0)
		return;
	ereport(LOG,
			(errmsg("cronext is stopping %d job worker%s left by an earlier scheduler",
					left, left == 1 ? "" : "s")));
	while (left > 0 && waited_ms < 30000)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 100, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		waited_ms += 100;
		left = cron_ledger_count_orphan_workers();
	}
	if (left > 0)
		ereport(WARNING,
				(errmsg("%d job worker%s of an earlier scheduler did not stop", left,
						left == 1 ? "" : "s")));

	/* the waits above may have consumed a wake-up meant for the main loop */
	SetLatch(MyLatch);
}

/* the OID of cron.job now (in a transaction) */
static Oid
current_job_relid(void)
{
	Oid			nsp = get_namespace_oid("cron", true);

	return OidIsValid(nsp) ? get_relname_relid("job", nsp) : InvalidOid;
}

/* what reload_jobs reads, as a step of cron_with_lock_timeout */
typedef struct ReloadStep
{
	const int64 *ids;			/* NULL: all jobs */
	int			nids;
	List	   *rows;
} ReloadStep;

static void
reload_step(void *arg)
{
	ReloadStep *rs = arg;

	if (rs->ids != NULL)
		rs->rows = cron_ledger_load_some_jobs(rs->ids, rs->nids, loop_cxt);
	else
		rs->rows = cron_ledger_load_jobs(first_load || resync_pending, loop_cxt);
}

/*
 * Read cron.job into the cache: the given jobs, or all when ids is NULL.
 * A role that may write cron.job may also lock it; so the read waits only
 * briefly for its lock and, if it cannot get it, keeps the jobs it knows
 * and tries again shortly, so that nobody's lock stalls everybody's jobs.
 * Returns false then.
 */
static bool
reload_jobs(const int64 *ids, int nids)
{
	ReloadStep	rs = {ids, nids, NIL};
	ErrorData  *edata = NULL;

	if (!cron_with_lock_timeout(reload_step, &rs, &edata))
	{
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			ReThrowError(edata);
		if (!reload_warned)
			ereport(WARNING,
					(errmsg("cronext could not read cron.job: %s", edata->message),
					 errdetail("Jobs keep running as last read; the read is retried.")));
		reload_warned = true;
		return false;
	}
	if (ids != NULL)
		cron_job_cache_update(rs.rows, ids, nids);
	else
		cron_job_cache_reload(rs.rows, first_load || resync_pending);
	reload_warned = false;
	return true;
}

/*
 * A pass failed: log the error (a repeated one at most once a minute),
 * roll back, and make the in-memory state agree with what committed.
 * Runs claimed in the rolled-back transaction are forgotten (they never
 * started), and every job's last slot is read again from the ledger on
 * the next pass, so that decisions that were rolled back are made again.
 * Whatever a role did, the scheduler never exits for it.
 */
static void
recover_from_error(MemoryContext cxt)
{
	ErrorData  *edata;
	TimestampTz now = cron_now();

	HOLD_INTERRUPTS();
	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	/* out of every level, subtransactions included, whatever failed */
	AbortOutOfAnyTransaction();
	MemoryContextSwitchTo(cxt);
	pgstat_report_activity(STATE_IDLE, NULL);

	if (strcmp(edata->message ? edata->message : "", last_error) != 0 ||
		now - last_error_at >= 60 * USECS_PER_SEC)
	{
		ereport(WARNING,
				(errmsg("cronext scheduler: %s", edata->message ? edata->message : "unknown error"),
				 repeated_errors > 0 ?
				 errdetail("The same error happened %d more time%s in the last minute.",
						   repeated_errors, repeated_errors == 1 ? "" : "s") : 0,
				 errhint("The scheduler goes on; the work of the failed pass is retried.")));
		strlcpy(last_error, edata->message ? edata->message : "", sizeof(last_error));
		last_error_at = now;
		repeated_errors = 0;
	}
	else
		repeated_errors++;
	FreeErrorData(edata);

	cron_runs_claims_rolled_back();
	resync_pending = true;
	orphans_closing = false;
	RESUME_INTERRUPTS();
}

/*
 * Hold ACCESS SHARE on cron.job for the pass, waiting at most briefly: then
 * no statement of the pass can wait on cron.job.  Only a superuser can
 * hold a lock that conflicts (lock_guard.c); while one does, the pass goes
 * on without reading cron.job (outcomes, HTTP runs, skipped slots), and
 * SQL runs wait for it.
 */
static void
lock_job_table(void)
{
	ErrorData  *edata = NULL;

	if (cron_with_lock_timeout(cron_ledger_lock_jobs, NULL, &edata))
	{
		cron_runs_set_job_table_readable(true);
		return;
	}
	if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
		ReThrowError(edata);
	cron_runs_set_job_table_readable(false);
}

/* one pass: read changes, record reports, decide, claim, launch */
static void
scheduler_iteration(void)
{
	ManualAnswer answers[CRON_MAX_MANUAL_REQUESTS];
	int			nanswers = 0;
	List	   *starting;
	Oid			job_relid;
	int64		changed[CRON_MAX_CHANGED_JOBS];
	int			nchanged;
	bool		changed_all;
	CronCatalogState catalog;

	/*
	 * Take the changed job ids before the snapshot: they come from
	 * transactions already visible to it, and a change that commits after
	 * this point is noted again and wakes us, so it is read on the next
	 * pass even if this pass's snapshot misses it.
	 */
	cron_pass_started_at = GetCurrentTimestamp();
	nchanged = cron_take_changed_jobs(changed, &changed_all);
	if (changed_all)
		reload_pending = true;

	/* start requests before this look at the catalog (see set_state) */
	pass_gen = cron_scheduler_start_gen();
	cron_pass_begin_xact();
	catalog = catalog_state();
	if (catalog != CATALOG_READY)
	{
		cron_pass_end_xact();
		extension_ready = false;
		/* no cronext here (never, or dropped): nothing to wait for */
		if (catalog == CATALOG_ABSENT || catalog == CATALOG_PG_CRON)
			leave_as = CRON_DB_ABSENT;
		else
			cron_scheduler_set_state(CRON_DB_WANTED, 0);	/* it waits here */
		return;
	}
	cron_ledger_prepare();
	lock_job_table();
	if (!extension_ready)
	{
		char	   *original;
		CronHome	home = cron_home_check(&original);

		if (home == CRON_HOME_RENAMED)
		{
			/* this pass's snapshot predates the move: read in the next */
			cron_pass_end_xact();
			SetLatch(MyLatch);
			return;
		}
		if (home == CRON_HOME_COPY)
		{
			/* said once per start of the database's scheduler */
			ereport(WARNING,
					(errmsg("database \"%s\" is a copy of database \"%s\": none of its cronext jobs runs",
							my_dbname, original),
					 errdetail("Its cron catalog was made in the other database, and came with the copy."),
					 errhint("To run them here, call SELECT cron.adopt_copied_jobs(); it pauses every job unless called with activate => true.")));
			cron_pass_end_xact();
			leave_as = CRON_DB_COPY;
			return;
		}
		extension_ready = true;
		reload_pending = true;
		if (!ever_ready)
		{
			cron_scheduler_set_state(CRON_DB_WANTED, 0);
			ereport(LOG,
					(errmsg("cronext scheduler started in database \"%s\"",
							my_dbname)));
		}
		ever_ready = true;
	}

	/*
	 * All jobs at start, after a reload signal, a TRUNCATE or a bulk
	 * change, or when cron.job is another table than last time (the
	 * extension was dropped and created again); else only the changed ones.
	 */
	job_relid = current_job_relid();
	if (reload_pending || first_load || resync_pending ||
		job_relid != loaded_job_relid)
		nchanged = -1;
	if (nchanged != 0 && !cron_runs_job_table_readable())
		reload_pending = true;	/* cron.job is locked: read it shortly */
	else if (nchanged != 0)
	{
		if (reload_jobs(nchanged > 0 ? changed : NULL, nchanged))
		{
			cron_alerts_note_jobs_changed();
			if (nchanged < 0)
				loaded_job_relid = job_relid;
			first_load = false;
			reload_pending = false;
			resync_pending = false;
		}
		else
			reload_pending = true;	/* read all again, shortly */
	}

	/*
	 * Runs an earlier scheduler left open: once the jobs are read, those of
	 * exactly-once effect run again, the others are closed as failed.
	 */
	if (orphans_pending && !first_load)
	{
		uint64		closed;

		orphans_closing = true;
		stop_orphan_workers();
		closed = cron_resume_orphans();

		if (closed > 0)
			ereport(LOG,
					(errmsg("cronext closed " UINT64_FORMAT " run%s left open by an earlier server or scheduler lifetime",
							closed, closed == 1 ? "" : "s")));
	}

	cron_runs_close_lost();
	cron_runs_apply_reports(cron_pool_collect_reports());
	cron_runs_collect_reports();
	cron_runs_serve_cancels();
	prune_history();
	nanswers = cron_manual_serve_requests(answers);
	cron_decide_due_slots(cron_server_clock(), scheduler_started_at);
	cron_decide_claim_ready();
	cron_runs_flush_deactivations();
	cron_pass_end_xact();
	/* what is built from here on lives until the pass's reset, no longer */
	Assert(CurrentMemoryContext == loop_cxt);
	cron_runs_claims_committed();
	if (orphans_closing)
		orphans_pending = false;

	cron_manual_publish_answers(answers, nanswers);
	cron_send_failure_notifications();

	/*
	 * The SQL runs that start now read their commands (those claimed in
	 * this pass have theirs), then start.
	 */
	starting = cron_runs_pick_sql_launches();
	if (cron_runs_need_commands(starting))
	{
		cron_pass_begin_xact();
		cron_runs_fetch_commands(&starting);
		cron_pass_end_xact();
		cron_runs_claims_committed();	/* outcomes it wrote (runs that failed) */
	}
	Assert(CurrentMemoryContext == loop_cxt);
	cron_runs_launch_claimed(starting);
	/* after the launches: alerts never delay a run's start */
	if (extension_ready && !first_load)
		cron_run_alerts();
	cron_publish_metrics();
}

void
cron_scheduler_main(Datum main_arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
#ifdef __linux__
	/* timers end within a microsecond, not Linux's default 50 µs */
	(void) prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
#endif
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* the launcher names the database by OID: a rename does not matter */
	BackgroundWorkerInitializeConnectionByOid(DatumGetObjectId(main_arg),
											  InvalidOid, 0);
	cron_apply_log_min_messages();
	pgstat_report_appname("cronext scheduler");
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET,
					PGC_S_OVERRIDE);
	/* its reads of 100 000 jobs would be JIT-compiled: memory for nothing */
	SetConfigOption("jit", "off", PGC_SUSET, PGC_S_OVERRIDE);

	StartTransactionCommand();
	my_dbname = MemoryContextStrdup(TopMemoryContext,
									get_database_name(MyDatabaseId));
	CommitTransactionCommand();

	/* another scheduler of this database is alive: it keeps its place */
	if (!cron_scheduler_attach())
		proc_exit(0);
	before_shmem_exit(scheduler_detach_shared, 0);

	scheduler_started_at = cron_now();
	cron_job_cache_init();
	cron_runs_init();
	loop_cxt = AllocSetContextCreate(TopMemoryContext, "cronext scheduler loop",
									 ALLOCSET_DEFAULT_SIZES);


	for (;;)
	{
		MemoryContext old;
		long		ms;
		int64		at;
		volatile bool failed;

		CHECK_FOR_INTERRUPTS();
		/* a statement needs the database free of connections */
		if (cron_scheduler_must_leave())
			proc_exit(0);
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			cron_apply_log_min_messages();
			/* zones and cron.launch_active_jobs may have changed */
			reload_pending = true;
			/* and cron.history_retention */
			next_prune_at = 0;
			/* and cron.default_alert_url: jobs may be watched now */
			cron_alerts_note_jobs_changed();
		}

		old = MemoryContextSwitchTo(loop_cxt);
		failed = false;
		PG_TRY();
		{
			scheduler_iteration();
		}
		PG_CATCH();
		{
			recover_from_error(loop_cxt);
			failed = true;
		}
		PG_END_TRY();
		MemoryContextSwitchTo(old);
		/* nothing of this pass is needed while we sleep */
		MemoryContextReset(loop_cxt);

		if (leave_as != CRON_DB_WANTED)
		{
			cron_scheduler_set_state(leave_as, pass_gen);
			if (ever_ready && leave_as == CRON_DB_ABSENT)
				ereport(LOG,
						(errmsg("cronext is no longer installed in database \"%s\": its scheduler stops",
								my_dbname)));
			proc_exit(0);
		}

		ms = sleep_ms(&at);
		/* after a failure, no faster than once a second */
		if (failed)
		{
			ms = ms < 0 ? ERROR_RETRY_MS : Max(ms, ERROR_RETRY_MS);
			at = 0;
		}
		sleep_until_woken(ms, at);
		ResetLatch(MyLatch);
	}
}
