/*-------------------------------------------------------------------------
 *
 * shared.c
 *	  Allocation of cronext's shared memory, and waking the scheduler.
 *
 * Backends never talk to the scheduler directly: they bump a counter or
 * queue a request here and set the scheduler's latch, and the scheduler
 * picks the change up on its next loop.  That keeps the scheduler's sleep
 * "until the earliest deadline or until told", with no polling.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/shmem.h"

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
		pg_atomic_init_u64(&cron_shared->jobs_generation, 0);
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
	if (procno >= 0)
		SetLatch(&ProcGlobal->allProcs[procno].procLatch);
}

/*
 * Trigger on cron.job (AFTER, FOR EACH STATEMENT): at commit of the
 * writing transaction, tell the scheduler that the job table changed.
 * Waking at commit, not at the write, means the scheduler reads the new
 * rows only once they are visible, and a rolled-back change costs nothing.
 */
static bool job_changed_in_xact = false;
static bool xact_callback_registered = false;

static void
job_changed_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (job_changed_in_xact && cron_shared != NULL)
			{
				pg_atomic_fetch_add_u64(&cron_shared->jobs_generation, 1);
				cron_wake_scheduler();
			}
			job_changed_in_xact = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			job_changed_in_xact = false;
			break;
		default:
			break;
	}
}

PG_FUNCTION_INFO_V1(cron_job_changed);

Datum
cron_job_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cron.job_changed() must be called as a trigger")));
	if (!xact_callback_registered)
	{
		RegisterXactCallback(job_changed_xact_callback, NULL);
		xact_callback_registered = true;
	}
	job_changed_in_xact = true;
	return PointerGetDatum(NULL);
}
