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
 * zone's transitions found by tz_libc.  For a one-off schedule
 * (CRON_KIND_AT) it reads the instant from text with ref_at_parse, never
 * from schedule->at, and ignores the zone.
 */
extern bool ref_next_slot(const char *text, const CronSchedule *schedule,
						  int64 after, int64 *slot);

/*
 * How the reference reads a text as a one-off schedule, from the rules of
 * the @at kind rather than from schedule.c: after optional whitespace,
 * '@at' in any case, whitespace, then 'YYYY-MM-DD HH:MM:SS' ('T' for the
 * space) and '+00', '+00:00' or 'Z', then optional whitespace; a real date
 * and time of years 0001-9999 in UTC.  The instant comes from timegm, and
 * the date is valid when gmtime_r gives the same fields back.
 */
typedef enum RefAtVerdict
{
	REF_AT_NOT_AT,				/* does not start with '@at' and whitespace */
	REF_AT_VALID,				/* a one-off schedule: must be accepted as *at */
	REF_AT_INVALID,				/* starts like one, but must be refused */
	REF_AT_EITHER				/* another spelling of UTC the rules leave open
								 * ('t', 'z', '-00', '+0000', '-00:00'): may be
								 * refused; if accepted, then as *at */
} RefAtVerdict;

extern RefAtVerdict ref_at_parse(const char *text, int64 *at);

/*
 * Compare the parser's answer for text (accepted, and *schedule if so)
 * with ref_at_parse: a text is accepted as a one-off schedule exactly when
 * the reference says so, at the reference's instant; any other kind is
 * never the answer for a text that starts with '@at' and whitespace.
 */
extern void check_at_parse(const char *text, bool accepted,
						   const CronSchedule *schedule);

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
 * next one; @reboot has none; a one-off (@at) schedule has at most one,
 * and none once its instant is not after the starting point; every other
 * accepted schedule always has a next slot; and, if with_reference, the
 * slot (or its absence) is ref_next_slot's.
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
