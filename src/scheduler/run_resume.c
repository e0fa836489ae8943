/*-------------------------------------------------------------------------
 *
 * run_resume.c
 *	  After a restart: the runs of exactly-once effect that it cut short
 *	  run again.
 *
 * A run of exactly-once effect commits its 'succeeded' with its command
 * (worker/run_record.c), so a run a restart left 'starting' or 'running'
 * had no effect.  The first pass of a new scheduler that has read the jobs
 * puts such rows back to 'starting' for their next attempt (ledger.c) and
 * queues them (runs.c), in the same transaction that closes the other
 * interrupted runs as failed; if the pass rolls back, so does all of it
 * (the queued runs are forgotten with the pass's claims), and the next
 * pass decides again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "job_cache.h"
#include "ledger.h"
#include "run_resume.h"
#include "run_state.h"
#include "runs.h"
#include "schedule_pg.h"

/*
 * In the pass transaction, jobs read: run again what a restart cut short,
 * then close the other interrupted runs as failed.  Returns how many were
 * closed.
 */
uint64
cron_resume_orphans(void)
{
	List	   *rows = cron_ledger_resume_orphans(CRON_MAX_INTERRUPTIONS,
												  CurrentMemoryContext);
	int64	   *resumed = palloc((list_length(rows) + 1) * sizeof(int64));
	int			nresumed = 0;
	ListCell   *lc;

	foreach(lc, rows)
	{
		CronResumedRun *r = lfirst(lc);
		CronJob    *job = cron_job_cache_lookup(r->jobid);

		/* a job left unscheduled (invalid schedule or zone) still has a row */
		if (job == NULL)
			cron_ledger_finish(r->runid, false,
							   "the job cannot be scheduled, so its interrupted run does not run again",
							   0, cron_now());
		else
			cron_runs_resume(job, r->runid, r->scheduled_for, r->attempt);
		resumed[nresumed++] = r->runid;
	}
	if (rows != NIL)
		ereport(LOG,
				(errmsg("cronext runs again %d run%s that a restart interrupted (exactly-once: they left no effect)",
						list_length(rows), list_length(rows) == 1 ? "" : "s")));
	return cron_ledger_close_orphans(resumed, nresumed);
}
