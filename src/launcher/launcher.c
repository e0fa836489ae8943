/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  The cronext launcher: one background worker per cluster that keeps a
 *	  scheduler running for each database that has cronext, and none for
 *	  the others.
 *
 * Which databases have cronext is written in each database's own catalog,
 * which a process connected to no database cannot read.  So at its start
 * the launcher looks at every database that takes connections and is not
 * a template, by starting its scheduler: one that finds no cronext says so
 * (CRON_DB_ABSENT) and exits at once, a few at a time.  From then on it
 * is told: a commit of CREATE EXTENSION cronext asks for the database's
 * scheduler (db_events.c), one that finds its catalog gone exits, and
 * statements that need a database free of connections hold it while they
 * run.  In between it sleeps on its latch: it costs nothing while nothing
 * changes.
 *
 * A scheduler that exits without saying why (an error, a crash) is started
 * again after a second, as the postmaster does for static workers.  When
 * no background worker can be started (max_worker_processes), the launcher
 * says so in the log, once per shortage, and tries again every second; it
 * never waits for one.
 *
 * pg_database is read again at each wake-up (a catalog scan of a few rows,
 * only when something happened), so dropped databases are forgotten and
 * databases that stopped taking connections are left alone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "cronext.h"
#include "launcher.h"
#include "shared.h"

/* a scheduler that exited without a reason is started again after this */
#define RESTART_DELAY_MS	1000

/* schedulers started at once only to look for cronext */
#define MAX_PROBES			2

/* a hold whose statement never let go (its session died) ends after this */
#define STALE_HOLD_MS		60000

/* a database as pg_database says */
typedef struct DbInfo
{
	Oid			dboid;
	NameData	name;
	bool		runnable;		/* takes connections and is not a template */
} DbInfo;

/* the launcher's own record of a database's scheduler */
typedef struct LaunchedDb
{
	Oid			dboid;			/* InvalidOid: unused */
	BackgroundWorkerHandle *handle; /* NULL: none started by us */
	TimestampTz retry_at;		/* not before this */
	bool		said_unrunnable;
} LaunchedDb;

static LaunchedDb *launched;
static CronDbView *views;

/*
 * Databases found without cronext (or copies, waiting for adoption): known
 * here only, so that their shared entries are free for databases that have
 * it (cron.max_databases counts those).  A start request (CREATE EXTENSION,
 * cron.adopt_copied_jobs) makes a shared entry again.
 */
static HTAB *quiet_dbs;
static bool no_slot_warned = false;
static bool full_warned = false;

/* pg_database's databases, in the caller's memory context */
static DbInfo *
scan_databases(int *n)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	int			max = 16;
	DbInfo	   *dbs = palloc(max * sizeof(DbInfo));
	MemoryContext cxt = CurrentMemoryContext;

	*n = 0;
	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);
		MemoryContext old = MemoryContextSwitchTo(cxt);

		if (*n == max)
		{
			max *= 2;
			dbs = repalloc(dbs, max * sizeof(DbInfo));
		}
		dbs[*n].dboid = db->oid;
		dbs[*n].name = db->datname;
		/* a database half-dropped has datconnlimit -2: not runnable either */
		dbs[*n].runnable = db->datallowconn && !db->datistemplate &&
			db->datconnlimit != -2;
		(*n)++;
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return dbs;
}

static const DbInfo *
find_info(const DbInfo *dbs, int n, Oid dboid)
{
	for (int i = 0; i < n; i++)
		if (dbs[i].dboid == dboid)
			return &dbs[i];
	return NULL;
}

static LaunchedDb *
find_launched(Oid dboid, bool add)
{
	LaunchedDb *free_entry = NULL;

	for (int i = 0; i < cronext_max_databases; i++)
	{
		if (launched[i].dboid == dboid)
			return &launched[i];
		if (free_entry == NULL && !OidIsValid(launched[i].dboid))
			free_entry = &launched[i];
	}
	if (add && free_entry)
	{
		memset(free_entry, 0, sizeof(LaunchedDb));
		free_entry->dboid = dboid;
	}
	return add ? free_entry : NULL;
}

static void
forget_launched(LaunchedDb *l)
{
	if (l->handle)
		pfree(l->handle);
	memset(l, 0, sizeof(LaunchedDb));
}

/* start the scheduler of a database; false if no worker could be started */
static bool
start_scheduler(LaunchedDb *l, const DbInfo *info)
{
	BackgroundWorker bgw;
	MemoryContext old;
	bool		ok;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(bgw.bgw_library_name, "cronext", BGW_MAXLEN);
	strlcpy(bgw.bgw_function_name, "cron_scheduler_main", BGW_MAXLEN);
	snprintf(bgw.bgw_name, BGW_MAXLEN, "cronext scheduler for database %s",
			 NameStr(info->name));
	strlcpy(bgw.bgw_type, "cronext scheduler", BGW_MAXLEN);
	bgw.bgw_main_arg = ObjectIdGetDatum(info->dboid);
	bgw.bgw_notify_pid = MyProcPid;

	old = MemoryContextSwitchTo(TopMemoryContext);
	ok = RegisterDynamicBackgroundWorker(&bgw, &l->handle);
	MemoryContextSwitchTo(old);
	if (!ok)
	{
		l->handle = NULL;
		if (!no_slot_warned)
			ereport(WARNING,
					(errmsg("cronext cannot start the scheduler of database \"%s\": no background worker slot is free (max_worker_processes = %d)",
							NameStr(info->name), max_worker_processes),
					 errdetail("Its jobs wait; the launcher tries again every second."),
					 errhint("cronext needs one process for its launcher, one per database with cronext, one per database with HTTP jobs, and one per running job; raise max_worker_processes.")));
		no_slot_warned = true;
		l->retry_at = GetCurrentTimestamp() + RESTART_DELAY_MS * 1000;
		return false;
	}
	return true;
}

/* is the scheduler we started still there (or starting)? */
static bool
handle_alive(LaunchedDb *l)
{
	pid_t		pid;

	if (l->handle == NULL)
		return false;
	if (GetBackgroundWorkerPid(l->handle, &pid) != BGWH_STOPPED)
		return true;
	pfree(l->handle);
	l->handle = NULL;
	return false;
}

/*
 * One look at everything: databases found, schedulers that ended, the ones
 * to start or stop.  Returns how long to sleep (-1: until woken).
 */
static long
launcher_pass(void)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz wake_at = 0;
	bool		rescan;
	int			ndbs;
	DbInfo	   *dbs = scan_databases(&ndbs);
	int			nviews;
	int			probes = 0;
	bool		all_started = true;

	/* forget the quiet databases that were dropped */
	{
		HASH_SEQ_STATUS seq;
		Oid		   *quiet;

		hash_seq_init(&seq, quiet_dbs);
		while ((quiet = hash_seq_search(&seq)) != NULL)
			if (find_info(dbs, ndbs, *quiet) == NULL)
				(void) hash_search(quiet_dbs, quiet, HASH_REMOVE, NULL);
	}

	/* every database that could have cronext, and was not found quiet, gets an entry */
	for (int i = 0; i < ndbs; i++)
	{
		if (!dbs[i].runnable ||
			hash_search(quiet_dbs, &dbs[i].dboid, HASH_FIND, NULL) != NULL ||
			cron_launcher_add_db(dbs[i].dboid))
			continue;
		if (!full_warned)
			ereport(WARNING,
					(errmsg("cronext does not look at database \"%s\": cron.max_databases (%d) databases are watched already",
							NameStr(dbs[i].name), cronext_max_databases),
					 errhint("Raise cron.max_databases and restart the server.")));
		full_warned = true;
	}

	nviews = cron_launcher_take(views, &rescan);
	for (int i = 0; i < nviews; i++)
	{
		LaunchedDb *l = find_launched(views[i].dboid, false);

		if (views[i].state == CRON_DB_UNKNOWN && l && handle_alive(l))
			probes++;
	}

	for (int i = 0; i < nviews; i++)
	{
		CronDbView *v = &views[i];
		const DbInfo *info = find_info(dbs, ndbs, v->dboid);
		LaunchedDb *l = find_launched(v->dboid, true);
		bool		alive;
		bool		wanted;

		if (l == NULL)
			continue;			/* cannot happen: as many as entries */
		alive = handle_alive(l) || v->scheduler_pid != 0;

		if (info == NULL)
		{
			/* dropped: forget it once its scheduler is gone */
			if (!alive)
			{
				cron_launcher_set_state(v->dboid, CRON_DB_GONE);
				forget_launched(l);
			}
			continue;
		}

		if (v->held)
		{
			/* a statement needs the database free: make sure we leave */
			if (l->handle && alive)
				TerminateBackgroundWorker(l->handle);
			if (now - v->held_since >= (int64) STALE_HOLD_MS * 1000)
				cron_launcher_release_stale_hold(v->dboid);
			else if (wake_at == 0 || v->held_since + STALE_HOLD_MS * 1000 < wake_at)
				wake_at = v->held_since + (int64) STALE_HOLD_MS * 1000;
			l->retry_at = 0;	/* once let go, start at once */
			continue;
		}

		wanted = v->state == CRON_DB_UNKNOWN || v->state == CRON_DB_WANTED;
		if (v->start_now)
		{
			l->retry_at = 0;
			(void) hash_search(quiet_dbs, &v->dboid, HASH_REMOVE, NULL);
		}
		if (!wanted && !alive)
		{
			/* no cronext there, or a copy: remember it here, free its entry */
			(void) hash_search(quiet_dbs, &v->dboid, HASH_ENTER, NULL);
			cron_launcher_set_state(v->dboid, CRON_DB_GONE);
			forget_launched(l);
			continue;
		}
		if (!wanted || alive)
			continue;
		if (!info->runnable)
		{
			if (v->state == CRON_DB_WANTED && !l->said_unrunnable)
				ereport(LOG,
						(errmsg("database \"%s\" has cronext but does not take connections (or is a template): its jobs wait",
								NameStr(info->name))));
			l->said_unrunnable = true;
			continue;
		}
		l->said_unrunnable = false;
		if (now < l->retry_at)
		{
			if (wake_at == 0 || l->retry_at < wake_at)
				wake_at = l->retry_at;
			continue;
		}
		if (v->state == CRON_DB_UNKNOWN && probes >= MAX_PROBES)
			continue;			/* a probe's end wakes us */
		if (start_scheduler(l, info))
		{
			/* if it exits without a reason, it is started again later */
			l->retry_at = now + RESTART_DELAY_MS * 1000;
			if (v->state == CRON_DB_UNKNOWN)
				probes++;
		}
		else
		{
			all_started = false;
			if (wake_at == 0 || l->retry_at < wake_at)
				wake_at = l->retry_at;
		}
	}
	if (all_started)
		no_slot_warned = false;
	pfree(dbs);

	if (wake_at == 0)
		return -1;
	return (long) Max((wake_at - GetCurrentTimestamp() + 999) / 1000, 0);
}

static void
launcher_detach(int code, Datum arg)
{
	cron_launcher_attach(false);
}

void
cron_launcher_main(Datum main_arg)
{
	MemoryContext pass_cxt;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* connected to no database: only shared catalogs, pg_database */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	cron_apply_log_min_messages();
	pgstat_report_appname("cronext launcher");

	launched = MemoryContextAllocZero(TopMemoryContext,
									  cronext_max_databases * sizeof(LaunchedDb));
	views = MemoryContextAllocZero(TopMemoryContext,
								   cronext_max_databases * sizeof(CronDbView));
	pass_cxt = AllocSetContextCreate(TopMemoryContext, "cronext launcher pass",
									 ALLOCSET_DEFAULT_SIZES);
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(Oid);
		quiet_dbs = hash_create("cronext quiet databases", 64, &ctl,
								HASH_ELEM | HASH_BLOBS);
	}
	cron_launcher_attach(true);
	before_shmem_exit(launcher_detach, 0);

	for (;;)
	{
		long		ms;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			cron_apply_log_min_messages();
		}
		old = MemoryContextSwitchTo(pass_cxt);
		ms = launcher_pass();
		MemoryContextSwitchTo(old);
		MemoryContextReset(pass_cxt);

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | (ms >= 0 ? WL_TIMEOUT : 0),
						 ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
