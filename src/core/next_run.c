/*-------------------------------------------------------------------------
 *
 * next_run.c
 *	  Slot arithmetic: the first instant after a given one at which a
 *	  schedule fires, in the schedule's time zone.
 *
 * Cron schedules are defined on the local wall clock, and the wall clock is
 * not a function of time: in a spring-forward gap some wall times never
 * happen, in a fall-back fold some happen twice.  The rules (DESIGN.md):
 *
 *	- a job whose hour field starts with '*' follows real time: it fires at
 *	  every instant whose wall time matches, so in both copies of a repeated
 *	  hour, and not at all inside a gap;
 *	- any other job fires at fixed wall times, each at most once a day: a
 *	  wall time that happens twice fires at its first occurrence, and one
 *	  that does not happen fires at the first instant after the gap.
 *
 * Either way every slot is a distinct instant, which is what makes
 * UNIQUE (jobid, scheduled_for) on the instant exact.
 *
 * The search walks local days.  For each matching day it loads the zone's
 * offsets around that day once (a handful of calls through CronTz) and then
 * maps each matching wall time to its instants with plain arithmetic.  It
 * is bounded by CRON_SEARCH_DAYS, so no schedule can make it loop.
 *
 * Interval schedules ('N seconds') fire at the instants whose Unix time is a
 * multiple of N: deterministic, zone-free, and the same after a restart.
 *
 * Pure C on top of c.h, shared by the server and the test harness.
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include "next_run.h"

#define SECS_PER_DAY	INT64CONST(86400)

/*
 * Instants whose wall time falls on a given local day lie within this many
 * seconds of the day (UTC offsets stay well inside +-26 hours).
 */
#define ZONE_MARGIN		(INT64CONST(26) * 3600)

/* offset changes we track around one day; real zones have at most a few */
#define MAX_SEGMENTS	32

/* a stretch of time with one UTC offset: from start to the next one's start */
typedef struct ZoneSegment
{
	int64		start;
	int32		offset;
} ZoneSegment;

/* the zone's offsets around one local day */
typedef struct DayZone
{
	ZoneSegment seg[MAX_SEGMENTS];
	int			nseg;
	int32		min_offset;
	int32		max_offset;
} DayZone;

static int64
floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* proleptic Gregorian date of a day number (days since 1970-01-01) */
static void
civil_from_days(int64 days, int *year, int *month, int *day)
{
	int64		z = days + 719468;	/* shift the epoch to 0000-03-01 */
	int64		era = floor_div(z, 146097);
	int64		doe = z - era * 146097;
	int64		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64		mp = (5 * doy + 2) / 153;
	int			m = (int) (mp < 10 ? mp + 3 : mp - 9);

	*year = (int) (yoe + era * 400 + (m <= 2 ? 1 : 0));
	*month = m;
	*day = (int) (doy - (153 * mp + 2) / 5 + 1);
}

/* does the schedule fire on this local date at all? */
static bool
day_matches(const CronSchedule *schedule, int64 days, int year, int month,
			int mday)
{
	bool		dom_ok;
	bool		dow_ok;
	int			dow;

	if (!(schedule->months & (1 << month)))
		return false;

	dom_ok = (schedule->days_of_month & (((uint32) 1) << mday)) != 0 ||
		(schedule->last_dom && mday == cron_days_in_month(year, month));
	dow = (int) (days + 4 - floor_div(days + 4, 7) * 7);	/* 1970-01-01 was
															 * a Thursday */
	dow_ok = (schedule->days_of_week & (1 << dow)) != 0;

	/* Vixie cron: both day fields restricted means either may match */
	if (schedule->dom_star || schedule->dow_star)
		return dom_ok && dow_ok;
	return dom_ok || dow_ok;
}

/* load the zone's offsets for the instants that can show this local day */
static void
load_day_zone(const CronTz *tz, int64 days, DayZone *dz)
{
	int64		from = days * SECS_PER_DAY - ZONE_MARGIN;
	int64		to = (days + 1) * SECS_PER_DAY + ZONE_MARGIN;
	int64		t = from;
	int			steps = 0;

	dz->seg[0].start = from;
	dz->seg[0].offset = tz->offset_at(tz, from);
	dz->nseg = 1;
	dz->min_offset = dz->seg[0].offset;
	dz->max_offset = dz->seg[0].offset;

	/* bounded both by segment count and by calls, whatever the provider does */
	while (dz->nseg < MAX_SEGMENTS && steps++ < 4 * MAX_SEGMENTS)
	{
		int64		change;
		int32		offset;

		if (!tz->next_change(tz, t, &change) || change <= t || change > to)
			break;
		t = change;
		offset = tz->offset_at(tz, change);
		if (offset == dz->seg[dz->nseg - 1].offset)
			continue;			/* a rule change that kept the offset */
		dz->seg[dz->nseg].start = change;
		dz->seg[dz->nseg].offset = offset;
		dz->min_offset = Min(dz->min_offset, offset);
		dz->max_offset = Max(dz->max_offset, offset);
		dz->nseg++;
	}
}

/*
 * The instants at which the wall clock shows wall (local seconds), in
 * increasing order, following the DST rules in the file header.  Returns
 * how many were stored in out[] (room for MAX_SEGMENTS).
 */
static int
wall_to_instants(const DayZone *dz, int64 wall, bool real_time, int64 *out)
{
	int			n = 0;
	int			i;

	for (i = 0; i < dz->nseg; i++)
	{
		int64		t = wall - dz->seg[i].offset;
		bool		after_start = (i == 0) || t >= dz->seg[i].start;
		bool		before_end = (i + 1 == dz->nseg) || t < dz->seg[i + 1].start;

		if (after_start && before_end)
			out[n++] = t;
	}

	if (real_time)
		return n;
	if (n > 1)
		return 1;				/* a repeated wall time: the first occurrence */
	if (n == 1)
		return 1;

	/* a wall time in a gap: the first instant after the gap */
	for (i = 0; i + 1 < dz->nseg; i++)
	{
		int64		boundary = dz->seg[i + 1].start;

		if (wall >= boundary + dz->seg[i].offset &&
			wall < boundary + dz->seg[i + 1].offset)
		{
			out[0] = boundary;
			return 1;
		}
	}
	return 0;
}

/* next slot of a cron schedule, see cron_next_slot */
static bool
next_cron_slot(const CronSchedule *schedule, const CronTz *tz, int64 after,
			   int64 *slot)
{
	int64		local = after + tz->offset_at(tz, after);
	int64		first_day = floor_div(local, SECS_PER_DAY) - 1;
	int64		days;
	int64		found_day = 0;
	bool		found = false;
	int64		best = 0;

	/*
	 * Start a day early: in a fold the next instant can show an earlier wall
	 * time than after does.  Once a day yields a slot, look at one more day,
	 * since offsets can move instants across day boundaries.
	 */
	for (days = first_day; days < first_day + CRON_SEARCH_DAYS + 2; days++)
	{
		DayZone		dz;
		int			year;
		int			month;
		int			mday;
		int			hour;

		if (found && days > found_day + 1)
			break;

		civil_from_days(days, &year, &month, &mday);
		if (!day_matches(schedule, days, year, month, mday))
			continue;

		load_day_zone(tz, days, &dz);
		for (hour = 0; hour < 24; hour++)
		{
			int64		hour_wall = days * SECS_PER_DAY + hour * 3600;
			int			minute;

			if (!(schedule->hours & (((uint32) 1) << hour)))
				continue;
			/* every instant of this hour is at most wall - min_offset ... */
			if (hour_wall + 3599 - dz.min_offset <= after)
				continue;
			/* ... and at least wall - max_offset, later walls even later */
			if (found && hour_wall - dz.max_offset >= best)
				break;

			for (minute = 0; minute < 60; minute++)
			{
				int64		instants[MAX_SEGMENTS];
				int			n;
				int			i;

				if (!(schedule->minutes & (UINT64CONST(1) << minute)))
					continue;
				if (found && hour_wall + minute * 60 - dz.max_offset >= best)
					break;
				n = wall_to_instants(&dz, hour_wall + minute * 60,
									 schedule->hour_star, instants);
				for (i = 0; i < n; i++)
				{
					if (instants[i] > after && (!found || instants[i] < best))
					{
						if (!found)
							found_day = days;
						best = instants[i];
						found = true;
					}
				}
			}
		}
	}

	if (found)
		*slot = best;
	return found;
}

/*
 * The first slot of schedule strictly after the instant after (Unix
 * seconds).  Returns false if there is none: @reboot (which has no slots in
 * time), or after outside CRON_MIN_INSTANT..CRON_MAX_INSTANT.
 */
bool
cron_next_slot(const CronSchedule *schedule, const CronTz *tz, int64 after,
			   int64 *slot)
{
	if (after < CRON_MIN_INSTANT || after > CRON_MAX_INSTANT)
		return false;

	switch (schedule->kind)
	{
		case CRON_KIND_INTERVAL:
			{
				int64		n = schedule->interval_seconds;

				*slot = (floor_div(after, n) + 1) * n;
				return true;
			}
		case CRON_KIND_REBOOT:
			return false;
		case CRON_KIND_AT:
			*slot = schedule->at;
			return schedule->at > after;
		case CRON_KIND_CRON:
			return next_cron_slot(schedule, tz, after, slot);
	}
	return false;
}
