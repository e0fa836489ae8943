/*-------------------------------------------------------------------------
 *
 * manual_runs.c
 *	  The scheduler's side of cron.run_job: taking the requests backends
 *	  queued in shared memory, claiming a manual slot for each, and handing
 *	  the runids back once the claims have committed.
 *
 * A manual slot is the moment the scheduler takes the request; it honours
 * the job's overlap policy like any slot.  The caller (sql_api.c) sleeps on
 * a condition variable until its answer is published.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"


#include "storage/condition_variable.h"
#include "utils/timestamp.h"

#include "cronext.h"
#include "job_cache.h"
#include "manual_runs.h"
#include "runs.h"
#include "schedule_pg.h"
#include "shared.h"

/* answer cron.run_job requests: claim a manual slot for each */
int
cron_manual_serve_requests(ManualAnswer *answers)
{
	CronManualRequest requests[CRON_MAX_MANUAL_REQUESTS];
	int			nrequests = 0;
	int			i;

	nrequests = cron_manual_take(requests);

	for (i = 0; i < nrequests; i++)
	{
		CronJob    *job = cron_job_cache_lookup(requests[i].jobid);
		ManualAnswer *a = &answers[i];

		memset(a, 0, sizeof(*a));
		a->ticket = requests[i].ticket;
		if (job == NULL)
		{
			a->runid = -1;
			snprintf(a->message, sizeof(a->message),
					 "job " INT64_FORMAT " is not known to the scheduler", requests[i].jobid);
			continue;
		}

		/*
		 * Manual runs are claimed at once and wait for a place at launch;
		 * a role may have at most cron.max_running_jobs SQL runs claimed,
		 * so that cron.run_job in a loop cannot pile up runs (each holds
		 * its command) without bound.
		 */
		if (!job->http &&
			cron_runs_count_sql_of(job->username) >= cronext_max_running_jobs)
		{
			a->runid = -1;
			snprintf(a->message, sizeof(a->message),
					 "role has %d SQL runs in progress or waiting (cron.max_running_jobs)",
					 cronext_max_running_jobs);
			continue;
		}
		if (job->http)
		{
			/* no more HTTP runs claimed than the role's share of connections */
			int			cap = cron_runs_http_claim_cap(job);

			if (cron_runs_count_http_of(job->username) >= cap)
			{
				a->runid = -1;
				snprintf(a->message, sizeof(a->message),
						 "role has %d HTTP runs in progress or waiting (its share of cron.http_max_connections)",
						 cap);
				continue;
			}
		}

		/* cron.job is locked this pass: a SQL run cannot read its command yet */
		if (!job->http && !cron_runs_job_table_readable())
			continue;			/* runid 0: still pending, served next pass */

		/* a manual slot is the request time; nudge it if that slot is taken */
		a->scheduled_for = cron_now();
		for (int attempt = 0; attempt < 3 && a->runid == 0; attempt++)
		{
			if (job->policy.overlap == CRON_OVERLAP_SKIP && job->running + job->waiting > 0)
				a->runid = cron_runs_record_skipped(job, a->scheduled_for, true,
										  "skipped: the previous run was still going (overlap = skip)");
			else
				a->runid = cron_runs_claim(job, a->scheduled_for, true);
			if (a->runid == 0)
				a->scheduled_for += 1;
		}
		if (a->runid == 0)
		{
			a->runid = -1;
			strlcpy(a->message, "could not claim a manual slot", sizeof(a->message));
		}
	}
	return nrequests;
}

/* hand the answers to the waiting cron.run_job callers (after commit) */
void
cron_manual_publish_answers(ManualAnswer *answers, int n)
{
	int			i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		cron_manual_reply(answers[i].ticket, answers[i].runid,
						  answers[i].scheduled_for, answers[i].message);
	cron_manual_answers_done();
}

