/*-------------------------------------------------------------------------
 *
 * policy.h
 *	  The scheduler's rules, as pure functions: which due slots of a job
 *	  run and which are missed (catch-up), what a slot that comes due while
 *	  the job is busy does (overlap), when a failed attempt is tried again
 *	  (retry back-off), and how long the scheduler may sleep.
 *
 * Like the schedule parser and the slot arithmetic, this needs c.h only:
 * no server call, no I/O, no allocation.  What the rules need to know of
 * the world comes in as arguments: the job's settings (CronJobPolicy),
 * the facts the scheduler keeps from the ledger (the newest slot decided,
 * how many runs are busy or queued), and the time, read through CronClock.
 * The schedule itself is reached through CronSlots, a one-call interface
 * ("the first slot after t").  The server backs both with PostgreSQL
 * (common/schedule_pg.c, scheduler/job_cache.c); the standalone harness
 * (test/harness/check_policy.c) with fixed or stepping clocks and the C
 * library's time zones, which is how these rules are tested through DST
 * days, clocks that step backwards and long downtime without waiting.
 *
 * Instants are microseconds since 2000-01-01 UTC, as PostgreSQL's
 * TimestampTz, so the server passes its values through unchanged.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_POLICY_H
#define CRONEXT_POLICY_H

#define CRON_USECS_PER_SEC	INT64CONST(1000000)

/* a slot this late is still on time, whatever the catch-up policy */
#define CRON_ON_TIME_GRACE	(5 * CRON_USECS_PER_SEC)

/* missed slots counted one by one at most; beyond, the count is a floor */
#define CRON_MAX_MISSED_COUNT	100000

/* the longest the scheduler sleeps without a reason to wake, in ms */
#define CRON_MAX_SLEEP_MS	(3600 * 1000L)

/* the longest retry delay, in microseconds (30 days) */
#define CRON_MAX_RETRY_DELAY	(INT64CONST(30) * 24 * 3600 * CRON_USECS_PER_SEC)

/* The time, as the scheduler reads it: the server's clock, or a test's. */
typedef struct CronClock CronClock;

struct CronClock
{
	int64		(*now) (const CronClock *clock);
	const void *arg;			/* provider's own state */
};

static inline int64
cron_clock_now(const CronClock *clock)
{
	return clock->now(clock);
}

/* A job's schedule, as the rules see it: its first slot strictly after t. */
typedef struct CronSlots CronSlots;

struct CronSlots
{
	bool		(*after) (const CronSlots *slots, int64 t, int64 *slot);
	const void *arg;			/* provider's own state */
};

typedef enum CronCatchup
{
	CRON_CATCHUP_NONE,			/* slots due while down are missed */
	CRON_CATCHUP_LATEST,		/* only the newest due slot runs */
	CRON_CATCHUP_ALL			/* every slot inside the window runs */
} CronCatchup;

typedef enum CronOverlap
{
	CRON_OVERLAP_QUEUE,			/* wait for the running run */
	CRON_OVERLAP_SKIP,			/* record the slot as skipped */
	CRON_OVERLAP_ALLOW			/* start at once, beside it */
} CronOverlap;

/* the settings of a job that the rules read */
typedef struct CronJobPolicy
{
	CronCatchup catchup;
	int64		catchup_window; /* microseconds */
	CronOverlap overlap;
	bool		once_per_start; /* @reboot: its slot runs however late */
} CronJobPolicy;

/*
 * What cron_policy_plan_due decided for the slots of a job in (after, now]:
 * the missed ones (a prefix of them, recorded as one row), then the ones
 * to run, which are consecutive slots of the schedule from first_due to
 * last_due.  With catchup = none or latest, at most one runs.
 */
typedef struct CronDuePlan
{
	int64		last_decided;	/* the newest slot decided (new "after") */
	int64		nmissed;
	bool		nmissed_is_floor;	/* at least nmissed: counting stopped */
	int64		first_missed;
	int64		last_missed;
	int64		ndue;
	int64		first_due;
	int64		last_due;
} CronDuePlan;

extern CronCatchup cron_catchup_from_name(const char *name);
extern const char *cron_catchup_name(CronCatchup catchup);
extern CronOverlap cron_overlap_from_name(const char *name);

extern void cron_policy_plan_due(const CronJobPolicy *job,
								 const CronSlots *slots, int64 after,
								 const CronClock *clock, int64 started_at,
								 CronDuePlan *plan);

/* what a slot that is to run does when it comes due (overlap) */
typedef enum CronDueAction
{
	CRON_DUE_QUEUE,				/* queue it behind what is queued */
	CRON_DUE_SKIP_BUSY,			/* record it skipped: the previous run goes on */
	CRON_DUE_REPLACE_WAITING_RUN,	/* skip the queued slots (they waited
									 * for the previous run), queue this */
	CRON_DUE_REPLACE_WAITING_PLACE	/* skip the queued slots (they waited
									 * for a free place), queue this */
} CronDueAction;

extern CronDueAction cron_policy_on_due(const CronJobPolicy *job,
										int busy, int64 nqueued);
extern bool cron_policy_may_start(const CronJobPolicy *job, int busy,
								  int64 nqueued);

/* the retry settings of a run, and what its job's schedule says next */
typedef struct CronRetryPolicy
{
	int			max_retries;
	int64		retry_delay;	/* microseconds, the first attempt's wait */
	bool		has_next_slot;	/* the job has a next slot... */
	int64		next_slot;		/* ...at this instant */
} CronRetryPolicy;

extern bool cron_policy_retry_at(const CronRetryPolicy *retry, int attempt,
								 double draw, int64 min_delay,
								 const CronClock *clock, int64 *at);

/*
 * When the scheduler next wakes without being woken: the earliest of the
 * instants and delays it was given, as milliseconds from now.
 */
typedef struct CronWake
{
	bool		any;
	int64		at;				/* earliest instant given */
	long		ms;				/* shortest delay given, or -1 */
} CronWake;

extern void cron_wake_init(CronWake *wake);
extern void cron_wake_at(CronWake *wake, int64 at);
extern void cron_wake_in(CronWake *wake, long ms);
extern long cron_wake_sleep_ms(const CronWake *wake, const CronClock *clock);

#endif							/* CRONEXT_POLICY_H */
