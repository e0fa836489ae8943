/*-------------------------------------------------------------------------
 *
 * shared.c
 *	  cronext's state in the server's main shared memory, and every
 *	  protocol over it: which databases have a scheduler and who they are,
 *	  how a process wakes another, the jobs that changed, cron.run_job's
 *	  requests and answers, cron.cancel_run's requests, and where each HTTP
 *	  worker's queue is.  No other file sees the structs.
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

/* one database with cronext (or one being looked at): its scheduler's state */
typedef struct CronDbShared
{
	Oid			dboid;			/* InvalidOid: a free entry */

	/* the launcher's view (launcher.c) */
	CronDbState state;
	bool		start_now;		/* a commit asked for its scheduler */
	uint64		start_gen;		/* counts those requests */
	int			held_by;		/* statements that need nobody connected */
	TimestampTz held_since;

	int			scheduler_procno;	/* pgprocno, or -1 when not running */
	pid_t		scheduler_pid;
	uint64		next_ticket;
	CronManualRequest requests[CRON_MAX_MANUAL_REQUESTS];

	/* runs to cancel, for the scheduler */
	int			ncancel;
	int64		cancel_runids[CRON_MAX_CANCEL_REQUESTS];

	/* jobs whose rows committed transactions changed, for the scheduler */
	int			nchanged;
	bool		changed_overflow;	/* too many, or TRUNCATE: re-read all */
	int64		changed_jobs[CRON_MAX_CHANGED_JOBS];

	/* manual requests processed: run_job callers sleep on it */
	ConditionVariable requests_cv;

	/* the HTTP worker's queue (http_queue.h), published by the worker */
	uint32		http_queue;		/* dsm_handle, 0 = none */
	pid_t		http_worker_pid;	/* who published it */
} CronDbShared;

typedef struct CronShared
{
	LWLock	   *lock;			/* protects everything below */
	int			launcher_procno;	/* -1 when not running */
	bool		rescan;			/* pg_database changed: the launcher looks */
	int			ndbs;			/* cron.max_databases */
	CronDbShared dbs[FLEXIBLE_ARRAY_MEMBER];
} CronShared;

static CronShared *cron_shared = NULL;

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

static void
lock_shared(void)
{
	LWLockAcquire(cron_shared->lock, LW_EXCLUSIVE);
}

static void
unlock_shared(void)
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
static CronDbShared *
this_db(void)
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
	lock_shared();
	db = find_db(dboid);
	if (db)
		procno = db->scheduler_procno;
	unlock_shared();
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
	lock_shared();
	db = find_db(dboid);
	if (db)
		pid = db->scheduler_pid;
	unlock_shared();
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

	lock_shared();
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
	unlock_shared();
	my_db = db;
	return db != NULL;
}

void
cron_scheduler_detach(void)
{
	CronDbShared *db = this_db();

	if (db == NULL)
		return;
	lock_shared();
	db->scheduler_procno = -1;
	db->scheduler_pid = 0;
	/* the launcher decides whether to start it again */
	wake_launcher_locked();
	unlock_shared();
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
	CronDbShared *db = this_db();

	if (procno)
		*procno = -1;
	if (pid)
		*pid = 0;
	if (db == NULL)
		return;
	lock_shared();
	if (procno)
		*procno = db->scheduler_procno;
	if (pid)
		*pid = db->scheduler_pid;
	unlock_shared();
}

/* ---- the launcher and the databases -------------------------------------- */

/* the launcher says it runs (or, with false, that it stopped) */
void
cron_launcher_attach(bool running)
{
	lock_shared();
	cron_shared->launcher_procno = running ? MyProc->pgprocno : -1;
	unlock_shared();
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
	lock_shared();
	db = find_or_add_db(dboid);
	if (db)
	{
		db->state = CRON_DB_WANTED;
		db->start_now = true;
		db->start_gen++;
	}
	wake_launcher_locked();
	unlock_shared();
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
	lock_shared();
	db = find_db(dboid);
	if (db)
	{
		if (db->held_by++ == 0)
			db->held_since = GetCurrentTimestamp();
		procno = db->scheduler_procno;
	}
	wake_launcher_locked();
	unlock_shared();
	cron_wake_proc(procno);
}

void
cron_db_unhold(Oid dboid)
{
	CronDbShared *db;

	if (cron_shared == NULL)
		return;
	lock_shared();
	db = find_db(dboid);
	if (db && db->held_by > 0)
		db->held_by--;
	wake_launcher_locked();
	unlock_shared();
}

/* pg_database changed (a database created, altered): the launcher looks again */
void
cron_db_request_rescan(void)
{
	if (cron_shared == NULL)
		return;
	lock_shared();
	cron_shared->rescan = true;
	wake_launcher_locked();
	unlock_shared();
}

/* is this database's scheduler asked to leave (the database is held)? */
bool
cron_scheduler_must_leave(void)
{
	CronDbShared *db = this_db();
	bool		leave;

	if (db == NULL)
		return false;
	lock_shared();
	leave = db->held_by > 0;
	unlock_shared();
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
	CronDbShared *db = this_db();

	if (db == NULL)
		return;
	lock_shared();
	if (state == CRON_DB_WANTED || db->start_gen == gen)
		db->state = state;
	/* a probe that found cronext no longer counts as one: more may start */
	wake_launcher_locked();
	unlock_shared();
}

/* the count of start requests so far, for cron_scheduler_set_state */
uint64
cron_scheduler_start_gen(void)
{
	CronDbShared *db = this_db();
	uint64		gen;

	if (db == NULL)
		return 0;
	lock_shared();
	gen = db->start_gen;
	unlock_shared();
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

	lock_shared();
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
	unlock_shared();
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

	lock_shared();
	ok = find_or_add_db(dboid) != NULL;
	unlock_shared();
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

	lock_shared();
	db = find_db(dboid);
	if (db && state == CRON_DB_GONE)
		init_db(db, InvalidOid);
	else if (db)
		db->state = state;
	unlock_shared();
}

/*
 * A statement held a database too long without letting go (its session
 * died between hold and unhold): let it go.
 */
void
cron_launcher_release_stale_hold(Oid dboid)
{
	CronDbShared *db;

	lock_shared();
	db = find_db(dboid);
	if (db)
		db->held_by = 0;
	unlock_shared();
}

/* ---- jobs changed -------------------------------------------------------- */

/*
 * Add a committed transaction's changed jobs (sorted, without repeats) to
 * the shared list of this database; all means "re-read every job".
 * A few ids (the usual edit) are skipped when already listed, so that a
 * role committing edits of its own job in a tight loop cannot overflow
 * the list and force a re-read of every job; past that the ids are added,
 * and a list that cannot take them means "re-read all".  With no entry,
 * no scheduler ran here yet: the one that starts reads every job.
 */
void
cron_publish_changed_jobs(const int64 *xact_changed, int xact_nchanged, bool all)
{
	CronDbShared *db = this_db();
	int			nshared;

	if (db == NULL)
		return;
	lock_shared();
	nshared = db->nchanged;
	if (all)
	{
		db->changed_overflow = true;
		unlock_shared();
		return;
	}
	for (int i = 0; i < xact_nchanged; i++)
	{
		bool		listed = false;

		/* the newest entries only: the lock is held */
		if (xact_nchanged <= 8)
		{
			for (int j = nshared - 1; j >= Max(0, nshared - 64) && !listed; j--)
				listed = db->changed_jobs[j] == xact_changed[i];
		}
		if (listed)
			continue;
		if (db->nchanged >= CRON_MAX_CHANGED_JOBS)
		{
			db->changed_overflow = true;
			break;
		}
		db->changed_jobs[db->nchanged++] = xact_changed[i];
	}
	unlock_shared();
}

/*
 * For the scheduler: take the ids of the jobs changed by transactions that
 * committed so far.  Returns how many went into ids (room for
 * CRON_MAX_CHANGED_JOBS); *overflow means "re-read all jobs".
 */
int
cron_take_changed_jobs(int64 *ids, bool *overflow)
{
	CronDbShared *db = this_db();
	int			n;

	lock_shared();
	n = db->nchanged;
	memcpy(ids, db->changed_jobs, n * sizeof(int64));
	*overflow = db->changed_overflow;
	db->nchanged = 0;
	db->changed_overflow = false;
	unlock_shared();
	return n;
}

/* ---- cron.cancel_run ----------------------------------------------------- */

/* for the scheduler: take the runids cron.cancel_run asked to stop */
int
cron_take_cancel_requests(int64 *runids)
{
	CronDbShared *db = this_db();
	int			n;

	lock_shared();
	n = db->ncancel;
	memcpy(runids, db->cancel_runids, n * sizeof(int64));
	db->ncancel = 0;
	unlock_shared();
	return n;
}

/* queue a run for the scheduler to stop; false if no scheduler or no room */
bool
cron_cancel_post(int64 runid)
{
	CronDbShared *db = this_db();
	bool		queued = false;

	if (db == NULL)
		return false;
	lock_shared();
	if (db->scheduler_procno >= 0 &&
		db->ncancel < CRON_MAX_CANCEL_REQUESTS)
	{
		db->cancel_runids[db->ncancel++] = runid;
		queued = true;
	}
	unlock_shared();
	return queued;
}

/* ---- cron.run_job -------------------------------------------------------- */

/*
 * A backend queues a request to run a job now: returns its entry, -1 when
 * every entry is taken, -2 when no scheduler runs.
 */
int
cron_manual_post(int64 jobid)
{
	CronDbShared *db = this_db();
	int			idx = -1;

	if (db == NULL)
		return -2;
	lock_shared();
	if (db->scheduler_procno < 0)
		idx = -2;
	else
	{
		for (int i = 0; i < CRON_MAX_MANUAL_REQUESTS; i++)
		{
			CronManualRequest *r = &db->requests[i];

			if (r->jobid == 0)
			{
				idx = i;
				r->jobid = jobid;
				r->ticket = db->next_ticket++;
				r->runid = 0;
				r->message[0] = '\0';
				break;
			}
		}
	}
	unlock_shared();
	return idx;
}

/*
 * The answer to a backend's request so far: the runid (0 while pending, -1
 * refused, with why in message), and whether the scheduler has gone.
 */
int64
cron_manual_answer(int idx, char *message, size_t msglen, bool *scheduler_gone)
{
	CronDbShared *db = this_db();
	int64		runid;

	lock_shared();
	runid = db->requests[idx].runid;
	strlcpy(message, db->requests[idx].message, msglen);
	*scheduler_gone = db->scheduler_procno < 0;
	unlock_shared();
	return runid;
}

/* wait for answers: prepare, then sleep up to timeout_ms (true: timed out) */
void
cron_manual_prepare_wait(void)
{
	ConditionVariablePrepareToSleep(&this_db()->requests_cv);
}

bool
cron_manual_wait(long timeout_ms)
{
	return ConditionVariableTimedSleep(&this_db()->requests_cv, timeout_ms,
									   PG_WAIT_EXTENSION);
}

/* the backend is done with its entry, answered or not */
void
cron_manual_forget(int idx)
{
	CronDbShared *db = this_db();

	lock_shared();
	db->requests[idx].jobid = 0;
	unlock_shared();
}

/* the scheduler takes the requests not answered yet; returns how many */
int
cron_manual_take(CronManualRequest *out)
{
	CronDbShared *db = this_db();
	int			n = 0;

	lock_shared();
	for (int i = 0; i < CRON_MAX_MANUAL_REQUESTS; i++)
	{
		CronManualRequest *r = &db->requests[i];

		if (r->jobid != 0 && r->runid == 0)
			out[n++] = *r;
	}
	unlock_shared();
	return n;
}

/*
 * The scheduler answers the request with this ticket (if its backend still
 * waits); cron_manual_answers_done() then wakes the backends.
 */
void
cron_manual_reply(uint64 ticket, int64 runid, TimestampTz scheduled_for,
				  const char *message)
{
	CronDbShared *db = this_db();

	lock_shared();
	for (int j = 0; j < CRON_MAX_MANUAL_REQUESTS; j++)
	{
		CronManualRequest *r = &db->requests[j];

		if (r->jobid != 0 && r->ticket == ticket)
		{
			r->runid = runid;
			r->scheduled_for = scheduled_for;
			strlcpy(r->message, message, sizeof(r->message));
		}
	}
	unlock_shared();
}

void
cron_manual_answers_done(void)
{
	ConditionVariableBroadcast(&this_db()->requests_cv);
}

/* ---- the HTTP worker's queue --------------------------------------------- */

/* the worker publishes its queue's segment (0: none) */
void
cron_http_queue_publish(uint32 handle, pid_t worker_pid)
{
	CronDbShared *db = this_db();

	if (db == NULL)
		return;
	lock_shared();
	db->http_queue = handle;
	db->http_worker_pid = worker_pid;
	unlock_shared();
}

/* the scheduler looks it up */
void
cron_http_queue_lookup(uint32 *handle, pid_t *worker_pid)
{
	CronDbShared *db = this_db();

	lock_shared();
	*handle = db->http_queue;
	*worker_pid = db->http_worker_pid;
	unlock_shared();
}
