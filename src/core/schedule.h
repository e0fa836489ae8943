/*-------------------------------------------------------------------------
 *
 * schedule.h
 *	  The parsed form of a cron schedule and the parser that produces it.
 *
 * A schedule is one of four kinds: a 5-field cron expression (or a macro
 * that stands for one), an interval of 1-59 seconds, @reboot, or one
 * instant in UTC ('@at 2026-11-21 12:00:00+00', what cron.schedule_at
 * writes).  The parsed
 * form is a fixed-size struct of bit sets, so parsing never allocates and
 * the same code runs inside the server and in the standalone sanitizer and
 * fuzzing harness (test/harness).  That is also why this header depends on
 * nothing but c.h: errors are returned as a CronParseError, and the caller
 * decides how to report them (ereport in the server).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_SCHEDULE_H
#define CRONEXT_SCHEDULE_H

#include "c.h"

/* longest schedule text we accept; pg_cron's limit is of the same order */
#define CRON_SCHEDULE_MAX_LEN	1000

typedef enum CronScheduleKind
{
	CRON_KIND_CRON,				/* 5-field expression or a macro */
	CRON_KIND_INTERVAL,			/* '[1-59] seconds' */
	CRON_KIND_REBOOT,			/* @reboot: once per server start */
	CRON_KIND_AT				/* '@at YYYY-MM-DD HH:MM:SS+00': once */
} CronScheduleKind;

/* the five fields, in the order they are written */
typedef enum CronField
{
	CRON_FIELD_MINUTE,
	CRON_FIELD_HOUR,
	CRON_FIELD_DOM,
	CRON_FIELD_MONTH,
	CRON_FIELD_DOW,
	CRON_FIELD_SECONDS,			/* the interval form's only field */
	CRON_FIELD_NONE				/* an error about the schedule as a whole */
} CronField;

typedef struct CronSchedule
{
	CronScheduleKind kind;

	/* CRON_KIND_CRON: bit i set = value i allowed */
	uint64		minutes;		/* bits 0-59 */
	uint32		hours;			/* bits 0-23 */
	uint32		days_of_month;	/* bits 1-31 */
	uint16		months;			/* bits 1-12 */
	uint8		days_of_week;	/* bits 0-6, 0 = Sunday (7 is folded in) */
	bool		last_dom;		/* '$' in day of month: last day of month */

	/*
	 * Fields written starting with '*' (also '*\/n').  As in Vixie cron, when
	 * neither day field starts with '*' a day matches if either field
	 * matches; otherwise both must.  An hour field starting with '*' makes
	 * the job follow real time across DST changes (see next_run.c).
	 */
	bool		dom_star;
	bool		dow_star;
	bool		hour_star;

	/* CRON_KIND_INTERVAL: period in seconds, 1-59 */
	int			interval_seconds;

	/* CRON_KIND_AT: the instant, in seconds since 1970-01-01 UTC */
	int64		at;
} CronSchedule;

/* what went wrong, for the caller to turn into an error report */
typedef struct CronParseError
{
	CronField	field;			/* which field, or CRON_FIELD_NONE */
	char		value[64];		/* the offending text: printable ASCII only,
								 * truncated */
	char		detail[200];	/* what is wrong, as a sentence */
	char		hint[200];		/* how to fix it, as a sentence */
} CronParseError;

extern bool cron_parse_schedule(const char *text, CronSchedule *schedule,
								CronParseError *error);
extern const char *cron_field_name(CronField field);
extern int	cron_days_in_month(int year, int month);

#endif							/* CRONEXT_SCHEDULE_H */
