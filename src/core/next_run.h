/*-------------------------------------------------------------------------
 *
 * next_run.h
 *	  Slot arithmetic: the instants at which a parsed schedule fires.
 *
 * Instants are whole seconds since the Unix epoch (int64).  Time zones are
 * reached only through CronTz, a two-call interface: in the server it is
 * backed by PostgreSQL's own pg_tz library (common/schedule_pg.c); in the standalone
 * sanitizer and fuzzing harness by the C library.  Keeping the clock and
 * the zone behind this interface is what lets the same code be tested
 * through DST days without waiting for them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_NEXT_RUN_H
#define CRONEXT_NEXT_RUN_H

#include "schedule.h"

typedef struct CronTz CronTz;

struct CronTz
{
	/* UTC offset in seconds (east positive) in force at instant t */
	int32		(*offset_at) (const CronTz *tz, int64 t);

	/*
	 * The first instant strictly after t at which the zone's rules change
	 * (an offset change, possibly to the same offset).  Returns false if
	 * there is none.
	 */
	bool		(*next_change) (const CronTz *tz, int64 t, int64 *change);

	const void *arg;			/* provider's own state */
};

/*
 * Range of instants we compute slots for: years 1 to 9999 for the starting
 * point.  Slots themselves may lie up to CRON_SEARCH_DAYS later.
 */
#define CRON_MIN_INSTANT	INT64CONST(-62135596800)	/* 0001-01-01 UTC */
#define CRON_MAX_INSTANT	INT64CONST(253402300799)	/* 9999-12-31 23:59:59 */

/*
 * How far ahead we look for the next slot, in days: one 400-year Gregorian
 * cycle.  Every schedule that the parser accepts fires within it, so a
 * search that finds nothing here never would; the bound is what keeps a
 * search from ever looping.
 */
#define CRON_SEARCH_DAYS	146097

extern bool cron_next_slot(const CronSchedule *schedule, const CronTz *tz,
						   int64 after, int64 *slot);

#endif							/* CRONEXT_NEXT_RUN_H */
