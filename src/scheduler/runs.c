/*-------------------------------------------------------------------------
 *
 * runs.c
 *	  The scheduler's claimed runs: claiming a slot, the run's states and
 *	  their ledger writes, and what a pass that rolled back leaves to do.
 *	  Starting them is run_launch.c's; what their transports report, with
 *	  retries, timeouts and cancels, run_reports.c's; the shares of roles
 *	  are role_shares.c's.
 *
 * decide.c decides which slots are due; this file carries each claimed
 * run from its claim to its outcome, through the states of run_state.h,
 * with cron_run_transition() as the one writer of a run's state.  The
 * transports (worker/worker_pool.c, http/http_dispatch.c) only report what
 * happened (CronReport); run_reports.c decides what it means.
 * All of it runs in the scheduler process, so nothing here is shared: the
 * runs are a plain list.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

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

/*
 * The commands runs hold: a claim brings its command, and the run keeps it
 * until it is in a job worker's mailbox, so that starting it needs no read
 * of its ledger row, as long as the commands of the runs claimed stay
 * under KEPT_COMMANDS_MAX in all; beyond, a run reads its command from the
 * ledger when it starts (run_launch.c).
 */
#define KEPT_COMMANDS_MAX	(1024 * 1024)
static Size kept_command_bytes = 0;

/* give the run a command (palloc'd in cron_run_cxt; the run owns it) */
void
cron_run_set_command(CronRun *run, char *command)
{
	cron_run_drop_command(run);
	run->command = command;
	if (command)
		kept_command_bytes += strlen(command) + 1;
}

/*
 * After the launches: runs that did not start keep their commands only
 * within the bound (a command read from the ledger for a start that had
 * to wait is not counted against it when read).
 */
void
cron_runs_trim_commands(void)
{
	ListCell   *lc;

	foreach(lc, cron_runs)
	{
		CronRun    *run = lfirst(lc);

		if (kept_command_bytes <= KEPT_COMMANDS_MAX)
			break;
		if (!cron_run_launched(run))
			cron_run_drop_command(run);
	}
}

void
cron_run_drop_command(CronRun *run)
{
	if (run->command == NULL)
		return;
	kept_command_bytes -= strlen(run->command) + 1;
	pfree(run->command);
	run->command = NULL;
}

static void
free_run(CronRun *run)
{
	pfree(run->database);
	pfree(run->username);
	cron_run_drop_command(run);
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

	TimestampTz now = GetCurrentTimestamp();

	foreach(lc, cron_runs)
	{
		CronRun    *run = lfirst(lc);

		if (run->uncommitted)
			run->committed_at = now;
		run->uncommitted = false;
	}
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
			cron_run_drop_command(run);
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
TimestampTz cron_pass_started_at = 0;

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
static CronRun *
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
	run->woke_at = cron_pass_started_at;
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
		return NULL;
	}

	old = MemoryContextSwitchTo(cron_run_cxt);
	cron_runs = lappend(cron_runs, run);
	MemoryContextSwitchTo(old);
	job->waiting++;
	return run;
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
	CronRun    *run;

	runid = claim_slot(job, slot, manual, CRON_RUN_STARTING, NULL,
					   job->http ? NULL : &command);
	if (runid == 0)
	{
		elog(DEBUG1, "cron job " INT64_FORMAT ": slot %s is already in the ledger, not running it again",
			 job->jobid, timestamptz_to_str(slot));
		return 0;
	}
	run = queue_run(job, runid, slot, 1, command != NULL);

	/* kept for the start, within the bound (see KEPT_COMMANDS_MAX) */
	if (run && command &&
		kept_command_bytes + strlen(command) + 1 <= KEPT_COMMANDS_MAX)
		cron_run_set_command(run, command);
	else if (command)
		pfree(command);
	return runid;
}

/*
 * Queue again a run an interruption left without effect (run_resume.c):
 * its row, already back to 'starting' for this attempt, is run again.
 */
void
cron_runs_resume(CronJob *job, int64 runid, TimestampTz slot, int attempt)
{
	(void) queue_run(job, runid, slot, attempt, true);
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
			if (!ev->in_ledger)
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
				if (!ev->in_ledger)
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
void
cron_finish_run_response(CronRun *run, bool succeeded, const char *message,
				TimestampTz start_time, TimestampTz end_time,
				int http_status, const char *body, bool in_ledger)
{
	CronRunEvent ev = {0};

	ev.in_ledger = in_ledger;
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
	cron_finish_run_response(run, succeeded, message, start_time, end_time, 0, NULL,
							 false);
}

/* when a running SQL run is past its timeout and grace, or 0 */
TimestampTz
cron_run_hard_stop_at(const CronRun *run)
{
	TimestampTz started = cron_pool_start_time(run);

	if (run->state != CRON_RS_RUNNING || run->timeout_ms <= 0 ||
		run->hard_stopped || started == 0)
		return 0;
	return started + ((int64) run->timeout_ms + HARD_STOP_GRACE_MS) * 1000;
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
	const char **schedules;
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
	TimestampTz now = cron_now();
	bool		waiting_sql = false;

	if (cron_launch_blocked)
		cron_wake_in(wake, WORKER_RETRY_MS);
	else if (to_deactivate.n > 0)
		cron_wake_in(wake, 1000);
	foreach(lc, cron_runs)
	{
		CronRun    *run = lfirst(lc);
		TimestampTz stop = cron_run_hard_stop_at(run);

		if (!cron_run_launched(run) && run->not_before > 0)
			cron_wake_at(wake, run->not_before);
		if (stop > 0)
			cron_wake_at(wake, stop);
		if (!run->http && !cron_run_launched(run) && run->not_before <= now)
			waiting_sql = true;
	}

	/*
	 * SQL runs wait for a worker: the pool grows once the runs that hold
	 * its workers no longer look short (worker_pool.c).
	 */
	if (waiting_sql)
	{
		TimestampTz soon_over = cron_pool_wake_at();

		if (soon_over > 0)
			cron_wake_at(wake, soon_over);
	}
}
