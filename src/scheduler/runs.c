/*-------------------------------------------------------------------------
 *
 * runs.c
 *	  The scheduler's claimed runs: claiming a slot, retries, timeouts,
 *	  cancels, the outcome written to the ledger, and what a pass that
 *	  rolled back leaves to do.  Starting them is run_launch.c's; the shares
 *	  of roles are role_shares.c's.
 *
 * decide.c decides which slots are due; this file carries each claimed
 * run from its claim to its outcome, through the states of run_state.h,
 * with cron_run_transition() as the one writer of a run's state.  The
 * transports (worker/worker_pool.c, http/http_dispatch.c) only report what
 * happened (CronReport); cron_runs_apply_reports() decides what it means.
 * All of it runs in the scheduler process, so nothing here is shared: the
 * runs are a plain list.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "alerts.h"
#include "cronext.h"
#include "http_dispatch.h"
#include "ledger.h"
#include "run_state.h"
#include "runs.h"
#include "schedule_pg.h"
#include "shared.h"

/* how soon to retry a launch that found no worker free */
#define WORKER_RETRY_MS		100

/*
 * How long past its timeout a SQL run may go on before the scheduler
 * terminates its worker.  The timeout cancels the statement; a command
 * that catches the cancel (an EXCEPTION clause in PL/pgSQL) would run on.
 */
#define HARD_STOP_GRACE_MS	2000

static void enforce_timeouts(void);

List	   *cron_runs = NIL;	/* CronRun *, in cron_run_cxt */
MemoryContext cron_run_cxt;

/* a growing array of ids, in cron_run_cxt */
typedef struct IdArray
{
	int64	   *ids;
	int			n;
	int			max;
} IdArray;

static void
ids_push(IdArray *a, int64 id)
{
	if (a->n == a->max)
	{
		a->max = Max(16, a->max * 2);
		a->ids = a->ids ? repalloc(a->ids, a->max * sizeof(int64)) :
			MemoryContextAlloc(cron_run_cxt, a->max * sizeof(int64));
	}
	a->ids[a->n++] = id;
}

static void
free_run(CronRun *run)
{
	pfree(run->database);
	pfree(run->username);
	if (run->command)
		pfree(run->command);
	if (run->launch_error)
		pfree(run->launch_error);
	pfree(run);
}

/* this pass holds its lock on cron.job (see cron_runs_set_job_table_readable) */
static bool job_table_readable = true;

/*
 * One-off jobs whose slot was decided, to be made inactive: the first
 * deactivate_committed from passes that committed, then this pass's; and
 * those this pass's attempt left (their row was locked), which become the
 * list when it commits.
 */
static IdArray to_deactivate;
static int	deactivate_committed = 0;
static IdArray deactivate_left;
static bool deactivate_flushed = false;

/*
 * Runs whose outcome was written in the current transaction; if it rolls
 * back, they are closed as failed in the next (their rows would otherwise
 * stay 'running' with nobody to finish them).
 */
static IdArray finished;
static IdArray lost;
static bool lost_written = false;	/* closed by this pass, not committed yet */

/* failed runs to announce once their outcome has committed */
static IdArray failed;

/* the claims and outcomes of this pass committed */
void
cron_runs_claims_committed(void)
{
	ListCell   *lc;

	foreach(lc, cron_runs)
		((CronRun *) lfirst(lc))->uncommitted = false;
	finished.n = 0;
	if (lost_written)
		lost.n = 0;
	lost_written = false;
	/* what the next pass must still deactivate is what this one left */
	if (deactivate_flushed)
	{
		to_deactivate.n = 0;
		for (int i = 0; i < deactivate_left.n; i++)
			ids_push(&to_deactivate, deactivate_left.ids[i]);
		deactivate_left.n = 0;
		deactivate_flushed = false;
	}
	deactivate_committed = to_deactivate.n;
}

/*
 * This pass's transaction rolled back: forget the runs it claimed (their
 * claim is gone and they never started), drop their notifications, and
 * keep the outcomes it wrote to be closed as failed by the next pass.
 */
void
cron_runs_claims_rolled_back(void)
{
	ListCell   *lc;

	foreach(lc, cron_runs)
	{
		CronRun    *run = lfirst(lc);

		/* picked to start, but the pass failed before it did: it waits again */
		if (run->state == CRON_RS_PICKED)
		{
			cron_note_unlaunched(run);
			if (run->command)
			{
				pfree(run->command);
				run->command = NULL;
			}
		}
		if (!run->uncommitted)
			continue;
		/* its claim is gone: it ends without an outcome */
		cron_runs = foreach_delete_current(cron_runs, lc);
		cron_run_transition(run, CRON_RS_ENDED, NULL);
	}
	for (int i = 0; i < finished.n; i++)
		ids_push(&lost, finished.ids[i]);
	finished.n = 0;
	failed.n = 0;
	lost_written = false;
	/* deactivations decided by the rolled-back pass are void */
	to_deactivate.n = deactivate_committed;
	deactivate_left.n = 0;
	deactivate_flushed = false;
}

/* close the runs whose outcome a rolled-back pass lost (in a transaction) */
void
cron_runs_close_lost(void)
{
	for (int i = 0; i < lost.n; i++)
		cron_ledger_finish(lost.ids[i], false,
					  "the run's outcome could not be recorded (see the server log)",
					  0, cron_now());
	/* forgotten once this commits; a rolled-back pass tries again */
	lost_written = lost.n > 0;
}

/*
 * The runs that failed since the last call, for the failure notification
 * (sent in a transaction of its own, after the outcomes committed).  The
 * array stays valid until the next call.
 */
int
cron_runs_take_failed(const int64 **runids)
{
	int			n = failed.n;

	*runids = failed.ids;
	failed.n = 0;
	return n;
}
bool		cron_launch_blocked = false;

void
cron_runs_init(void)
{
	cron_run_cxt = AllocSetContextCreate(TopMemoryContext, "cronext runs",
									ALLOCSET_DEFAULT_SIZES);
}

/*
 * Whether this pass could lock cron.job (scheduler.c): if a superuser's
 * lock keeps it from reading it, claims do not read commands, so SQL runs
 * (which need theirs) are not claimed until it can; skipped slots and HTTP
 * runs are recorded as usual.
 */
void
cron_runs_set_job_table_readable(bool readable)
{
	job_table_readable = readable;
}

bool
cron_runs_job_table_readable(void)
{
	return job_table_readable;
}

/* a picked run could not be handed to a worker: it waits again */
void
cron_note_unlaunched(CronRun *run)
{
	cron_run_transition(run, CRON_RS_WAITING, NULL);
}

/*
 * Claim a slot of the job in the ledger with the given status.  With
 * command, also returns the job's command (in cron_run_cxt; NULL if the job is
 * gone), read by the claim itself: the scheduler keeps no command text.
 */
static int64
claim_slot(CronJob *job, TimestampTz slot, bool manual, CronRunStatus status,
		   const char *message, char **command)
{
	CronClaim	claim;

	claim.jobid = job->jobid;
	claim.database = job->database;
	claim.username = job->username;
	claim.roleid = job->roleid;
	claim.scheduled_for = slot;
	claim.manual = manual;
	claim.status = status;
	claim.message = message;
	claim.read_command = job_table_readable;
	/* a one-off job's only slot is decided: the job is done (see below) */
	if (!manual && job->schedule.kind == CRON_KIND_AT && job->active)
	{
		ids_push(&to_deactivate, job->jobid);
	}
	return cron_ledger_claim(&claim, cron_run_cxt, command);
}

/* record a slot as skipped, with the reason */
int64
cron_runs_record_skipped(CronJob *job, TimestampTz slot, bool manual, const char *why)
{
	return claim_slot(job, slot, manual, CRON_RUN_SKIPPED, why, NULL);
}

/*
 * Queue the run of a claimed row for launch, as its attempt-th attempt:
 * WAITING, counted as the job's waiting run.  A run that cannot start as
 * its owner fails at once (with problem as its outcome).  has_command:
 * the row carries a command (the job existed when it was claimed).
 */
static void
queue_run(CronJob *job, int64 runid, TimestampTz slot, int attempt,
		  bool has_command)
{
	CronRun    *run;
	MemoryContext old;
	char	   *problem;

	old = MemoryContextSwitchTo(cron_run_cxt);
	run = palloc0(sizeof(CronRun));
	run->runid = runid;
	run->jobid = job->jobid;
	run->scheduled_for = slot;
	run->database = pstrdup(job->database);
	run->username = pstrdup(job->username);
	run->command = NULL;		/* read from the ledger when it starts */
	run->roleid = job->roleid;
	run->superuser = superuser_arg(job->roleid);
	run->timeout_ms = job->timeout_ms;
	run->attempt = attempt;
	run->max_retries = job->max_retries;
	run->retry_delay = job->retry_delay;
	run->http = job->http;
	run->http_entry = -1;
	run->state = CRON_RS_WAITING;
	run->uncommitted = true;
	MemoryContextSwitchTo(old);

	/* an HTTP job opens no session; the HTTP worker checks its owner */
	problem = run->http ? NULL : cron_run_problem(run);
	if (problem == NULL && !run->http && !has_command)
		problem = pstrdup("the job was removed before its run could start");
	if (problem)
	{
		cron_ledger_finish(runid, false, problem, 0, cron_now());
		ereport(LOG,
				(errmsg("cron job " INT64_FORMAT " run " INT64_FORMAT " failed: %s",
						job->jobid, runid, problem)));
		free_run(run);
		return;
	}

	old = MemoryContextSwitchTo(cron_run_cxt);
	cron_runs = lappend(cron_runs, run);
	MemoryContextSwitchTo(old);
	job->waiting++;
}

/*
 * Claim a slot of the job and queue its run for launch.  Returns the runid,
 * or 0 if the slot was already in the ledger (it ran before: skip it).
 */
int64
cron_runs_claim(CronJob *job, TimestampTz slot, bool manual)
{
	char	   *command = NULL;
	int64		runid;

	runid = claim_slot(job, slot, manual, CRON_RUN_STARTING, NULL,
					   job->http ? NULL : &command);
	if (runid == 0)
	{
		elog(DEBUG1, "cron job " INT64_FORMAT ": slot %s is already in the ledger, not running it again",
			 job->jobid, timestamptz_to_str(slot));
		return 0;
	}
	queue_run(job, runid, slot, 1, command != NULL);
	if (command)
		pfree(command);			/* kept in the ledger row, not here */
	return runid;
}

/*
 * Queue again a run an interruption left without effect (run_resume.c):
 * its row, already back to 'starting' for this attempt, is run again.
 */
void
cron_runs_resume(CronJob *job, int64 runid, TimestampTz slot, int attempt)
{
	queue_run(job, runid, slot, attempt, true);
}

/* does the run hold a running place (picked, with a transport, or started)? */
static bool
holds_place(CronRunState state)
{
	return state == CRON_RS_PICKED || state == CRON_RS_HANDED ||
		state == CRON_RS_RUNNING;
}

bool
cron_run_launched(const CronRun *run)
{
	return holds_place(run->state);
}

static const char *const run_state_names[] = {
	[CRON_RS_WAITING] = "waiting",
	[CRON_RS_PICKED] = "picked",
	[CRON_RS_HANDED] = "handed",
	[CRON_RS_RUNNING] = "running",
	[CRON_RS_ENDED] = "ended",
};

/* the legal next states (see run_state.h) */
static bool
legal_transition(CronRunState from, CronRunState to)
{
	switch (from)
	{
		case CRON_RS_WAITING:
			return to == CRON_RS_PICKED || to == CRON_RS_HANDED || to == CRON_RS_ENDED;
		case CRON_RS_PICKED:
			return to == CRON_RS_HANDED || to == CRON_RS_WAITING || to == CRON_RS_ENDED;
		case CRON_RS_HANDED:
			return to == CRON_RS_RUNNING || to == CRON_RS_WAITING || to == CRON_RS_ENDED;
		case CRON_RS_RUNNING:
			return to == CRON_RS_WAITING || to == CRON_RS_ENDED;
		case CRON_RS_ENDED:
			return false;
	}
	return false;
}

/*
 * Move a run to its next state: the one writer of a run's state.  Checks
 * that the move is legal, keeps the job's counts of running and waiting
 * runs, and makes the ledger write that belongs to it (see CronRunEvent).
 * A run that ends is taken out of cron_runs and freed.
 */
void
cron_run_transition(CronRun *run, CronRunState to, const CronRunEvent *ev)
{
	CronRunState from = run->state;
	CronJob    *job = cron_job_cache_lookup(run->jobid);

	if (!legal_transition(from, to))
		elog(ERROR, "cronext: run " INT64_FORMAT " cannot go from %s to %s",
			 run->runid, run_state_names[from], run_state_names[to]);

	if (job)
	{
		if (holds_place(from))
			job->running--;
		else
			job->waiting--;
		if (holds_place(to))
			job->running++;
		else if (to == CRON_RS_WAITING)
			job->waiting++;
	}
	run->state = to;

	switch (to)
	{
		case CRON_RS_RUNNING:
			cron_ledger_mark_running(run->runid, ev->pid, ev->start_time);
			break;
		case CRON_RS_WAITING:
			if (ev)				/* after an attempt: a retry */
				cron_ledger_retrying(run->runid, run->attempt, ev->message,
									 run->not_before, ev->http_status,
									 ev->start_time, ev->end_time);
			break;
		case CRON_RS_ENDED:
			if (ev)
			{
				cron_ledger_finish_http(run->runid, ev->succeeded, ev->message,
										ev->start_time, ev->end_time,
										ev->http_status, ev->body);
				ids_push(&finished, run->runid);
				if (!ev->succeeded)
					ids_push(&failed, run->runid);
				cron_alerts_note_outcome(job && job->watched, !ev->succeeded,
										 job == NULL || job->alerting);
				if (!cronext_log_run)
					cron_ledger_forget_history(run->jobid, run->runid);
			}
			if (run->worker)
				run->worker->run = NULL;
			cron_runs = list_delete_ptr(cron_runs, run);
			free_run(run);
			break;
		case CRON_RS_PICKED:
		case CRON_RS_HANDED:
			break;
	}
}

/*
 * Write a run's outcome and forget the run: the one place a run ends.
 * An HTTP run's outcome also has the response's status and body (0 and
 * NULL otherwise).
 */
static void
finish_run_with_response(CronRun *run, bool succeeded, const char *message,
				TimestampTz start_time, TimestampTz end_time,
				int http_status, const char *body)
{
	CronRunEvent ev = {0};

	ev.succeeded = succeeded;
	ev.message = message;
	ev.start_time = start_time;
	ev.end_time = end_time;
	ev.http_status = http_status;
	ev.body = body;
	cron_run_transition(run, CRON_RS_ENDED, &ev);
}

/* write a SQL run's outcome (or any outcome without a response) and forget the run */
void
cron_finish_run(CronRun *run, bool succeeded, const char *message,
		   TimestampTz start_time, TimestampTz end_time)
{
	finish_run_with_response(run, succeeded, message, start_time, end_time, 0, NULL);
}

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
					finish_run_with_response(run, r->succeeded, r->message,
											 r->start_time, r->end_time,
											 r->http_status, r->body);
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

/* when a running SQL run is past its timeout and grace, or 0 */
static TimestampTz
hard_stop_at(const CronRun *run)
{
	TimestampTz started = cron_pool_start_time(run);

	if (run->state != CRON_RS_RUNNING || run->timeout_ms <= 0 ||
		run->hard_stopped || started == 0)
		return 0;
	return started + ((int64) run->timeout_ms + HARD_STOP_GRACE_MS) * 1000;
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
		TimestampTz at = hard_stop_at(run);

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
 * Make the one-off jobs whose slot this pass decided inactive, in one
 * statement (in a transaction).  Those whose row is locked (or all, if
 * cron.job is) stay listed and the next pass tries again; jobs gone,
 * inactive or changed since need nothing.  Their slot is in the ledger
 * either way, so none runs twice.
 */
void
cron_runs_flush_deactivations(void)
{
	char	  **schedules;
	int64	   *ids;
	int			n = 0;

	if (to_deactivate.n == 0)
		return;
	schedules = palloc(to_deactivate.n * sizeof(char *));
	ids = palloc(to_deactivate.n * sizeof(int64));
	for (int i = 0; i < to_deactivate.n; i++)
	{
		CronJob    *job = cron_job_cache_lookup(to_deactivate.ids[i]);

		if (job == NULL || !job->active || job->schedule.kind != CRON_KIND_AT)
			continue;
		ids[n] = job->jobid;
		schedules[n++] = job->schedule_text;
	}
	deactivate_left.n = 0;
	deactivate_flushed = true;
	if (n > 0)
	{
		/* the jobs whose row was locked stay listed for the next pass */
		n = cron_ledger_deactivate_jobs(ids, schedules, n);
		for (int i = 0; i < n; i++)
			ids_push(&deactivate_left, ids[i]);
	}
	pfree(schedules);
	pfree(ids);
}

/*
 * When runs next need the scheduler without being woken: a retry coming
 * due, a timeout to enforce, or a launch or deactivation to try again.
 */
void
cron_runs_add_wakes(CronWake *wake)
{
	ListCell   *lc;

	if (cron_launch_blocked)
		cron_wake_in(wake, WORKER_RETRY_MS);
	else if (to_deactivate.n > 0)
		cron_wake_in(wake, 1000);
	foreach(lc, cron_runs)
	{
		CronRun    *run = lfirst(lc);
		TimestampTz stop = hard_stop_at(run);

		if (!cron_run_launched(run) && run->not_before > 0)
			cron_wake_at(wake, run->not_before);
		if (stop > 0)
			cron_wake_at(wake, stop);
	}
}
