/*-------------------------------------------------------------------------
 *
 * slot_check.h
 *	  Invariants and an independent reference for cron_next_slot, shared
 *	  by the harness driver (check_schedule.c) and the fuzzer
 *	  (fuzz_schedule.c).
 *
 * Every check aborts with a message naming the schedule, the zone, the
 * starting instant and what went wrong, so a sanitizer build, valgrind and
 * libFuzzer all turn a violation into a failing run (and libFuzzer keeps
 * the input that caused it).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_SLOT_CHECK_H
#define CRONEXT_SLOT_CHECK_H

#include "next_run.h"

/* print "VIOLATION: ..." plus context to stderr and abort() */
extern void harness_fail(const char *fmt,...) pg_attribute_printf(1, 2) pg_attribute_noreturn();

/*
 * Describe the case being checked, for harness_fail's message; after is
 * HARNESS_NO_INSTANT when no instant is involved (parsing).
 */
#define HARNESS_NO_INSTANT PG_INT64_MIN
extern void harness_set_context(const char *schedule_text, int64 after);

/* "2026-11-01 05:30:00 UTC (local 01:30:00 -04:00)" in the current zone */
extern void format_instant(int64 t, char *buf, size_t len);

/* "2026-11-01 05:30:00" in UTC, for use in literals and messages */
extern void format_utc(int64 t, char *buf, size_t len);

/* schedule text with non-printable bytes escaped and long text elided */
extern void format_text(const char *text, char *buf, size_t len);

/*
 * Reference for cron_next_slot in the current tz_libc zone, written from
 * the rules in DESIGN.md rather than from next_run.c: it walks local dates
 * with gmtime_r for the calendar and resolves each wall time against the
 * zone's transitions found by tz_libc.
 */
extern bool ref_next_slot(const CronSchedule *schedule, int64 after, int64 *slot);

/*
 * Brute force for a short window: every instant in (from, to] is examined
 * one by one with localtime_r, with no knowledge of transitions beyond
 * what localtime_r says.  Stores up to max slots and returns how many.
 * Used to check ref_next_slot itself on DST days.  Only valid where UTC
 * offsets are whole minutes (all modern zones).
 */
extern int	brute_force_slots(const CronSchedule *schedule, int64 from, int64 to,
							  int64 *out, int max);

/*
 * Compute up to nslots successive slots of a parsed schedule starting
 * strictly after `after` in the current zone, checking on each one:
 * strictly increasing; cron slots show a whole minute on the local clock
 * (which is a whole UTC minute in every zone with whole-minute offsets) or
 * are the end of a DST gap; interval slots are multiples of N and the very
 * next one; @reboot has none; an accepted schedule always has a next slot;
 * and, if with_reference, the slot equals ref_next_slot's.
 * Returns the number of slots checked.
 */
extern int	check_slots(const char *text, const CronSchedule *schedule,
						int64 after, int nslots, bool with_reference);

/* sanity of a failed parse's error report (terminated, non-empty, known field) */
extern void check_parse_error(const char *text, const CronParseError *error);

/* floor division and non-negative remainder for possibly negative instants */
extern int64 floor_div64(int64 a, int64 b);
extern int64 floor_mod64(int64 a, int64 b);

#endif							/* CRONEXT_SLOT_CHECK_H */
