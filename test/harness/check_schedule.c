/*-------------------------------------------------------------------------
 *
 * check_schedule.c
 *	  Standalone driver for the schedule parser (src/core/schedule.c) and the
 *	  slot arithmetic (src/core/next_run.c), run under ASan/UBSan and valgrind.
 *
 * Owns: the corpus of valid and invalid schedules, the exact expectations
 * for DST days, the sweep that computes many successive slots in
 * several zones from several starting instants and checks every one with
 * slot_check.c (invariants plus an independent reference), and the checks
 * of one-off schedules ('@at YYYY-MM-DD HH:MM:SS+00'): hand-computed
 * instants, every year's leap day and year boundary, random instants of
 * years 1-9999 (and the days around them) in every spelling, random
 * possibly invalid dates, and their slots probed around the instant in
 * zones that must not matter.  Any violation aborts with a message;
 * success prints a summary and exits 0.
 *
 * The sanitizers see real out-of-bounds reads because every schedule text
 * is copied into a heap buffer of exactly its length plus the NUL.
 *
 * Usage: check_schedule [--quick] [--slots=N] [--verbose]
 *	 --quick: fewer zones, starting points and slots (for valgrind)
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include <time.h>

#include "next_run.h"
#include "schedule.h"
#include "slot_check.h"
#include "tz_libc.h"

#define FIELD_ANY	(-1)

typedef enum Expect
{
	VALID,						/* must parse */
	INVALID,					/* must be refused */
	EITHER						/* not pinned down by DESIGN.md; must not crash */
} Expect;

typedef struct ParseCase
{
	const char *text;
	Expect		expect;
	int			field;			/* INVALID: the CronField to blame, or FIELD_ANY */
} ParseCase;

/*
 * The corpus.  Every syntax element of DESIGN.md "Schedules" appears at
 * least once on each side.
 */
static const ParseCase parse_cases[] = {
	/* plain fields, lists, ranges, steps */
	{"* * * * *", VALID},
	{"0 3 * * *", VALID},
	{"30 2 * * *", VALID},
	{"30 1 * * *", VALID},
	{"0 2 * * *", VALID},
	{"15 2 * * *", VALID},
	{"0 2,3 * * *", VALID},
	{"*/15 * * * *", VALID},
	{"*/30 * * * *", VALID},
	{"*/1 * * * *", VALID},
	{"0 * * * *", VALID},
	{"30 * * * *", VALID},
	{"0,30 * * * *", VALID},
	{"*/15 1 * * *", VALID},
	{"*/30 2 * * *", VALID},
	{"15,45 1-2 * * *", VALID},
	{"0 */2 * * *", VALID},
	{"0 0-23 * * *", VALID},
	{"* 1 * * *", VALID},
	{"5,10-12,*/20 * * * *", VALID},
	{"0-59/7 * * * *", VALID},
	{"10-50/10 2-20/6 * * *", VALID},
	{"0,30 8-18 * * 1-5", VALID},
	{"0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,"
	"30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59 * * * *", VALID},
	{"59 23 31 12 *", VALID},
	{"0 0 1 1 *", VALID},
	{"0 0 31 * *", VALID},
	{"0 0 29 2 *", VALID},
	{"0 0 29-31 2 *", VALID},
	{"0 0 30 2 1", VALID},		/* both day fields restricted: Mondays count */
	{"0 0 13 * 5", VALID},
	{"0 0 */2 * 1", VALID},
	{"0 0 1-31 1-12 0-6", VALID},
	{"0 12 14 2 *", VALID},
	/* names, case-insensitive, and 7 as Sunday */
	{"0 0 1 jan *", VALID},
	{"0 0 1 JAN *", VALID},
	{"0 0 1 jan-mar,DEC *", VALID},
	{"0 0 * * mon-fri", VALID},
	{"0 0 * * MON-fri", VALID},
	{"0 0 * * Mon,WED,fRi", VALID},
	{"0 12 * feb-apr sun", VALID},
	{"0 0 * * sun", VALID},
	{"0 0 * * 7", VALID},
	{"0 0 * * 0,7", VALID},
	{"0 0 * * 5-7", VALID},
	{"0 0 * * 6-7", VALID},
	/* last day of month */
	{"0 0 $ * *", VALID},
	{"0 0 1,15,$ * *", VALID},
	{"0 0 $ 2 *", VALID},
	{"30 23 $ * 1-5", VALID},
	/* macros */
	{"@hourly", VALID},
	{"@daily", VALID},
	{"@midnight", VALID},
	{"@weekly", VALID},
	{"@monthly", VALID},
	{"@yearly", VALID},
	{"@annually", VALID},
	{"@reboot", VALID},
	/* interval schedules, with pg_cron's leniency */
	{"1 second", VALID},
	{"1 seconds", VALID},
	{"2 seconds", VALID},
	{"7 seconds", VALID},
	{"30 seconds", VALID},
	{"59 seconds", VALID},
	{" 30 sEcOnDs ", VALID},
	{"17  seconds ", VALID},
	{"5 SECONDS", VALID},
	/* one-off instants in UTC, in each spelling */
	{"@at 2026-11-21 12:00:00+00", VALID},
	{"@at 2026-11-21T12:00:00+00", VALID},
	{"@at 2026-11-21 12:00:00+00:00", VALID},
	{"@at 2026-11-21T12:00:00+00:00", VALID},
	{"@at 2026-11-21 12:00:00Z", VALID},
	{"@at 2026-11-21T12:00:00Z", VALID},
	{"@AT 2026-11-21 12:00:00+00", VALID},
	{"@At 2026-11-21T12:00:00Z", VALID},
	{"@aT 2026-11-21 12:00:00+00:00", VALID},
	{"@at\t2026-11-21 12:00:00+00", VALID},
	{"@at   2026-11-21 12:00:00+00", VALID},
	{"  @at 2026-11-21 12:00:00+00 \n", VALID},
	{"@at 2024-02-29 00:00:00+00", VALID},
	{"@at 2000-02-29 23:59:59+00", VALID},
	{"@at 2026-12-31 23:59:59+00", VALID},
	{"@at 2027-01-01 00:00:00+00", VALID},
	{"@at 9999-12-31 23:59:59+00", VALID},
	{"@at 0001-01-01 00:00:00+00", VALID},
	{"@at 0001-01-01 00:00:01+00", VALID},
	{"@at 1969-12-31 23:59:59+00", VALID},
	{"@at 1970-01-01 00:00:00+00", VALID},
	{"@at 2038-01-19 03:14:08+00", VALID},
	{"@at 2026-03-08 07:00:00+00", VALID},	/* New York's 2026 gap */
	{"@at 2026-11-01 05:30:00+00", VALID},	/* New York's 2026 fold */
	{"@at 2026-10-03 15:45:30+00", VALID},	/* Lord Howe's 2026 gap */
	{"@at 2011-12-30 10:00:00+00", VALID},	/* the day Samoa skipped */

	/* not pinned down by DESIGN.md or the brief: accepted or refused, never a crash */
	{"@at 2026-11-21t12:00:00+00", EITHER},
	{"@at 2026-11-21 12:00:00z", EITHER},
	{"@at 2026-11-21 12:00:00-00", EITHER},
	{"@at 2026-11-21 12:00:00+0000", EITHER},
	{"@at 2026-11-21 12:00:00-00:00", EITHER},

	/* not pinned down by DESIGN.md: accepted or refused, never a crash */
	{"0 3 * * * ", EITHER},
	{" 0 3 * * *", EITHER},
	{"0  3 * * *", EITHER},
	{"0\t3\t*\t*\t*", EITHER},
	{"\t7 seconds\n", EITHER},
	{"5seconds", EITHER},
	{"@DAILY", EITHER},
	{"@Reboot", EITHER},
	{"5/10 * * * *", EITHER},
	{"0 0 5/10 * *", EITHER},
	{"*/60 * * * *", EITHER},
	{"0 0 1 1/13 *", EITHER},
	{"0 0 * * monday", EITHER},
	{"00 03 * * *", EITHER},
	{"0 0 * * 7-7", EITHER},
	{"0,0,0 3 * * *", EITHER},

	/* reversed ranges */
	{"5-1 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"* 5-1 * * *", INVALID, CRON_FIELD_HOUR},
	{"* * 5-1 * *", INVALID, CRON_FIELD_DOM},
	{"* * * 5-1 *", INVALID, CRON_FIELD_MONTH},
	{"* * * * 5-1", INVALID, CRON_FIELD_DOW},
	{"* * * dec-jan *", INVALID, CRON_FIELD_MONTH},
	{"5-4 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"* * * 2-1 *", INVALID, CRON_FIELD_MONTH},
	{"0 0 * * sat-fri", INVALID, CRON_FIELD_DOW},
	{"0 0 * * 7-1", INVALID, FIELD_ANY},
	/* zero steps */
	{"*/0 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"* */0 * * *", INVALID, CRON_FIELD_HOUR},
	{"0 0 */0 * *", INVALID, CRON_FIELD_DOM},
	{"0 0 * */0 *", INVALID, CRON_FIELD_MONTH},
	{"0 0 * * 1/0", INVALID, CRON_FIELD_DOW},
	{"0 0 * * 1-7/0", INVALID, CRON_FIELD_DOW},
	{"0-59/0 * * * *", INVALID, CRON_FIELD_MINUTE},
	/* out of range */
	{"60 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"0-60 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"* 24 * * *", INVALID, CRON_FIELD_HOUR},
	{"* * 0 * *", INVALID, CRON_FIELD_DOM},
	{"* * 32 * *", INVALID, CRON_FIELD_DOM},
	{"* * * 13 *", INVALID, CRON_FIELD_MONTH},
	{"* * * 0 *", INVALID, CRON_FIELD_MONTH},
	{"* * * * 8", INVALID, CRON_FIELD_DOW},
	{"-1 * * * *", INVALID, FIELD_ANY},
	{"99999999999999999999 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"*/99999999999999999999 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"4294967296 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"0 4294967320 * * *", INVALID, CRON_FIELD_HOUR},
	/* wrong field counts */
	{"", INVALID, FIELD_ANY},
	{"   ", INVALID, FIELD_ANY},
	{"*", INVALID, FIELD_ANY},
	{"* *", INVALID, FIELD_ANY},
	{"* * * *", INVALID, FIELD_ANY},
	{"* * * * * *", INVALID, FIELD_ANY},
	{"0 0 0 * * * *", INVALID, FIELD_ANY},
	/* interval schedules out of range or misspelt */
	{"60 seconds", INVALID, CRON_FIELD_SECONDS},
	{"0 seconds", INVALID, CRON_FIELD_SECONDS},
	{"0 second", INVALID, CRON_FIELD_SECONDS},
	{"100 seconds", INVALID, CRON_FIELD_SECONDS},
	{"00 seconds", INVALID, CRON_FIELD_SECONDS},
	{"99999999999999999999 seconds", INVALID, CRON_FIELD_SECONDS},
	{"-5 seconds", INVALID, FIELD_ANY},
	{"1 minute", INVALID, FIELD_ANY},
	{"1 sec", INVALID, FIELD_ANY},
	{"30 secondss", INVALID, FIELD_ANY},
	{"30 seconds seconds", INVALID, FIELD_ANY},
	{"5 seconds ago", INVALID, FIELD_ANY},
	{"seconds", INVALID, FIELD_ANY},
	{"1.5 seconds", INVALID, FIELD_ANY},
	/* schedules that can never fire */
	{"0 0 30 2 *", INVALID, FIELD_ANY},
	{"0 0 31 2 *", INVALID, FIELD_ANY},
	{"0 0 30,31 2 *", INVALID, FIELD_ANY},
	{"0 0 31 4 *", INVALID, FIELD_ANY},
	{"0 0 31 2,4,6,9,11 *", INVALID, FIELD_ANY},
	{"0 0 31 apr,jun,sep,nov *", INVALID, FIELD_ANY},
	/* malformed lists, ranges, steps, names, '$' */
	{"a b c d e", INVALID, FIELD_ANY},
	{"1,,2 * * * *", INVALID, CRON_FIELD_MINUTE},
	{",1 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"1, * * * *", INVALID, CRON_FIELD_MINUTE},
	{"1-/2 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"1- * * * *", INVALID, CRON_FIELD_MINUTE},
	{"*/ * * * *", INVALID, CRON_FIELD_MINUTE},
	{"1-2-3 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"**/2 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"*/2/2 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"1.5 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"0x10 * * * *", INVALID, CRON_FIELD_MINUTE},
	{"jan * * * *", INVALID, CRON_FIELD_MINUTE},
	{"0 mon * * *", INVALID, CRON_FIELD_HOUR},
	{"$ * * * *", INVALID, CRON_FIELD_MINUTE},
	{"0 0 * * $", INVALID, CRON_FIELD_DOW},
	{"0 0 * $ *", INVALID, CRON_FIELD_MONTH},
	{"0 0 $-5 * *", INVALID, CRON_FIELD_DOM},
	{"0 0 1-$ * *", INVALID, CRON_FIELD_DOM},
	{"0 0 $/2 * *", INVALID, CRON_FIELD_DOM},
	{"0 0 $$ * *", INVALID, CRON_FIELD_DOM},
	{"0 0 * jan-dex *", INVALID, CRON_FIELD_MONTH},
	{"0 0 1 foo *", INVALID, CRON_FIELD_MONTH},
	{"0 0 1 janu *", INVALID, CRON_FIELD_MONTH},
	{"0 0 * * funday", INVALID, CRON_FIELD_DOW},
	{"0 0 * * mon-", INVALID, CRON_FIELD_DOW},
	{"0 0 * * -", INVALID, CRON_FIELD_DOW},
	{"0 0 L * *", INVALID, CRON_FIELD_DOM},
	{"0 0 ? * *", INVALID, CRON_FIELD_DOM},
	{"0 0 1W * *", INVALID, CRON_FIELD_DOM},
	{"0 0 * * 5#3", INVALID, CRON_FIELD_DOW},
	{"0 0 * * 5L", INVALID, CRON_FIELD_DOW},
	/* macros */
	{"@", INVALID, FIELD_ANY},
	{"@hour", INVALID, FIELD_ANY},
	{"@every 5m", INVALID, FIELD_ANY},
	{"@reboot now", INVALID, FIELD_ANY},
	{"@daily 5", INVALID, FIELD_ANY},
	{"@daily@daily", INVALID, FIELD_ANY},
	{"daily", INVALID, FIELD_ANY},
	/* one-off instants: not UTC */
	{"@at 2026-11-21 12:00:00+01", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00+01:00", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00-05", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00+00:30", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00+0", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00+", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00 UTC", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00 +00", INVALID, FIELD_ANY},
	/* one-off instants: not the layout */
	{"@at 2026-11-21 12:00+00", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00Z", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12+00", INVALID, FIELD_ANY},
	{"@at 2026-11-21+00", INVALID, FIELD_ANY},
	{"@at 2026-11-21", INVALID, FIELD_ANY},
	{"@at 12:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00.5+00", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00.000000+00", INVALID, FIELD_ANY},
	{"@at 2026-11-21  12:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026-11-21_12:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026/11/21 12:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026-1-21 12:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026-11-21 2:00:00+00", INVALID, FIELD_ANY},
	{"@at 26-11-21 12:00:00+00", INVALID, FIELD_ANY},
	{"@at +2026-11-21 12:00:00+00", INVALID, FIELD_ANY},
	{"@at -001-01-01 00:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00+00 junk", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00+00x", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00ZZ", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00+00:00:00", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00+00 @at 2026-11-22 12:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00+00 * * * *", INVALID, FIELD_ANY},
	{"@at 2026-11-21 12:00:00+00\x01", INVALID, FIELD_ANY},
	{"@at \xef\xbc\x92" "026-11-21 12:00:00+00", INVALID, FIELD_ANY},	/* fullwidth 2 */
	{"@at 2026-11-21 12:00:00\xe2\x88\x92" "00", INVALID, FIELD_ANY},	/* U+2212 minus */
	/* one-off instants: not a date and time */
	{"@at 2023-02-29 00:00:00+00", INVALID, FIELD_ANY},
	{"@at 2100-02-29 00:00:00+00", INVALID, FIELD_ANY},
	{"@at 1900-02-29 12:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026-02-30 00:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026-04-31 00:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026-00-10 00:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026-13-01 00:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026-01-00 00:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026-01-32 00:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026-01-01 24:00:00+00", INVALID, FIELD_ANY},
	{"@at 2026-01-01 23:60:00+00", INVALID, FIELD_ANY},
	{"@at 2016-12-31 23:59:60+00", INVALID, FIELD_ANY},	/* a leap second */
	{"@at 2026-01-01 99:99:99+00", INVALID, FIELD_ANY},
	{"@at 0000-01-01 00:00:00+00", INVALID, FIELD_ANY},
	{"@at 0000-12-31 23:59:59+00", INVALID, FIELD_ANY},
	{"@at 10000-01-01 00:00:00+00", INVALID, FIELD_ANY},
	{"@at 99999-12-31 23:59:59+00", INVALID, FIELD_ANY},
	/* one-off instants: not the '@at' word and whitespace */
	{"@at2026-11-21 12:00:00+00", INVALID, FIELD_ANY},
	{"@at-2026-11-21 12:00:00+00", INVALID, FIELD_ANY},
	{"@atx 2026-11-21 12:00:00+00", INVALID, FIELD_ANY},
	{"@ at 2026-11-21 12:00:00+00", INVALID, FIELD_ANY},
	{"at 2026-11-21 12:00:00+00", INVALID, FIELD_ANY},
	{"@@at 2026-11-21 12:00:00+00", INVALID, FIELD_ANY},
	{"@at\xc2\xa0" "2026-11-21 12:00:00+00", INVALID, FIELD_ANY},	/* no-break space */
	{"@at", INVALID, FIELD_ANY},
	{"@AT", INVALID, FIELD_ANY},
	{"@at ", INVALID, FIELD_ANY},
	{"@at \t ", INVALID, FIELD_ANY},
	{"2026-11-21 12:00:00+00", INVALID, FIELD_ANY},
	/* garbage bytes and high-bit characters */
	{"\x01\x02\x03", INVALID, FIELD_ANY},
	{"\x7f", INVALID, FIELD_ANY},
	{"\x1b[31m0 3 * * *", INVALID, FIELD_ANY},
	{"0 3 * * *\x01", INVALID, FIELD_ANY},
	{"0 \xff * * *", INVALID, FIELD_ANY},
	{"0 3 * * *\xc3\xa9", INVALID, FIELD_ANY},
	{"\xe2\x80\x83" "0 3 * * *", INVALID, FIELD_ANY},	/* U+2003 em space */
	{"0\xc2\xa0" "3 * * *", INVALID, FIELD_ANY},	/* U+00A0 no-break space */
	{"\xc0\x80", INVALID, FIELD_ANY},
	{"0 0 * * m\xc3\xb6n", INVALID, FIELD_ANY},
	{"\xef\xbc\x90 3 * * *", INVALID, FIELD_ANY},	/* fullwidth digit zero */
	{"3\xe2\x80\x8b seconds", INVALID, FIELD_ANY},	/* zero-width space */
};

/* a parsed schedule's fields, as the bit sets in CronSchedule */
#define B(n)			(UINT64CONST(1) << (n))
#define ALL_MINUTES		(B(60) - 1)
#define ALL_HOURS		(B(24) - 1)
#define ALL_DOM			(B(32) - 2)
#define ALL_MONTHS		(B(13) - 2)
#define ALL_DOW			(B(7) - 1)

typedef struct BitCase
{
	const char *text;
	uint64		minutes;
	uint64		hours;
	uint64		dom;
	uint64		months;
	uint64		dow;
	bool		last_dom;
	bool		dom_star;
	bool		dow_star;
	bool		hour_star;
} BitCase;

/* exactly what some schedules mean, so a wrong parse cannot pass silently */
static const BitCase bit_cases[] = {
	{"* * * * *", ALL_MINUTES, ALL_HOURS, ALL_DOM, ALL_MONTHS, ALL_DOW, false, true, true, true},
	{"0 3 * * *", B(0), B(3), ALL_DOM, ALL_MONTHS, ALL_DOW, false, true, true, false},
	{"5,10-12,*/20 * * * *", B(0) | B(5) | B(10) | B(11) | B(12) | B(20) | B(40),
	ALL_HOURS, ALL_DOM, ALL_MONTHS, ALL_DOW, false, true, true, true},
	{"10-50/10 2-20/6 * * *", B(10) | B(20) | B(30) | B(40) | B(50), B(2) | B(8) | B(14) | B(20),
	ALL_DOM, ALL_MONTHS, ALL_DOW, false, true, true, false},
	{"*/15 * * * *", B(0) | B(15) | B(30) | B(45), ALL_HOURS, ALL_DOM, ALL_MONTHS, ALL_DOW,
	false, true, true, true},
	{"0 */2 * * *", B(0), 0x555555, ALL_DOM, ALL_MONTHS, ALL_DOW, false, true, true, true},
	{"0 0-23 * * *", B(0), ALL_HOURS, ALL_DOM, ALL_MONTHS, ALL_DOW, false, true, true, false},
	{"0 0 * * 7", B(0), B(0), ALL_DOM, ALL_MONTHS, B(0), false, true, false, false},
	{"0 0 * * 0,7", B(0), B(0), ALL_DOM, ALL_MONTHS, B(0), false, true, false, false},
	{"0 0 * * 5-7", B(0), B(0), ALL_DOM, ALL_MONTHS, B(5) | B(6) | B(0), false, true, false, false},
	{"0 0 * * MON-fri", B(0), B(0), ALL_DOM, ALL_MONTHS, B(1) | B(2) | B(3) | B(4) | B(5),
	false, true, false, false},
	{"0 0 1 jan-mar,DEC *", B(0), B(0), B(1), B(1) | B(2) | B(3) | B(12), ALL_DOW,
	false, false, true, false},
	{"0 12 * feb-apr sun", B(0), B(12), ALL_DOM, B(2) | B(3) | B(4), B(0), false, true, false, false},
	{"0 0 $ * *", B(0), B(0), 0, ALL_MONTHS, ALL_DOW, true, false, true, false},
	{"0 0 1,15,$ * *", B(0), B(0), B(1) | B(15), ALL_MONTHS, ALL_DOW, true, false, true, false},
	{"0 0 */2 * 1", B(0), B(0), 0xAAAAAAAA, ALL_MONTHS, B(1), false, true, false, false},
	{"0 0 13 * 5", B(0), B(0), B(13), ALL_MONTHS, B(5), false, false, false, false},
	{"@hourly", B(0), ALL_HOURS, ALL_DOM, ALL_MONTHS, ALL_DOW, false, true, true, true},
	{"@daily", B(0), B(0), ALL_DOM, ALL_MONTHS, ALL_DOW, false, true, true, false},
	{"@midnight", B(0), B(0), ALL_DOM, ALL_MONTHS, ALL_DOW, false, true, true, false},
	{"@weekly", B(0), B(0), ALL_DOM, ALL_MONTHS, B(0), false, true, false, false},
	{"@monthly", B(0), B(0), B(1), ALL_MONTHS, ALL_DOW, false, false, true, false},
	{"@yearly", B(0), B(0), B(1), B(1), ALL_DOW, false, false, true, false},
	{"@annually", B(0), B(0), B(1), B(1), ALL_DOW, false, false, true, false},
};

typedef struct IntervalCase
{
	const char *text;
	int			seconds;
} IntervalCase;

static const IntervalCase interval_cases[] = {
	{"1 second", 1}, {"1 seconds", 1}, {"2 seconds", 2}, {"59 seconds", 59},
	{" 30 sEcOnDs ", 30}, {"17  seconds ", 17}, {"5 SECONDS", 5},
};

/* exact slots for DST days and calendar corner cases (UTC wall times) */
typedef struct ExactCase
{
	const char *zone;
	const char *text;
	const char *after;			/* "YYYY-MM-DD HH:MM:SS" UTC, or "MIN"/"MAX" */
	const char *slots[8];		/* UTC, NULL-terminated */
	const char *why;
} ExactCase;

static const ExactCase exact_cases[] = {
	{"America/New_York", "0 3 * * *", "2026-11-20 00:00:00",
		{"2026-11-20 08:00:00", "2026-11-21 08:00:00", "2026-11-22 08:00:00"},
	"fixed time in winter"},
	{"America/New_York", "30 2 * * *", "2026-03-08 05:00:00",
		{"2026-03-08 07:00:00", "2026-03-09 06:30:00"},
	"02:30 does not exist on 2026-03-08: first instant after the gap (03:00 EDT), not 03:30"},
	{"America/New_York", "0 2 * * *", "2026-03-08 05:00:00",
		{"2026-03-08 07:00:00", "2026-03-09 06:00:00"},
	"02:00 does not exist either"},
	{"America/New_York", "0 2,3 * * *", "2026-03-08 05:00:00",
		{"2026-03-08 07:00:00", "2026-03-09 06:00:00", "2026-03-09 07:00:00"},
	"02:00 (skipped) and 03:00 are the same instant: one slot"},
	{"America/New_York", "30 1 * * *", "2026-11-01 04:00:00",
		{"2026-11-01 05:30:00", "2026-11-02 06:30:00"},
	"01:30 happens twice on 2026-11-01: the first (EDT) only"},
	{"America/New_York", "0 1 * * *", "2026-11-01 04:30:00",
		{"2026-11-01 05:00:00", "2026-11-02 06:00:00"},
	"01:00 happens twice: the first only"},
	{"America/New_York", "*/30 * * * *", "2026-11-01 04:59:59",
		{"2026-11-01 05:00:00", "2026-11-01 05:30:00", "2026-11-01 06:00:00",
		"2026-11-01 06:30:00", "2026-11-01 07:00:00"},
	"hour '*' follows real time: both copies of the repeated hour"},
	{"America/New_York", "0 * * * *", "2026-11-01 04:30:00",
		{"2026-11-01 05:00:00", "2026-11-01 06:00:00", "2026-11-01 07:00:00"},
	"hourly through fall back"},
	{"America/New_York", "30 2 * * *", "2100-03-13 12:00:00",
		{"2100-03-14 07:00:00", "2100-03-15 06:30:00"},
	"gap in 2100, past the transitions listed in the zone file"},
	{"America/New_York", "30 1 * * *", "2100-11-07 00:00:00",
		{"2100-11-07 05:30:00", "2100-11-08 06:30:00"},
	"fold in 2100, past the transitions listed in the zone file"},
	{"America/St_Johns", "0,30 * * * *", "2006-10-29 02:15:00",
		{"2006-10-29 02:30:00", "2006-10-29 03:00:00", "2006-10-29 03:30:00",
		"2006-10-29 04:00:00"},
	"fall back at 00:01 repeats 23:01-00:00 across midnight: Sunday 00:00 NDT comes before Saturday 23:30 NST"},
	{"America/St_Johns", "30 23 * * *", "2006-10-28 12:00:00",
		{"2006-10-29 02:00:00", "2006-10-30 03:00:00"},
	"fold across midnight, fixed time: the first 23:30 only"},
	{"America/St_Johns", "0 0 * * *", "2006-10-28 12:00:00",
		{"2006-10-29 02:30:00", "2006-10-30 03:30:00"},
	"fold across midnight, fixed time: the first 00:00 only"},
	{"America/New_York", "*/15 * * * *", "2026-03-08 06:30:00",
		{"2026-03-08 06:45:00", "2026-03-08 07:00:00", "2026-03-08 07:15:00"},
	"hour '*': no slots inside the gap"},
	{"Europe/Berlin", "30 2 * * *", "2026-03-28 12:00:00",
		{"2026-03-29 01:00:00", "2026-03-30 00:30:00"},
	"02:30 does not exist on 2026-03-29"},
	{"Europe/Berlin", "30 2 * * *", "2026-10-24 12:00:00",
		{"2026-10-25 00:30:00", "2026-10-26 01:30:00"},
	"02:30 happens twice on 2026-10-25: CEST only"},
	{"Europe/Berlin", "*/30 2 * * *", "2026-10-24 23:00:00",
		{"2026-10-25 00:00:00", "2026-10-25 00:30:00", "2026-10-26 01:00:00",
		"2026-10-26 01:30:00"},
	"fixed hour 2 through fall back: the repeated 02:00 and 02:30 CET do not fire"},
	{"Europe/Berlin", "0 * * * *", "2026-03-28 23:30:00",
		{"2026-03-29 00:00:00", "2026-03-29 01:00:00", "2026-03-29 02:00:00"},
	"hourly through spring forward"},
	{"Australia/Lord_Howe", "0 2 * * *", "2026-10-03 12:00:00",
		{"2026-10-03 15:30:00", "2026-10-04 15:00:00"},
	"30-minute gap: 02:00 does not exist, fires at 02:30 +11"},
	{"Australia/Lord_Howe", "*/15 1 * * *", "2026-04-04 13:00:00",
		{"2026-04-04 14:00:00", "2026-04-04 14:15:00", "2026-04-04 14:30:00",
		"2026-04-04 14:45:00", "2026-04-05 14:30:00"},
	"30-minute fold: 01:30 and 01:45 fire at +11 only"},
	{"Australia/Lord_Howe", "*/15 * * * *", "2026-04-04 14:20:00",
		{"2026-04-04 14:30:00", "2026-04-04 14:45:00", "2026-04-04 15:00:00",
		"2026-04-04 15:15:00", "2026-04-04 15:30:00"},
	"30-minute fold, real time: both copies of 01:30 and 01:45"},
	{"Australia/Lord_Howe", "30 * * * *", "2026-10-03 14:00:00",
		{"2026-10-03 15:00:00", "2026-10-03 15:30:00", "2026-10-03 16:30:00"},
	"30-minute gap, real time: 02:30 +11 exists"},
	{"Australia/Lord_Howe", "0 * * * *", "2026-10-03 14:00:00",
		{"2026-10-03 14:30:00", "2026-10-03 16:00:00", "2026-10-03 17:00:00"},
	"30-minute gap, real time: 02:00 does not exist"},
	{"America/Santiago", "30 23 * * *", "2026-04-04 12:00:00",
		{"2026-04-05 02:30:00", "2026-04-06 03:30:00"},
	"fall back at midnight repeats 23:00-23:59 of the day before: the first only"},
	{"America/Santiago", "30 0 * * *", "2026-09-05 00:00:00",
		{"2026-09-05 04:30:00", "2026-09-06 04:00:00", "2026-09-07 03:30:00"},
	"spring forward at midnight: 00:30 does not exist on 2026-09-06"},
	{"Pacific/Apia", "0 12 * * *", "2011-12-29 00:00:00",
		{"2011-12-29 22:00:00", "2011-12-30 10:00:00", "2011-12-30 22:00:00"},
	"2011-12-30 does not exist in Samoa: its 12:00 fires at the end of the gap"},
	{"UTC", "0 0 29 2 *", "2026-01-01 00:00:00",
		{"2028-02-29 00:00:00", "2032-02-29 00:00:00", "2036-02-29 00:00:00"},
	"leap days only"},
	{"UTC", "0 0 $ * *", "2026-02-01 00:00:00",
		{"2026-02-28 00:00:00", "2026-03-31 00:00:00", "2026-04-30 00:00:00"},
	"'$' is the last day of each month"},
	{"UTC", "0 0 $ 2 *", "2027-01-01 00:00:00",
		{"2027-02-28 00:00:00", "2028-02-29 00:00:00"},
	"'$' in February"},
	{"UTC", "0 0 13 * 5", "2026-02-01 00:00:00",
		{"2026-02-06 00:00:00", "2026-02-13 00:00:00", "2026-02-20 00:00:00",
		"2026-02-27 00:00:00", "2026-03-06 00:00:00", "2026-03-13 00:00:00"},
	"both day fields restricted: either matches"},
	{"UTC", "0 0 */2 * 1", "2026-01-01 00:00:00",
		{"2026-01-05 00:00:00", "2026-01-19 00:00:00", "2026-02-09 00:00:00",
		"2026-02-23 00:00:00", "2026-03-09 00:00:00"},
	"day of month starts with '*': both must match"},
	{"UTC", "0 0 * * 7", "2026-01-01 00:00:00",
		{"2026-01-04 00:00:00", "2026-01-11 00:00:00"},
	"7 is Sunday"},
	{"UTC", "7 seconds", "1970-01-01 00:00:00",
		{"1970-01-01 00:00:07", "1970-01-01 00:00:14"},
	"interval slots are multiples of N"},
	{"UTC", "7 seconds", "1969-12-31 23:59:59",
		{"1970-01-01 00:00:00", "1970-01-01 00:00:07"},
	"interval slots before the epoch"},
	{"UTC", "2 seconds", "2026-01-01 00:00:01",
		{"2026-01-01 00:00:02", "2026-01-01 00:00:04"},
	"interval slots strictly after"},
	{"America/New_York", "30 seconds", "2026-11-01 05:59:45",
		{"2026-11-01 06:00:00", "2026-11-01 06:00:30"},
	"interval slots ignore the zone"},
	{"UTC", "0 0 1 1 *", "MAX",
		{"10000-01-01 00:00:00"},
	"from the last instant in range"},
	{"UTC", "0 0 29 2 *", "MAX",
		{"10000-02-29 00:00:00"},
	"10000 is a leap year"},
	{"UTC", "0 0 1 1 *", "MIN",
		{"0002-01-01 00:00:00"},
	"from the first instant in range"},
	{"UTC", "* * * * *", "MIN",
		{"0001-01-01 00:01:00", "0001-01-01 00:02:00"},
	"from the first instant in range"},
	{"UTC", "@at 2026-11-21 12:00:00+00", "2026-11-21 11:59:59",
		{"2026-11-21 12:00:00"},
	"a one-off instant, one second before"},
	{"America/New_York", "@at 2026-03-08T07:00:00Z", "2026-01-01 00:00:00",
		{"2026-03-08 07:00:00"},
	"a one-off instant at New York's spring-forward transition: the zone does not matter"},
	{"America/New_York", "@at 2026-11-01 05:30:00+00:00", "2026-11-01 05:29:59",
		{"2026-11-01 05:30:00"},
	"a one-off instant inside New York's repeated hour"},
	{"Australia/Lord_Howe", "@at 2026-10-03 15:45:30+00", "2026-10-03 15:00:00",
		{"2026-10-03 15:45:30"},
	"a one-off instant of any second, in a 30-minute-DST zone"},
	{"Pacific/Apia", "@at 2011-12-30 10:00:00+00", "2011-12-29 00:00:00",
		{"2011-12-30 10:00:00"},
	"a one-off instant on the day Samoa skipped"},
	{"UTC", "@at 9999-12-31 23:59:59+00", "MAX-40d",
		{"9999-12-31 23:59:59"},
	"the last instant in range"},
	{"UTC", "@at 0001-01-01 00:00:01+00", "MIN",
		{"0001-01-01 00:00:01"},
	"from the first instant in range"},
};

/* starting instants for the sweep (UTC); DST days of the zones below */
static const char *const sweep_starts[] = {
	"2026-01-01 00:00:00",
	"2026-03-07 12:00:00",
	"2026-03-08 06:59:00",
	"2026-03-08 07:00:00",
	"2026-03-28 12:00:00",
	"2026-03-29 00:59:30",
	"2026-04-04 12:00:00",
	"2026-09-05 12:00:00",
	"2026-10-03 12:00:00",
	"2026-10-24 12:00:00",
	"2026-10-25 00:30:00",
	"2026-10-31 12:00:00",
	"2026-11-01 05:30:00",
	"2026-11-01 05:59:59",
	"2026-12-31 23:59:59",
	"1969-12-31 23:59:59",
	"1970-01-01 00:00:00",
	"2038-01-19 03:14:07",
	"2100-02-27 00:00:00",
	"2011-12-29 00:00:00",
	"1985-12-31 12:00:00",
	"1883-11-18 12:00:00",
	"1893-03-31 12:00:00",
	"2006-10-28 12:00:00",
	"2006-10-29 02:15:00",
	"MIN",
	"MAX-40d",
	"MAX",
};

/* --quick (valgrind): a subset of the above */
static const char *const quick_starts[] = {
	"2026-03-07 12:00:00",
	"2026-10-24 12:00:00",
	"2026-10-31 12:00:00",
	"MIN",
	"MAX",
};

static const char *const sweep_zones[] = {
	"UTC",
	"America/New_York",
	"Europe/Berlin",
	"Australia/Lord_Howe",
	/*
	 * Beyond the brief: DST at midnight, a skipped day, a 15-minute shift,
	 * a fold that straddles midnight (St_Johns 1987-2010 changed at 00:01)
	 */
	"America/Santiago",
	"Pacific/Apia",
	"Asia/Kathmandu",
	"America/St_Johns",
};

/* windows where the reference is checked against brute force */
typedef struct BruteWindow
{
	const char *zone;
	const char *around;			/* a transition, UTC */
} BruteWindow;

static const BruteWindow brute_windows[] = {
	{"America/New_York", "2026-03-08 07:00:00"},
	{"America/New_York", "2026-11-01 06:00:00"},
	{"Europe/Berlin", "2026-03-29 01:00:00"},
	{"Europe/Berlin", "2026-10-25 01:00:00"},
	{"Australia/Lord_Howe", "2026-04-04 15:00:00"},
	{"Australia/Lord_Howe", "2026-10-03 15:30:00"},
	{"America/Santiago", "2026-04-05 03:00:00"},
	{"America/Santiago", "2026-09-06 04:00:00"},
	{"Pacific/Apia", "2011-12-30 10:00:00"},
	{"Asia/Kathmandu", "1985-12-31 18:30:00"},
	{"America/St_Johns", "2006-04-02 03:31:00"},
	{"America/St_Johns", "2006-10-29 02:31:00"},
};

static bool verbose = false;
static long n_parsed;
static long n_slots;
static long n_sequences;
static long n_exact;
static long n_brute;

static void
usage_fail(const char *msg)
{
	fprintf(stderr, "check_schedule: %s\n", msg);
	exit(2);
}

/* "YYYY-MM-DD HH:MM:SS" (UTC), "MIN", "MAX", "MAX-40d" to Unix seconds */
static int64
parse_utc(const char *s)
{
	struct tm	tm;
	int			y,
				mo,
				d,
				h,
				mi,
				se;
	time_t		t;

	if (strcmp(s, "MIN") == 0)
		return CRON_MIN_INSTANT;
	if (strcmp(s, "MAX") == 0)
		return CRON_MAX_INSTANT;
	if (strcmp(s, "MAX-40d") == 0)
		return CRON_MAX_INSTANT - INT64CONST(40) * 86400;
	if (sscanf(s, "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &se) != 6)
	{
		fprintf(stderr, "check_schedule: bad instant literal \"%s\"\n", s);
		abort();
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	return (int64) t;
}

static void
select_zone(const char *zone)
{
	if (!tz_libc_select(zone))
	{
		fprintf(stderr, "check_schedule: time zone %s not found; is tzdata installed?\n", zone);
		exit(2);
	}
}

/* a heap copy of exactly strlen+1 bytes, so overreads are caught */
static char *
exact_copy(const char *text, size_t len)
{
	char	   *copy = malloc(len + 1);

	if (copy == NULL)
		abort();
	memcpy(copy, text, len);
	copy[len] = '\0';
	return copy;
}

/*
 * Parse text; check the outcome against expect and, for an error, its
 * report.  Parsing twice must give the same answer.  Returns whether the
 * text was accepted; *schedule is filled if so.
 */
static bool
parse_one(const char *text, size_t len, Expect expect, int field,
		  CronSchedule *schedule)
{
	char	   *copy = exact_copy(text, len);
	CronSchedule s1;
	CronSchedule s2;
	CronParseError e1;
	CronParseError e2;
	bool		ok1;
	bool		ok2;

	harness_set_context(copy, HARNESS_NO_INSTANT);
	ok1 = cron_parse_schedule(copy, &s1, &e1);
	ok2 = cron_parse_schedule(copy, &s2, &e2);
	n_parsed += 2;
	if (ok1 != ok2)
		harness_fail("parsing the same text twice gave different answers");

	if (ok1)
	{
		if (expect == INVALID)
			harness_fail("an invalid schedule was accepted");
		if (s1.kind != s2.kind || s1.minutes != s2.minutes || s1.hours != s2.hours ||
			s1.days_of_month != s2.days_of_month || s1.months != s2.months ||
			s1.days_of_week != s2.days_of_week || s1.last_dom != s2.last_dom ||
			s1.dom_star != s2.dom_star || s1.dow_star != s2.dow_star ||
			s1.hour_star != s2.hour_star || s1.interval_seconds != s2.interval_seconds ||
			s1.at != s2.at)
			harness_fail("parsing the same text twice gave different schedules");
		if (s1.kind == CRON_KIND_CRON)
		{
			/* every accepted cron schedule names at least one of everything */
			if ((s1.minutes & ~ALL_MINUTES) || (s1.hours & ~ALL_HOURS) ||
				(s1.days_of_month & ~ALL_DOM) || (s1.months & ~ALL_MONTHS) ||
				(s1.days_of_week & ~ALL_DOW))
				harness_fail("accepted schedule has bits outside the fields' ranges");
			if (!s1.minutes || !s1.hours || !s1.months || !s1.days_of_week ||
				(!s1.days_of_month && !s1.last_dom))
				harness_fail("accepted schedule has an empty field");
		}
		else if (s1.kind == CRON_KIND_INTERVAL)
		{
			if (s1.interval_seconds < 1 || s1.interval_seconds > 59)
				harness_fail("accepted interval of %d seconds", s1.interval_seconds);
		}
		else if (s1.kind == CRON_KIND_AT)
		{
			if (s1.at < CRON_MIN_INSTANT || s1.at > CRON_MAX_INSTANT)
				harness_fail("accepted one-off instant " INT64_FORMAT " outside years 1-9999",
							 s1.at);
		}
		else if (s1.kind != CRON_KIND_REBOOT)
			harness_fail("accepted schedule of unknown kind %d", (int) s1.kind);
		/* accepted as @at exactly when the reference reads it so, at its instant */
		check_at_parse(copy, true, &s1);
		*schedule = s1;
	}
	else
	{
		check_parse_error(copy, &e1);
		check_at_parse(copy, false, NULL);
		if (expect == VALID)
			harness_fail("a valid schedule was refused: %s: %s (%s)",
						 cron_field_name(e1.field), e1.detail, e1.value);
		if (expect == INVALID && field != FIELD_ANY && (int) e1.field != field)
			harness_fail("error blames the %s field, expected the %s field (detail: %s)",
						 cron_field_name(e1.field), cron_field_name((CronField) field),
						 e1.detail);
		if (e1.field != e2.field || strcmp(e1.detail, e2.detail) != 0)
			harness_fail("parsing the same text twice gave different errors");
	}
	if (verbose)
	{
		char		buf[512];

		format_text(copy, buf, sizeof(buf));
		printf("  parse '%s': %s%s%s\n", buf, ok1 ? "ok" : "error: ",
			   ok1 ? "" : cron_field_name(e1.field), ok1 ? "" : "");
	}
	free(copy);
	return ok1;
}

/* accepted schedules, for the sweep */
typedef struct Accepted
{
	const char *text;
	CronSchedule schedule;
} Accepted;

static Accepted accepted[lengthof(parse_cases)];
static int n_accepted;

static void
run_parse_corpus(void)
{
	int			i;
	char		buf[2048];
	static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec"};
	static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

	for (i = 0; i < (int) lengthof(parse_cases); i++)
	{
		const ParseCase *c = &parse_cases[i];
		CronSchedule s;

		if (parse_one(c->text, strlen(c->text), c->expect, c->field, &s))
		{
			accepted[n_accepted].text = c->text;
			accepted[n_accepted].schedule = s;
			n_accepted++;
		}
	}

	/* every name, in three spellings */
	for (i = 0; i < 12 + 7; i++)
	{
		int			form;

		for (form = 0; form < 3; form++)
		{
			char		name[4];
			const char *base = i < 12 ? months[i] : days[i - 12];
			CronSchedule s;
			int			k;

			for (k = 0; k < 3; k++)
				name[k] = (form == 1 || (form == 2 && k == 0)) ?
					(char) (base[k] - 'a' + 'A') : base[k];
			name[3] = '\0';
			if (i < 12)
				snprintf(buf, sizeof(buf), "0 0 1 %s *", name);
			else
				snprintf(buf, sizeof(buf), "0 0 * * %s", name);
			parse_one(buf, strlen(buf), VALID, FIELD_ANY, &s);
			if (i < 12 ? s.months != B(i + 1) : s.days_of_week != B(i - 12))
				harness_fail("name %s parsed to the wrong value", name);
		}
	}

	/* length limit: exactly CRON_SCHEDULE_MAX_LEN is allowed, one more is not */
	{
		static char big[200001];
		CronSchedule s;
		size_t		n;

		/* "000...0 3 * * *": a long but valid minute field */
		n = CRON_SCHEDULE_MAX_LEN;
		memset(big, '0', n - 8);
		memcpy(big + n - 8, " 3 * * *", 8);
		parse_one(big, n, EITHER, FIELD_ANY, &s);
		/* one byte more */
		memset(big, '0', n + 1 - 8);
		memcpy(big + n + 1 - 8, " 3 * * *", 8);
		parse_one(big, n + 1, INVALID, FIELD_ANY, &s);
		/* a long list, just over the limit */
		n = 0;
		while (n < CRON_SCHEDULE_MAX_LEN + 50)
			n += snprintf(big + n, sizeof(big) - n, "%d,", (int) (n % 60));
		memcpy(big + n - 1, " * * * *", 9);
		parse_one(big, strlen(big), INVALID, FIELD_ANY, &s);
		/* very long texts of various kinds */
		memset(big, '*', 200000);
		parse_one(big, 200000, INVALID, FIELD_ANY, &s);
		memset(big, ' ', 200000);
		parse_one(big, 200000, INVALID, FIELD_ANY, &s);
		for (n = 0; n < 200000; n++)
			big[n] = (char) (0x80 | (n * 37 % 128));
		parse_one(big, 200000, INVALID, FIELD_ANY, &s);
		/* 5 fields, each very long */
		for (n = 0; n < 200000; n++)
			big[n] = (n % 40000 == 39999) ? ' ' : '1';
		parse_one(big, 199999, INVALID, FIELD_ANY, &s);
	}

	/* every single byte, and every byte in each position of a valid text */
	{
		int			b;
		CronSchedule s;

		for (b = 1; b < 256; b++)
		{
			char		one[2] = {(char) b, '\0'};
			char		in[16];
			int			pos;

			parse_one(one, 1, INVALID, FIELD_ANY, &s);
			for (pos = 0; pos < 9; pos++)
			{
				memcpy(in, "0 3 * * *", 10);
				in[pos] = (char) b;
				parse_one(in, 9, EITHER, FIELD_ANY, &s);
			}
		}
	}

	/* what some schedules mean, bit by bit */
	for (i = 0; i < (int) lengthof(bit_cases); i++)
	{
		const BitCase *c = &bit_cases[i];
		CronSchedule s;

		parse_one(c->text, strlen(c->text), VALID, FIELD_ANY, &s);
		harness_set_context(c->text, HARNESS_NO_INSTANT);
		if (s.kind != CRON_KIND_CRON)
			harness_fail("not parsed as a cron schedule");
		if (s.minutes != c->minutes)
			harness_fail("minutes: got %llx, expected %llx",
						 (unsigned long long) s.minutes, (unsigned long long) c->minutes);
		if (s.hours != c->hours)
			harness_fail("hours: got %llx, expected %llx",
						 (unsigned long long) s.hours, (unsigned long long) c->hours);
		if (s.days_of_month != c->dom)
			harness_fail("days of month: got %llx, expected %llx",
						 (unsigned long long) s.days_of_month, (unsigned long long) c->dom);
		if (s.months != c->months)
			harness_fail("months: got %llx, expected %llx",
						 (unsigned long long) s.months, (unsigned long long) c->months);
		if (s.days_of_week != c->dow)
			harness_fail("days of week: got %llx, expected %llx",
						 (unsigned long long) s.days_of_week, (unsigned long long) c->dow);
		if (s.last_dom != c->last_dom || s.dom_star != c->dom_star ||
			s.dow_star != c->dow_star || s.hour_star != c->hour_star)
			harness_fail("flags last_dom/dom_star/dow_star/hour_star: got %d%d%d%d, expected %d%d%d%d",
						 s.last_dom, s.dom_star, s.dow_star, s.hour_star,
						 c->last_dom, c->dom_star, c->dow_star, c->hour_star);
	}
	for (i = 0; i < (int) lengthof(interval_cases); i++)
	{
		CronSchedule s;

		parse_one(interval_cases[i].text, strlen(interval_cases[i].text), VALID,
				  FIELD_ANY, &s);
		harness_set_context(interval_cases[i].text, HARNESS_NO_INSTANT);
		if (s.kind != CRON_KIND_INTERVAL || s.interval_seconds != interval_cases[i].seconds)
			harness_fail("expected an interval of %d seconds, got kind %d, %d seconds",
						 interval_cases[i].seconds, (int) s.kind, s.interval_seconds);
	}
	{
		CronSchedule s;

		parse_one("@reboot", 7, VALID, FIELD_ANY, &s);
		harness_set_context("@reboot", HARNESS_NO_INSTANT);
		if (s.kind != CRON_KIND_REBOOT)
			harness_fail("@reboot parsed as kind %d", (int) s.kind);
	}
	printf("parse corpus: %d listed cases, %d accepted; %ld parses in all\n",
		   (int) lengthof(parse_cases), n_accepted, n_parsed);
}

/* ---- one-off (@at) schedules ---------------------------------------------- */

#define DAY		INT64CONST(86400)

static long n_at_parsed;
static long n_at_probes;

/* instants worked out by hand (and with Python's calendar), not by timegm */
typedef struct AtCase
{
	const char *text;
	int64		at;
} AtCase;

static const AtCase at_cases[] = {
	{"@at 1970-01-01 00:00:00+00", INT64CONST(0)},
	{"@at 1969-12-31 23:59:59Z", INT64CONST(-1)},
	{"@at 2038-01-19T03:14:08+00:00", INT64CONST(2147483648)},
	{"@at 0001-01-01 00:00:00+00", INT64CONST(-62135596800)},
	{"@at 9999-12-31 23:59:59+00", INT64CONST(253402300799)},
	{"@AT 2000-02-29 12:00:00+00", INT64CONST(951825600)},
	{"@at 2024-02-29T23:59:59Z", INT64CONST(1709251199)},
	{"@at 1600-03-01 00:00:00+00", INT64CONST(-11670912000)},
	{"@at 0004-02-29 00:00:00+00", INT64CONST(-62035891200)},
	{"@at 2100-03-01 00:00:00+00", INT64CONST(4107542400)},
	{"@At\t2026-11-21 12:00:00+00", INT64CONST(1795262400)},
};

/* a deterministic generator (splitmix64), so a failure can be replayed */
static uint64 rng_state = UINT64CONST(0x5eed2026112112);

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

static bool
gregorian_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * '@at' text for the date and time fields, in a spelling picked by style:
 * the word's case, the whitespace after it, ' ' or 'T', the three ways of
 * writing UTC, whitespace around the whole.  %04d, so years 0 and 10000
 * come out as "0000" and "10000".
 */
static void
at_text(char *buf, size_t len, int y, int mo, int d, int h, int mi, int se,
		uint64 style)
{
	static const char *const words[] = {"@at", "@AT", "@At", "@aT"};
	static const char *const gaps[] = {" ", " ", " ", "  ", "\t", " \t\n "};
	static const char *const utc[] = {"+00", "+00:00", "Z"};
	static const char *const pads[] = {"", "", "", " ", "\n", "\t "};

	snprintf(buf, len, "%s%s%s%04d-%02d-%02d%c%02d:%02d:%02d%s%s",
			 pads[style % lengthof(pads)],
			 words[(style / 8) % lengthof(words)],
			 gaps[(style / 64) % lengthof(gaps)],
			 y, mo, d, (style / 512) % 2 ? 'T' : ' ', h, mi, se,
			 utc[(style / 1024) % lengthof(utc)],
			 pads[(style / 4096) % lengthof(pads)]);
}

/* at_text for the UTC fields of instant t */
static void
at_text_of(char *buf, size_t len, int64 t, uint64 style)
{
	time_t		tt = (time_t) t;
	struct tm	tm;

	if (gmtime_r(&tt, &tm) == NULL)
		abort();
	at_text(buf, len, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec, style);
}

/* zones that a one-off schedule must ignore, beyond tz_libc's current one */
static int32
fixed_offset_at(const CronTz *tz, int64 t)
{
	return *(const int32 *) tz->arg;
}

static bool
fixed_next_change(const CronTz *tz, int64 t, int64 *change)
{
	return false;
}

/* +14:00 and -12:00 on alternate hours: a change every hour */
static int32
flapping_offset_at(const CronTz *tz, int64 t)
{
	return floor_mod64(floor_div64(t, 3600), 2) ? 14 * 3600 : -12 * 3600;
}

static bool
flapping_next_change(const CronTz *tz, int64 t, int64 *change)
{
	*change = (floor_div64(t, 3600) + 1) * 3600;
	return true;
}

static const int32 plus_14 = 14 * 3600;
static const int32 minus_12 = -12 * 3600;
static const int32 plus_0545 = 5 * 3600 + 45 * 60;
static const CronTz at_zones[] = {
	{fixed_offset_at, fixed_next_change, &plus_14},
	{fixed_offset_at, fixed_next_change, &minus_12},
	{fixed_offset_at, fixed_next_change, &plus_0545},
	{flapping_offset_at, flapping_next_change, NULL},
};
static const char *const at_zone_names[] = {
	"fixed +14:00", "fixed -12:00", "fixed +05:45", "+14:00/-12:00 flapping hourly",
};

/*
 * cron_next_slot of a one-off schedule whose instant is at, from starting
 * points around it (a day before, two and one seconds before, at it, a
 * second and a day after, the ends of the range), in the current tz_libc
 * zone and in at_zones: the instant if it is strictly after the starting
 * point, else none.
 */
static void
check_at_probes(const char *text, const CronSchedule *s, int64 at)
{
	const int64 afters[] = {at - DAY, at - 2, at - 1, at, at + 1, at + DAY,
	CRON_MIN_INSTANT, CRON_MAX_INSTANT};
	int			z;
	int			i;

	for (z = -1; z < (int) lengthof(at_zones); z++)
	{
		const CronTz *tz = z < 0 ? tz_libc_provider() : &at_zones[z];

		for (i = 0; i < (int) lengthof(afters); i++)
		{
			int64		after = afters[i];
			int64		slot = 0;
			bool		ok;
			char		a[128];
			char		b[128];

			if (after < CRON_MIN_INSTANT || after > CRON_MAX_INSTANT)
				continue;
			harness_set_context(text, after);
			ok = cron_next_slot(s, tz, after, &slot);
			n_at_probes++;
			if (ok != (at > after) || (ok && slot != at))
			{
				format_utc(after, a, sizeof(a));
				format_utc(at, b, sizeof(b));
				harness_fail("one-off slot after %s UTC (zone %s): got %s [" INT64_FORMAT
							 "], expected %s (the instant is %s UTC [" INT64_FORMAT "])",
							 a, z < 0 ? tz_libc_current() : at_zone_names[z],
							 ok ? "a slot" : "none", ok ? slot : (int64) 0,
							 at > after ? "the instant" : "none", b, at);
			}
		}
	}
}

/* parse an @at text that must be accepted; its instant */
static int64
at_of(const char *text, CronSchedule *s)
{
	parse_one(text, strlen(text), VALID, FIELD_ANY, s);
	n_at_parsed++;
	harness_set_context(text, HARNESS_NO_INSTANT);
	if (s->kind != CRON_KIND_AT)
		harness_fail("an @at text parsed as kind %d", (int) s->kind);
	return s->at;
}

/* the instant t: its text in some spelling must parse to it and slot at it */
static void
check_at_instant(int64 t, uint64 style, bool probes)
{
	char		text[96];
	CronSchedule s;

	at_text_of(text, sizeof(text), t, style);
	if (at_of(text, &s) != t)
	{
		char		b[64];

		format_utc(t, b, sizeof(b));
		harness_set_context(text, HARNESS_NO_INSTANT);
		harness_fail("@at instant: got " INT64_FORMAT ", expected %s UTC [" INT64_FORMAT "]",
					 s.at, b, t);
	}
	if (probes)
		check_at_probes(text, &s, t);
}

static void
run_at_cases(bool quick)
{
	int			i;
	int			y;
	int			nrandom = quick ? 300 : 20000;
	int64		prev_jan1 = 0;
	char		text[96];
	char		text2[96];
	CronSchedule s;

	select_zone("Australia/Lord_Howe");

	/* instants worked out by hand */
	for (i = 0; i < (int) lengthof(at_cases); i++)
	{
		int64		got = at_of(at_cases[i].text, &s);

		if (got != at_cases[i].at)
			harness_fail("@at instant: got " INT64_FORMAT ", expected " INT64_FORMAT,
						 got, at_cases[i].at);
		check_at_probes(at_cases[i].text, &s, got);
	}

	/*
	 * Every year: the leap day exactly in leap years, the days around it,
	 * and the year boundary.  Successive years' first instants are 365 or
	 * 366 days apart; with 1970-01-01 = 0 above, that pins every year
	 * without any calendar library.
	 */
	for (y = 1; y <= 9999; y++)
	{
		bool		leap = gregorian_leap(y);
		int64		feb28;
		int64		mar1;
		int64		jan1;
		int64		dec31;
		bool		ok;
		uint64		style = rng_next();

		at_text(text, sizeof(text), y, 2, 28, 12, 0, 0, style);
		feb28 = at_of(text, &s);
		at_text(text, sizeof(text), y, 3, 1, 12, 0, 0, style);
		mar1 = at_of(text, &s);
		if (mar1 - feb28 != (leap ? 2 : 1) * DAY)
			harness_fail("year %04d: from Feb 28 to Mar 1 is " INT64_FORMAT " s, expected %d days",
						 y, mar1 - feb28, leap ? 2 : 1);
		at_text(text, sizeof(text), y, 2, 29, 12, 0, 0, style);
		ok = parse_one(text, strlen(text), leap ? VALID : INVALID, FIELD_ANY, &s);
		n_at_parsed++;
		if (ok && s.at != feb28 + DAY)
			harness_fail("year %04d: Feb 29 is not the day after Feb 28", y);
		if (ok && (!quick || y % 97 == 0 || y >= 9996))
			check_at_probes(text, &s, s.at);

		at_text(text, sizeof(text), y, 1, 1, 0, 0, 0, style);
		jan1 = at_of(text, &s);
		at_text(text, sizeof(text), y, 12, 31, 23, 59, 59, style);
		dec31 = at_of(text, &s);
		if (dec31 - jan1 != (leap ? 366 : 365) * DAY - 1)
			harness_fail("year %04d: from its first to its last second is " INT64_FORMAT " s",
						 y, dec31 - jan1);
		if (y > 1 && jan1 - prev_jan1 != (gregorian_leap(y - 1) ? 366 : 365) * DAY)
			harness_fail("year %04d starts " INT64_FORMAT " s after year %04d",
						 y, jan1 - prev_jan1, y - 1);
		prev_jan1 = jan1;
		if (y == 1 && jan1 != CRON_MIN_INSTANT)
			harness_fail("0001-01-01 00:00:00 is not CRON_MIN_INSTANT");
		if (y == 9999 && dec31 != CRON_MAX_INSTANT)
			harness_fail("9999-12-31 23:59:59 is not CRON_MAX_INSTANT");
	}

	/*
	 * Random instants across the whole range, and the same time of day the
	 * day before and after, each in a random spelling; every fourth one on
	 * a leap day, a month's or a year's edge.
	 */
	for (i = 0; i < nrandom; i++)
	{
		int64		t;

		if (i % 4 == 3)
		{
			static const int edges[][6] = {
				{2, 29, 0, 0, 0}, {2, 29, 23, 59, 59}, {2, 28, 23, 59, 59},
				{3, 1, 0, 0, 0}, {12, 31, 23, 59, 59}, {1, 1, 0, 0, 0},
				{4, 30, 23, 59, 59}, {6, 30, 12, 0, 0},
			};
			const int  *e = edges[rng_between(0, lengthof(edges) - 1)];
			int			yy = (int) rng_between(1, 9999);
			struct tm	tm;

			if (e[0] == 2 && e[1] == 29)
				while (!gregorian_leap(yy))
					yy = (int) rng_between(1, 9999);
			memset(&tm, 0, sizeof(tm));
			tm.tm_year = yy - 1900;
			tm.tm_mon = e[0] - 1;
			tm.tm_mday = e[1];
			tm.tm_hour = e[2];
			tm.tm_min = e[3];
			tm.tm_sec = e[4];
			t = (int64) timegm(&tm);
		}
		else
			t = rng_between(CRON_MIN_INSTANT, CRON_MAX_INSTANT);
		check_at_instant(t, rng_next(), true);
		if (t - DAY >= CRON_MIN_INSTANT)
			check_at_instant(t - DAY, rng_next(), true);
		if (t + DAY <= CRON_MAX_INSTANT)
			check_at_instant(t + DAY, rng_next(), true);
	}

	/*
	 * Random fields, often out of range: the text must be accepted exactly
	 * when they make a real date and time of years 1-9999 (checked against
	 * the reference too, so that it is fit to judge), and then as the
	 * reference's instant (parse_one compares).
	 */
	for (i = 0; i < nrandom; i++)
	{
		int			yy = (int) (rng_next() % 8 ? rng_between(1, 9999) : rng_between(0, 10000));
		int			mo = (int) (rng_next() % 8 ? rng_between(1, 12) : rng_between(0, 13));
		int			d = (int) rng_between(0, 32);
		int			h = (int) (rng_next() % 8 ? rng_between(0, 23) : rng_between(0, 24));
		int			mi = (int) (rng_next() % 8 ? rng_between(0, 59) : rng_between(0, 60));
		int			se = (int) (rng_next() % 8 ? rng_between(0, 59) : rng_between(0, 60));
		static const int dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		bool		valid;
		int64		ref_at = 0;
		bool		ok;

		valid = yy >= 1 && yy <= 9999 && mo >= 1 && mo <= 12 && d >= 1 &&
			d <= dim[mo] + (mo == 2 && gregorian_leap(yy)) &&
			h <= 23 && mi <= 59 && se <= 59;
		at_text(text, sizeof(text), yy, mo, d, h, mi, se, rng_next());
		if ((ref_at_parse(text, &ref_at) == REF_AT_VALID) != valid)
		{
			harness_set_context(text, HARNESS_NO_INSTANT);
			harness_fail("HARNESS BUG: the reference calls this %s", valid ? "invalid" : "valid");
		}
		ok = parse_one(text, strlen(text), valid ? VALID : INVALID, FIELD_ANY, &s);
		n_at_parsed++;
		if (ok && rng_next() % 4 == 0)
			check_at_probes(text, &s, ref_at);
	}

	/*
	 * Every byte in each position of an @at text, and every prefix of it:
	 * parse_one holds each answer against the reference.
	 */
	{
		const char *base = "@at 2024-02-29T23:59:59+00:00";
		size_t		len = strlen(base);
		size_t		pos;
		int			b;

		for (pos = 0; pos < len; pos++)
		{
			for (b = 1; b < 256; b++)
			{
				if (quick && b % 5 != 0 && !(b >= '0' && b <= '9'))
					continue;
				memcpy(text2, base, len + 1);
				text2[pos] = (char) b;
				parse_one(text2, len, EITHER, FIELD_ANY, &s);
				n_at_parsed++;
			}
			memcpy(text2, base, pos);
			text2[pos] = '\0';
			parse_one(text2, pos, pos < 4 ? INVALID : EITHER, FIELD_ANY, &s);
			n_at_parsed++;
		}
	}

	printf("one-off (@at) schedules: %ld parses, %ld slot probes in %d zones\n",
		   n_at_parsed, n_at_probes, 1 + (int) lengthof(at_zones));
}

static void
run_exact_cases(void)
{
	int			i;

	for (i = 0; i < (int) lengthof(exact_cases); i++)
	{
		const ExactCase *c = &exact_cases[i];
		CronSchedule s;
		int64		prev = parse_utc(c->after);
		int			k;

		select_zone(c->zone);
		parse_one(c->text, strlen(c->text), VALID, FIELD_ANY, &s);
		harness_set_context(c->text, prev);
		for (k = 0; k < (int) lengthof(c->slots) && c->slots[k]; k++)
		{
			int64		expect = parse_utc(c->slots[k]);
			int64		got = 0;
			int64		ref = 0;
			char		a[128];
			char		b[128];

			if (!cron_next_slot(&s, tz_libc_provider(), prev, &got))
			{
				format_instant(expect, b, sizeof(b));
				harness_fail("exact case (%s): slot #%d: no slot, expected %s",
							 c->why, k + 1, b);
			}
			if (got != expect)
			{
				format_instant(got, a, sizeof(a));
				format_instant(expect, b, sizeof(b));
				harness_fail("exact case (%s): slot #%d:\n  got      %s\n  expected %s",
							 c->why, k + 1, a, b);
			}
			/* the reference must agree too, or it is not fit to judge */
			if (!ref_next_slot(c->text, &s, prev, &ref) || ref != expect)
			{
				format_instant(ref, a, sizeof(a));
				format_instant(expect, b, sizeof(b));
				harness_fail("HARNESS BUG: reference disagrees with exact case (%s): slot #%d:\n"
							 "  reference %s\n  expected  %s", c->why, k + 1, a, b);
			}
			prev = got;
			n_exact++;
		}
		/* and the invariants over a longer run from the same start */
		n_slots += check_slots(c->text, &s, parse_utc(c->after), 20, true);
		n_sequences++;
	}
	printf("exact expectations: %d cases, %ld slots\n", (int) lengthof(exact_cases), n_exact);
}

/*
 * Check the reference itself, and next_run.c, against a brute force that
 * looks at every minute of three days around each transition.
 */
static void
run_brute_force(bool quick)
{
	int			w;

	for (w = 0; w < (int) lengthof(brute_windows); w++)
	{
		int64		center = parse_utc(brute_windows[w].around);
		int64		from = center - INT64CONST(36) * 3600;
		int64		to = center + INT64CONST(36) * 3600;
		int			i;

		if (quick && w >= 4)
			break;
		select_zone(brute_windows[w].zone);
		for (i = 0; i < n_accepted; i++)
		{
			const CronSchedule *s = &accepted[i].schedule;
			int64		brute[4400];
			int			n;
			int			k;
			int64		prev;

			if (s->kind != CRON_KIND_CRON)
				continue;
			n = brute_force_slots(s, from, to, brute, lengthof(brute));
			if (n > (int) lengthof(brute))
				harness_fail("brute force: too many slots");
			harness_set_context(accepted[i].text, from);

			/* the reference must list exactly the brute-force slots */
			prev = from;
			for (k = 0; k <= n; k++)
			{
				int64		ref;
				int64		impl;
				bool		ref_ok = ref_next_slot(accepted[i].text, s, prev, &ref);
				bool		impl_ok = cron_next_slot(s, tz_libc_provider(), prev, &impl);
				char		a[128];
				char		b[128];
				char		c[128];

				if (k == n)
				{
					/* past the window: both must be beyond it */
					if ((ref_ok && ref <= to) || (impl_ok && impl <= to))
					{
						format_instant(ref, a, sizeof(a));
						format_instant(impl, b, sizeof(b));
						harness_fail("brute force window: extra slot after the last brute-force one:\n"
									 "  reference %s\n  next_run  %s", a, b);
					}
					break;
				}
				format_instant(brute[k], c, sizeof(c));
				if (!ref_ok || ref != brute[k])
				{
					format_instant(ref, a, sizeof(a));
					harness_fail("HARNESS BUG: reference disagrees with brute force, slot #%d:\n"
								 "  reference   %s\n  brute force %s", k + 1, a, c);
				}
				if (!impl_ok || impl != brute[k])
				{
					format_instant(impl, b, sizeof(b));
					harness_fail("slot #%d (brute-force window):\n  got      %s\n  expected %s",
								 k + 1, impl_ok ? b : "(none)", c);
				}
				prev = brute[k];
				n_brute++;
			}
		}
	}
	printf("brute-force windows: %d, %ld slots agree (reference and next_run.c)\n",
		   quick ? 4 : (int) lengthof(brute_windows), n_brute);
}

static void
run_sweep(bool quick, int nslots)
{
	int			z;
	int			nzones = quick ? 4 : (int) lengthof(sweep_zones);
	const char *const *starts = quick ? quick_starts : sweep_starts;
	int			nstarts = quick ? (int) lengthof(quick_starts) : (int) lengthof(sweep_starts);

	for (z = 0; z < nzones; z++)
	{
		int			i;
		long		before = n_slots;

		select_zone(sweep_zones[z]);
		for (i = 0; i < n_accepted; i++)
		{
			int			j;

			for (j = 0; j < nstarts; j++)
			{
				n_slots += check_slots(accepted[i].text, &accepted[i].schedule,
									   parse_utc(starts[j]), nslots, true);
				n_sequences++;
			}
		}
		if (verbose)
			printf("  zone %s: %ld slots\n", sweep_zones[z], n_slots - before);
	}
	printf("sweep: %d zones x %d schedules x %d starting points, %d slots each: %ld slots checked\n",
		   nzones, n_accepted, nstarts, nslots, n_slots);
}

int
main(int argc, char **argv)
{
	bool		quick = false;
	int			nslots = 50;
	int			i;
	struct timespec t0;
	struct timespec t1;

	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strncmp(argv[i], "--slots=", 8) == 0)
			nslots = atoi(argv[i] + 8);
		else if (strcmp(argv[i], "--verbose") == 0)
			verbose = true;
		else
			usage_fail("usage: check_schedule [--quick] [--slots=N] [--verbose]");
	}
	if (nslots < 1)
		usage_fail("--slots must be at least 1");
	if (quick && nslots == 50)
		nslots = 10;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_parse_corpus();
	run_at_cases(quick);
	run_exact_cases();
	run_brute_force(quick);
	run_sweep(quick, nslots);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	printf("check_schedule: OK: %ld parses, %ld exact slots, %ld brute-force slots, "
		   "%ld sequences / %ld slots checked against the reference, %ld localtime probes, %.1f s\n",
		   n_parsed, n_exact, n_brute, n_sequences, n_slots, tz_libc_probes(),
		   (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	tz_libc_release();
	return 0;
}
