/*-------------------------------------------------------------------------
 *
 * shared.c
 *	  Allocation of cronext's shared memory, and waking the scheduler.
 *
 * Backends never talk to the scheduler directly: they note changed jobs or
 * queue a request here and set the scheduler's latch, and the scheduler
 * picks the change up on its next loop.  That keeps the scheduler's sleep
 * "until the earliest deadline or until told", with no polling.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "shared.h"

CronShared *cron_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
cron_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(CronShared)));
}

static void
cron_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	cron_shared = ShmemInitStruct("cronext", sizeof(CronShared), &found);
	if (!found)
	{
		memset(cron_shared, 0, sizeof(CronShared));
		SpinLockInit(&cron_shared->mutex);
		cron_shared->scheduler_procno = -1;
		cron_shared->next_ticket = 1;
		ConditionVariableInit(&cron_shared->requests_cv);
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

/* set the scheduler's latch, if it is running */
void
cron_wake_scheduler(void)
{
	int			procno;

	if (cron_shared == NULL)
		return;
	SpinLockAcquire(&cron_shared->mutex);
	procno = cron_shared->scheduler_procno;
	SpinLockRelease(&cron_shared->mutex);
	cron_wake_proc(procno);
}

/*
 * Triggers on cron.job (AFTER, FOR EACH ROW, and FOR EACH STATEMENT for
 * TRUNCATE): remember which jobs this transaction changed, and at its
 * commit tell the scheduler.  Waking at commit, not at the write, means
 * the scheduler reads the new rows only once they are visible, and a
 * rolled-back change costs nothing.
 */
static int64 *xact_changed = NULL;	/* in TopMemoryContext */
static int	xact_nchanged = 0;
static bool xact_changed_all = false;
static bool job_changed_in_xact = false;
static bool xact_callback_registered = false;

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* sort the noted ids and drop repeats; returns how many are left */
static int
unique_changed(void)
{
	int			n = 0;

	qsort(xact_changed, xact_nchanged, sizeof(int64), int64_cmp);
	for (int i = 0; i < xact_nchanged; i++)
		if (n == 0 || xact_changed[n - 1] != xact_changed[i])
			xact_changed[n++] = xact_changed[i];
	return n;
}

/*
 * Add this transaction's changed jobs to the shared list (spinlock held).
 * A few ids (the usual edit) are skipped when already listed, so that a
 * role committing edits of its own job in a tight loop cannot overflow
 * the list and force a re-read of every job; past that the ids are added,
 * and a list that cannot take them means "re-read all".
 */
static void
publish_changed(void)
{
	int			nshared = cron_shared->nchanged;

	if (xact_changed_all)
	{
		cron_shared->changed_overflow = true;
		return;
	}
	for (int i = 0; i < xact_nchanged; i++)
	{
		bool		listed = false;

		/* the newest entries only: the spinlock is held */
		if (xact_nchanged <= 8)
		{
			for (int j = nshared - 1; j >= Max(0, nshared - 64) && !listed; j--)
				listed = cron_shared->changed_jobs[j] == xact_changed[i];
		}
		if (listed)
			continue;
		if (cron_shared->nchanged >= CRON_MAX_CHANGED_JOBS)
		{
			cron_shared->changed_overflow = true;
			return;
		}
		cron_shared->changed_jobs[cron_shared->nchanged++] = xact_changed[i];
	}
}

static void
job_changed_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (job_changed_in_xact && cron_shared != NULL)
			{
				SpinLockAcquire(&cron_shared->mutex);
				publish_changed();
				SpinLockRelease(&cron_shared->mutex);
				cron_wake_scheduler();
			}
			break;
		default:
			break;
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		job_changed_in_xact = false;
		xact_changed_all = false;
		xact_nchanged = 0;
	}
}

/* note a changed job id; past the shared capacity, "all jobs" is enough */
static void
note_changed_job(int64 jobid)
{
	if (xact_changed_all)
		return;
	if (xact_changed == NULL)
		xact_changed = MemoryContextAlloc(TopMemoryContext,
										  CRON_MAX_CHANGED_JOBS * sizeof(int64));
	/* the same job changed again and again counts once */
	if (xact_nchanged > 0 && xact_changed[xact_nchanged - 1] == jobid)
		return;
	if (xact_nchanged >= CRON_MAX_CHANGED_JOBS)
		xact_nchanged = unique_changed();
	if (xact_nchanged >= CRON_MAX_CHANGED_JOBS)
	{
		xact_changed_all = true;
		return;
	}
	xact_changed[xact_nchanged++] = jobid;
}

/*
 * cron.job_changed() reads the first column of the row as a job id and
 * makes the scheduler re-read jobs, so it may only fire where that is
 * true: AFTER, on cronext's own cron.job, per row for INSERT, UPDATE and
 * DELETE, per statement for TRUNCATE.  Anywhere else (a role's own table,
 * a zero-column table, another event) it refuses, so it can neither read a
 * column that is not there nor make the scheduler reload in a loop.
 */
static void
check_job_changed_context(TriggerData *trigdata)
{
	Relation	rel = trigdata->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	TriggerEvent ev = trigdata->tg_event;
	Oid			nsp = get_namespace_oid("cron", true);
	bool		row_event;

	if (!OidIsValid(nsp) || RelationGetNamespace(rel) != nsp ||
		strcmp(RelationGetRelationName(rel), "job") != 0 ||
		rel->rd_rel->relkind != RELKIND_RELATION ||
		desc->natts < 1 || TupleDescAttr(desc, 0)->attisdropped ||
		TupleDescAttr(desc, 0)->atttypid != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cron.job_changed() fired on table \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("It is cronext's trigger on cron.job and works on no other table.")));

	row_event = TRIGGER_FIRED_BY_INSERT(ev) || TRIGGER_FIRED_BY_UPDATE(ev) ||
		TRIGGER_FIRED_BY_DELETE(ev);
	if (!TRIGGER_FIRED_AFTER(ev) ||
		(row_event && !TRIGGER_FIRED_FOR_ROW(ev)) ||
		(TRIGGER_FIRED_BY_TRUNCATE(ev) && !TRIGGER_FIRED_FOR_STATEMENT(ev)) ||
		(!row_event && !TRIGGER_FIRED_BY_TRUNCATE(ev)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cron.job_changed() fired for the wrong event"),
				 errdetail("It must fire AFTER INSERT, UPDATE or DELETE FOR EACH ROW, or AFTER TRUNCATE FOR EACH STATEMENT.")));
}

PG_FUNCTION_INFO_V1(cron_job_changed);

Datum
cron_job_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cron.job_changed() must be called as a trigger")));
	check_job_changed_context(trigdata);
	if (!xact_callback_registered)
	{
		RegisterXactCallback(job_changed_xact_callback, NULL);
		xact_callback_registered = true;
	}
	job_changed_in_xact = true;

	if (TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
	{
		/* jobid is the first column and never changes (see job_guard) */
		HeapTuple	tuple = trigdata->tg_trigtuple;
		bool		isnull;
		Datum		d = heap_getattr(tuple, 1, trigdata->tg_relation->rd_att,
									 &isnull);

		if (!isnull)
			note_changed_job(DatumGetInt64(d));
		return PointerGetDatum(tuple);
	}
	xact_changed_all = true;	/* TRUNCATE */
	return PointerGetDatum(NULL);
}

/*
 * For the scheduler: take the ids of the jobs changed by transactions that
 * committed so far.  Returns how many went into ids (room for
 * CRON_MAX_CHANGED_JOBS); *overflow means "re-read all jobs".
 */
int
cron_take_changed_jobs(int64 *ids, bool *overflow)
{
	int			n;

	SpinLockAcquire(&cron_shared->mutex);
	n = cron_shared->nchanged;
	memcpy(ids, cron_shared->changed_jobs, n * sizeof(int64));
	*overflow = cron_shared->changed_overflow;
	cron_shared->nchanged = 0;
	cron_shared->changed_overflow = false;
	SpinLockRelease(&cron_shared->mutex);
	return n;
}

/* for the scheduler: take the runids cron.cancel_run asked to stop */
int
cron_take_cancel_requests(int64 *runids)
{
	int			n;

	SpinLockAcquire(&cron_shared->mutex);
	n = cron_shared->ncancel;
	memcpy(runids, cron_shared->cancel_runids, n * sizeof(int64));
	cron_shared->ncancel = 0;
	SpinLockRelease(&cron_shared->mutex);
	return n;
}

/*
 * Set the latch of the process with this pgprocno (-1: none).  The one way
 * cronext's processes wake each other: the scheduler, a job worker, the
 * HTTP worker.
 */
void
cron_wake_proc(int procno)
{
	if (procno >= 0)
		SetLatch(&ProcGlobal->allProcs[procno].procLatch);
}
