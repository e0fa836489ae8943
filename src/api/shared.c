/*-------------------------------------------------------------------------
 *
 * shared.c
 *	  cronext's state in the server's main shared memory, and the protocols
 *	  of processes over it: which databases have a scheduler and who they
 *	  are, how a process wakes another, the launcher's view of the
 *	  databases.  The queues that backends fill for a scheduler are in
 *	  shared_queues.c; no other file sees the structs (shared_internal.h).
 *
 * There is one entry per database that has cronext (or that the launcher
 * is looking at), cron.max_databases in all.  A process reaches the entry
 * of its own database (MyDatabaseId): backends post there for the
 * scheduler of the catalog they use; only job workers, which run in the
 * job's database, name their scheduler's database.
 *
 * Backends never talk to a scheduler directly: they note changed jobs or
 * queue a request here and set the scheduler's latch, and the scheduler
 * picks the change up on its next loop.  That keeps the scheduler's sleep
 * "until the earliest deadline or until told", with no polling.
 *
 * One LWLock guards it all (the lists it copies are up to 32 kB, more than
 * a spinlock should guard); every holder does a few copies and leaves.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "cronext.h"
#include "shared.h"
#include "shared_internal.h"

CronShared *cron_shared = NULL;

/* this process's database's entry, once found */
static CronDbShared *my_db = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static Size
shared_size(void)
{
	return add_size(offsetof(CronShared, dbs),
					mul_size(sizeof(CronDbShared), cronext_max_databases));
}

static void
cron_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(shared_size()));
	RequestNamedLWLockTranche("cronext", 1);
}

static void
init_db(CronDbShared *db, Oid dboid)
{
	memset(db, 0, offsetof(CronDbShared, requests_cv));
	db->http_queue = 0;
	db->http_worker_pid = 0;
	db->dboid = dboid;
	db->state = CRON_DB_UNKNOWN;
	db->scheduler_procno = -1;
	db->next_ticket = 1;
}

static void
cron_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	cron_shared = ShmemInitStruct("cronext", shared_size(), &found);
	if (!found)
	{
		memset(cron_shared, 0, shared_size());
		cron_shared->lock = &(GetNamedLWLockTranche("cronext"))[0].lock;
		cron_shared->launcher_procno = -1;
		cron_shared->ndbs = cronext_max_databases;
		for (int i = 0; i < cron_shared->ndbs; i++)
		{
			init_db(&cron_shared->dbs[i], InvalidOid);
			ConditionVariableInit(&cron_shared->dbs[i].requests_cv);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

/* install the hooks; called from _PG_init */
void
cron_shared_request(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = cron_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = cron_shmem_startup;
}

void
cron_shared_lock(void)
{
	LWLockAcquire(cron_shared->lock, LW_EXCLUSIVE);
}

void
cron_shared_unlock(void)
{
	LWLockRelease(cron_shared->lock);
}

/* the entry of a database, or NULL; the lock is held */
static CronDbShared *
find_db(Oid dboid)
{
	for (int i = 0; i < cron_shared->ndbs; i++)
		if (cron_shared->dbs[i].dboid == dboid)
			return &cron_shared->dbs[i];
	return NULL;
}

/* the entry of a database, made if there is room; the lock is held */
static CronDbShared *
find_or_add_db(Oid dboid)
{
	CronDbShared *db = find_db(dboid);

	if (db == NULL && (db = find_db(InvalidOid)) != NULL)
		init_db(db, dboid);
	return db;
}

/*
 * This process's database's entry, or NULL if it has none (no scheduler
 * ever ran for it).  An entry stays its database's for as long as the
 * database exists, so once found it is kept.
 */
CronDbShared *
cron_this_db(void)
{
	if (my_db == NULL && cron_shared != NULL && OidIsValid(MyDatabaseId))
		my_db = find_db(MyDatabaseId);
	return my_db;
}

/* ---- processes: who the scheduler is, waking ---------------------------- */

/*
 * Set the latch of the process with this pgprocno (-1: none).  The one way
 * cronext's processes wake each other: the launcher, a scheduler, a job
 * worker, the HTTP worker.
 */
void
cron_wake_proc(int procno)
{
	if (procno >= 0)
		SetLatch(&ProcGlobal->allProcs[procno].procLatch);
}

/* set the launcher's latch; the lock is held */
static void
wake_launcher_locked(void)
{
	cron_wake_proc(cron_shared->launcher_procno);
}

/* set the latch of the scheduler of a database, if it is running */
void
cron_wake_scheduler_of(Oid dboid)
{
	int			procno = -1;
	CronDbShared *db;

	if (cron_shared == NULL)
		return;
	cron_shared_lock();
	db = find_db(dboid);
	if (db)
		procno = db->scheduler_procno;
	cron_shared_unlock();
	cron_wake_proc(procno);
}

/* the pid of the scheduler of a database (0: none runs) */
pid_t
cron_scheduler_pid_of(Oid dboid)
{
	pid_t		pid = 0;
	CronDbShared *db;

	if (cron_shared == NULL)
		return 0;
	cron_shared_lock();
	db = find_db(dboid);
	if (db)
		pid = db->scheduler_pid;
	cron_shared_unlock();
	return pid;
}

/* set the latch of this database's scheduler, if it is running */
void
cron_wake_scheduler(void)
{
	cron_wake_scheduler_of(MyDatabaseId);
}

/*
 * The scheduler says it is running (this process, for this database), or
 * that it stopped.  Returns false if the database has no entry and none is
 * free (cron.max_databases): it cannot run.
 */
bool
cron_scheduler_attach(void)
{
	CronDbShared *db;

	cron_shared_lock();
	db = find_or_add_db(MyDatabaseId);
	/* one scheduler per database: another that is alive keeps its place */
	if (db && db->scheduler_pid != 0 && db->scheduler_pid != MyProcPid &&
		BackendPidGetProc(db->scheduler_pid) != NULL)
		db = NULL;
	else if (db)
	{
		db->scheduler_procno = MyProc->pgprocno;
		db->scheduler_pid = MyProcPid;
	}
	cron_shared_unlock();
	my_db = db;
	return db != NULL;
}

void
cron_scheduler_detach(void)
{
	CronDbShared *db = cron_this_db();

	if (db == NULL)
		return;
	cron_shared_lock();
	db->scheduler_procno = -1;
	memset(&db->metrics, 0, sizeof(db->metrics));
	db->scheduler_pid = 0;
	/* the launcher decides whether to start it again */
	wake_launcher_locked();
	cron_shared_unlock();
	/* cron.run_job callers waiting for it learn it is gone */
	ConditionVariableBroadcast(&db->requests_cv);
}

/*
 * The running scheduler of this database: its pgprocno (-1: none) and pid
 * (0: none); either may be NULL.
 */
void
cron_scheduler_identity(int *procno, pid_t *pid)
{
	CronDbShared *db = cron_this_db();

	if (procno)
		*procno = -1;
	if (pid)
		*pid = 0;
	if (db == NULL)
		return;
	cron_shared_lock();
	if (procno)
		*procno = db->scheduler_procno;
	if (pid)
		*pid = db->scheduler_pid;
	cron_shared_unlock();
}

/* ---- the launcher and the databases -------------------------------------- */

/* the launcher says it runs (or, with false, that it stopped) */
void
cron_launcher_attach(bool running)
{
	cron_shared_lock();
	cron_shared->launcher_procno = running ? MyProc->pgprocno : -1;
	cron_shared_unlock();
}

/*
 * A committed transaction created or adopted cronext in a database: its
 * scheduler is to start now.  False if cron.max_databases entries are
 * all taken.
 */
bool
cron_db_request_start(Oid dboid)
{
	CronDbShared *db;

	if (cron_shared == NULL)
		return true;
	cron_shared_lock();
	db = find_or_add_db(dboid);
	if (db)
	{
		db->state = CRON_DB_WANTED;
		db->start_now = true;
		db->start_gen++;
	}
	wake_launcher_locked();
	cron_shared_unlock();
	return db != NULL;
}

/*
 * A statement needs every cronext process out of a database (DROP
 * DATABASE, ALTER DATABASE RENAME, a copy of it as a template): hold its
 * scheduler stopped until cron_db_unhold, and wake it to leave.
 */
void
cron_db_hold(Oid dboid)
{
	CronDbShared *db;
	int			procno = -1;

	if (cron_shared == NULL)
		return;
	cron_shared_lock();
	db = find_db(dboid);
	if (db)
	{
		if (db->held_by++ == 0)
			db->held_since = GetCurrentTimestamp();
		procno = db->scheduler_procno;
	}
	wake_launcher_locked();
	cron_shared_unlock();
	cron_wake_proc(procno);
}

void
cron_db_unhold(Oid dboid)
{
	CronDbShared *db;

	if (cron_shared == NULL)
		return;
	cron_shared_lock();
	db = find_db(dboid);
	if (db && db->held_by > 0)
		db->held_by--;
	wake_launcher_locked();
	cron_shared_unlock();
}

/* pg_database changed (a database created, altered): the launcher looks again */
void
cron_db_request_rescan(void)
{
	if (cron_shared == NULL)
		return;
	cron_shared_lock();
	cron_shared->rescan = true;
	wake_launcher_locked();
	cron_shared_unlock();
}

/* is this database's scheduler asked to leave (the database is held)? */
bool
cron_scheduler_must_leave(void)
{
	CronDbShared *db = cron_this_db();
	bool		leave;

	if (db == NULL)
		return false;
	cron_shared_lock();
	leave = db->held_by > 0;
	cron_shared_unlock();
	return leave;
}

/*
 * The scheduler says what it found, before it exits or while it runs.  A
 * start request (CREATE EXTENSION committing) that came after gen, read
 * before the scheduler looked at its catalog, wins over "absent" or "a
 * copy": the launcher then starts a scheduler again, which looks again.
 */
void
cron_scheduler_set_state(CronDbState state, uint64 gen)
{
	CronDbShared *db = cron_this_db();

	if (db == NULL)
		return;
	cron_shared_lock();
	if (state == CRON_DB_WANTED || db->start_gen == gen)
		db->state = state;
	/* a probe that found cronext no longer counts as one: more may start */
	wake_launcher_locked();
	cron_shared_unlock();
}

/* the scheduler's counts, for cron.scheduler_metrics */
void
cron_scheduler_publish_metrics(const CronSchedulerMetrics *m)
{
	CronDbShared *db = cron_this_db();

	if (db == NULL)
		return;
	cron_shared_lock();
	db->metrics = *m;
	cron_shared_unlock();
}

/* room cron_metrics_snapshot needs: one entry per database slot */
int
cron_max_databases_slots(void)
{
	return cron_shared ? cron_shared->ndbs : 0;
}

/* the metrics of every running scheduler; returns how many (at most max) */
int
cron_metrics_snapshot(CronDbMetrics *out, int max)
{
	int			n = 0;

	if (cron_shared == NULL)
		return 0;
	cron_shared_lock();
	for (int i = 0; i < cron_shared->ndbs && n < max; i++)
	{
		CronDbShared *db = &cron_shared->dbs[i];

		if (db->dboid == InvalidOid || db->scheduler_procno < 0)
			continue;
		out[n].dboid = db->dboid;
		out[n].pid = db->scheduler_pid;
		out[n].m = db->metrics;
		n++;
	}
	cron_shared_unlock();
	return n;
}

/* the count of start requests so far, for cron_scheduler_set_state */
uint64
cron_scheduler_start_gen(void)
{
	CronDbShared *db = cron_this_db();
	uint64		gen;

	if (db == NULL)
		return 0;
	cron_shared_lock();
	gen = db->start_gen;
	cron_shared_unlock();
	return gen;
}

/*
 * For the launcher: a copy of what it needs of every entry, and whether it
 * should read pg_database again.  Returns the number of entries copied
 * (room for cron.max_databases).  start_now flags are consumed.
 */
int
cron_launcher_take(CronDbView *out, bool *rescan)
{
	int			n = 0;

	cron_shared_lock();
	*rescan = cron_shared->rescan;
	cron_shared->rescan = false;
	for (int i = 0; i < cron_shared->ndbs; i++)
	{
		CronDbShared *db = &cron_shared->dbs[i];

		if (!OidIsValid(db->dboid))
			continue;
		out[n].dboid = db->dboid;
		out[n].state = db->state;
		out[n].start_now = db->start_now;
		out[n].held = db->held_by > 0;
		out[n].held_since = db->held_since;
		out[n].scheduler_pid = db->scheduler_pid;
		db->start_now = false;
		n++;
	}
	cron_shared_unlock();
	return n;
}

/*
 * For the launcher: make sure a database has an entry (a database it found
 * in pg_database); returns false if none is free.  Known ones keep theirs.
 */
bool
cron_launcher_add_db(Oid dboid)
{
	bool		ok;

	cron_shared_lock();
	ok = find_or_add_db(dboid) != NULL;
	cron_shared_unlock();
	return ok;
}

/*
 * For the launcher: set the state of a database's entry (or free it, with
 * CRON_DB_GONE, when the database no longer exists).
 */
void
cron_launcher_set_state(Oid dboid, CronDbState state)
{
	CronDbShared *db;

	cron_shared_lock();
	db = find_db(dboid);
	if (db && state == CRON_DB_GONE)
		init_db(db, InvalidOid);
	else if (db)
		db->state = state;
	cron_shared_unlock();
}

/*
 * A statement held a database too long without letting go (its session
 * died between hold and unhold): let it go.
 */
void
cron_launcher_release_stale_hold(Oid dboid)
{
	CronDbShared *db;

	cron_shared_lock();
	db = find_db(dboid);
	if (db)
		db->held_by = 0;
	cron_shared_unlock();
}
