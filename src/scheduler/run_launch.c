/*-------------------------------------------------------------------------
 *
 * run_launch.c
 *	  Starting claimed runs: which SQL runs get a job worker now and which
 *	  HTTP runs a connection, in turns across roles within each role's
 *	  share, and handing them over (worker_pool.c, http_dispatch.c).
 *
 * A SQL run starts with the command its claim read, if it kept it (up to
 * a bound on all of them, runs.c), or else with the command read from its
 * ledger row just before it starts; the command is dropped once it is in
 * the job worker's mailbox.  A run picked to start counts as running at
 * once, so that a job that does not allow overlap never starts two.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/timestamp.h"

#include "cronext.h"
#include "fair_share.h"
#include "http_dispatch.h"
#include "job_cache.h"
#include "ledger.h"
#include "run_state.h"
#include "runs.h"
#include "schedule_pg.h"

/* may this claimed run be launched now? */
static bool
run_may_launch(const CronRun *run, TimestampTz now)
{
	CronJob    *job;

	if (cron_run_launched(run) || run->not_before > now)
		return false;			/* launched, or a retry not due yet */
	job = cron_job_cache_lookup(run->jobid);
	/* a queued manual run waits its turn */
	return !(job && job->policy.overlap != CRON_OVERLAP_ALLOW && job->running > 0);
}

static char last_http_role[NAMEDATALEN] = "";

/* one turn of a role's HTTP run: post it to the HTTP worker's queue */
static CronTurnResult
post_turn(void *item, void *arg)
{
	CronRun    *run = item;

	/* another run of the job may have been posted in this round */
	if (!run_may_launch(run, *(TimestampTz *) arg))
		return CRON_TURN_NEXT;

	run->http_entry = cron_http_post(run->runid, run->jobid, run->scheduled_for,
							   run->attempt);
	if (run->http_entry < 0)
	{
		/* every connection is busy: a finishing request wakes us */
		cron_launch_blocked = true;
		return CRON_TURN_STOP;
	}
	cron_run_transition(run, CRON_RS_HANDED, NULL);
	return CRON_TURN_SERVED_LAST;
}

/*
 * Post the HTTP runs that may start to the HTTP worker's queue.  Its
 * connections (cron.http_max_connections) are shared round-robin across
 * roles (fair_share.c), with at most cron.http_max_connections_per_role
 * requests of one role in flight: a role whose endpoint hangs holds only
 * its own share, for at most cron.http_max_timeout.  A role at its cap is
 * woken by its own requests' ends.
 */
static void
launch_http_runs(TimestampTz now)
{
	CronTurns  *turns = cron_turns_create();
	ListCell   *lc;

	foreach(lc, cron_runs)
	{
		CronRun    *run = lfirst(lc);

		if (!run->http)
			continue;
		if (run->http_entry >= 0)
			cron_turns_note_in_use(turns, run->username, cron_run_http_cap(run));
		else if (run_may_launch(run, now))
			cron_turns_add(turns, run->username, cron_run_http_cap(run), run, NULL);
	}
	(void) cron_turns_serve(turns, last_http_role, post_turn, &now);
}

static char last_sql_role[NAMEDATALEN] = "";

/* what pick_turn counts and collects */
typedef struct LaunchPick
{
	int			places_used;	/* SQL runs with a worker, and picked */
	int			pool_left;		/* runs the worker pool can take now */
	List	   *picked;
	TimestampTz now;
} LaunchPick;

/*
 * One turn of a role's SQL run: pick it to be handed to a job worker.  A
 * picked run counts as running at once, so that a second waiting run of
 * the same job (two cron.run_job calls, a retry) is not picked with it
 * unless the job allows overlap.
 */
static CronTurnResult
pick_turn(void *item, void *arg)
{
	LaunchPick *pick = arg;
	CronRun    *run = item;

	if (pick->places_used >= cronext_max_running_jobs || pick->pool_left <= 0)
		return CRON_TURN_STOP;
	if (!run_may_launch(run, pick->now))
		return CRON_TURN_NEXT;
	pick->picked = lappend(pick->picked, run);
	pick->places_used++;
	pick->pool_left--;
	cron_run_transition(run, CRON_RS_PICKED, NULL);
	return CRON_TURN_SERVED_LAST;
}

/*
 * Which waiting SQL runs start now (no I/O; the list is in the caller's
 * context): no more than the worker pool can take now, so that the
 * commands of runs that would wait are not read.  Scheduled slots were claimed within the limits already
 * (scheduler.c), but manual runs (cron.run_job) are claimed at once, so
 * the limits hold here too: at most cron.max_running_jobs runs with a
 * worker, at most cron.max_running_jobs_per_role of one role, in turns
 * across roles.
 */
List *
cron_runs_pick_sql_launches(void)
{
	CronTurns  *turns = cron_turns_create();
	TimestampTz now = cron_now();
	LaunchPick	pick = {0, cron_pool_capacity(), NIL, now};
	ListCell   *lc;

	foreach(lc, cron_runs)
	{
		CronRun    *run = lfirst(lc);

		if (run->http)
			continue;
		if (cron_run_launched(run))
		{
			cron_turns_note_in_use(turns, run->username, cron_run_sql_cap(run));
			pick.places_used++;
		}
		else if (run_may_launch(run, now))
			cron_turns_add(turns, run->username, cron_run_sql_cap(run), run, NULL);
	}
	(void) cron_turns_serve(turns, last_sql_role, pick_turn, &pick);
	return pick.picked;
}

/* do any of the runs about to start lack their command? */
bool
cron_runs_need_commands(List *starting)
{
	ListCell   *lc;

	foreach(lc, starting)
	{
		if (((CronRun *) lfirst(lc))->command == NULL)
			return true;
	}
	return false;
}

/*
 * Read the commands of the runs about to start from their ledger rows (in
 * a transaction), those that did not keep it from their claim.  The scheduler holds a command only from here until it is in the
 * job worker's mailbox, so its memory does not grow with the commands of
 * runs that wait.  A run whose row lost its command fails.
 */
void
cron_runs_fetch_commands(List **starting)
{
	int64	   *ids;
	char	  **commands;
	int			n = 0;
	ListCell   *lc;

	if (*starting == NIL)
		return;
	ids = palloc(list_length(*starting) * sizeof(int64));
	commands = palloc0(list_length(*starting) * sizeof(char *));
	foreach(lc, *starting)
	{
		CronRun    *run = lfirst(lc);

		if (run->command == NULL)
			ids[n++] = run->runid;
	}
	cron_ledger_run_commands(ids, n, cron_run_cxt, commands);
	n = 0;
	foreach(lc, *starting)
	{
		CronRun    *run = lfirst(lc);

		if (run->command == NULL)
			cron_run_set_command(run, commands[n++]);
		if (run->command == NULL)
		{
			cron_finish_run(run, false, "the run's command could not be read from its ledger row", 0,
					   cron_now());
			*starting = foreach_delete_current(*starting, lc);
		}
	}
}

/*
 * Hand one SQL run to a job worker (see CronPoolLaunch).  An error (no
 * dynamic shared memory left for its mailbox, say) fails that run alone,
 * in the next pass, and the others go on.
 */
static CronPoolLaunch
launch_one(CronRun *run)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile CronPoolLaunch result = CRON_POOL_FULL;

	PG_TRY();
	{
		result = cron_pool_launch(run);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cron_run_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		run->launch_error = psprintf("the run could not be started: %s", edata->message);
		FreeErrorData(edata);
		MemoryContextSwitchTo(cxt);
		ereport(WARNING,
				(errmsg("cron job " INT64_FORMAT " run " INT64_FORMAT ": %s",
						run->jobid, run->runid, run->launch_error)));
		cron_launch_blocked = true;	/* the next pass, soon, records its failure */
		result = CRON_POOL_FULL;
	}
	PG_END_TRY();
	return result;
}

/*
 * Where the start of a run's first attempt went (bench/run.sh reads it
 * from the server log with log_min_messages = debug1): the scheduler woke,
 * its claim committed, and it was handed to a job worker, each measured
 * from the slot.  The worker's start_time in the ledger is the last step.
 */
static void
trace_start(const CronRun *run)
{
	if (run->attempt == 1 && run->committed_at > 0 && message_level_is_interesting(DEBUG1))
		elog(DEBUG1, "cronext run " INT64_FORMAT " of job " INT64_FORMAT ": woke +%.3f ms, claim committed +%.3f ms, handed +%.3f ms after its slot",
			 run->runid, run->jobid,
			 (run->woke_at - run->scheduled_for) / 1000.0,
			 (run->committed_at - run->scheduled_for) / 1000.0,
			 (GetCurrentTimestamp() - run->scheduled_for) / 1000.0);
}

/*
 * Hand the runs to job workers (the SQL runs picked and given their
 * command) or to the HTTP worker, outside transactions.  SQL and HTTP runs
 * wait for their own resources: a full HTTP queue never holds up a SQL
 * run, nor the reverse.
 */
void
cron_runs_launch_claimed(List *starting)
{
	ListCell   *lc;
	bool		blocked = false;

	cron_launch_blocked = false;
	cron_pool_begin_launches();
	foreach(lc, starting)
	{
		CronRun    *run = lfirst(lc);
		CronPoolLaunch result = blocked ? CRON_POOL_FULL : launch_one(run);

		if (result == CRON_POOL_LAUNCHED)
		{
			cron_run_transition(run, CRON_RS_HANDED, NULL);	/* a worker has it */
			trace_start(run);
		}
		else
		{
			cron_note_unlaunched(run);

			/*
			 * No worker could be started: a run's end or the retry timer
			 * wakes us.  One that waits for a worker is woken by it.
			 */
			if (result == CRON_POOL_FULL && run->launch_error == NULL)
				blocked = cron_launch_blocked = true;
		}
		/* the mailbox has it now; a retry reads it again */
		if (result == CRON_POOL_LAUNCHED)
			cron_run_drop_command(run);
	}
	launch_http_runs(cron_now());
	cron_runs_trim_commands();
}

