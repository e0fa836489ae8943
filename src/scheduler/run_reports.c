/*-------------------------------------------------------------------------
 *
 * run_reports.c
 *	  What the transports' reports mean for the scheduler's runs: a start,
 *	  an outcome, a retry, an interruption run again, a lost run; and the
 *	  runs stopped from the scheduler's side, by their timeout or by
 *	  cron.cancel_run.
 *
 * The transports (worker/worker_pool.c, http/http_dispatch.c) only say
 * what happened (CronReport); this file decides what it means, and moves
 * the run through runs.c's cron_run_transition(), the one writer of a
 * run's state.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/pg_prng.h"
#include "utils/timestamp.h"

#include "cronext.h"
#include "http_dispatch.h"
#include "job_cache.h"
#include "policy.h"
#include "run_state.h"
#include "runs.h"
#include "schedule_pg.h"
#include "shared.h"

static void enforce_timeouts(void);

/*
 * After a failed attempt: if the job allows another, put the run back to
 * wait for it and return true; when none is allowed or fits, the run
 * fails now.  When it comes back is the back-off rule of
 * cron_policy_retry_at (core/policy.c): doubling, with jitter, at least
 * min_delay_ms (an HTTP server's Retry-After), before the job's next slot.
 */
bool
cron_retry_run(CronRun *run, const CronReport *r)
{
	const char *message = r->message;
	int			min_delay_ms = r->retry_after_ms;
	CronJob    *job = cron_job_cache_lookup(run->jobid);
	CronRetryPolicy retry;
	TimestampTz at;

	if (job == NULL || run->cancelled)
		return false;
	retry.max_retries = run->max_retries;
	retry.retry_delay = run->retry_delay;
	retry.has_next_slot = job->in_heap;
	retry.next_slot = job->next_slot;
	if (!cron_policy_retry_at(&retry, run->attempt,
							  pg_prng_double(&pg_global_prng_state),
							  (int64) min_delay_ms * 1000, cron_server_clock(), &at))
		return false;

	run->attempt++;
	run->not_before = at;
	if (run->worker)
		run->worker->run = NULL;
	run->worker = NULL;
	run->http_entry = -1;
	{
		CronRunEvent ev = {0};

		ev.message = message;
		ev.http_status = r->http_status;
		ev.start_time = r->start_time;
		ev.end_time = r->end_time;
		cron_run_transition(run, CRON_RS_WAITING, &ev);
	}
	return true;
}

/*
 * A run of exactly-once effect whose worker exited in the middle: its
 * transaction rolled back (or, if it committed just before the exit, its
 * row says succeeded and the next worker sees it and runs nothing), so it
 * runs again at once, as the next attempt of the same row.  Interruptions
 * do not wait for retry_delay, and at most CRON_MAX_INTERRUPTIONS beyond
 * the job's retries are run again; after those the run fails.
 */
static bool
rerun_interrupted(CronRun *run, const CronReport *r)
{
	const char *why = r->message;
	CronRunEvent ev = {0};

	if (run->cancelled || run->hard_stopped ||
		run->attempt >= run->max_retries + 1 + CRON_MAX_INTERRUPTIONS)
		return false;
	ev.message = psprintf("attempt %d was interrupted (%s); it left no effect, so the slot runs again",
						  run->attempt, why);
	ev.start_time = r->start_time;
	ev.end_time = r->end_time;
	run->attempt++;
	run->not_before = 0;
	if (run->worker)
		run->worker->run = NULL;
	run->worker = NULL;
	cron_run_transition(run, CRON_RS_WAITING, &ev);
	return true;
}

/*
 * What transports reported (cron_pool_collect_reports, the HTTP queue):
 * decide what each report means for its run and make the transition.  A
 * failed attempt is retried if the job allows another; a run whose worker
 * exited after the scheduler terminated it for its timeout is recorded as
 * timed out.
 */
void
cron_runs_apply_reports(List *reports)
{
	ListCell   *lc;

	foreach(lc, reports)
	{
		CronReport *r = lfirst(lc);
		CronRun    *run = r->run;

		switch (r->kind)
		{
			case CRON_REPORT_STARTED:
				if (run->state == CRON_RS_HANDED)
				{
					CronRunEvent ev = {0};

					ev.pid = r->pid;
					ev.start_time = r->start_time;
					/* a worker of exactly-once effect marked it running */
					ev.in_ledger = r->exactly_once;
					cron_run_transition(run, CRON_RS_RUNNING, &ev);
				}
				break;
			case CRON_REPORT_BOUNCED:
				cron_run_transition(run, CRON_RS_WAITING, NULL);
				break;
			case CRON_REPORT_FINISHED:
				/* an outcome already in the ledger is final (recorded) */
				if (r->succeeded || !r->retryable || r->recorded ||
					!cron_retry_run(run, r))
					cron_finish_run_response(run, r->succeeded, r->message,
											 r->start_time, r->end_time,
											 r->http_status, r->body,
											 r->recorded);
				break;
			case CRON_REPORT_LOST:
				if (r->started && run->hard_stopped)
					cron_finish_run(run, false,
									psprintf("timed out after %d ms; the command went on after its cancel, so the scheduler terminated its worker",
											 run->timeout_ms),
									r->start_time, r->end_time);
				else if (!(r->exactly_once && rerun_interrupted(run, r)))
					cron_finish_run(run, false, r->message, r->start_time,
									r->end_time);
				break;
		}
	}
}

/*
 * Record what the HTTP worker reported since the last iteration (the job
 * workers' reports are applied first, cron_runs_apply_reports), fail the
 * runs that could not be started, and stop runs past their timeout.
 */
void
cron_runs_collect_reports(void)
{
	ListCell   *lc;
	List	   *unstarted = NIL;

	/* runs whose start failed with an error (launch_one) fail now */
	foreach(lc, cron_runs)
	{
		CronRun    *run = lfirst(lc);

		if (run->launch_error && !cron_run_launched(run))
			unstarted = lappend(unstarted, run);
	}
	foreach(lc, unstarted)
	{
		CronRun    *run = lfirst(lc);
		char	   *msg = run->launch_error;

		run->launch_error = NULL;
		cron_finish_run(run, false, msg, 0, cron_now());
		pfree(msg);
	}
	list_free(unstarted);

	cron_runs_apply_reports(cron_http_collect_reports(cron_runs));
	enforce_timeouts();
}

/*
 * A SQL run that is still running well past its timeout ignored the
 * cancel: terminate its worker.  It is recorded as timed out when the
 * worker's exit is seen.
 */
static void
enforce_timeouts(void)
{
	TimestampTz now = cron_now();
	ListCell   *lc;

	foreach(lc, cron_runs)
	{
		CronRun    *run = lfirst(lc);
		TimestampTz at = cron_run_hard_stop_at(run);

		if (at == 0 || now < at || !cron_pool_terminate(run))
			continue;
		ereport(WARNING,
				(errmsg("cron job " INT64_FORMAT " run " INT64_FORMAT " is still running %d ms past its timeout; terminating its worker",
						run->jobid, run->runid, HARD_STOP_GRACE_MS)));
		run->hard_stopped = true;
	}
}

/*
 * Stop the runs cron.cancel_run asked for: a run still waiting fails at
 * once; a running one is interrupted (SIGINT cancels its statement; the
 * worker reports it as cancelled), and is not retried.  Runs that already
 * ended are left as they are.
 */
void
cron_runs_serve_cancels(void)
{
	int64		runids[CRON_MAX_CANCEL_REQUESTS];
	int			n = cron_take_cancel_requests(runids);
	int			i;

	for (i = 0; i < n; i++)
	{
		ListCell   *lc;

		foreach(lc, cron_runs)
		{
			CronRun    *run = lfirst(lc);

			if (run->runid != runids[i])
				continue;
			run->cancelled = true;
			if (run->http_entry >= 0)
				cron_http_cancel(run->http_entry);
			else if (run->worker == NULL)
				cron_finish_run(run, false, CRON_CANCELLED_MESSAGE, 0,
						   cron_now());
			else
				cron_pool_cancel(run);
			break;
		}
	}
}

/*
 * Did a job worker or the HTTP worker report something the pass did not
 * collect?  Then the scheduler must not sleep: the wake-up that came with
 * the report may have been used up by a lock wait during the pass.
 */
bool
cron_runs_reports_waiting(void)
{
	return cron_pool_reports_waiting() || cron_http_reports_waiting(cron_runs);
}
