/*-------------------------------------------------------------------------
 *
 * tz_libc.h
 *	  A CronTz provider backed by the C library (glibc), for the standalone
 *	  sanitizer, valgrind and fuzzing harness only.
 *
 * The server computes offsets with PostgreSQL's pg_tz; the harness cannot
 * link the server, so it asks glibc instead (TZ=":Zone/Name", tzset,
 * localtime_r).  glibc has no "next transition" call, so next_change is
 * found by probing forward in steps of at most 30 minutes and bisecting to
 * the exact second.  Probing is slow, so the transitions found are cached
 * for the stretch of time already probed.
 *
 * One zone is current at a time (TZ is process-global).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_TZ_LIBC_H
#define CRONEXT_TZ_LIBC_H

#include "next_run.h"

/*
 * Make the named IANA zone current.  Returns false if the zone file does
 * not exist: glibc would silently fall back to UTC, which would make every
 * DST test pass vacuously.
 */
extern bool tz_libc_select(const char *name);

/* name of the current zone ("" before the first tz_libc_select) */
extern const char *tz_libc_current(void);

/* the CronTz to hand to cron_next_slot; valid for the current zone */
extern const CronTz *tz_libc_provider(void);

/* UTC offset (seconds east) in force at t in the current zone */
extern int32 tz_libc_offset_at(int64 t);

/*
 * The instants in (from, to] at which the current zone's state (offset,
 * DST flag or abbreviation) changes, in increasing order.  Stores at most
 * max of them in out[] and returns how many there are in total.
 */
extern int	tz_libc_changes_between(int64 from, int64 to, int64 *out, int max);

/* number of localtime_r probes made so far (for the run summary) */
extern long tz_libc_probes(void);

/* free the transition cache (so leak checkers see a clean exit) */
extern void tz_libc_release(void);

#endif							/* CRONEXT_TZ_LIBC_H */
