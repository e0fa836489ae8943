/*-------------------------------------------------------------------------
 *
 * decide.c
 *	  The scheduler's decisions about due slots: which run, which are
 *	  missed or skipped, and claiming the ones that may start, with the
 *	  places of cron.max_running_jobs shared in turns across roles.
 *
 The rules (catch-up, overlap) are pure functions in core/policy.c; this
 * file does what they decide:
 *	- missed slots are recorded as one 'skipped' row, so they never vanish
 *	  silently;
 *	- slots to run join the job's queue (job_cache.c), or are recorded as
 *	  skipped when overlap says so;
 *	- a slot that waits for a place (cron.max_running_jobs, the role's
 *	  share) and is overtaken is recorded as such, never as an overlap.
 * These run inside the scheduler's pass transaction (scheduler.c); the
 * claims are committed with it, before any run starts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/timestamp.h"

#include "cronext.h"
#include "decide.h"
#include "fair_share.h"
#include "job_cache.h"
#include "name_pool.h"
#include "runs.h"
#include "schedule_pg.h"

/* the scheduler's start: for catchup = none, what came due before it is missed */
static TimestampTz scheduler_started_at = 0;

static bool capacity_warned = false;
static TimestampTz capacity_warned_at = 0;

/*
 * A job changed or paused while slots of it were queued: they no longer
 * count, and are recorded as skipped.
 */
/* queued slots recorded one row each when dropped; more get one row in all */
#define MAX_SKIPPED_ROWS	1000

/* a queued slot overtaken while it waited for a place to run */
#define WAITED_FOR_PLACE \
	"skipped: a later slot came due while this one waited for a free place to run (cron.max_running_jobs or cron.max_running_jobs_per_role)"

static void
skip_queued(CronJob *job, const char *why)
{
	TimestampTz first;
	TimestampTz last;
	TimestampTz slot;
	int64		n = cron_job_pending_clear(job, &first, &last);
	int64		i = 1;

	/*
	 * Paused, or changed in a way that leaves its slots where they were: the
	 * queued slots are still the schedule's from first to last, and each
	 * gets its row, as a slot that ran would.  Otherwise one row says which
	 * slots were dropped.
	 */
	slot = first;
	/* a row each, up to a point: beyond, one row for all keeps the pass short */
	if (n <= MAX_SKIPPED_ROWS)
		for (; i < n && cron_job_cache_slot_after(job, slot, &slot) && slot <= last; i++)
			;
	if (n > 0 && n <= MAX_SKIPPED_ROWS && i == n && slot == last)
	{
		slot = first;
		for (i = 0; i < n; i++)
		{
			(void) cron_runs_record_skipped(job, slot, false, why);
			if (i + 1 < n)
				(void) cron_job_cache_slot_after(job, slot, &slot);
		}
	}
	else if (n == 1)
		(void) cron_runs_record_skipped(job, last, false, why);
	else if (n > 1)
		(void) cron_runs_record_skipped(job, last, false,
								   psprintf("%s (" INT64_FORMAT " slots from %s to %s)",
											why, n, pstrdup(timestamptz_to_str(first)),
											pstrdup(timestamptz_to_str(last))));
}

static void
flush_stale(CronJob *job)
{
	skip_queued(job, "skipped: the job was changed or paused before this slot could start");
}

/*
 * Decide the due slots of one job (the rules are cron_policy_plan_due and
 * cron_policy_on_due): record the missed ones, and queue the ones to run
 * (they are claimed when they may start) or record them skipped.
 */
static void
decide_due(CronJob *job, const CronClock *clock)
{
	CronSlots	slots;
	CronDuePlan plan;
	TimestampTz slot;

	if (job->pending_stale)
		flush_stale(job);

	cron_job_cache_slots(job, &slots);
	cron_policy_plan_due(&job->policy, &slots, job->last_slot, clock,
						 scheduler_started_at, &plan);
	job->last_slot = plan.last_decided;

	if (plan.nmissed > 0)
	{
		char	   *why;

		why = psprintf("missed: %s" INT64_FORMAT " slot%s from %s to %s not run (catchup = %s)",
					   plan.nmissed_is_floor ? "at least " : "",
					   plan.nmissed, plan.nmissed == 1 ? "" : "s",
					   pstrdup(timestamptz_to_str(plan.first_missed)),
					   pstrdup(timestamptz_to_str(plan.last_missed)),
					   cron_catchup_name(job->policy.catchup));
		(void) cron_runs_record_skipped(job, plan.last_missed, false, why);
	}

	slot = plan.first_due;
	for (int64 i = 0; i < plan.ndue; i++)
	{
		/* the due slots are consecutive slots of the schedule */
		if (i > 0 && !cron_job_cache_slot_after(job, slot, &slot))
			break;
		switch (cron_policy_on_due(&job->policy, job->running + job->waiting,
								   job->npending))
		{
			case CRON_DUE_SKIP_BUSY:
				(void) cron_runs_record_skipped(job, slot, false,
												"skipped: the previous run was still going (overlap = skip)");
				continue;
			case CRON_DUE_REPLACE_WAITING_RUN:
				while (job->npending > 0)
					(void) cron_runs_record_skipped(job, cron_job_pending_pop(job), false,
													"skipped: a later slot came due while this one waited for the previous run (overlap = queue)");
				break;
			case CRON_DUE_REPLACE_WAITING_PLACE:
				while (job->npending > 0)
					(void) cron_runs_record_skipped(job, cron_job_pending_pop(job), false,
													WAITED_FOR_PLACE);
				break;
			case CRON_DUE_QUEUE:
				break;
		}

		/*
		 * Queued slots are a run of consecutive slots; when slots declared
		 * missed come between, the queued ones are overtaken too.
		 */
		if (!cron_job_pending_follows(job, slot))
			skip_queued(job, WAITED_FOR_PLACE);
		cron_job_pending_push(job, slot);
	}
}

/* decide every slot that is due by now */
void
cron_decide_due_slots(const CronClock *clock, TimestampTz started_at)
{
	TimestampTz now = cron_clock_now(clock);
	CronJob    *job;

	scheduler_started_at = started_at;
	while ((job = cron_job_cache_first()) != NULL && job->next_slot <= now)
	{
		decide_due(job, clock);
		cron_job_cache_reschedule(job);
	}
}

static char last_served_role[NAMEDATALEN] = "";

/* how many jobs of a role that may not start a claiming pass passes over */
#define CLAIM_LOOK_AHEAD	64

/*
 * Warn that due runs wait for capacity, the whole server's or a role's
 * share: once per episode, at most once a minute.
 */
static void
warn_capacity(bool role_share)
{
	TimestampTz now = cron_now();

	if (!capacity_warned && now - capacity_warned_at >= 60 * USECS_PER_SEC)
	{
		if (role_share)
			ereport(WARNING,
					(errmsg("a role has cron.max_running_jobs_per_role (%d) runs in progress; its due runs wait for one to end",
							cronext_max_running_jobs_per_role)));
		else
			ereport(WARNING,
					(errmsg("cron.max_running_jobs (%d) runs are in progress; due runs wait for one to end",
							cronext_max_running_jobs)));
		capacity_warned_at = now;
	}
	capacity_warned = true;
}

/* may the job's next queued slot start as far as the job itself goes? */
static bool
job_may_start(const CronJob *job)
{
	return cron_policy_may_start(&job->policy, job->running + job->waiting,
								 job->npending);
}

/* the places of cron.max_running_jobs, for claim_turn */
typedef struct ClaimPlaces
{
	int			used;
	bool		full;
} ClaimPlaces;

/* one turn of a role's SQL job: claim its next queued slot */
static CronTurnResult
claim_turn(void *item, void *arg)
{
	CronJob    *job = item;
	ClaimPlaces *places = arg;

	if (!job_may_start(job))
		return CRON_TURN_NEXT;
	if (places->used >= cronext_max_running_jobs)
	{
		places->full = true;
		return CRON_TURN_STOP;
	}
	if (cron_runs_claim(job, cron_job_pending_pop(job), false) != 0)
		places->used++;
	return CRON_TURN_SERVED;
}

/*
 * Claim the queued slots that may start now.  HTTP runs are claimed at
 * once (they wait for a connection at launch, see runs.c).  SQL runs take
 * one of cron.max_running_jobs places each, shared round-robin across
 * roles (fair_share.c) with at most cron.max_running_jobs_per_role each.
 * A role cannot take more than the places free, so only that many of its
 * first jobs are looked at: with ten thousand jobs due at once, a pass
 * costs a few jobs per role, not ten thousand.
 */
void
cron_decide_claim_ready(void)
{
	dlist_mutable_iter iter;
	dlist_mutable_iter owner_iter;
	CronTurns  *turns = cron_turns_create();
	ClaimPlaces places = {cron_runs_count_sql_places(), false};
	int			free_places = cronext_max_running_jobs - places.used;
	bool		capped;

	dlist_foreach_modify(iter, cron_job_cache_ready_http())
	{
		CronJob    *job = dlist_container(CronJob, ready_node, iter.cur);
		int			cap;

		if (job->pending_stale)
		{
			flush_stale(job);
			continue;
		}

		/*
		 * Claimed HTTP runs wait for a connection at launch; a role has no
		 * more claimed than its share of connections, so slots that pile
		 * up (overlap = allow against an endpoint that hangs) stay queued,
		 * which costs nothing per slot.
		 */
		cap = cron_runs_http_claim_cap(job);
		while (job_may_start(job) && cron_runs_count_http_of(job->username) < cap)
			(void) cron_runs_claim(job, cron_job_pending_pop(job), false);
	}

	/* cron.job is locked: SQL slots are claimed once it can be read */
	if (cron_runs_job_table_readable())
	{
		dlist_foreach_modify(owner_iter, cron_job_cache_ready_owners())
		{
			CronName   *owner = dlist_container(CronName, owners_node, owner_iter.cur);
			int			picked = 0;
			int			passed_over = 0;

			dlist_foreach_modify(iter, &owner->ready)
			{
				CronJob    *job = dlist_container(CronJob, ready_node, iter.cur);

				/* changed jobs come first: their stale queues go at once */
				if (job->pending_stale)
				{
					flush_stale(job);
					continue;
				}

				/*
				 * Jobs that may not start now (a run of theirs goes on) are
				 * passed over, but only so many, so that a pass stays short;
				 * they go to the end of the list, so that the role's other
				 * jobs come within reach of the next pass.
				 */
				if (!job_may_start(job))
				{
					dlist_move_tail(&owner->ready, &job->ready_node);
					if (++passed_over > CLAIM_LOOK_AHEAD)
						break;
					continue;
				}
				if (free_places <= 0)
				{
					places.full = true;
					break;
				}
				if (picked >= free_places)
					break;
				picked++;
				cron_turns_add(turns, job->username,
							   cron_runs_sql_cap(superuser_arg(job->roleid)),
							   job, cron_runs_count_sql_of);
			}
		}
	}
	capped = cron_turns_serve(turns, last_served_role, claim_turn, &places);
	if (places.full || capped)
		warn_capacity(!places.full);
	else
		capacity_warned = false;
}

