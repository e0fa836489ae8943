/*-------------------------------------------------------------------------
 *
 * tz_libc.c
 *	  CronTz provider for the test harness, backed by glibc's localtime_r.
 *
 * Owns: selecting a zone (TZ + tzset), answering offset_at and next_change
 * for it, and a cache of the transitions found so far.  Used only by the
 * harness (check_schedule, fuzz_schedule); the server uses tz_pg.c.
 *
 * Why probing: glibc exposes the offset at an instant but not the list of
 * transitions.  A zone's state can only change between two probes, so
 * probing every PROBE_STEP seconds and bisecting where the state differs
 * finds every transition, provided no zone changes twice within
 * PROBE_STEP (none does; the shortest real DST shift is 30 minutes, and
 * that is a shift of the offset, not two transitions).
 *
 * Why a cache: next_run.c asks for the next change around every day it
 * looks at, and a 400-day horizon is ~19,000 probes.  The cache remembers
 * the stretches of time already probed and every transition inside them,
 * so each half hour of a zone's history is probed at most once.
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include <time.h>
#include <unistd.h>

#include "tz_libc.h"

/* at most this far between probes (the brief: steps of at most 30 min) */
#define PROBE_STEP		INT64CONST(1800)

/* next_change looks this far ahead before answering "no change" */
#define HORIZON			(INT64CONST(400) * 86400)

/*
 * A query this far outside the probed stretch starts a new stretch instead
 * of probing the distance in between (which may be centuries).
 */
#define REUSE_GAP		(INT64CONST(2) * 86400)

/* drop the cache rather than let it grow without bound (changes, stretches) */
#define MAX_CACHED		100000

/* everything about the zone that can change at a transition */
typedef struct ZoneState
{
	long		gmtoff;
	int			isdst;
	char		abbr[16];
} ZoneState;

typedef struct ChangeVec
{
	int64	   *at;
	int			n;
	int			cap;
} ChangeVec;

static char current_zone[128];
static long nprobes;

/* a fully probed stretch of time: its transitions in (lo, hi] are all in changes */
typedef struct Stretch
{
	int64		lo;
	int64		hi;
	ChangeVec	changes;
} Stretch;

static Stretch *cache;
static int	ncache;
static int	cache_cap;
static long ncached_changes;

static int32 provider_offset_at(const CronTz *tz, int64 t);
static bool provider_next_change(const CronTz *tz, int64 t, int64 *change);

static const CronTz libc_tz = {
	provider_offset_at,
	provider_next_change,
	NULL
};

static void
state_at(int64 t, ZoneState *st)
{
	time_t		tt = (time_t) t;
	struct tm	tm;

	nprobes++;
	if (localtime_r(&tt, &tm) == NULL)
	{
		fprintf(stderr, "tz_libc: localtime_r failed for instant " INT64_FORMAT " in zone %s\n",
				t, current_zone);
		abort();
	}
	st->gmtoff = tm.tm_gmtoff;
	st->isdst = tm.tm_isdst;
	strlcpy(st->abbr, tm.tm_zone ? tm.tm_zone : "", sizeof(st->abbr));
}

static bool
same_state(const ZoneState *a, const ZoneState *b)
{
	return a->gmtoff == b->gmtoff && a->isdst == b->isdst &&
		strcmp(a->abbr, b->abbr) == 0;
}

static void
vec_push(ChangeVec *v, int64 t)
{
	if (v->n == v->cap)
	{
		v->cap = v->cap ? v->cap * 2 : 64;
		v->at = realloc(v->at, sizeof(int64) * v->cap);
		if (v->at == NULL)
		{
			fprintf(stderr, "tz_libc: out of memory\n");
			abort();
		}
	}
	v->at[v->n++] = t;
}

/*
 * Probe (from, to] and append every transition found to *out.  With
 * stop_early, return after the first one.  Returns the instant up to which
 * (from, ...] has been fully examined.
 */
static int64
scan_changes(int64 from, int64 to, bool stop_early, ChangeVec *out)
{
	ZoneState	prev;
	int64		p = from;

	state_at(p, &prev);
	while (p < to)
	{
		int64		x = Min(p + PROBE_STEP, to);
		ZoneState	cur;

		state_at(x, &cur);
		if (same_state(&cur, &prev))
		{
			p = x;
			continue;
		}

		/* state(lo) == prev, state(hi) != prev: narrow to adjacent seconds */
		{
			int64		lo = p;
			int64		hi = x;

			while (hi - lo > 1)
			{
				int64		mid = lo + (hi - lo) / 2;
				ZoneState	m;

				state_at(mid, &m);
				if (same_state(&m, &prev))
					lo = mid;
				else
					hi = mid;
			}
			vec_push(out, hi);
			state_at(hi, &prev);
			p = hi;
			if (stop_early)
				return p;
		}
	}
	return to;
}

/*
 * The cache: disjoint stretches of time, sorted, each fully probed, each
 * with the transitions inside it.  Queries that jump around (a yearly
 * schedule, the fuzzer) open new stretches; nearby queries extend an
 * existing one, and stretches that meet are merged.
 */
static void
cache_clear(void)
{
	int			i;

	for (i = 0; i < ncache; i++)
		free(cache[i].changes.at);
	ncache = 0;
	ncached_changes = 0;
}

/* insert an empty stretch [t, t] at index i */
static void
stretch_insert(int i, int64 t)
{
	if (ncache == cache_cap)
	{
		cache_cap = cache_cap ? cache_cap * 2 : 64;
		cache = realloc(cache, sizeof(Stretch) * cache_cap);
		if (cache == NULL)
		{
			fprintf(stderr, "tz_libc: out of memory\n");
			abort();
		}
	}
	memmove(&cache[i + 1], &cache[i], sizeof(Stretch) * (ncache - i));
	ncache++;
	cache[i].lo = cache[i].hi = t;
	cache[i].changes.at = NULL;
	cache[i].changes.n = cache[i].changes.cap = 0;
}

/* stretch i has reached stretch i+1: make them one */
static void
stretch_merge_next(int i)
{
	Stretch    *a = &cache[i];
	Stretch    *b = &cache[i + 1];
	int			k;

	/* a's changes are <= a->hi == b->lo < b's changes */
	for (k = 0; k < b->changes.n; k++)
		vec_push(&a->changes, b->changes.at[k]);
	a->hi = b->hi;
	free(b->changes.at);
	memmove(&cache[i + 1], &cache[i + 2], sizeof(Stretch) * (ncache - i - 2));
	ncache--;
}

/*
 * Probe stretch i forward to `to` (merging with the stretches it reaches).
 * With stop_early, stop at the first new transition.
 */
static void
stretch_extend_forward(int i, int64 to, bool stop_early)
{
	while (cache[i].hi < to)
	{
		int64		limit = to;
		int			before = cache[i].changes.n;

		if (i + 1 < ncache && cache[i + 1].lo <= to)
			limit = cache[i + 1].lo;
		cache[i].hi = scan_changes(cache[i].hi, limit, stop_early, &cache[i].changes);
		ncached_changes += cache[i].changes.n - before;
		if (i + 1 < ncache && cache[i].hi >= cache[i + 1].lo)
			stretch_merge_next(i);
		if (stop_early && cache[i].changes.n > before)
			return;
	}
}

/* probe stretch i backward to from */
static void
stretch_extend_backward(int i, int64 from)
{
	ChangeVec	found = {NULL, 0, 0};
	int			k;

	if (from >= cache[i].lo)
		return;
	scan_changes(from, cache[i].lo, false, &found);
	ncached_changes += found.n;
	/* prepend: found are all <= lo < every change already there */
	for (k = 0; k < cache[i].changes.n; k++)
		vec_push(&found, cache[i].changes.at[k]);
	free(cache[i].changes.at);
	cache[i].changes = found;
	cache[i].lo = from;
}

/* index of a stretch that contains t, made or extended as needed */
static int
cache_cover(int64 t)
{
	int			lo = 0;
	int			hi = ncache;
	int			i;

	if (ncached_changes > MAX_CACHED || ncache > MAX_CACHED)
		cache_clear();

	/* i = number of stretches with lo <= t */
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (cache[mid].lo <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	i = lo;
	if (i > 0 && t <= cache[i - 1].hi)
		return i - 1;
	if (i > 0 && t - cache[i - 1].hi <= REUSE_GAP)
	{
		stretch_extend_forward(i - 1, t, false);
		return i - 1;
	}
	if (i < ncache && cache[i].lo - t <= REUSE_GAP)
	{
		stretch_extend_backward(i, t);
		return i;
	}
	stretch_insert(i, t);
	return i;
}

/* index of the first change > t in stretch i (n if none) */
static int
first_change_after(int i, int64 t)
{
	const ChangeVec *v = &cache[i].changes;
	int			lo = 0;
	int			hi = v->n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (v->at[mid] > t)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int32
provider_offset_at(const CronTz *tz, int64 t)
{
	return tz_libc_offset_at(t);
}

static bool
provider_next_change(const CronTz *tz, int64 t, int64 *change)
{
	int64		limit = t + HORIZON;
	int			i = cache_cover(t);

	for (;;)
	{
		int			k = first_change_after(i, t);

		if (k < cache[i].changes.n)
		{
			*change = cache[i].changes.at[k];
			return true;
		}
		if (cache[i].hi >= limit)
			return false;
		stretch_extend_forward(i, limit, true);
	}
}

bool
tz_libc_select(const char *name)
{
	const char *dir = getenv("TZDIR");
	char		path[1024];

	if (name == NULL || name[0] == '\0' || name[0] == '/' ||
		strstr(name, "..") != NULL || strlen(name) >= sizeof(current_zone))
		return false;
	if (dir == NULL || dir[0] == '\0')
		dir = "/usr/share/zoneinfo";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (access(path, R_OK) != 0)
		return false;

	if (strcmp(name, current_zone) == 0)
		return true;
	/* the leading colon asks glibc for the zone file, not a POSIX rule */
	snprintf(path, sizeof(path), ":%s", name);
	if (setenv("TZ", path, 1) != 0)
		return false;
	tzset();
	strlcpy(current_zone, name, sizeof(current_zone));
	cache_clear();
	return true;
}

const char *
tz_libc_current(void)
{
	return current_zone;
}

const CronTz *
tz_libc_provider(void)
{
	return &libc_tz;
}

int32
tz_libc_offset_at(int64 t)
{
	ZoneState	st;

	state_at(t, &st);
	return (int32) st.gmtoff;
}

int
tz_libc_changes_between(int64 from, int64 to, int64 *out, int max)
{
	int			i;
	int			n = 0;

	int			s;

	if (to <= from)
		return 0;
	s = cache_cover(from);
	stretch_extend_forward(s, to, false);
	for (i = first_change_after(s, from); i < cache[s].changes.n; i++)
	{
		if (cache[s].changes.at[i] > to)
			break;
		if (n < max)
			out[n] = cache[s].changes.at[i];
		n++;
	}
	return n;
}

long
tz_libc_probes(void)
{
	return nprobes;
}

void
tz_libc_release(void)
{
	cache_clear();
	free(cache);
	cache = NULL;
	cache_cap = 0;
}
