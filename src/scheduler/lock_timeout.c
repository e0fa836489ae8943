/*-------------------------------------------------------------------------
 *
 * lock_timeout.c
 *	  Running a step in a subtransaction whose lock waits end after
 *	  CRON_LOCK_TIMEOUT_MS.
 *
 * Any role that may write cron.job may also lock it.  The scheduler and
 * the HTTP worker serve everybody, so no statement of theirs that touches
 * cron.job may wait on such a lock for long: each runs as a step here, and
 * a step whose lock was not granted in time is rolled back and reported,
 * so that the caller can go on with what it has and try again later.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "lock_timeout.h"

/*
 * Run step(arg) in a subtransaction (in a transaction).  Returns true if it
 * completed.  Returns false if it failed: always for a lock not granted in
 * time; for other errors only when error is not NULL (else they are
 * raised again).  *error, if given, then describes the failure.  The step
 * runs in the caller's memory context, so what it allocates there stays.
 */
bool
cron_with_lock_timeout(CronLockedStep step, void *arg, ErrorData **error)
{
	MemoryContext old = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;
	char		value[32];

	snprintf(value, sizeof(value), "%dms", CRON_LOCK_TIMEOUT_MS);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(old);
	PG_TRY();
	{
		int			nestlevel = NewGUCNestLevel();

		(void) set_config_option("lock_timeout", value,
								 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
		step(arg);
		AtEOXact_GUC(true, nestlevel);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);
	CurrentResourceOwner = owner;

	if (edata == NULL)
		return true;
	if (error == NULL && edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
		ReThrowError(edata);
	if (error)
		*error = edata;
	else
		FreeErrorData(edata);
	return false;
}
