/*-------------------------------------------------------------------------
 *
 * role_shares.c
 *	  The shares of roles in the scheduler's capacity: how many SQL runs
 *	  and HTTP requests one role may have (cron.max_running_jobs_per_role,
 *	  cron.http_max_connections_per_role; superusers are not capped), and
 *	  the counts of claimed runs they are compared with.  Read by decide.c
 *	  (which slots to claim), manual_runs.c and run_launch.c (whose turn).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"

#include "cronext.h"
#include "fair_share.h"
#include "run_state.h"
#include "runs.h"

/*
 * The share of one role: cron.max_running_jobs_per_role SQL runs and
 * cron.http_max_connections_per_role requests, unless the role is a
 * superuser (trusted with the whole server, as in pg_cron, where jobs are
 * usually a superuser's).  A share as large as the whole is no share.
 */
int
cron_runs_sql_cap(bool superuser)
{
	if (superuser || cronext_max_running_jobs_per_role >= cronext_max_running_jobs)
		return INT_MAX;
	return cronext_max_running_jobs_per_role;
}

int
cron_runs_http_cap(bool superuser)
{
	if (superuser || cronext_http_max_connections_per_role >= cronext_http_max_connections)
		return INT_MAX;
	return cronext_http_max_connections_per_role;
}

int
cron_run_sql_cap(const CronRun *run)
{
	return cron_runs_sql_cap(run->superuser);
}

int
cron_run_http_cap(const CronRun *run)
{
	return cron_runs_http_cap(run->superuser);
}

/*
 * The places of cron.max_running_jobs (SQL runs only: HTTP runs are
 * bounded by the HTTP queue, so that neither kind can hold up the other)
 * that SQL runs hold or are sure to get: each role's runs claimed
 * and not finished, but no more than its share
 * (cron.max_running_jobs_per_role), since runs past it wait for the
 * role's own runs and take no place from others.  Scheduled slots are
 * claimed while this is below cron.max_running_jobs.
 */
int
cron_runs_count_sql_places(void)
{
	CronTurns  *turns = cron_turns_create();
	ListCell   *lc;

	foreach(lc, cron_runs)
	{
		CronRun    *run = lfirst(lc);

		if (!run->http)
			cron_turns_note_in_use(turns, run->username, cron_run_sql_cap(run));
	}
	return cron_turns_places(turns);
}

/* the runs of one role claimed and not finished, HTTP or SQL */
static int
count_of(const char *username, bool http)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, cron_runs)
	{
		CronRun    *run = lfirst(lc);

		if (run->http == http && strcmp(run->username, username) == 0)
			n++;
	}
	return n;
}

int
cron_runs_count_http_of(const char *username)
{
	return count_of(username, true);
}

int
cron_runs_count_sql_of(const char *username)
{
	return count_of(username, false);
}

/*
 * The most HTTP runs the job's role may have claimed: its share of the
 * connections, so that slots that pile up (overlap = allow against an
 * endpoint that hangs, cron.run_job in a loop) stay queued or are refused.
 */
int
cron_runs_http_claim_cap(const CronJob *job)
{
	return Min(cron_runs_http_cap(superuser_arg(job->roleid)),
			   cronext_http_max_connections);
}
