/*-------------------------------------------------------------------------
 *
 * policy.c
 *	  The scheduler's rules as pure functions (see policy.h): catch-up,
 *	  overlap, retry back-off and the scheduler's sleep.
 *
 * The scheduler (scheduler/decide.c, scheduler/runs.c) asks these and then
 * does what they say: ledger rows, the queue of a job, the wait on its
 * latch.  Keeping the rules here, apart from that I/O, is what lets them
 * be tested exhaustively with fixed clocks (test/harness/check_policy.c).
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include "policy.h"

CronCatchup
cron_catchup_from_name(const char *name)
{
	if (strcmp(name, "none") == 0)
		return CRON_CATCHUP_NONE;
	if (strcmp(name, "all") == 0)
		return CRON_CATCHUP_ALL;
	return CRON_CATCHUP_LATEST;
}

const char *
cron_catchup_name(CronCatchup catchup)
{
	return catchup == CRON_CATCHUP_NONE ? "none" :
		catchup == CRON_CATCHUP_ALL ? "all" : "latest";
}

CronOverlap
cron_overlap_from_name(const char *name)
{
	if (strcmp(name, "skip") == 0)
		return CRON_OVERLAP_SKIP;
	if (strcmp(name, "allow") == 0)
		return CRON_OVERLAP_ALLOW;
	return CRON_OVERLAP_QUEUE;
}

/*
 * The newest slot older than horizon, given a slot (from) that is: a
 * bisection on "the first slot after x is older than horizon", which holds
 * at from and not at horizon - 1, so it takes some 64 lookups however many
 * slots lie between (years of a one-second schedule).
 */
static int64
newest_slot_before(const CronSlots *slots, int64 from, int64 horizon)
{
	int64		lo = from;		/* its next slot is older than horizon... */
	int64		hi = horizon - 1;	/* ...and this one's is not */
	int64		next;

	if (!slots->after(slots, lo, &next) || next >= horizon)
		return from;
	while (hi - lo > 1)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (slots->after(slots, mid, &next) && next < horizon)
			lo = mid;
		else
			hi = mid;
	}
	(void) slots->after(slots, lo, &next);
	return next;
}

/*
 * Decide the slots of a job in (after, now]: which are missed and which
 * run.
 *
 *	- A slot older than the job's window is missed: the window is
 *	  CRON_ON_TIME_GRACE for catchup = none, catchup_window (at least the
 *	  grace) otherwise, and unbounded for @reboot's one slot.
 *	- With catchup = none, a slot that came due before this scheduler
 *	  started (server down, standby) is missed however recent, except
 *	  @reboot's.
 *	- With catchup = none or latest, only the newest due slot runs; the
 *	  older ones join the missed.
 *	- Counting stops at CRON_MAX_MISSED_COUNT: after years of downtime
 *	  with a one-second schedule the walk jumps to the newest slot older
 *	  than the window (so that the missed row stands at the newest of them,
 *	  where the ledger resumes), and the count is reported as a floor.
 *
 * Slots are increasing, and both "missed" conditions are "older than some
 * instant", so the missed slots are a prefix and the due slots that follow
 * are consecutive slots of the schedule.  A clock that stepped backwards
 * (now earlier than after) finds nothing due: no slot is decided twice.
 */
void
cron_policy_plan_due(const CronJobPolicy *job, const CronSlots *slots,
					 int64 after, const CronClock *clock, int64 started_at,
					 CronDuePlan *plan)
{
	int64		now = cron_clock_now(clock);
	int64		window;
	int64		horizon;
	int64		slot;
	int64		prev_due = 0;

	memset(plan, 0, sizeof(*plan));
	if (job->once_per_start)
		window = PG_INT64_MAX / 2;
	else if (job->catchup == CRON_CATCHUP_NONE)
		window = CRON_ON_TIME_GRACE;
	else
		window = Max(job->catchup_window, CRON_ON_TIME_GRACE);
	horizon = now - window;

	while (slots->after(slots, after, &slot) && slot <= now)
	{
		after = slot;
		if (slot < horizon ||
			(job->catchup == CRON_CATCHUP_NONE && slot < started_at &&
			 !job->once_per_start))
		{
			if (plan->nmissed == 0)
				plan->first_missed = slot;
			plan->last_missed = slot;
			if (++plan->nmissed >= CRON_MAX_MISSED_COUNT && slot < horizon)
			{
				int64		newest = newest_slot_before(slots, slot, horizon);

				/* jump to the newest slot older than the window */
				if (newest != slot)
				{
					plan->nmissed_is_floor = true;
					plan->last_missed = newest;
					after = newest;
				}
			}
			continue;
		}
		if (plan->ndue == 0)
			plan->first_due = slot;
		prev_due = plan->last_due;
		plan->last_due = slot;
		plan->ndue++;
	}
	plan->last_decided = after;

	/* none and latest run only the newest due slot */
	if (job->catchup != CRON_CATCHUP_ALL && plan->ndue > 1)
	{
		if (plan->nmissed == 0)
			plan->first_missed = plan->first_due;
		plan->nmissed += plan->ndue - 1;
		plan->last_missed = prev_due;
		plan->first_due = plan->last_due;
		plan->ndue = 1;
	}
}

/*
 * A slot that is to run came due; busy runs of the job are running or
 * waiting to launch, nqueued slots wait in its queue.
 *
 *	- overlap = skip: while a run is busy, the slot is skipped.
 *	- overlap = queue or skip (unless catchup = all, where every slot must
 *	  run): one waiting slot is enough, so the queued ones are skipped, and
 *	  the reason says truly what they waited for: the job's previous run,
 *	  or a free place among the running jobs.
 *	- otherwise the slot joins the queue.
 */
CronDueAction
cron_policy_on_due(const CronJobPolicy *job, int busy, int64 nqueued)
{
	if (job->overlap == CRON_OVERLAP_SKIP && busy > 0)
		return CRON_DUE_SKIP_BUSY;
	if (job->overlap != CRON_OVERLAP_ALLOW && job->catchup != CRON_CATCHUP_ALL &&
		nqueued > 0)
		return busy > 0 ? CRON_DUE_REPLACE_WAITING_RUN :
			CRON_DUE_REPLACE_WAITING_PLACE;
	return CRON_DUE_QUEUE;
}

/*
 * May the job's oldest queued slot start, as far as the job itself goes?
 * (Places among all running jobs and the role's share are the claim's.)
 */
bool
cron_policy_may_start(const CronJobPolicy *job, int busy, int64 nqueued)
{
	return nqueued > 0 && (job->overlap == CRON_OVERLAP_ALLOW || busy == 0);
}

/*
 * After the attempt-th attempt of a run failed: may it be tried again, and
 * when?  The wait doubles with each attempt, is scaled by 0.75 + draw / 2
 * (draw in [0, 1): jitter of up to a quarter either way, so that retries
 * of many jobs do not come back in step), is at least min_delay (an HTTP
 * server's Retry-After) and at most CRON_MAX_RETRY_DELAY, and is cut so
 * that the retry starts at least a second before the job's next slot.
 * Returns false when no retry is allowed or none fits: the run fails now.
 */
bool
cron_policy_retry_at(const CronRetryPolicy *retry, int attempt, double draw,
					 int64 min_delay, const CronClock *clock, int64 *at)
{
	int64		now;
	double		delay;

	if (attempt > retry->max_retries)
		return false;
	now = cron_clock_now(clock);
	delay = (double) retry->retry_delay;
	for (int i = 1; i < attempt && delay < 1e15; i++)
		delay *= 2;
	delay *= 0.75 + 0.5 * draw;
	delay = Max(delay, (double) min_delay);
	delay = Min(delay, (double) CRON_MAX_RETRY_DELAY);
	if (retry->has_next_slot &&
		(double) now + delay > (double) (retry->next_slot - CRON_USECS_PER_SEC))
	{
		delay = (double) (retry->next_slot - now) - CRON_USECS_PER_SEC;
		/* no retry fits, or not after the wait the server asked for */
		if (delay < 0 || delay < (double) min_delay)
			return false;
	}
	*at = now + (int64) delay;
	return true;
}

void
cron_wake_init(CronWake *wake)
{
	wake->any = false;
	wake->at = 0;
	wake->ms = -1;
}

/* wake at this instant at the latest */
void
cron_wake_at(CronWake *wake, int64 at)
{
	if (!wake->any || at < wake->at)
		wake->at = at;
	wake->any = true;
}

/* wake after this many milliseconds at the latest */
void
cron_wake_in(CronWake *wake, long ms)
{
	ms = Min(Max(ms, 0), CRON_MAX_SLEEP_MS);
	if (wake->ms < 0 || ms < wake->ms)
		wake->ms = ms;
}

/*
 * Milliseconds from now until the earliest wake given, rounded up so that
 * the scheduler never wakes just before a slot; 0 if it has passed; -1 if
 * none was given (sleep until woken).  Never more than CRON_MAX_SLEEP_MS:
 * if the clock steps backwards while the scheduler sleeps, it looks again
 * within the hour rather than sleeping for as long as the step.
 */
long
cron_wake_sleep_ms(const CronWake *wake, const CronClock *clock)
{
	long		ms = wake->ms;

	if (wake->any)
	{
		int64		now = cron_clock_now(clock);
		long		until;

		/* compared before subtracting: no overflow whatever the instants */
		if (wake->at <= now)
			until = 0;
		else if (wake->at - now > (int64) CRON_MAX_SLEEP_MS * 1000)
			until = CRON_MAX_SLEEP_MS;
		else
			until = (long) ((wake->at - now + 999) / 1000);
		ms = ms < 0 ? until : Min(ms, until);
	}
	return ms;
}
