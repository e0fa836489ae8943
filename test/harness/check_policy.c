/*-------------------------------------------------------------------------
 *
 * check_policy.c
 *	  Standalone driver for the scheduler's rules (src/core/policy.c), run
 *	  under ASan/UBSan and valgrind.
 *
 * Owns: the checks of cron_policy_plan_due (catch-up), cron_policy_on_due
 * and cron_policy_may_start (overlap), cron_policy_retry_at (retry
 * back-off), the CronWake calls (the scheduler's sleep) and the catchup /
 * overlap names.  The time comes from fixed or scripted clocks (a script
 * is a list of successive readings, so a clock can step backwards between
 * two passes), the schedules from arithmetic slots, explicit lists of
 * instants and real cron schedules in real zones (tz_libc.c), so DST days,
 * clocks that step backwards and years of downtime are tested without
 * waiting:
 *
 *	- hand-worked plans at every boundary (the horizon, now, started_at, the
 *	  5-second grace, windows shorter and longer than it, @reboot);
 *	- a sweep of single decisions against a model written from README.md
 *	  "Catch-up" and policy.h (which slots are stale; none and latest run
 *	  the newest fresh one, all every fresh one in order);
 *	- simulated schedulers, thousands of passes each, whose clocks run
 *	  steadily, wake on slots, step back an hour or a day, jump over
 *	  downtime and restart: every slot of the schedule is decided exactly
 *	  once, missed or due, and due slots come in order;
 *	- the CRON_MAX_MISSED_COUNT floor, at its boundary and after two years
 *	  of downtime of a one-second schedule;
 *	- DST days in America/New_York and Europe/Berlin with real schedules,
 *	  the server down across the transition: counts checked against slots
 *	  stepped independently and against hand-counted days;
 *	- the overlap truth table, retries, the sleep, the names.
 *
 * Three departures from the documented contract that these tests found
 * (a retry less than a second before the next slot, an uncapped sleep, the
 * missed row short of the newest missed slot) were fixed in policy.c; they
 * stay named below as DEVIATIONs, and are violations like any other unless
 * --lenient is given.  Any violation aborts with a message; success prints
 * a summary and exits 0.
 *
 * Instants are PostgreSQL's: microseconds since 2000-01-01 UTC.
 *
 * Usage: check_policy [--quick] [--lenient] [--verbose]
 *	 --quick: fewer combinations and shorter simulations (for valgrind)
 *	 --lenient: count and print a deviation instead of failing
 *	 --verbose: every simulation's totals, and each part's time
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include <time.h>

#include "next_run.h"
#include "policy.h"
#include "schedule.h"
#include "tz_libc.h"

#define USEC		CRON_USECS_PER_SEC
#define MINUTE		(INT64CONST(60) * USEC)
#define HOUR		(INT64CONST(3600) * USEC)
#define DAY			(INT64CONST(86400) * USEC)
#define YEAR		(INT64CONST(365) * DAY)
#define GRACE		CRON_ON_TIME_GRACE
#define MAX_MISSED	((int64) CRON_MAX_MISSED_COUNT)
#define MAX_SLEEP	((long) CRON_MAX_SLEEP_MS)
#define RETRY_CAP	CRON_MAX_RETRY_DELAY

/* Unix time of the PostgreSQL epoch, 2000-01-01 00:00:00 UTC */
#define PG_EPOCH_UNIX	INT64CONST(946684800)

/* the model never walks more slots than this in one decision */
#define MODEL_MAX_SLOTS	INT64CONST(5000000)

static bool quick = false;
static bool strict = true;
static bool verbose = false;

/* what is being checked, for fail()'s message */
static char context[1024];

static long n_plans;			/* plan_due decisions checked */
static long n_explicit;
static long n_sweep;
static long n_sims;
static long n_sim_passes;
static long n_sim_slots;
static long n_floor;
static long n_dst_scenarios;
static long n_dst_slots;
static long n_reboot;
static long n_overlap;
static long n_retry;
static long n_wake;

/* ---------------------------------------------------------------------
 * Failing, known deviations, formatting
 * ---------------------------------------------------------------------
 */

static void fail(const char *fmt,...) pg_attribute_printf(1, 2) pg_attribute_noreturn();

static void
fail(const char *fmt,...)
{
	va_list		args;

	fflush(stdout);
	fprintf(stderr, "\nVIOLATION: ");
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fprintf(stderr, "\n  case: %s\n", context[0] ? context : "(none)");
	fflush(stderr);
	abort();
}

static void set_context(const char *fmt,...) pg_attribute_printf(1, 2);

static void
set_context(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	vsnprintf(context, sizeof(context), fmt, args);
	va_end(args);
}

static void
usage_fail(const char *msg)
{
	fprintf(stderr, "check_policy: %s\n", msg);
	exit(2);
}

/*
 * Departures from the documented contract that this file is sure of.  Each
 * is fatal, unless --lenient: then it is counted, its first occurrence
 * kept for the summary.
 */
typedef enum DeviationId
{
	DEV_RETRY_LAST_SECOND,
	DEV_WAKE_IN_UNCAPPED,
	DEV_FLOOR_LAST_MISSED,
	NUM_DEVIATIONS
} DeviationId;

typedef struct Deviation
{
	const char *name;
	const char *contract;
	long		count;
	char		first[1024];
} Deviation;

static Deviation deviations[NUM_DEVIATIONS] = {
	{"retry-last-second",
		"policy.c, cron_policy_retry_at: the wait \"is cut so that the retry starts at least a "
		"second before the job's next slot\"; a retry that would start less than 1 s before the "
		"next slot (but not at or after it) is neither cut nor refused"},
	{"wake-in-uncapped",
		"policy.c, cron_wake_sleep_ms: \"Never more than CRON_MAX_SLEEP_MS\"; with only "
		"cron_wake_in delays (no instant) a delay above the cap is returned as it is"},
	{"floor-last-missed",
		"README \"Catch-up\": missed slots are \"recorded as one skipped row ('missed: 3 slots "
		"from ... to ... not run') at the newest of them\"; once CRON_MAX_MISSED_COUNT is "
		"reached, last_missed is the slot counted last, not the newest missed slot, so the row's "
		"\"to\" and its scheduled_for stop short of the slots jumped over"},
};

static void deviation(DeviationId id, const char *fmt,...) pg_attribute_printf(2, 3);

static void
deviation(DeviationId id, const char *fmt,...)
{
	Deviation  *d = &deviations[id];
	char		msg[768];
	va_list		args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	if (strict)
		fail("DEVIATION %s: %s\n  %s", d->name, msg, d->contract);
	if (d->count++ == 0)
		snprintf(d->first, sizeof(d->first), "%s\n      case: %s", msg, context);
}

/* floor division for possibly negative instants */
static int64
floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	if (a % b != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* "2026-03-08 07:00:00[.000001]" (UTC) for a PostgreSQL instant */
static const char *
fmt_ts(int64 t)
{
	static char bufs[16][48];
	static int	next;
	char	   *buf = bufs[next++ % lengthof(bufs)];
	int64		secs = floor_div(t, USEC);
	int			frac = (int) (t - secs * USEC);
	time_t		tt = (time_t) (secs + PG_EPOCH_UNIX);
	struct tm	tm;

	if (t == PG_INT64_MIN || t == PG_INT64_MAX ||
		secs > INT64CONST(100000) * 366 * 86400 || secs < -INT64CONST(100000) * 366 * 86400 ||
		gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, sizeof(bufs[0]), INT64_FORMAT " us", t);
	else if (frac == 0)
		snprintf(buf, sizeof(bufs[0]), "%04d-%02d-%02d %02d:%02d:%02d",
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
				 tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(buf, sizeof(bufs[0]), "%04d-%02d-%02d %02d:%02d:%02d.%06d",
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
				 tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	return buf;
}

/* "YYYY-MM-DD HH:MM:SS" in UTC to a PostgreSQL instant */
static int64
pg_utc(const char *s)
{
	struct tm	tm;
	int			y,
				mo,
				d,
				h,
				mi,
				se;

	if (sscanf(s, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &se) != 6)
	{
		fprintf(stderr, "check_policy: bad instant literal \"%s\"\n", s);
		abort();
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return ((int64) timegm(&tm) - PG_EPOCH_UNIX) * USEC;
}

static const char *
catchup_str(CronCatchup c)
{
	return c == CRON_CATCHUP_NONE ? "none" : c == CRON_CATCHUP_ALL ? "all" : "latest";
}

static const char *
overlap_str(CronOverlap o)
{
	return o == CRON_OVERLAP_SKIP ? "skip" : o == CRON_OVERLAP_ALLOW ? "allow" : "queue";
}

static const char *
action_str(CronDueAction a)
{
	switch (a)
	{
		case CRON_DUE_QUEUE:
			return "QUEUE";
		case CRON_DUE_SKIP_BUSY:
			return "SKIP_BUSY";
		case CRON_DUE_REPLACE_WAITING_RUN:
			return "REPLACE_WAITING_RUN";
		case CRON_DUE_REPLACE_WAITING_PLACE:
			return "REPLACE_WAITING_PLACE";
	}
	return "(unknown action)";
}

static void
describe_job(const CronJobPolicy *job, char *buf, size_t len)
{
	snprintf(buf, len, "catchup=%s window=" INT64_FORMAT "us%s",
			 catchup_str(job->catchup), job->catchup_window,
			 job->once_per_start ? " once_per_start" : "");
}

static void
describe_plan(const CronDuePlan *p, char *buf, size_t len)
{
	snprintf(buf, len,
			 "missed " INT64_FORMAT "%s [%s .. %s], due " INT64_FORMAT " [%s .. %s], last_decided %s",
			 p->nmissed, p->nmissed_is_floor ? " (floor)" : "",
			 p->nmissed ? fmt_ts(p->first_missed) : "-",
			 p->nmissed ? fmt_ts(p->last_missed) : "-",
			 p->ndue, p->ndue ? fmt_ts(p->first_due) : "-",
			 p->ndue ? fmt_ts(p->last_due) : "-", fmt_ts(p->last_decided));
}

/* a deterministic generator (splitmix64), so a failure can be replayed */
static uint64 rng_state = UINT64CONST(0x9011c7c0ffee2026);

static uint64
rng_next(void)
{
	uint64		z = (rng_state += UINT64CONST(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* uniform in lo..hi */
static int64
rng_between(int64 lo, int64 hi)
{
	return lo + (int64) (rng_next() % (uint64) (hi - lo + 1));
}

/* ---------------------------------------------------------------------
 * Clocks and slot providers
 * ---------------------------------------------------------------------
 */

/* a fixed clock, or a script of successive readings */
typedef struct TestClock
{
	CronClock	clock;
	int64		fixed;
	const int64 *script;
	int			nscript;
	int			next;
	long		reads;
} TestClock;

static int64
test_clock_now(const CronClock *clock)
{
	TestClock  *tc = (TestClock *) unconstify(void *, clock->arg);

	tc->reads++;
	if (tc->script == NULL)
		return tc->fixed;
	if (tc->next >= tc->nscript)
		fail("HARNESS BUG: the scripted clock was read %d times; it has %d readings",
			 tc->next + 1, tc->nscript);
	return tc->script[tc->next++];
}

static void
fixed_clock(TestClock *tc, int64 now)
{
	memset(tc, 0, sizeof(*tc));
	tc->clock.now = test_clock_now;
	tc->clock.arg = tc;
	tc->fixed = now;
}

static void
script_clock(TestClock *tc, const int64 *script, int n)
{
	fixed_clock(tc, 0);
	tc->script = script;
	tc->nscript = n;
}

typedef enum SlotsKind
{
	SLOTS_PERIODIC,				/* phase + k * period, for every k */
	SLOTS_LIST,					/* an increasing list of instants */
	SLOTS_CRON					/* a parsed schedule in the current zone */
} SlotsKind;

typedef struct TestSlots
{
	CronSlots	slots;
	SlotsKind	kind;
	char		name[96];
	int64		period;
	int64		phase;
	const int64 *list;
	int			nlist;
	CronSchedule schedule;
	long		calls;
} TestSlots;

static bool
test_slots_after(const CronSlots *slots, int64 t, int64 *slot)
{
	TestSlots  *ts = (TestSlots *) unconstify(void *, slots->arg);

	ts->calls++;
	switch (ts->kind)
	{
		case SLOTS_PERIODIC:
			*slot = ts->phase + (floor_div(t - ts->phase, ts->period) + 1) * ts->period;
			return true;
		case SLOTS_LIST:
			{
				int			lo = 0;
				int			hi = ts->nlist;

				while (lo < hi)
				{
					int			mid = lo + (hi - lo) / 2;

					if (ts->list[mid] <= t)
						lo = mid + 1;
					else
						hi = mid;
				}
				if (lo == ts->nlist)
					return false;
				*slot = ts->list[lo];
				return true;
			}
		case SLOTS_CRON:
			{
				/* the first slot after t is the first after floor(t) in seconds */
				int64		unix_after = floor_div(t, USEC) + PG_EPOCH_UNIX;
				int64		s;

				if (!cron_next_slot(&ts->schedule, tz_libc_provider(), unix_after, &s))
					return false;
				*slot = (s - PG_EPOCH_UNIX) * USEC;
				if (*slot <= t)
					fail("HARNESS BUG: cron slot %s is not after %s", fmt_ts(*slot), fmt_ts(t));
				return true;
			}
	}
	return false;
}

static void
slots_init(TestSlots *ts, SlotsKind kind, const char *name)
{
	memset(ts, 0, sizeof(*ts));
	ts->slots.after = test_slots_after;
	ts->slots.arg = ts;
	ts->kind = kind;
	strlcpy(ts->name, name, sizeof(ts->name));
}

static void
periodic_slots(TestSlots *ts, int64 period, int64 phase)
{
	char		name[96];

	snprintf(name, sizeof(name), "every " INT64_FORMAT " us (phase " INT64_FORMAT ")",
			 period, phase);
	slots_init(ts, SLOTS_PERIODIC, name);
	ts->period = period;
	ts->phase = phase;
}

static void
list_slots(TestSlots *ts, const int64 *list, int n, const char *name)
{
	int			i;

	slots_init(ts, SLOTS_LIST, name);
	for (i = 1; i < n; i++)
		if (list[i] <= list[i - 1])
			fail("HARNESS BUG: slot list %s is not increasing at %d", name, i);
	ts->list = list;
	ts->nlist = n;
}

static void
select_zone(const char *zone)
{
	if (!tz_libc_select(zone))
	{
		fprintf(stderr, "check_policy: time zone %s not found; is tzdata installed?\n", zone);
		exit(2);
	}
}

/* a real cron schedule in the zone made current with select_zone */
static void
cron_slots(TestSlots *ts, const char *text)
{
	CronParseError err;
	char		name[96];

	snprintf(name, sizeof(name), "'%s' in %s", text, tz_libc_current());
	slots_init(ts, SLOTS_CRON, name);
	if (!cron_parse_schedule(text, &ts->schedule, &err))
		fail("HARNESS BUG: schedule '%s' refused: %s", text, err.detail);
}

static bool
slot_after(TestSlots *ts, int64 t, int64 *slot)
{
	return ts->slots.after(&ts->slots, t, slot);
}

/* slots in (a, b], stepped one by one */
static int64
count_slots(TestSlots *ts, int64 a, int64 b)
{
	int64		n = 0;
	int64		s;

	while (slot_after(ts, a, &s) && s <= b)
	{
		n++;
		a = s;
	}
	return n;
}

/* ---------------------------------------------------------------------
 * The catch-up model (README "Catch-up", policy.h)
 * ---------------------------------------------------------------------
 */

/*
 * Is a slot of (after, now] missed whatever else is due?  Older than the
 * job's window (5 seconds of grace for catchup = none, catchup_window but
 * at least the grace otherwise), or, with catchup = none, due before the
 * scheduler started; never for @reboot's slot.
 */
static bool
is_stale(const CronJobPolicy *job, int64 slot, int64 now, int64 started_at)
{
	if (job->once_per_start)
		return false;
	if (job->catchup == CRON_CATCHUP_NONE)
		return slot < now - GRACE || slot < started_at;
	return slot < now - Max(job->catchup_window, GRACE);
}

typedef struct Model
{
	int64		nslots;			/* slots in (after, now] */
	int64		nstale;
	int64		nfresh;
	CronDuePlan expect;
} Model;

/*
 * What the rules say for the slots in (after, now]: the stale ones are
 * missed; of the fresh ones, catchup = all runs every one, none and latest
 * only the newest (the others join the missed).  Exact counts: the floor
 * is for the caller to allow.
 */
static void
model_plan(const CronJobPolicy *job, TestSlots *ts, int64 after, int64 now,
		   int64 started_at, Model *m)
{
	int64		t = after;
	int64		s;
	int64		first_stale = 0;
	int64		last_stale = 0;
	int64		first_fresh = 0;
	int64		last_fresh = 0;
	int64		prev_fresh = 0;
	CronDuePlan *e = &m->expect;

	memset(m, 0, sizeof(*m));
	while (slot_after(ts, t, &s) && s <= now)
	{
		if (s <= t)
			fail("HARNESS BUG: slot provider %s went backwards", ts->name);
		if (++m->nslots > MODEL_MAX_SLOTS)
			fail("HARNESS BUG: the model walked more than " INT64_FORMAT " slots", MODEL_MAX_SLOTS);
		t = s;
		if (is_stale(job, s, now, started_at))
		{
			if (m->nfresh > 0)
				fail("HARNESS BUG: a stale slot %s after a fresh one", fmt_ts(s));
			if (m->nstale++ == 0)
				first_stale = s;
			last_stale = s;
		}
		else
		{
			if (m->nfresh++ == 0)
				first_fresh = s;
			prev_fresh = last_fresh;
			last_fresh = s;
		}
	}
	e->last_decided = t;
	e->nmissed = m->nstale;
	e->first_missed = first_stale;
	e->last_missed = last_stale;
	if (job->catchup == CRON_CATCHUP_ALL || m->nfresh <= 1)
	{
		e->ndue = m->nfresh;
		e->first_due = first_fresh;
		e->last_due = last_fresh;
	}
	else
	{
		e->nmissed += m->nfresh - 1;
		if (m->nstale == 0)
			e->first_missed = first_fresh;
		e->last_missed = prev_fresh;
		e->ndue = 1;
		e->first_due = e->last_due = last_fresh;
	}
}

/*
 * Check a plan against the model and the invariants of policy.h: with
 * none or latest at most one slot runs and it is the newest slot due;
 * with all the due slots are consecutive slots of the schedule; the
 * counts cover (after, last_decided] exactly, with CRON_MAX_MISSED_COUNT
 * as a floor beyond which nmissed may stop short.
 */
static void
check_plan(const CronJobPolicy *job, TestSlots *ts, int64 after, int64 now,
		   int64 started_at, const CronDuePlan *got)
{
	Model		m;
	const CronDuePlan *e = &m.expect;
	char		g[512];
	char		x[512];
	char		j[128];
	bool		floor_case;

	model_plan(job, ts, after, now, started_at, &m);
	describe_plan(got, g, sizeof(g));
	describe_plan(e, x, sizeof(x));
	describe_job(job, j, sizeof(j));

#define PLAN_FAIL(what) \
	fail("plan_due: %s\n  job:      %s, slots %s\n  after %s, now %s, started_at %s\n" \
		 "  got:      %s\n  expected: %s", what, j, ts->name, fmt_ts(after), fmt_ts(now), \
		 fmt_ts(started_at), g, x)

	/* counting may stop once CRON_MAX_MISSED_COUNT stale slots were walked */
	floor_case = m.nstale >= MAX_MISSED;
	if (got->last_decided != e->last_decided)
	{
		int64		next;

		/*
		 * Past the floor the walk jumps to just before the window and may
		 * stop there, between two slots: the same "after" for the next
		 * pass (no slot between), though not itself a slot.
		 */
		if (!floor_case || got->last_decided < e->last_decided || got->last_decided > now ||
			(slot_after(ts, e->last_decided, &next) && next <= got->last_decided))
			PLAN_FAIL("last_decided");
	}
	if (got->last_decided < after)
		PLAN_FAIL("last_decided went backwards");
	if (got->ndue != e->ndue)
		PLAN_FAIL("number of due slots");
	if (e->ndue > 0 && (got->first_due != e->first_due || got->last_due != e->last_due))
		PLAN_FAIL("due slots");

	if (!floor_case)
	{
		if (got->nmissed != e->nmissed || got->nmissed_is_floor)
			PLAN_FAIL("number of missed slots");
		if (e->nmissed > 0 &&
			(got->first_missed != e->first_missed || got->last_missed != e->last_missed))
			PLAN_FAIL("missed slots");
	}
	else
	{
		/* counting may stop at the floor; an exact count may be flagged too */
		if (got->nmissed < MAX_MISSED || got->nmissed > e->nmissed)
			PLAN_FAIL("missed count beyond CRON_MAX_MISSED_COUNT");
		if (e->nmissed > MAX_MISSED && !got->nmissed_is_floor)
			PLAN_FAIL("missed count beyond CRON_MAX_MISSED_COUNT not flagged as a floor");
		if (!got->nmissed_is_floor && got->nmissed != e->nmissed)
			PLAN_FAIL("a count below the true one not flagged as a floor");
		if (got->first_missed != e->first_missed)
			PLAN_FAIL("first missed slot");
		if (got->last_missed != e->last_missed)
		{
			if (got->last_missed < got->first_missed || got->last_missed > e->last_missed)
				PLAN_FAIL("last missed slot outside the missed slots");
			deviation(DEV_FLOOR_LAST_MISSED,
					  "%s" INT64_FORMAT " missed slots (%s .. %s): last_missed = %s, the newest missed is %s",
					  got->nmissed_is_floor ? "at least " : "", got->nmissed,
					  fmt_ts(e->first_missed), fmt_ts(e->last_missed),
					  fmt_ts(got->last_missed), fmt_ts(e->last_missed));
		}
	}

	/* the invariants, said directly */
	if (job->catchup != CRON_CATCHUP_ALL)
	{
		if (got->ndue > 1)
			PLAN_FAIL("more than one slot runs with catchup none/latest");
		if (got->ndue == 1 && got->last_due != got->last_decided)
			PLAN_FAIL("the slot that runs is not the newest");
	}
	if (got->ndue > 0)
	{
		int64		s = got->first_due;
		int64		k;

		if (got->last_due != got->last_decided)
			PLAN_FAIL("the due slots do not end at the newest slot decided");
		if (!job->once_per_start &&
			got->first_due < now - (job->catchup == CRON_CATCHUP_NONE ? GRACE :
									Max(job->catchup_window, GRACE)))
			PLAN_FAIL("a due slot is older than the window");
		for (k = 1; k < got->ndue; k++)
			if (!slot_after(ts, s, &s))
				PLAN_FAIL("the due slots are not consecutive slots (ran out)");
		if (s != got->last_due)
			PLAN_FAIL("the due slots are not consecutive slots of the schedule");
	}
	if (got->nmissed > 0 && got->ndue > 0 && got->last_missed >= got->first_due)
		PLAN_FAIL("the missed slots are not a prefix");
	{
		int64		next;

		if (slot_after(ts, got->last_decided, &next) && next <= now)
			PLAN_FAIL("a slot due by now was left undecided");
	}
#undef PLAN_FAIL
}

/* plan_due at a fixed now; the clock must be read exactly once */
static void
plan_at(const CronJobPolicy *job, TestSlots *ts, int64 after, int64 now,
		int64 started_at, CronDuePlan *p)
{
	TestClock	tc;

	fixed_clock(&tc, now);
	memset(p, 0x5a, sizeof(*p));	/* every field must be set */
	cron_policy_plan_due(job, &ts->slots, after, &tc.clock, started_at, p);
	if (tc.reads != 1)
		fail("plan_due read the clock %ld times; a decision is taken at one instant",
			 tc.reads);
	n_plans++;
}

static CronJobPolicy
make_job(CronCatchup catchup, int64 window, bool once)
{
	CronJobPolicy job;

	memset(&job, 0, sizeof(job));
	job.catchup = catchup;
	job.catchup_window = window;
	job.overlap = CRON_OVERLAP_QUEUE;
	job.once_per_start = once;
	return job;
}

/* ---------------------------------------------------------------------
 * Hand-worked plans
 * ---------------------------------------------------------------------
 */

#define S(x)		((int64) (x) * USEC)
#define NO_SLOT		PG_INT64_MIN

typedef struct PlanCase
{
	const char *why;
	CronCatchup catchup;
	int64		window;
	bool		once;
	int64		slots[8];		/* offsets from T, increasing, NO_SLOT ends */
	int64		after;			/* offsets from T */
	int64		now;
	int64		started;
	int64		nmissed;		/* expected */
	int64		first_missed;
	int64		last_missed;
	int64		ndue;
	int64		first_due;
	int64		last_due;
	int64		last_decided;
} PlanCase;

#define N CRON_CATCHUP_NONE
#define L CRON_CATCHUP_LATEST
#define A CRON_CATCHUP_ALL
#define E NO_SLOT

static const PlanCase plan_cases[] = {
	/* catchup = none: 5 seconds of grace, nothing from before the start */
	{"none: a slot exactly at now runs", N, 0, false,
	{0, E}, -HOUR, 0, -HOUR, 0, 0, 0, 1, 0, 0, 0},
	{"none: a slot exactly at the horizon (now - 5 s) is on time", N, 0, false,
	{S(-5), E}, -HOUR, 0, -HOUR, 0, 0, 0, 1, S(-5), S(-5), S(-5)},
	{"none: 1 us past the horizon is missed", N, 0, false,
	{S(-5) - 1, E}, -HOUR, 0, -HOUR, 1, S(-5) - 1, S(-5) - 1, 0, 0, 0, S(-5) - 1},
	{"none: three on-time slots, only the newest runs", N, 0, false,
	{S(-5), S(-2), 0, E}, -HOUR, 0, -HOUR, 2, S(-5), S(-2), 1, 0, 0, 0},
	{"none: stale and on-time slots", N, 0, false,
	{S(-9), S(-6), S(-3), S(-1), E}, -HOUR, 0, -HOUR, 3, S(-9), S(-3), 1, S(-1), S(-1), S(-1)},
	{"none: a slot exactly at started_at runs", N, 0, false,
	{S(-4), S(-3), E}, -HOUR, 0, S(-3), 1, S(-4), S(-4), 1, S(-3), S(-3), S(-3)},
	{"none: 1 us before started_at is missed, however recent", N, 0, false,
	{S(-3), E}, -HOUR, 0, S(-3) + 1, 1, S(-3), S(-3), 0, 0, 0, S(-3)},
	{"none: due before a start that is now", N, 0, false,
	{S(-2), S(-1), E}, -HOUR, 0, 0, 2, S(-2), S(-1), 0, 0, 0, S(-1)},
	{"none: catchup_window does not widen the grace", N, HOUR, false,
	{S(-10), E}, -HOUR, 0, -HOUR, 1, S(-10), S(-10), 0, 0, 0, S(-10)},
	/* catchup = latest */
	{"latest, window 0: the grace still applies (at the horizon)", L, 0, false,
	{S(-5), E}, -HOUR, 0, -HOUR, 0, 0, 0, 1, S(-5), S(-5), S(-5)},
	{"latest, window 0: 1 us past the grace", L, 0, false,
	{S(-5) - 1, E}, -HOUR, 0, -HOUR, 1, S(-5) - 1, S(-5) - 1, 0, 0, 0, S(-5) - 1},
	{"latest, window 1 s (shorter than the grace)", L, S(1), false,
	{S(-5) - 1, S(-5), E}, -HOUR, 0, -HOUR, 1, S(-5) - 1, S(-5) - 1, 1, S(-5), S(-5), S(-5)},
	{"latest, window 10 s: older ones join the missed", L, S(10), false,
	{S(-10) - 1, S(-10), S(-7), S(-1), E}, -HOUR, 0, -HOUR, 3, S(-10) - 1, S(-7), 1, S(-1), S(-1), S(-1)},
	{"latest, window 10 s: exactly 10 s old still runs", L, S(10), false,
	{S(-11), S(-10), E}, -HOUR, 0, -HOUR, 1, S(-11), S(-11), 1, S(-10), S(-10), S(-10)},
	{"latest, window 1 h: all older than the window", L, HOUR, false,
	{-2 * HOUR, -90 * MINUTE, E}, -DAY, 0, -DAY, 2, -2 * HOUR, -90 * MINUTE, 0, 0, 0, -90 * MINUTE},
	{"latest: a slot 1 us after now is not decided", L, HOUR, false,
	{S(-1), 1, E}, -HOUR, 0, -HOUR, 0, 0, 0, 1, S(-1), S(-1), S(-1)},
	{"latest: started_at does not matter", L, HOUR, false,
	{-30 * MINUTE, E}, -HOUR, 0, 0, 0, 0, 0, 1, -30 * MINUTE, -30 * MINUTE, -30 * MINUTE},
	{"latest, window 366 days: exactly that old runs", L, 366 * DAY, false,
	{-366 * DAY - 1, -366 * DAY, E}, -400 * DAY, 0, 0, 1, -366 * DAY - 1, -366 * DAY - 1, 1, -366 * DAY, -366 * DAY, -366 * DAY},
	/* catchup = all */
	{"all, window 10 s: every slot inside runs, in order", A, S(10), false,
	{S(-10) - 1, S(-10), S(-7), 0, E}, -HOUR, 0, -HOUR, 1, S(-10) - 1, S(-10) - 1, 3, S(-10), 0, 0},
	{"all, window 0: the grace is the window", A, 0, false,
	{S(-6), S(-5), S(-4), S(-1), E}, -HOUR, 0, -HOUR, 1, S(-6), S(-6), 3, S(-5), S(-1), S(-1)},
	{"all, window 1 h", A, HOUR, false,
	{-61 * MINUTE, -60 * MINUTE, -59 * MINUTE, -MINUTE, E}, -DAY, 0, -DAY, 1, -61 * MINUTE, -61 * MINUTE, 3, -60 * MINUTE, -MINUTE, -MINUTE},
	{"all: started_at does not matter", A, HOUR, false,
	{-30 * MINUTE, -20 * MINUTE, E}, -HOUR, 0, 0, 0, 0, 0, 2, -30 * MINUTE, -20 * MINUTE, -20 * MINUTE},
	{"all: nothing inside the window", A, HOUR, false,
	{-3 * HOUR, -2 * HOUR, E}, -DAY, 0, -DAY, 2, -3 * HOUR, -2 * HOUR, 0, 0, 0, -2 * HOUR},
	/* (after, now] */
	{"a slot exactly at after is not decided again", L, HOUR, false,
	{S(-2), S(-1), E}, S(-2), 0, -HOUR, 0, 0, 0, 1, S(-1), S(-1), S(-1)},
	{"no slot in (after, now]: last_decided stays", A, HOUR, false,
	{S(-10), S(10), E}, S(-10), 0, -HOUR, 0, 0, 0, 0, 0, 0, S(-10)},
	{"the clock behind after (stepped back): nothing, after stays", A, DAY, false,
	{-2 * HOUR, -HOUR, HOUR, E}, HOUR, 0, -DAY, 0, 0, 0, 0, 0, 0, HOUR},
	{"the clock 1 us behind after", N, 0, false,
	{0, E}, 1, 0, -DAY, 0, 0, 0, 0, 0, 0, 1},
	{"no slots at all (a one-off already past)", L, HOUR, false,
	{E}, -HOUR, 0, -HOUR, 0, 0, 0, 0, 0, 0, -HOUR},
	/* @reboot: its one slot runs however late */
	{"@reboot, none, 3 days late, scheduler started after it", N, 0, true,
	{-3 * DAY, E}, -10 * DAY, 0, -DAY, 0, 0, 0, 1, -3 * DAY, -3 * DAY, -3 * DAY},
	{"@reboot, latest, window 1 h, 3 days late", L, HOUR, true,
	{-3 * DAY, E}, -10 * DAY, 0, -DAY, 0, 0, 0, 1, -3 * DAY, -3 * DAY, -3 * DAY},
	{"@reboot, all, window 0, a year late", A, 0, true,
	{-YEAR, E}, -2 * YEAR, 0, 0, 0, 0, 0, 1, -YEAR, -YEAR, -YEAR},
	{"@reboot, none, 10 min late, started 5 min after it", N, 0, true,
	{-10 * MINUTE, E}, -HOUR, 0, -5 * MINUTE, 0, 0, 0, 1, -10 * MINUTE, -10 * MINUTE, -10 * MINUTE},
};

#undef N
#undef L
#undef A
#undef E

static void
run_plan_cases(void)
{
	int64		T = pg_utc("2026-06-15 12:00:00");
	int			i;

	for (i = 0; i < (int) lengthof(plan_cases); i++)
	{
		const PlanCase *c = &plan_cases[i];
		CronJobPolicy job = make_job(c->catchup, c->window, c->once);
		int64		list[8];
		int			n = 0;
		TestSlots	ts;
		CronDuePlan p;
		CronDuePlan x;
		char		g[512];
		char		e[512];

		while (n < (int) lengthof(c->slots) && c->slots[n] != NO_SLOT)
		{
			list[n] = T + c->slots[n];
			n++;
		}
		list_slots(&ts, list, n, "explicit list");
		set_context("hand-worked case \"%s\"", c->why);
		plan_at(&job, &ts, T + c->after, T + c->now, T + c->started, &p);

		memset(&x, 0, sizeof(x));
		x.nmissed = c->nmissed;
		x.first_missed = c->nmissed ? T + c->first_missed : 0;
		x.last_missed = c->nmissed ? T + c->last_missed : 0;
		x.ndue = c->ndue;
		x.first_due = c->ndue ? T + c->first_due : 0;
		x.last_due = c->ndue ? T + c->last_due : 0;
		x.last_decided = T + c->last_decided;
		describe_plan(&p, g, sizeof(g));
		describe_plan(&x, e, sizeof(e));
		if (p.nmissed != x.nmissed || p.nmissed_is_floor || p.ndue != x.ndue ||
			p.last_decided != x.last_decided ||
			(x.nmissed && (p.first_missed != x.first_missed || p.last_missed != x.last_missed)) ||
			(x.ndue && (p.first_due != x.first_due || p.last_due != x.last_due)))
			fail("hand-worked plan (T = %s):\n  got:      %s\n  expected: %s",
				 fmt_ts(T), g, e);
		/* the model must agree with the hand, or it is not fit to judge */
		check_plan(&job, &ts, T + c->after, T + c->now, T + c->started, &p);
		n_explicit++;
	}
	printf("hand-worked plans: %ld\n", n_explicit);
}

/* ---------------------------------------------------------------------
 * Single decisions, swept against the model
 * ---------------------------------------------------------------------
 */

static void
run_sweep(void)
{
	static const int64 periods_full[] = {1, S(1), S(3), S(5), S(7), MINUTE, HOUR};
	static const int64 periods_quick[] = {S(1), S(7), HOUR};
	static const int64 windows_full[] = {0, S(1), GRACE - 1, GRACE, GRACE + 1, S(10), HOUR, DAY};
	static const int64 windows_quick[] = {0, GRACE, GRACE + 1, HOUR};
	const int64 *periods = quick ? periods_quick : periods_full;
	int			nperiods = quick ? lengthof(periods_quick) : lengthof(periods_full);
	const int64 *windows = quick ? windows_quick : windows_full;
	int			nwindows = quick ? lengthof(windows_quick) : lengthof(windows_full);
	int64		T = pg_utc("2026-01-01 00:00:00");
	int			pi;

	for (pi = 0; pi < nperiods; pi++)
	{
		int64		P = periods[pi];
		int64		phases[2] = {0, P / 3};
		int			ph;

		for (ph = 0; ph < (quick || P < 3 ? 1 : 2); ph++)
		{
			TestSlots	ts;
			int64		slot = T + phases[ph];	/* a slot of the schedule */
			int64		now_offsets[] = {0, 1, P / 2, P - 1, GRACE - 1, GRACE, GRACE + 1};
			int			ni;

			periodic_slots(&ts, P, phases[ph]);
			for (ni = 0; ni < (int) lengthof(now_offsets); ni++)
			{
				int64		now = slot + now_offsets[ni];
				int			wi;

				for (wi = 0; wi < nwindows; wi++)
				{
					int64		W = windows[wi];
					int64		Weff = Max(W, GRACE);
					int64		spans[] = {0, 1, P - 1, P, P + 1, 2 * P, 5 * P + 1, 12 * P,
						GRACE, GRACE + 1, Weff - 1, Weff, Weff + 1, Weff + P, -1, -HOUR};
					int64		starts[] = {now - 10 * DAY, now - Weff - 1, now - GRACE,
						slot - 1, slot, slot + 1, now, now + 1};
					int			si;

					for (si = 0; si < (int) lengthof(spans); si++)
					{
						int64		after = now - spans[si];
						int			sti;

						/* keep each decision small: the model walks every slot */
						if (spans[si] > 0 && spans[si] / P > 2000)
							continue;
						for (sti = 0; sti < (int) lengthof(starts); sti++)
						{
							int			c;

							if (quick && sti % 2 == 1)
								continue;
							for (c = 0; c < 6; c++)
							{
								CronJobPolicy job = make_job((CronCatchup) (c % 3), W, c >= 3);
								CronDuePlan p;

								set_context("sweep: slots %s, after %s, now %s, started %s",
											ts.name, fmt_ts(after), fmt_ts(now), fmt_ts(starts[sti]));
								plan_at(&job, &ts, after, now, starts[sti], &p);
								check_plan(&job, &ts, after, now, starts[sti], &p);
								n_sweep++;
							}
						}
					}
				}
			}
		}
	}
	printf("single decisions against the model: %ld\n", n_sweep);
}

/* ---------------------------------------------------------------------
 * Simulated schedulers
 * ---------------------------------------------------------------------
 */

/* the clock readings of a simulation, and the scheduler's start at each */
typedef struct Script
{
	int64	   *now;
	int64	   *started;
	int			n;
	int			cap;
} Script;

static void
script_add(Script *sc, int64 now, int64 started)
{
	if (sc->n == sc->cap)
	{
		sc->cap = sc->cap ? sc->cap * 2 : 1024;
		sc->now = realloc(sc->now, sizeof(int64) * sc->cap);
		sc->started = realloc(sc->started, sizeof(int64) * sc->cap);
		if (sc->now == NULL || sc->started == NULL)
			fail("out of memory");
	}
	sc->now[sc->n] = now;
	sc->started[sc->n] = started;
	sc->n++;
}

static void
script_free(Script *sc)
{
	free(sc->now);
	free(sc->started);
	memset(sc, 0, sizeof(*sc));
}

typedef enum Walk
{
	WALK_ON_SLOTS,				/* wakes at each slot, up to the grace late */
	WALK_STEADY,				/* random steps forward */
	WALK_BACKWARDS,				/* steady, stepping back 1 h, 1 day, 30 min, 1 h */
	WALK_DOWNTIME,				/* down 3 days, then 2 hours; restarts */
	WALK_MIXED,					/* all of it, at random */
	NUM_WALKS
} Walk;

static const char *const walk_names[NUM_WALKS] = {
	"on slots", "steady", "backwards", "downtime", "mixed"
};

/*
 * Append npasses readings (or, for WALK_ON_SLOTS with until set, as many
 * as reach until) starting from the clock at `from`, the scheduler
 * started at `started`; then one final reading at the latest instant
 * reached, so that every slot up to it must be decided by the end.
 */
static void
make_walk(Script *sc, Walk walk, TestSlots *ts, int64 from, int64 started,
		  int64 step, int npasses, int64 until)
{
	int64		now = from;
	int64		maxnow = from;
	int64		cursor = from;
	int			i;

	for (i = 0; until ? now < until : i < npasses; i++)
	{
		int64		fwd = rng_between(0, 2 * step);
		int64		s;
		int64		s2;
		int			r;

		switch (walk)
		{
			case WALK_ON_SLOTS:
				if (!slot_after(ts, cursor, &s))
				{
					now += fwd;
					break;
				}
				if (!slot_after(ts, s, &s2))
					s2 = s + DAY;
				r = (int) (rng_next() % 8);
				if (r == 0)
					now = s - 1;	/* woke 1 us early: nothing due */
				else
				{
					int64		late = Min(GRACE, s2 - s - 1);

					now = s + (r == 1 ? 0 : r == 2 ? late : rng_between(0, late));
					cursor = s;
				}
				break;
			case WALK_STEADY:
				now += fwd;
				break;
			case WALK_BACKWARDS:
				if (i == npasses / 5)
					now -= HOUR;
				else if (i == 2 * npasses / 5)
					now -= DAY;
				else if (i == 3 * npasses / 5)
					now -= 30 * MINUTE + 1;
				else if (i == 4 * npasses / 5)
					now -= HOUR - 1;
				else
					now += fwd;
				break;
			case WALK_DOWNTIME:
				if (i == npasses / 3)
				{
					now += 3 * DAY + rng_between(0, USEC);
					started = now;
				}
				else if (i == 2 * npasses / 3)
				{
					now += 2 * HOUR;
					started = now - rng_between(0, 2 * GRACE);
				}
				else
					now += fwd;
				break;
			case WALK_MIXED:
				r = (int) (rng_next() % 100);
				if (r < 70)
					now += fwd;
				else if (r < 75)
					now -= HOUR;
				else if (r < 77)
					now -= DAY;
				else if (r < 80)
					now -= rng_between(1, 10 * MINUTE);
				else if (r < 83)
				{
					now += rng_between(HOUR, 2 * DAY);
					started = now;
				}
				else if (r < 87)
					started = now - rng_between(0, S(10));
				else if (slot_after(ts, now, &s))
				{
					/* exactly on a slot, or at the edge of the grace */
					now = s + (r < 93 ? 0 : r < 97 ? GRACE : GRACE + 1);
				}
				else
					now += fwd;
				break;
			case NUM_WALKS:
				break;
		}
		script_add(sc, now, started);
		maxnow = Max(maxnow, now);
	}
	script_add(sc, maxnow, started);
}

typedef struct SimResult
{
	CronDuePlan first;			/* the first pass's plan */
	int64		nslots;			/* slots of the schedule in (created, end] */
	int64		nmissed;		/* over every pass (floors count as given) */
	int64		ndue;
	int64		missed_after_first; /* missed slots in passes after the first */
	bool		floor_seen;
} SimResult;

static int
first_index_after(const int64 *all, int n, int64 t)
{
	int			lo = 0;
	int			hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (all[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Run a scheduler through a script: each pass decides the slots in
 * (after, now] with after = the previous pass's last_decided, read
 * through a scripted clock.  Every decision is checked against the model;
 * across the whole run every slot of the schedule up to the latest
 * reading is decided exactly once, and due slots come in order.
 */
static void
simulate(const char *what, const CronJobPolicy *job, TestSlots *ts, int64 created,
		 const Script *sc, bool expect_all_due, SimResult *res)
{
	int64		maxnow = created;
	int64	   *all = NULL;
	uint8	   *decided;
	int			nall = 0;
	int			cap = 0;
	int64		t;
	int64		s;
	int64		after = created;
	int64		last_run = PG_INT64_MIN;
	TestClock	tc;
	int			i;
	char		j[128];

	memset(res, 0, sizeof(*res));
	describe_job(job, j, sizeof(j));
	for (i = 0; i < sc->n; i++)
		maxnow = Max(maxnow, sc->now[i]);

	/* every slot the simulation can reach, stepped independently */
	t = created;
	while (slot_after(ts, t, &s) && s <= maxnow)
	{
		if (nall == cap)
		{
			cap = cap ? cap * 2 : 4096;
			all = realloc(all, sizeof(int64) * cap);
			if (all == NULL)
				fail("out of memory");
		}
		all[nall++] = s;
		t = s;
	}
	decided = calloc(Max(nall, 1), 1);
	if (decided == NULL)
		fail("out of memory");

	script_clock(&tc, sc->now, sc->n);
	for (i = 0; i < sc->n; i++)
	{
		CronDuePlan p;
		long		reads = tc.reads;
		int			lo;
		int			hi;
		int			k;

		set_context("simulation \"%s\", %s, slots %s: pass %d of %d, after %s, clock %s, started %s",
					what, j, ts->name, i + 1, sc->n, fmt_ts(after), fmt_ts(sc->now[i]),
					fmt_ts(sc->started[i]));
		memset(&p, 0x5a, sizeof(p));
		cron_policy_plan_due(job, &ts->slots, after, &tc.clock, sc->started[i], &p);
		if (tc.reads != reads + 1)
			fail("plan_due read the clock %ld times in one pass", tc.reads - reads);
		n_plans++;
		check_plan(job, ts, after, sc->now[i], sc->started[i], &p);

		/* the slots this pass decided: (after, last_decided] */
		lo = first_index_after(all, nall, after);
		hi = first_index_after(all, nall, p.last_decided);
		for (k = lo; k < hi; k++)
			if (decided[k]++ != 0)
				fail("slot %s decided a second time", fmt_ts(all[k]));
		if (!p.nmissed_is_floor && hi - lo != p.nmissed + p.ndue)
			fail("pass decided %d slots but reports " INT64_FORMAT " missed + " INT64_FORMAT " due",
				 hi - lo, p.nmissed, p.ndue);
		if (p.ndue > 0)
		{
			if (p.first_due <= last_run)
				fail("due slot %s comes after %s already ran: not in order",
					 fmt_ts(p.first_due), fmt_ts(last_run));
			last_run = p.last_due;
		}
		if (expect_all_due && p.nmissed > 0)
			fail("a scheduler that wakes on every slot within the grace missed " INT64_FORMAT
				 " slot(s) from %s", p.nmissed, fmt_ts(p.first_missed));
		if (i == 0)
			res->first = p;
		else
			res->missed_after_first += p.nmissed;
		res->nmissed += p.nmissed;
		res->ndue += p.ndue;
		res->floor_seen |= p.nmissed_is_floor;
		after = p.last_decided;
		n_sim_passes++;
	}

	/* the last reading is the latest: every slot up to it decided, each once */
	set_context("simulation \"%s\", %s, slots %s: end", what, j, ts->name);
	for (i = 0; i < nall; i++)
		if (decided[i] != 1)
			fail("slot %s decided %d times", fmt_ts(all[i]), decided[i]);
	if (after < (nall > 0 ? all[nall - 1] : created) || after > maxnow)
		fail("after the last pass, last_decided is %s", fmt_ts(after));
	res->nslots = nall;
	n_sim_slots += nall;
	n_sims++;
	free(all);
	free(decided);
}

typedef struct SimSchedule
{
	const char *label;
	SlotsKind	kind;
	int64		period;			/* periodic */
	const char *zone;			/* cron */
	const char *text;
	const char *created;		/* UTC */
	int64		step;			/* typical clock step */
	int			passes_div;		/* fewer passes: days of jumps are many slots */
	bool		in_quick;
} SimSchedule;

static const SimSchedule sim_schedules[] = {
	{"1 second", SLOTS_PERIODIC, S(1), NULL, NULL, "2026-05-01 00:00:00", S(2), 4, false},
	{"7 seconds", SLOTS_PERIODIC, S(7), NULL, NULL, "2026-05-01 00:00:03", S(6), 2, true},
	{"1 minute", SLOTS_PERIODIC, MINUTE, NULL, NULL, "2026-05-01 00:00:00", MINUTE, 1, true},
	{"15 minutes", SLOTS_PERIODIC, 15 * MINUTE, NULL, NULL, "2026-05-01 00:00:00", 10 * MINUTE, 1, false},
	{"irregular", SLOTS_LIST, 0, NULL, NULL, "2026-05-01 00:00:00", 5 * MINUTE, 1, true},
	{"NY */15 1-3", SLOTS_CRON, 0, "America/New_York", "*/15 1-3 * * *", "2026-03-06 00:00:00", 20 * MINUTE, 1, true},
	{"Berlin hourly", SLOTS_CRON, 0, "Europe/Berlin", "0 * * * *", "2026-10-23 00:00:00", 20 * MINUTE, 1, false},
	{"NY 30 2", SLOTS_CRON, 0, "America/New_York", "30 2 * * *", "2026-03-05 00:00:00", HOUR, 1, false},
	{"NY every minute", SLOTS_CRON, 0, "America/New_York", "* * * * *", "2026-10-31 00:00:00", MINUTE, 2, false},
};

/* an irregular schedule: gaps of 1 us, 1 s, the grace, just over it, or minutes */
static int64 *
make_irregular(int64 from, int n)
{
	int64	   *list = malloc(sizeof(int64) * n);
	int64		t = from;
	int			i;

	if (list == NULL)
		fail("out of memory");
	for (i = 0; i < n; i++)
	{
		switch (rng_next() % 6)
		{
			case 0:
				t += 1;
				break;
			case 1:
				t += S(1);
				break;
			case 2:
				t += GRACE;
				break;
			case 3:
				t += GRACE + 1;
				break;
			default:
				t += rng_between(1, 20 * MINUTE);
				break;
		}
		list[i] = t;
	}
	return list;
}

static void
run_simulations(void)
{
	static const int64 windows_full[] = {0, S(30), HOUR, DAY};
	static const int64 windows_quick[] = {0, HOUR};
	const int64 *windows = quick ? windows_quick : windows_full;
	int			nwindows = quick ? lengthof(windows_quick) : lengthof(windows_full);
	int			npasses = quick ? 150 : 1200;
	int64	   *irregular = NULL;
	int			si;
	long		floors = 0;

	for (si = 0; si < (int) lengthof(sim_schedules); si++)
	{
		const SimSchedule *ss = &sim_schedules[si];
		int64		created = pg_utc(ss->created);
		TestSlots	ts;
		int			w;
		int			c;
		int			wi;

		if (quick && !ss->in_quick)
			continue;
		switch (ss->kind)
		{
			case SLOTS_PERIODIC:
				periodic_slots(&ts, ss->period, 0);
				break;
			case SLOTS_LIST:
				if (irregular == NULL)
					irregular = make_irregular(created - HOUR, 40000);
				list_slots(&ts, irregular, 40000, "irregular list");
				break;
			case SLOTS_CRON:
				select_zone(ss->zone);
				cron_slots(&ts, ss->text);
				break;
		}
		for (w = 0; w < NUM_WALKS; w++)
		{
			for (c = 0; c < 3; c++)
			{
				for (wi = 0; wi < nwindows; wi++)
				{
					CronJobPolicy job = make_job((CronCatchup) c, windows[wi], false);
					Script		sc = {0};
					SimResult	res;
					char		what[160];

					/* catchup = none ignores the window: once is enough */
					if (c == CRON_CATCHUP_NONE && wi > 0)
						continue;
					snprintf(what, sizeof(what), "%s, %s", ss->label, walk_names[w]);
					make_walk(&sc, (Walk) w, &ts, created, created - HOUR, ss->step,
							  npasses / ss->passes_div, 0);
					simulate(what, &job, &ts, created, &sc, w == WALK_ON_SLOTS, &res);
					floors += res.floor_seen;
					if (verbose)
						printf("  %-32s %-6s window %12" INT64_MODIFIER "d us: %d passes, "
							   INT64_FORMAT " slots, " INT64_FORMAT " missed, " INT64_FORMAT " due\n",
							   what, catchup_str(job.catchup), windows[wi],
							   sc.n, res.nslots, res.nmissed, res.ndue);
					script_free(&sc);
				}
			}
		}
	}

	/*
	 * @reboot in a simulation: one slot (the server's start), decided once
	 * and run, whatever the clock does afterwards.
	 */
	{
		int64		start = pg_utc("2026-05-01 00:00:00");
		int64		list[1] = {start};
		TestSlots	ts;
		int			w;
		int			c;

		list_slots(&ts, list, 1, "@reboot (the server's start)");
		for (w = 0; w < NUM_WALKS; w++)
		{
			for (c = 0; c < 3; c++)
			{
				CronJobPolicy job = make_job((CronCatchup) c, 0, true);
				Script		sc = {0};
				SimResult	res;

				/* the scheduler looks first 2 days after the server started */
				make_walk(&sc, (Walk) w, &ts, start + 2 * DAY, start + DAY, MINUTE,
						  quick ? 50 : 300, 0);
				simulate("@reboot", &job, &ts, start - HOUR, &sc, false, &res);
				if (res.nslots != 1 || res.ndue != 1 || res.nmissed != 0 ||
					(sc.now[0] >= start && (res.first.ndue != 1 || res.first.first_due != start)))
					fail("@reboot's slot did not run exactly once, at the first look");
				script_free(&sc);
				n_reboot++;
			}
		}
	}
	free(irregular);
	printf("simulated schedulers: %ld runs, %ld passes, %ld slots each decided exactly once "
		   "(%ld runs hit the missed-count floor)\n", n_sims, n_sim_passes, n_sim_slots, floors);
}

/* ---------------------------------------------------------------------
 * The missed-count floor
 * ---------------------------------------------------------------------
 */

/* slots k * p (phase 0) in (a, b] */
static int64
count_mult(int64 a, int64 b, int64 p)
{
	return b <= a ? 0 : floor_div(b, p) - floor_div(a, p);
}

static void
run_floor(void)
{
	int64		N = pg_utc("2026-07-01 12:00:00");
	TestSlots	ts;
	int			c;
	int64		d;

	/*
	 * At the boundary: a one-second schedule, catchup = all, window 1 h,
	 * with MAX-1, MAX and MAX+1 stale slots (the model counts them).
	 */
	periodic_slots(&ts, S(1), 0);
	for (d = -1; d <= 1; d++)
	{
		CronJobPolicy job = make_job(CRON_CATCHUP_ALL, HOUR, false);
		int64		M = MAX_MISSED + d;
		int64		h = N - HOUR;
		int64		after = h - (M + 1) * USEC;	/* stale: (after, h) */
		CronDuePlan p;

		set_context("floor boundary: " INT64_FORMAT " stale slots", M);
		plan_at(&job, &ts, after, N, N, &p);
		check_plan(&job, &ts, after, N, N, &p);
		if (d < 0 && (p.nmissed != M || p.nmissed_is_floor))
			fail("below the floor, the count must be exact");
		if (d == 0 && p.nmissed != M)
			fail("exactly CRON_MAX_MISSED_COUNT stale slots: count " INT64_FORMAT, p.nmissed);
		if (d > 0 && !p.nmissed_is_floor)
			fail("past the floor, the count must be flagged");
		if (p.ndue != 3601 || p.first_due != h || p.last_due != N)
			fail("the due slots are not exactly those inside the window");
		n_floor++;
	}

	/*
	 * Two years down, a one-second schedule: counting must stop, the walk
	 * jump to the window, and the due slots be exactly those inside it.
	 * Closed form (slots are the whole seconds), so the model need not
	 * walk 63 million slots.
	 */
	for (c = 0; c < 3; c++)
	{
		CronCatchup catchup = (CronCatchup) c;
		CronJobPolicy job = make_job(catchup, DAY, false);
		int64		after = pg_utc("2024-07-01 12:00:00");
		int64		now = after + 2 * YEAR + 500000;	/* half a second past a slot */
		int64		started = now - S(2);	/* the server just came back */
		int64		B;			/* slots before B are stale */
		int64		C;			/* the newest stale slot: (after, C] */
		int64		nstale;
		int64		nfresh;
		int64		first_fresh;
		int64		nwindow;
		int64		last_slot = floor_div(now, USEC) * USEC;
		CronDuePlan p;
		char		g[512];

		B = catchup == CRON_CATCHUP_NONE ? Max(now - GRACE, started) : now - DAY;
		C = floor_div(B - 1, USEC) * USEC;
		nstale = count_mult(after, C, USEC);
		nfresh = count_mult(C, now, USEC);
		first_fresh = C + USEC;
		set_context("two years down, 1-second schedule, catchup %s, window 1 day, after %s, now %s, started %s",
					catchup_str(catchup), fmt_ts(after), fmt_ts(now), fmt_ts(started));
		ts.calls = 0;
		plan_at(&job, &ts, after, now, started, &p);
		describe_plan(&p, g, sizeof(g));
		/*
		 * past the floor, only the slots inside the window are looked at,
		 * after a bisection for the newest stale slot (at most 64 lookups
		 * over the range of int64 instants, and two more)
		 */
		nwindow = count_mult(now - (catchup == CRON_CATCHUP_NONE ? GRACE : DAY) - 1, now, USEC);
		if (ts.calls > MAX_MISSED + nwindow + 3 + 66)
			fail("%ld slot lookups for " INT64_FORMAT " slots inside the window: the walk did not jump (%s)",
				 ts.calls, nwindow, g);
		if (!p.nmissed_is_floor)
			fail("nmissed_is_floor not set after 2 years of a 1-second schedule (%s)", g);
		if (p.first_missed != after + USEC)
			fail("first missed slot (%s)", g);
		if (p.last_decided != last_slot)
			fail("last_decided (%s)", g);
		if (catchup == CRON_CATCHUP_ALL)
		{
			if (p.ndue != nfresh || p.first_due != first_fresh || p.last_due != last_slot)
				fail("due slots: expected " INT64_FORMAT " [%s .. %s], got %s",
					 nfresh, fmt_ts(first_fresh), fmt_ts(last_slot), g);
			if (p.nmissed < MAX_MISSED || p.nmissed > nstale)
				fail("missed count (%s), " INT64_FORMAT " stale", g, nstale);
			if (p.last_missed != C)
				deviation(DEV_FLOOR_LAST_MISSED,
						  "2 years down, 1-second schedule, catchup all, window 1 day: last_missed = %s, "
						  "the newest missed is %s", fmt_ts(p.last_missed), fmt_ts(C));
		}
		else
		{
			if (p.ndue != 1 || p.first_due != last_slot || p.last_due != last_slot)
				fail("due: the newest slot alone (%s)", g);
			if (p.nmissed < MAX_MISSED || p.nmissed > nstale + nfresh - 1)
				fail("missed count (%s)", g);
			if (p.last_missed != last_slot - USEC)
				deviation(DEV_FLOOR_LAST_MISSED,
						  "2 years down, catchup %s: last_missed = %s, the newest missed is %s",
						  catchup_str(catchup), fmt_ts(p.last_missed), fmt_ts(last_slot - USEC));
		}
		if (verbose)
			printf("  floor, catchup %s: %s (%ld lookups)\n", catchup_str(catchup), g, ts.calls);
		n_floor++;
	}

	/*
	 * Downtime long enough for the floor with a sparse schedule and
	 * catchup = latest whose window holds no slot: nothing runs, and the
	 * newest missed slot is the one the row should be at.
	 */
	{
		CronJobPolicy job = make_job(CRON_CATCHUP_LATEST, 0, false);
		int64		after = pg_utc("1826-07-01 00:00:00");
		int64		now = pg_utc("2026-07-01 00:00:30");
		int64		newest = pg_utc("2026-07-01 00:00:00");
		CronDuePlan p;

		periodic_slots(&ts, MINUTE, 0);
		set_context("200 years down, 1-minute schedule, catchup latest, window 0");
		ts.calls = 0;
		plan_at(&job, &ts, after, now, now, &p);
		if (!p.nmissed_is_floor || p.ndue != 0 || p.last_decided < newest ||
			p.last_decided > now - GRACE || ts.calls > MAX_MISSED + 3 + 66)
			fail("200 years of minutes: floor %d, ndue " INT64_FORMAT ", last_decided %s, %ld lookups",
				 (int) p.nmissed_is_floor, p.ndue, fmt_ts(p.last_decided), ts.calls);
		if (p.last_missed != newest)
			deviation(DEV_FLOOR_LAST_MISSED,
					  "200 years down, 1-minute schedule, catchup latest: last_missed = %s, "
					  "the newest missed is %s", fmt_ts(p.last_missed), fmt_ts(newest));
		n_floor++;
	}
	printf("missed-count floor: %ld cases\n", n_floor);
}

/* ---------------------------------------------------------------------
 * DST days with real schedules
 * ---------------------------------------------------------------------
 */

typedef struct DstDay
{
	const char *zone;
	const char *label;
	const char *midnight;		/* local midnight, in UTC */
	const char *next_midnight;
	const char *transition;		/* NULL: an ordinary day (counts only) */
} DstDay;

static const DstDay dst_days[] = {
	{"America/New_York", "2026-03-08 spring forward", "2026-03-08 05:00:00", "2026-03-09 04:00:00", "2026-03-08 07:00:00"},
	{"America/New_York", "2026-11-01 fall back", "2026-11-01 04:00:00", "2026-11-02 05:00:00", "2026-11-01 06:00:00"},
	{"Europe/Berlin", "2026-03-29 spring forward", "2026-03-28 23:00:00", "2026-03-29 22:00:00", "2026-03-29 01:00:00"},
	{"Europe/Berlin", "2026-10-25 fall back", "2026-10-24 22:00:00", "2026-10-25 23:00:00", "2026-10-25 01:00:00"},
	{"America/New_York", "2026-03-10 ordinary", "2026-03-10 04:00:00", "2026-03-11 04:00:00", NULL},
	{"Europe/Berlin", "2026-07-01 ordinary", "2026-06-30 22:00:00", "2026-07-01 22:00:00", NULL},
};

/*
 * The schedules, and their slots in (local midnight, next local midnight]
 * on each day of dst_days, counted by hand: an hour field of '*' follows
 * real time (23 or 25 hours); a fixed time in the gap fires once at its
 * end (merging with 03:00); a fixed time in the repeated hour fires once.
 */
typedef struct DstSchedule
{
	const char *text;
	int			per_day[lengthof(dst_days)];
} DstSchedule;

static const DstSchedule dst_schedules[] = {
	{"30 2 * * *", {1, 1, 1, 1, 1, 1}},
	{"0 2 * * *", {1, 1, 1, 1, 1, 1}},
	{"30 1 * * *", {1, 1, 1, 1, 1, 1}},
	{"0 * * * *", {23, 25, 23, 25, 24, 24}},
	{"*/30 * * * *", {46, 50, 46, 50, 48, 48}},
	{"*/15 1-3 * * *", {8, 12, 8, 12, 12, 12}},
	{"* * * * *", {1380, 1500, 1380, 1500, 1440, 1440}},
};

static void
run_dst(void)
{
	static const int64 windows_full[] = {0, 30 * MINUTE, HOUR, 3 * HOUR, DAY};
	static const int64 windows_quick[] = {0, HOUR, DAY};
	const int64 *windows = quick ? windows_quick : windows_full;
	int			nwindows = quick ? lengthof(windows_quick) : lengthof(windows_full);
	int			di;

	for (di = 0; di < (int) lengthof(dst_days); di++)
	{
		const DstDay *dd = &dst_days[di];
		int64		m0 = pg_utc(dd->midnight);
		int64		m1 = pg_utc(dd->next_midnight);
		int			si;

		select_zone(dd->zone);
		for (si = 0; si < (int) lengthof(dst_schedules); si++)
		{
			const DstSchedule *ds = &dst_schedules[si];
			TestSlots	ts;
			int64		n;
			int64		tr;
			int64		down;
			int64		up;
			int			c;
			int			wi;

			cron_slots(&ts, ds->text);
			set_context("DST day %s, %s", dd->label, ts.name);
			n = count_slots(&ts, m0, m1);
			if (n != ds->per_day[di])
				fail("'%s' has " INT64_FORMAT " slots on %s in %s; counted by hand: %d",
					 ds->text, n, dd->label, dd->zone, ds->per_day[di]);
			if (dd->transition == NULL)
				continue;
			if (quick && strcmp(ds->text, "* * * * *") == 0)
				continue;

			/* down from 3 h before the transition to 90 min after it */
			tr = pg_utc(dd->transition);
			down = tr - 3 * HOUR + S(17);
			up = tr + 90 * MINUTE + S(7);
			for (c = 0; c < 3; c++)
			{
				for (wi = 0; wi < nwindows; wi++)
				{
					CronJobPolicy job = make_job((CronCatchup) c, windows[wi], false);
					int64		weff = c == CRON_CATCHUP_NONE ? GRACE : Max(windows[wi], GRACE);
					int64		ndown = count_slots(&ts, down, up);
					int64		nwin = count_slots(&ts, Max(down, up - weff - 1), up);
					int64		ndue;
					Script		sc = {0};
					SimResult	res;
					char		what[160];
					char		g[512];

					if (c == CRON_CATCHUP_NONE && wi > 0)
						continue;
					ndue = c == CRON_CATCHUP_NONE ? 0 :
						c == CRON_CATCHUP_LATEST ? Min(nwin, 1) : nwin;

					/*
					 * First pass: the scheduler starts when the server is
					 * back; then it wakes on every slot until the day after.
					 */
					script_add(&sc, up, up);
					make_walk(&sc, WALK_ON_SLOTS, &ts, up, up, 0, 0, m1 + 2 * HOUR);
					snprintf(what, sizeof(what), "%s: down %s to %s", dd->label,
							 fmt_ts(down), fmt_ts(up));
					simulate(what, &job, &ts, down, &sc, false, &res);
					describe_plan(&res.first, g, sizeof(g));
					if (res.first.nmissed + res.first.ndue != ndown ||
						res.first.ndue != ndue || res.first.nmissed != ndown - ndue)
						fail("%s, catchup %s, window " INT64_FORMAT " us: " INT64_FORMAT " slots while down "
							 "(" INT64_FORMAT " inside the window), expected " INT64_FORMAT
							 " missed + " INT64_FORMAT " due; got %s",
							 what, catchup_str(job.catchup), windows[wi],
							 ndown, nwin, ndown - ndue, ndue, g);
					if (res.missed_after_first != 0)
						fail("%s: a slot was missed after the scheduler came back", what);
					if (res.nslots != res.nmissed + res.ndue ||
						res.nslots < count_slots(&ts, down, m1 + 2 * HOUR))
						fail("%s: " INT64_FORMAT " missed + " INT64_FORMAT " due, but "
							 INT64_FORMAT " slots", what, res.nmissed, res.ndue, res.nslots);
					n_dst_slots += res.nslots;
					n_dst_scenarios++;
					script_free(&sc);
				}
			}

			/*
			 * The clock steps back an hour at the transition itself, as a
			 * badly kept clock following local time might, then on.
			 */
			{
				CronJobPolicy job = make_job(CRON_CATCHUP_ALL, 3 * HOUR, false);
				Script		sc = {0};
				SimResult	res;
				int64		t;

				for (t = tr - 2 * HOUR; t < tr; t += 7 * MINUTE)
					script_add(&sc, t, m0);
				for (t = tr - HOUR; t < tr + 3 * HOUR; t += 7 * MINUTE)
					script_add(&sc, t, m0);
				script_add(&sc, tr + 3 * HOUR, m0);
				simulate("clock steps back 1 h at the transition", &job, &ts,
						 tr - 2 * HOUR - 1, &sc, false, &res);
				if (res.nmissed != 0)
					fail("steady clock stepping back 1 h: " INT64_FORMAT " slots missed with a 3 h window",
						 res.nmissed);
				n_dst_scenarios++;
				script_free(&sc);
			}
		}
	}
	printf("DST days: %d days x %d schedules counted by hand; %ld scenarios of downtime "
		   "across the transition, %ld slots decided\n",
		   (int) lengthof(dst_days), (int) lengthof(dst_schedules), n_dst_scenarios, n_dst_slots);
}

/* ---------------------------------------------------------------------
 * Overlap
 * ---------------------------------------------------------------------
 */

static void
run_overlap(void)
{
	static const int busy_values[] = {0, 1, 2};
	static const int64 queued_values[] = {0, 1, 5};
	int			o;
	int			c;
	int			b;
	int			q;
	int			once;
	const char *open_cell = NULL;

	for (o = 0; o < 3; o++)
		for (c = 0; c < 3; c++)
			for (b = 0; b < (int) lengthof(busy_values); b++)
				for (q = 0; q < (int) lengthof(queued_values); q++)
					for (once = 0; once < 2; once++)
					{
						CronJobPolicy job = make_job((CronCatchup) c, HOUR, once);
						int			busy = busy_values[b];
						int64		nq = queued_values[q];
						CronDueAction got;
						CronDueAction expect;
						bool		either = false;
						bool		may;

						job.overlap = (CronOverlap) o;
						set_context("overlap %s, catchup %s, busy %d, nqueued " INT64_FORMAT "%s",
									overlap_str(job.overlap), catchup_str(job.catchup), busy, nq,
									once ? ", @reboot" : "");

						/*
						 * README "Overlap": skip records a slot skipped while
						 * a run goes on; queue keeps only the newest waiting
						 * slot unless catchup = all, saying what the older
						 * ones waited for; allow (and catchup = all) lets
						 * slots wait side by side.
						 */
						if (job.overlap == CRON_OVERLAP_SKIP && busy > 0)
							expect = CRON_DUE_SKIP_BUSY;
						else if (nq == 0 || job.catchup == CRON_CATCHUP_ALL ||
								 job.overlap == CRON_OVERLAP_ALLOW)
							expect = CRON_DUE_QUEUE;
						else if (job.overlap == CRON_OVERLAP_QUEUE)
							expect = busy > 0 ? CRON_DUE_REPLACE_WAITING_RUN :
								CRON_DUE_REPLACE_WAITING_PLACE;
						else
						{
							/*
							 * skip, nothing running, slots waiting for a
							 * place, catchup none/latest: the README leaves
							 * open whether they are kept or replaced.
							 */
							expect = CRON_DUE_QUEUE;
							either = true;
						}
						got = cron_policy_on_due(&job, busy, nq);
						if (got != expect &&
							!(either && got == CRON_DUE_REPLACE_WAITING_PLACE))
							fail("on_due: got %s, expected %s", action_str(got), action_str(expect));
						if (either)
							open_cell = action_str(got);
						if (nq == 0 && (got == CRON_DUE_REPLACE_WAITING_RUN ||
										got == CRON_DUE_REPLACE_WAITING_PLACE))
							fail("on_due replaces queued slots when none is queued");
						if (busy == 0 && (got == CRON_DUE_SKIP_BUSY ||
										  got == CRON_DUE_REPLACE_WAITING_RUN))
							fail("on_due blames a previous run when none is busy: %s",
								 action_str(got));

						may = cron_policy_may_start(&job, busy, nq);
						if (may != (nq > 0 && (job.overlap == CRON_OVERLAP_ALLOW || busy == 0)))
							fail("may_start: got %s", may ? "true" : "false");
						n_overlap++;
					}
	printf("overlap truth table: %ld cells (overlap = skip, idle, slots waiting for a place, "
		   "catchup none/latest: on_due says %s)\n", n_overlap, open_cell ? open_cell : "?");
}

/* ---------------------------------------------------------------------
 * Retries
 * ---------------------------------------------------------------------
 */

static bool
retry_at(int max_retries, int64 delay, bool has_next, int64 next_slot, int attempt,
		 double draw, int64 min_delay, int64 now, int64 *at)
{
	CronRetryPolicy r;
	TestClock	tc;

	memset(&r, 0, sizeof(r));
	r.max_retries = max_retries;
	r.retry_delay = delay;
	r.has_next_slot = has_next;
	r.next_slot = next_slot;
	fixed_clock(&tc, now);
	*at = PG_INT64_MIN;
	n_retry++;
	return cron_policy_retry_at(&r, attempt, draw, min_delay, &tc.clock, at);
}

/*
 * The documented rule (policy.h, README "Retries"): after the attempt-th
 * attempt failed, a retry if attempt <= max_retries, after retry_delay
 * doubled attempt-1 times, scaled by 0.75 + draw / 2, at least min_delay,
 * at most 30 days, and at least a second before the next slot (cut to
 * that; refused when that is before now or sooner than min_delay).
 * *borderline: the answer depends on the last microsecond of rounding.
 */
static bool
retry_expect(int max_retries, int64 delay, bool has_next, int64 next_slot, int attempt,
			 double draw, int64 min_delay, int64 now, int64 *at, bool *borderline)
{
	long double d = (long double) delay;
	int			i;

	*borderline = false;
	if (attempt > max_retries)
		return false;
	for (i = 1; i < attempt && d < 1e18L; i++)
		d *= 2;
	d *= 0.75L + 0.5L * (long double) draw;
	if (d < (long double) min_delay)
		d = (long double) min_delay;
	if (d > (long double) RETRY_CAP)
		d = (long double) RETRY_CAP;
	if (has_next)
	{
		int64		latest = next_slot - USEC;

		if ((long double) now + d > (long double) latest - 2 &&
			(long double) now + d < (long double) latest + 2)
			*borderline = true;
		if ((long double) now + d > (long double) latest)
		{
			if (latest < now || latest - now < min_delay)
				return false;
			d = (long double) (latest - now);
		}
	}
	*at = now + (int64) d;
	return true;
}

static void
check_retry(int max_retries, int64 delay, bool has_next, int64 next_slot, int attempt,
			double draw, int64 min_delay, int64 now)
{
	int64		got;
	int64		exp = 0;
	bool		borderline;
	bool		got_ok;
	bool		exp_ok;

	set_context("retry: max_retries %d, retry_delay " INT64_FORMAT " us, next slot %s, attempt %d, "
				"draw %.6f, min_delay " INT64_FORMAT " us, now %s",
				max_retries, delay, has_next ? fmt_ts(next_slot) : "none", attempt, draw,
				min_delay, fmt_ts(now));
	got_ok = retry_at(max_retries, delay, has_next, next_slot, attempt, draw, min_delay, now, &got);
	exp_ok = retry_expect(max_retries, delay, has_next, next_slot, attempt, draw, min_delay,
						  now, &exp, &borderline);

	/* what holds whatever the rounding */
	if (got_ok)
	{
		if (attempt > max_retries)
			fail("a retry after attempt %d with max_retries %d", attempt, max_retries);
		if (got < now || got - now > RETRY_CAP)
			fail("retry at %s: before now or more than 30 days ahead", fmt_ts(got));
		if (min_delay <= RETRY_CAP && got - now < min_delay)
			fail("retry at %s: sooner than min_delay", fmt_ts(got));
		if (has_next && got >= next_slot)
			fail("retry at %s: at or past the next slot %s", fmt_ts(got), fmt_ts(next_slot));
		if (has_next && got > next_slot - USEC)
		{
			deviation(DEV_RETRY_LAST_SECOND,
					  "retry_delay " INT64_FORMAT " us, attempt %d, draw %.6f, min_delay " INT64_FORMAT
					  " us, next slot " INT64_FORMAT " us after now: retry " INT64_FORMAT
					  " us after now, only " INT64_FORMAT " us before the slot",
					  delay, attempt, draw, min_delay, next_slot - now,
					  got - now, next_slot - got);
			return;
		}
	}
	if (got_ok != exp_ok)
	{
		if (borderline)
			return;
		fail("retry: got %s, expected %s", got_ok ? fmt_ts(got) : "no retry",
			 exp_ok ? fmt_ts(exp) : "no retry");
	}
	if (got_ok && (got < exp - 2 || got > exp + 2))
		fail("retry at %s (%s after now), expected %s (%s after now)",
			 fmt_ts(got), fmt_ts(got - now), fmt_ts(exp), fmt_ts(exp - now));
}

static void
expect_retry(const char *why, int max_retries, int64 delay, bool has_next, int64 next_slot,
			 int attempt, double draw, int64 min_delay, int64 now, bool ok, int64 at_lo,
			 int64 at_hi)
{
	int64		got;
	bool		got_ok;

	set_context("retry: %s", why);
	got_ok = retry_at(max_retries, delay, has_next, next_slot, attempt, draw, min_delay, now, &got);
	if (got_ok && has_next && got > next_slot - USEC && got < next_slot)
	{
		/* less than a second before the slot: the known deviation */
		check_retry(max_retries, delay, has_next, next_slot, attempt, draw, min_delay, now);
		return;
	}
	if (got_ok != ok)
		fail("retry: got %s, expected %s", got_ok ? fmt_ts(got) : "no retry",
			 ok ? "a retry" : "no retry");
	if (ok && (got - now < at_lo || got - now > at_hi))
		fail("retry after " INT64_FORMAT " us, expected " INT64_FORMAT " .. " INT64_FORMAT " us",
			 got - now, at_lo, at_hi);
	/* and the general rule agrees */
	check_retry(max_retries, delay, has_next, next_slot, attempt, draw, min_delay, now);
}

static void
run_retry(void)
{
	int64		T = pg_utc("2026-06-15 12:00:00");
	int			a;
	int64		at;
	int64		prev;

	/* attempts against max_retries */
	expect_retry("max_retries 0: no retry", 0, MINUTE, false, 0, 1, 0.5, 0, T, false, 0, 0);
	for (a = 1; a <= 4; a++)
		expect_retry("max_retries 3: attempts 1-3 retried", 3, MINUTE, false, 0, a, 0.5, 0, T,
					 a <= 3, MINUTE << (a - 1), MINUTE << (a - 1));
	expect_retry("max_retries 100, attempt 100", 100, S(1), false, 0, 100, 0.5, 0, T, true,
				 RETRY_CAP, RETRY_CAP);
	expect_retry("max_retries 100, attempt 101", 100, S(1), false, 0, 101, 0.5, 0, T, false, 0, 0);

	/* doubling, exact with draw 0.5 (factor 1) and 0 (factor 3/4) */
	for (a = 1; a <= 10; a++)
	{
		expect_retry("doubling, draw 0.5", 100, MINUTE, false, 0, a, 0.5, 0, T, true,
					 MINUTE << (a - 1), MINUTE << (a - 1));
		expect_retry("doubling, draw 0", 100, MINUTE, false, 0, a, 0.0, 0, T, true,
					 (45 * USEC) << (a - 1), (45 * USEC) << (a - 1));
	}
	/* jitter: draw 0.999999 is just under a quarter more */
	expect_retry("draw 0.999999", 100, MINUTE, false, 0, 1, 0.999999, 0, T, true,
				 74999969, 74999970);
	expect_retry("draw 0.999999, attempt 3", 100, MINUTE, false, 0, 3, 0.999999, 0, T, true,
				 4 * 74999970 - 4, 4 * 74999970);
	/* the jitter stays in [3/4, 5/4) of the doubled delay and grows with the draw */
	for (a = 1; a <= 12; a++)
	{
		int			k;
		int64		base = S(10) << (a - 1);

		prev = -1;
		for (k = 0; k <= 64; k++)
		{
			double		draw = k < 64 ? k / 64.0 : 0.999999;

			if (!retry_at(100, S(10), false, 0, a, draw, 0, T, &at))
				fail("no retry with max_retries 100");
			if (at - T < base * 3 / 4 || at - T >= base * 5 / 4)
				fail("jitter: attempt %d, draw %.6f: " INT64_FORMAT " us, outside [3/4, 5/4) of "
					 INT64_FORMAT, a, draw, at - T, base);
			if (at < prev)
				fail("jitter: a larger draw gives an earlier retry");
			prev = at;
			check_retry(100, S(10), false, 0, a, draw, 0, T);
		}
	}

	/* min_delay (Retry-After) dominating, or not */
	expect_retry("min_delay 30 s over 1 s", 3, S(1), false, 0, 1, 0.5, S(30), T, true, S(30), S(30));
	expect_retry("min_delay 0.5 s under 0.75 s", 3, S(1), false, 0, 1, 0.0, 500000, T, true,
				 750000, 750000);
	expect_retry("min_delay 1 h, next slot in 1 day", 3, S(1), true, T + DAY, 1, 0.5, HOUR, T, true,
				 HOUR, HOUR);

	/* the 30-day cap */
	expect_retry("30 days, attempt 2: capped", 100, 30 * DAY, false, 0, 2, 0.5, 0, T, true,
				 RETRY_CAP, RETRY_CAP);
	expect_retry("20 days, draw 0.999999: not capped", 100, 20 * DAY, false, 0, 1, 0.999999, 0, T,
				 true, 25 * DAY - 2 * USEC, 25 * DAY);
	expect_retry("20 days, attempt 2: capped", 100, 20 * DAY, false, 0, 2, 0.0, 0, T, true,
				 RETRY_CAP, RETRY_CAP);
	expect_retry("16 days, draw 0: 12 days", 100, 16 * DAY, false, 0, 1, 0.0, 0, T, true,
				 12 * DAY, 12 * DAY);

	/* huge attempt counts: no overflow, the cap */
	expect_retry("attempt INT_MAX, 1 us", PG_INT32_MAX, 1, false, 0, PG_INT32_MAX, 0.0, 0, T, true,
				 RETRY_CAP, RETRY_CAP);
	expect_retry("attempt INT_MAX, 30 days", PG_INT32_MAX, 30 * DAY, false, 0, PG_INT32_MAX, 0.999999,
				 0, T, true, RETRY_CAP, RETRY_CAP);
	expect_retry("attempt 2^20, 1 s", PG_INT32_MAX, S(1), false, 0, 1 << 20, 0.5, 0, T, true,
				 RETRY_CAP, RETRY_CAP);
	expect_retry("attempt 2^20, retry_delay 0", PG_INT32_MAX, 0, false, 0, 1 << 20, 0.5, 0, T, true,
				 0, 0);
	expect_retry("attempt 64, 1 h", 100, HOUR, false, 0, 64, 0.5, 0, T, true, RETRY_CAP, RETRY_CAP);

	/* the next slot cuts the wait: at least a second before it */
	expect_retry("16 min against a slot in 10 min: cut", 3, 8 * MINUTE, true, T + 10 * MINUTE, 2,
				 0.5, 0, T, true, 10 * MINUTE - USEC, 10 * MINUTE - USEC);
	expect_retry("8 min against a slot in 10 min: fits", 3, 8 * MINUTE, true, T + 10 * MINUTE, 1,
				 0.5, 0, T, true, 8 * MINUTE, 8 * MINUTE);
	expect_retry("exactly a second before the slot fits", 3, 9 * MINUTE + 59 * USEC, true,
				 T + 10 * MINUTE, 1, 0.5, 0, T, true, 10 * MINUTE - USEC, 10 * MINUTE - USEC);
	expect_retry("slot in exactly 1 s: retry now", 3, MINUTE, true, T + USEC, 1, 0.5, 0, T, true, 0, 0);
	expect_retry("slot in 1 s - 1 us: none fits", 3, MINUTE, true, T + USEC - 1, 1, 0.5, 0, T,
				 false, 0, 0);
	expect_retry("slot now: none fits", 3, MINUTE, true, T, 1, 0.5, 0, T, false, 0, 0);
	expect_retry("next slot in the past: none fits", 3, MINUTE, true, T - HOUR, 1, 0.5, 0, T,
				 false, 0, 0);
	expect_retry("no next slot: the next_slot field is ignored", 3, MINUTE, false, T, 1, 0.5, 0, T,
				 true, MINUTE, MINUTE);
	expect_retry("min_delay fits exactly before the slot", 3, S(1), true, T + MINUTE, 1, 0.5,
				 S(59), T, true, S(59), S(59));
	expect_retry("min_delay 1 us too long for the slot", 3, S(1), true, T + MINUTE, 1, 0.5,
				 S(59) + 1, T, false, 0, 0);
	expect_retry("min_delay reaching the slot: refused", 3, S(1), true, T + MINUTE, 1, 0.5,
				 MINUTE, T, false, 0, 0);
	expect_retry("min_delay past the slot", 3, S(1), true, T + MINUTE, 1, 0.5, HOUR, T, false, 0, 0);
	expect_retry("30-day cap, slot in 40 days", 100, 30 * DAY, true, T + 40 * DAY, 3, 0.5, 0, T,
				 true, RETRY_CAP, RETRY_CAP);
	expect_retry("30-day cap, slot in 20 days: cut", 100, 30 * DAY, true, T + 20 * DAY, 3, 0.5, 0, T,
				 true, 20 * DAY - USEC, 20 * DAY - USEC);

	/*
	 * The known deviation, by hand: 10 s against a slot 10.5 s away
	 * starts 0.5 s before the slot, not at least a second before it.
	 */
	check_retry(3, S(10), true, T + S(10) + 500000, 1, 0.5, 0, T);
	check_retry(3, 0, true, T + 500000, 1, 0.5, 0, T);

	/* the sweep */
	{
		static const int maxes[] = {0, 1, 3, 100};
		static const int64 delays[] = {0, 1, S(1), MINUTE, HOUR, 30 * DAY};
		static const double draws[] = {0.0, 0.25, 0.5, 0.75, 0.999999};
		static const int64 mins[] = {0, S(1), MINUTE, HOUR};
		int64		nexts[] = {-1, USEC - 1, USEC, USEC + 1, S(2), MINUTE, MINUTE + USEC,
		HOUR, DAY, 60 * DAY};
		int			mi,
					di,
					dr,
					mn,
					nx;

		for (mi = 0; mi < (int) lengthof(maxes); mi++)
			for (di = 0; di < (int) lengthof(delays); di++)
				for (dr = 0; dr < (int) lengthof(draws); dr++)
					for (mn = 0; mn < (int) lengthof(mins); mn++)
						for (nx = 0; nx < (int) lengthof(nexts); nx++)
						{
							int			amax = quick ? 8 : 40;

							for (a = 1; a <= amax; a++)
								check_retry(maxes[mi], delays[di], nexts[nx] >= 0,
											nexts[nx] >= 0 ? T + nexts[nx] : 0, a,
											draws[dr], mins[mn], T);
						}
	}

	/* without a next slot, a later attempt never retries sooner */
	{
		int64		prev_at = T;

		for (a = 1; a <= 80; a++)
		{
			if (!retry_at(100, S(1), false, 0, a, 0.5, 0, T, &at))
				break;
			if (at < prev_at)
				fail("attempt %d retries sooner than attempt %d", a, a - 1);
			if (at - T < RETRY_CAP && prev_at > T && at - T != 2 * (prev_at - T))
				fail("attempt %d: " INT64_FORMAT " us is not double " INT64_FORMAT,
					 a, at - T, prev_at - T);
			prev_at = at;
		}
	}
	printf("retries: %ld calls\n", n_retry);
}

/* ---------------------------------------------------------------------
 * The scheduler's sleep
 * ---------------------------------------------------------------------
 */

static void
expect_sleep(const char *why, const CronWake *w, int64 now, long expect)
{
	TestClock	tc;
	long		got;
	CronWake	copy = *w;

	fixed_clock(&tc, now);
	set_context("wake: %s (now %s)", why, fmt_ts(now));
	got = cron_wake_sleep_ms(w, &tc.clock);
	if (copy.any != w->any || copy.at != w->at || copy.ms != w->ms)
		fail("cron_wake_sleep_ms changed the wake");
	if (got != expect)
		fail("sleep %ld ms, expected %ld", got, expect);
	n_wake++;
}

static void
run_wake(void)
{
	int64		T = pg_utc("2026-06-15 12:00:00");
	CronWake	w;
	int			i;

	cron_wake_init(&w);
	expect_sleep("nothing given", &w, T, -1);
	expect_sleep("nothing given, another clock", &w, -T, -1);

	/* only delays */
	cron_wake_init(&w);
	cron_wake_in(&w, 500);
	expect_sleep("500 ms", &w, T, 500);
	cron_wake_in(&w, 200);
	expect_sleep("500 then 200 ms", &w, T, 200);
	cron_wake_in(&w, 900);
	expect_sleep("500, 200, 900 ms", &w, T, 200);
	cron_wake_in(&w, 0);
	expect_sleep("and 0 ms", &w, T, 0);
	cron_wake_init(&w);
	cron_wake_in(&w, -5);
	expect_sleep("a negative delay is now", &w, T, 0);
	cron_wake_init(&w);
	cron_wake_in(&w, MAX_SLEEP);
	expect_sleep("exactly the cap", &w, T, MAX_SLEEP);

	/* only instants: rounded up to whole ms */
	{
		static const struct
		{
			int64		ahead;
			long		ms;
		}			inst[] = {
			{1, 1}, {999, 1}, {1000, 1}, {1001, 2}, {USEC, 1000}, {USEC + 1, 1001},
			{0, 0}, {-1, 0}, {-DAY, 0}, {-100 * YEAR, 0},
			{HOUR - 1000, MAX_SLEEP - 1}, {HOUR - 1, MAX_SLEEP}, {HOUR, MAX_SLEEP},
			{HOUR + 1, MAX_SLEEP}, {2 * HOUR, MAX_SLEEP}, {10 * HOUR, MAX_SLEEP},
			{100 * YEAR, MAX_SLEEP},
		};

		for (i = 0; i < (int) lengthof(inst); i++)
		{
			char		why[64];

			cron_wake_init(&w);
			cron_wake_at(&w, T + inst[i].ahead);
			snprintf(why, sizeof(why), "one instant " INT64_FORMAT " us ahead", inst[i].ahead);
			expect_sleep(why, &w, T, inst[i].ms);
		}
	}
	cron_wake_init(&w);
	cron_wake_at(&w, T + S(3));
	cron_wake_at(&w, T + S(1));
	cron_wake_at(&w, T + S(2));
	expect_sleep("earliest of three instants", &w, T, 1000);
	cron_wake_init(&w);
	cron_wake_at(&w, T - DAY);
	cron_wake_at(&w, T + S(2));
	expect_sleep("one instant passed", &w, T, 0);
	cron_wake_init(&w);
	cron_wake_at(&w, 0);
	expect_sleep("the epoch itself as an instant", &w, T, 0);
	expect_sleep("the epoch itself, clock 1 ms before it", &w, -1000, 1);

	/* both */
	cron_wake_init(&w);
	cron_wake_in(&w, 300);
	cron_wake_at(&w, T + S(1));
	expect_sleep("300 ms and 1 s ahead", &w, T, 300);
	cron_wake_init(&w);
	cron_wake_at(&w, T + S(1));
	cron_wake_in(&w, 3000);
	expect_sleep("1 s ahead and 3000 ms", &w, T, 1000);
	cron_wake_init(&w);
	cron_wake_in(&w, 300);
	cron_wake_at(&w, T - 1);
	expect_sleep("300 ms and an instant passed", &w, T, 0);
	cron_wake_init(&w);
	cron_wake_in(&w, 10 * MAX_SLEEP);
	cron_wake_at(&w, T + 2 * HOUR);
	expect_sleep("10 h and 2 h ahead", &w, T, MAX_SLEEP);

	/*
	 * A clock stepped backwards far: the next slot was computed before the
	 * step and is now 10 hours ahead; the scheduler looks again within the
	 * hour.  The same wake read at successive instants of a stepping clock.
	 */
	{
		int64		script[] = {T - S(2), T - 10 * HOUR, T - HOUR + 1, T - 1, T, T + DAY};
		long		expect[] = {2000, MAX_SLEEP, MAX_SLEEP, 1, 0, 0};
		TestClock	tc;

		cron_wake_init(&w);
		cron_wake_at(&w, T);
		script_clock(&tc, script, lengthof(script));
		for (i = 0; i < (int) lengthof(script); i++)
		{
			long		got = cron_wake_sleep_ms(&w, &tc.clock);

			set_context("wake at %s, stepping clock reading %d (%s)", fmt_ts(T), i + 1,
						fmt_ts(script[i]));
			if (got != expect[i])
				fail("sleep %ld ms, expected %ld", got, expect[i]);
			n_wake++;
		}
	}

	/* only a delay beyond the cap: "never more than CRON_MAX_SLEEP_MS" */
	{
		TestClock	tc;
		long		got;

		cron_wake_init(&w);
		cron_wake_in(&w, 10 * MAX_SLEEP);
		fixed_clock(&tc, T);
		set_context("wake: only a delay of 10 hours");
		got = cron_wake_sleep_ms(&w, &tc.clock);
		if (got < 0)
			fail("sleep %ld ms", got);
		if (got > MAX_SLEEP)
			deviation(DEV_WAKE_IN_UNCAPPED,
					  "cron_wake_init; cron_wake_in(10 * CRON_MAX_SLEEP_MS): sleep %ld ms", got);
		n_wake++;
	}

	/* random mixes against the rule */
	for (i = 0; i < (quick ? 2000 : 50000); i++)
	{
		int64		now = T + rng_between(-YEAR, YEAR);
		int			nat = (int) rng_between(0, 4);
		int			nms = (int) rng_between(0, 3);
		long		expect = -1;
		long		got;
		TestClock	tc;
		int			k;

		cron_wake_init(&w);
		for (k = 0; k < nat + nms; k++)
		{
			if (k < nat)
			{
				int64		at = now + (rng_next() % 2 ? rng_between(-S(10), S(10)) :
										rng_between(-3 * HOUR, 3 * HOUR));
				int64		us = at - now;
				long		ms = us <= 0 ? 0 : (long) Min((us + 999) / 1000, MAX_SLEEP);

				cron_wake_at(&w, at);
				expect = expect < 0 ? ms : Min(expect, ms);
			}
			else
			{
				/* within the cap: beyond it is the known deviation above */
				long		ms = (long) rng_between(-10, MAX_SLEEP);

				cron_wake_in(&w, ms);
				expect = expect < 0 ? Max(ms, 0) : Min(expect, Max(ms, 0));
			}
		}
		fixed_clock(&tc, now);
		got = cron_wake_sleep_ms(&w, &tc.clock);
		set_context("wake: random mix %d", i);
		if (got != expect)
			fail("sleep %ld ms, expected %ld (%d instants, %d delays)", got, expect, nat, nms);
		n_wake++;
	}
	printf("sleep: %ld cases\n", n_wake);
}

/* ---------------------------------------------------------------------
 * Names
 * ---------------------------------------------------------------------
 */

static void
run_names(void)
{
	int			c;

	set_context("names");
	if (cron_catchup_from_name("none") != CRON_CATCHUP_NONE ||
		cron_catchup_from_name("latest") != CRON_CATCHUP_LATEST ||
		cron_catchup_from_name("all") != CRON_CATCHUP_ALL ||
		cron_catchup_from_name("") != CRON_CATCHUP_LATEST ||
		cron_catchup_from_name("ALL") != CRON_CATCHUP_LATEST)
		fail("cron_catchup_from_name");
	for (c = 0; c < 3; c++)
		if (cron_catchup_from_name(cron_catchup_name((CronCatchup) c)) != (CronCatchup) c ||
			strcmp(cron_catchup_name((CronCatchup) c), catchup_str((CronCatchup) c)) != 0)
			fail("cron_catchup_name does not round-trip for %d", c);
	if (cron_overlap_from_name("queue") != CRON_OVERLAP_QUEUE ||
		cron_overlap_from_name("skip") != CRON_OVERLAP_SKIP ||
		cron_overlap_from_name("allow") != CRON_OVERLAP_ALLOW ||
		cron_overlap_from_name("") != CRON_OVERLAP_QUEUE)
		fail("cron_overlap_from_name");
}

/* --verbose: how long each part took */
static void
section_time(const char *what)
{
	static struct timespec last;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (verbose && what != NULL)
		printf("  (%s: %.2f s)\n", what,
			   (now.tv_sec - last.tv_sec) + (now.tv_nsec - last.tv_nsec) / 1e9);
	last = now;
}

int
main(int argc, char **argv)
{
	int			i;
	long		ndev = 0;
	struct timespec t0;
	struct timespec t1;

	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--lenient") == 0)
			strict = false;
		else if (strcmp(argv[i], "--verbose") == 0)
			verbose = true;
		else
			usage_fail("usage: check_policy [--quick] [--lenient] [--verbose]");
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	section_time(NULL);
	run_names();
	run_plan_cases();
	section_time("hand-worked");
	run_sweep();
	section_time("sweep");
	run_floor();
	section_time("floor");
	run_simulations();
	section_time("simulations");
	run_dst();
	section_time("DST");
	run_overlap();
	run_retry();
	section_time("overlap, retries");
	run_wake();
	section_time("sleep");
	clock_gettime(CLOCK_MONOTONIC, &t1);

	for (i = 0; i < NUM_DEVIATIONS; i++)
	{
		Deviation  *d = &deviations[i];

		if (d->count > 0)
		{
			printf("KNOWN DEVIATION %s: %ld case(s)\n  contract: %s\n  first:    %s\n",
				   d->name, d->count, d->contract, d->first);
			ndev++;
		}
		else if (verbose)
			printf("deviation %s: not seen\n",
				   d->name);
	}
	printf("check_policy: OK: %ld plans checked (%ld hand-worked, %ld swept, %ld simulated passes, "
		   "%ld floor, %ld DST scenarios, %ld @reboot runs), %ld overlap cells, %ld retries, "
		   "%ld sleeps; %ld known deviation(s); %.1f s\n",
		   n_plans, n_explicit, n_sweep, n_sim_passes, n_floor, n_dst_scenarios, n_reboot,
		   n_overlap, n_retry, n_wake, ndev,
		   (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	tz_libc_release();
	return 0;
}
