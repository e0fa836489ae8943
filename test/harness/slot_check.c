/*-------------------------------------------------------------------------
 *
 * slot_check.c
 *	  Invariant checks and a reference implementation for slot arithmetic,
 *	  shared by check_schedule.c and fuzz_schedule.c.
 *
 * Owns: the rules a sequence of slots must obey, and ref_next_slot, an
 * independent restatement of DESIGN.md's time-zone rules that the slots
 * from next_run.c are compared with:
 *
 *	- hour field starting with '*': the job follows real time and fires at
 *	  every instant whose local wall time matches (both copies of a
 *	  repeated hour, nothing inside a gap);
 *	- otherwise each matching wall time fires once: at its only instant,
 *	  at the first of two (fall back), or at the first instant after the
 *	  gap when it does not exist (spring forward);
 *	- a one-off schedule ('@at YYYY-MM-DD HH:MM:SS+00') fires once, at its
 *	  instant in UTC, whatever the zone.  Its reference reads the instant
 *	  from the schedule's text (ref_at_parse: its own scan, timegm and a
 *	  gmtime_r round trip for the calendar), never from the parsed
 *	  CronSchedule, so the parser's arithmetic is checked too.
 *
 * It is deliberately written differently from next_run.c: the calendar
 * comes from gmtime_r instead of day arithmetic, and zone offsets from
 * localtime_r via tz_libc.  And it is itself checked against a brute
 * force (brute_force_slots) on DST days by check_schedule.
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include <ctype.h>
#include <time.h>

#include "slot_check.h"
#include "tz_libc.h"

#define DAY		INT64CONST(86400)

static const char *ctx_text = NULL;
static int64 ctx_after = 0;
static bool ctx_set = false;

int64
floor_div64(int64 a, int64 b)
{
	int64		q = a / b;

	if ((a % b) != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int64
floor_mod64(int64 a, int64 b)
{
	int64		r = a % b;

	return r < 0 ? r + b : r;
}

void
harness_set_context(const char *schedule_text, int64 after)
{
	ctx_text = schedule_text;
	ctx_after = after;
	ctx_set = true;
}

void
format_text(const char *text, char *buf, size_t len)
{
	size_t		n = 0;
	size_t		i;
	size_t		total = strlen(text);

	Assert(len > 40);
	for (i = 0; i < total && n + 8 < len; i++)
	{
		unsigned char c = (unsigned char) text[i];

		if (i >= 160)
		{
			n += snprintf(buf + n, len - n, "...(%zu bytes)", total);
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = (char) c;
		else
			n += snprintf(buf + n, len - n, "\\x%02x", c);
	}
	buf[Min(n, len - 1)] = '\0';
}

/* broken-down UTC time of any instant in our range; aborts if glibc can't */
static void
utc_tm(int64 t, struct tm *tm)
{
	time_t		tt = (time_t) t;

	if (gmtime_r(&tt, tm) == NULL)
	{
		fprintf(stderr, "harness: gmtime_r failed for " INT64_FORMAT "\n", t);
		abort();
	}
}

void
format_utc(int64 t, char *buf, size_t len)
{
	struct tm	tm;

	utc_tm(t, &tm);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void
format_instant(int64 t, char *buf, size_t len)
{
	char		utc[48];
	char		local[48];
	int32		off = tz_libc_offset_at(t);
	int32		aoff = off < 0 ? -off : off;

	format_utc(t, utc, sizeof(utc));
	format_utc(t + off, local, sizeof(local));
	if (aoff % 60)
		snprintf(buf, len, "%s UTC (local %s %c%02d:%02d:%02d) [" INT64_FORMAT "]",
				 utc, local, off < 0 ? '-' : '+',
				 aoff / 3600, (aoff / 60) % 60, aoff % 60, t);
	else
		snprintf(buf, len, "%s UTC (local %s %c%02d:%02d) [" INT64_FORMAT "]",
				 utc, local, off < 0 ? '-' : '+',
				 aoff / 3600, (aoff / 60) % 60, t);
}

void
harness_fail(const char *fmt,...)
{
	va_list		args;

	fflush(stdout);
	fprintf(stderr, "\nVIOLATION: ");
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fprintf(stderr, "\n");
	if (ctx_set)
	{
		char		text[512];
		char		after[128];

		format_text(ctx_text ? ctx_text : "(null)", text, sizeof(text));
		fprintf(stderr, "  schedule: '%s'\n", text);
		if (ctx_after != HARNESS_NO_INSTANT)
		{
			format_instant(ctx_after, after, sizeof(after));
			fprintf(stderr, "  zone:     %s\n  after:    %s\n",
					tz_libc_current(), after);
		}
	}
	fflush(stderr);
	abort();
}

/* the day rule, with the Vixie cron either/both choice */
static bool
date_matches(const CronSchedule *s, int month, int mday, int wday, bool last_day)
{
	bool		dom_ok;
	bool		dow_ok;

	if (!(s->months & (1 << month)))
		return false;
	dom_ok = (s->days_of_month & ((uint32) 1 << mday)) != 0 ||
		(s->last_dom && last_day);
	dow_ok = (s->days_of_week & (1 << wday)) != 0;
	if (s->dom_star || s->dow_star)
		return dom_ok && dow_ok;
	return dom_ok || dow_ok;
}

/* does the local date that starts at local second day*DAY match? */
static bool
local_date_matches(const CronSchedule *s, int64 day)
{
	struct tm	tm;
	struct tm	next;

	utc_tm(day * DAY, &tm);
	utc_tm((day + 1) * DAY, &next);
	return date_matches(s, tm.tm_mon + 1, tm.tm_mday, tm.tm_wday,
						next.tm_mday == 1);
}

/* does local wall time W (seconds on the local clock) match all fields? */
static bool
wall_matches(const CronSchedule *s, int64 wall)
{
	struct tm	tm;

	if (floor_mod64(wall, 60) != 0)
		return false;
	utc_tm(wall, &tm);
	if (!(s->minutes & (UINT64CONST(1) << tm.tm_min)))
		return false;
	if (!(s->hours & ((uint32) 1 << tm.tm_hour)))
		return false;
	return local_date_matches(s, floor_div64(wall, DAY));
}

/* a stretch of constant offset: [start, next segment's start) */
typedef struct RefSegment
{
	int64		start;
	int32		offset;
} RefSegment;

#define REF_MAX_SEGMENTS 64

/*
 * The zone's offsets over [from, to]; the first segment also stands for
 * everything before from and the last for everything after.
 */
static int
load_segments(int64 from, int64 to, RefSegment *seg)
{
	int64		changes[REF_MAX_SEGMENTS];
	int			n;
	int			i;

	n = tz_libc_changes_between(from, to, changes, REF_MAX_SEGMENTS - 1);
	if (n > REF_MAX_SEGMENTS - 1)
		harness_fail("reference: more than %d zone changes within 5 days", n);
	seg[0].start = from;
	seg[0].offset = tz_libc_offset_at(from);
	for (i = 0; i < n; i++)
	{
		seg[i + 1].start = changes[i];
		seg[i + 1].offset = tz_libc_offset_at(changes[i]);
	}
	return n + 1;
}

/*
 * The slot instants for local wall time W under the rules in the header.
 * Returns how many (real time: 0, 1 or 2; fixed: always 1).
 */
static int
ref_wall_instants(const RefSegment *seg, int nseg, int64 wall, bool real_time,
				  int64 *out)
{
	int			n = 0;
	int			i;

	for (i = 0; i < nseg; i++)
	{
		int64		t = wall - seg[i].offset;

		if (i > 0 && t < seg[i].start)
			continue;
		if (i + 1 < nseg && t >= seg[i + 1].start)
			continue;
		out[n++] = t;
	}
	if (real_time)
		return n;
	if (n > 0)
	{
		int64		first = out[0];

		for (i = 1; i < n; i++)
			first = Min(first, out[i]);
		out[0] = first;
		return 1;
	}
	/* a wall time that does not exist: the transition that skipped it */
	for (i = 1; i < nseg; i++)
	{
		int64		c = seg[i].start;

		if (wall >= c + seg[i - 1].offset && wall < c + seg[i].offset)
		{
			out[0] = c;
			return 1;
		}
	}
	harness_fail("reference: wall time " INT64_FORMAT " neither exists nor falls in a gap",
				 wall);
}

/*
 * A local date walked one day at a time.  The walk uses its own month
 * lengths and is checked against gmtime_r on every date that matters.
 */
typedef struct RefDate
{
	int64		day;			/* days since 1970-01-01 */
	int			year;
	int			month;			/* 1-12 */
	int			mday;
	int			wday;			/* 0 = Sunday */
} RefDate;

static int
ref_month_length(int year, int month)
{
	static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return len[month - 1];
}

static void
ref_date_set(RefDate *d, int64 day)
{
	struct tm	tm;

	utc_tm(day * DAY, &tm);
	d->day = day;
	d->year = tm.tm_year + 1900;
	d->month = tm.tm_mon + 1;
	d->mday = tm.tm_mday;
	d->wday = tm.tm_wday;
}

static void
ref_date_next(RefDate *d)
{
	d->day++;
	d->wday = (d->wday + 1) % 7;
	if (++d->mday > ref_month_length(d->year, d->month))
	{
		d->mday = 1;
		if (++d->month > 12)
		{
			d->month = 1;
			d->year++;
		}
	}
}

/* C-locale whitespace, the set the schedule language calls whitespace */
static bool
ref_space(char c)
{
	return isspace((unsigned char) c) != 0;
}

/* the n decimal digits at p (already known to be digits) */
static int
ref_number(const char *p, int n)
{
	char		buf[8];

	Assert(n < (int) sizeof(buf));
	memcpy(buf, p, n);
	buf[n] = '\0';
	return (int) strtol(buf, NULL, 10);
}

RefAtVerdict
ref_at_parse(const char *text, int64 *at)
{
	/* 'd' is a digit, 'S' the date/time separator, others themselves */
	static const char layout[] = "dddd-dd-ddSdd:dd:dd";
	const int	layout_len = (int) sizeof(layout) - 1;
	const char *p = text;
	const char *end = text + strlen(text);
	RefAtVerdict verdict = REF_AT_VALID;
	size_t		suffix_len;
	const char *suffix;
	struct tm	tm;
	struct tm	back;
	time_t		t;
	int			i;

	while (p < end && ref_space(*p))
		p++;
	while (end > p && ref_space(end[-1]))
		end--;
	if (end - p < 4 || p[0] != '@' || tolower((unsigned char) p[1]) != 'a' ||
		tolower((unsigned char) p[2]) != 't' || !ref_space(p[3]))
		return REF_AT_NOT_AT;
	for (p += 3; p < end && ref_space(*p); p++)
		;

	/* the date and time: fixed widths, nothing else */
	if (end - p < layout_len)
		return REF_AT_INVALID;
	for (i = 0; i < layout_len; i++)
	{
		if (layout[i] == 'd')
		{
			if (!isdigit((unsigned char) p[i]))
				return REF_AT_INVALID;
		}
		else if (layout[i] == 'S')
		{
			if (p[i] == 't')
				verdict = REF_AT_EITHER;
			else if (p[i] != ' ' && p[i] != 'T')
				return REF_AT_INVALID;
		}
		else if (p[i] != layout[i])
			return REF_AT_INVALID;
	}

	/* UTC, in one of three spellings (a few more are left open) */
	suffix = p + layout_len;
	suffix_len = end - suffix;
#define SUFFIX_IS(str) (suffix_len == strlen(str) && memcmp(suffix, str, suffix_len) == 0)
	if (SUFFIX_IS("z") || SUFFIX_IS("+0000") || SUFFIX_IS("-00") ||
		SUFFIX_IS("-0000") || SUFFIX_IS("-00:00"))
		verdict = REF_AT_EITHER;
	else if (!(SUFFIX_IS("+00") || SUFFIX_IS("+00:00") || SUFFIX_IS("Z")))
		return REF_AT_INVALID;
#undef SUFFIX_IS

	/* a real date and time: timegm normalizes, gmtime_r tells */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = ref_number(p, 4) - 1900;
	tm.tm_mon = ref_number(p + 5, 2) - 1;
	tm.tm_mday = ref_number(p + 8, 2);
	tm.tm_hour = ref_number(p + 11, 2);
	tm.tm_min = ref_number(p + 14, 2);
	tm.tm_sec = ref_number(p + 17, 2);
	if (tm.tm_year + 1900 < 1)
		return REF_AT_INVALID;
	back = tm;
	t = timegm(&back);
	utc_tm((int64) t, &back);
	if (back.tm_year != tm.tm_year || back.tm_mon != tm.tm_mon ||
		back.tm_mday != tm.tm_mday || back.tm_hour != tm.tm_hour ||
		back.tm_min != tm.tm_min || back.tm_sec != tm.tm_sec)
		return REF_AT_INVALID;
	*at = (int64) t;
	return verdict;
}

void
check_at_parse(const char *text, bool accepted, const CronSchedule *schedule)
{
	int64		at = 0;
	RefAtVerdict verdict = ref_at_parse(text, &at);
	char		a[128];
	char		b[128];

	/* the parser refuses every text over its length limit */
	if (strlen(text) > CRON_SCHEDULE_MAX_LEN && verdict == REF_AT_VALID)
		verdict = REF_AT_INVALID;

	harness_set_context(text, HARNESS_NO_INSTANT);
	if (accepted && schedule->kind == CRON_KIND_AT)
	{
		if (verdict == REF_AT_NOT_AT)
			harness_fail("accepted as a one-off (@at) schedule, but the text does not start with "
						 "'@at' and whitespace (the guard trigger's test '^\\s*@at\\s' would miss it)");
		if (verdict == REF_AT_INVALID)
			harness_fail("an invalid @at schedule was accepted (as instant " INT64_FORMAT ")",
						 schedule->at);
		if (schedule->at != at)
		{
			format_utc(schedule->at, a, sizeof(a));
			format_utc(at, b, sizeof(b));
			harness_fail("@at instant:\n  got      %s UTC [" INT64_FORMAT "]\n"
						 "  expected %s UTC [" INT64_FORMAT "]", a, schedule->at, b, at);
		}
	}
	else if (accepted)
	{
		if (verdict != REF_AT_NOT_AT)
			harness_fail("an @at text was accepted as a schedule of kind %d", (int) schedule->kind);
	}
	else if (verdict == REF_AT_VALID)
	{
		format_utc(at, b, sizeof(b));
		harness_fail("a valid @at schedule (%s UTC) was refused", b);
	}
}

bool
ref_next_slot(const char *text, const CronSchedule *s, int64 after, int64 *slot)
{
	int64		first_day;
	RefDate		date;
	bool		found = false;
	int64		best = 0;

	if (s->kind == CRON_KIND_REBOOT)
		return false;
	if (s->kind == CRON_KIND_AT)
	{
		int64		at = 0;
		RefAtVerdict verdict = ref_at_parse(text, &at);

		if (verdict != REF_AT_VALID && verdict != REF_AT_EITHER)
			harness_fail("a schedule of kind @at whose text the reference does not read as "
						 "a one-off schedule (verdict %d)", (int) verdict);
		if (at <= after)
			return false;
		*slot = at;
		return true;
	}
	if (s->kind == CRON_KIND_INTERVAL)
	{
		int64		n = s->interval_seconds;

		*slot = after - floor_mod64(after, n) + n;
		return true;
	}

	/*
	 * Instants that show local date d lie within a day of d's midnight read
	 * as UTC (offsets stay below 24 hours), so starting two dates early and
	 * stopping two dates after the best so far is safe.
	 */
	first_day = floor_div64(after + tz_libc_offset_at(after), DAY) - 2;
	for (ref_date_set(&date, first_day);
		 date.day <= first_day + CRON_SEARCH_DAYS + 8;
		 ref_date_next(&date))
	{
		RefSegment	seg[REF_MAX_SEGMENTS];
		int			nseg;
		int			hour;
		int			i;
		int32		min_off;
		int32		max_off;
		struct tm	check;

		if (found && (date.day - 2) * DAY > best)
			break;
		if (!date_matches(s, date.month, date.mday, date.wday,
						  date.mday == ref_month_length(date.year, date.month)))
			continue;

		utc_tm(date.day * DAY, &check);
		if (check.tm_year + 1900 != date.year || check.tm_mon + 1 != date.month ||
			check.tm_mday != date.mday || check.tm_wday != date.wday)
			harness_fail("HARNESS BUG: reference calendar walk is off at day " INT64_FORMAT,
						 date.day);

		nseg = load_segments(date.day * DAY - 2 * DAY, date.day * DAY + 3 * DAY, seg);
		min_off = max_off = seg[0].offset;
		for (i = 1; i < nseg; i++)
		{
			min_off = Min(min_off, seg[i].offset);
			max_off = Max(max_off, seg[i].offset);
		}
		for (hour = 0; hour < 24; hour++)
		{
			int64		hour_wall = date.day * DAY + hour * 3600;
			int			minute;

			if (!(s->hours & ((uint32) 1 << hour)))
				continue;
			/* every instant for this hour lies in [wall - max_off, wall + 3599 - min_off] */
			if (hour_wall + 3599 - min_off <= after)
				continue;
			if (found && hour_wall - max_off > best)
				continue;
			for (minute = 0; minute < 60; minute++)
			{
				int64		inst[REF_MAX_SEGMENTS];
				int			n;

				if (!(s->minutes & (UINT64CONST(1) << minute)))
					continue;
				n = ref_wall_instants(seg, nseg, hour_wall + minute * 60,
									  s->hour_star, inst);
				for (i = 0; i < n; i++)
					if (inst[i] > after && (!found || inst[i] < best))
					{
						best = inst[i];
						found = true;
					}
			}
		}
	}
	if (found)
		*slot = best;
	return found;
}

/*
 * Does wall time W also show at an instant before t?  (The fixed-time rule
 * fires only at the first.)  offsets[] holds every offset in force around
 * t, as probed by brute_force_slots.
 */
static bool
shown_earlier(int64 t, int64 wall, const int32 *offsets, int noffsets)
{
	int			i;

	for (i = 0; i < noffsets; i++)
	{
		int64		t2 = wall - offsets[i];

		if (t2 < t && tz_libc_offset_at(t2) == offsets[i])
			return true;
	}
	return false;
}

int
brute_force_slots(const CronSchedule *s, int64 from, int64 to, int64 *out, int max)
{
	int32		offsets[64];
	int			noffsets = 0;
	int64		t;
	int			n = 0;

	if (s->kind != CRON_KIND_CRON)
		return 0;

	/* every offset in force from a day before the window to its end */
	for (t = from - INT64CONST(26) * 3600; t <= to + 1800; t += 1800)
	{
		int32		o = tz_libc_offset_at(t);
		int			i;

		for (i = 0; i < noffsets; i++)
			if (offsets[i] == o)
				break;
		if (i == noffsets && noffsets < (int) lengthof(offsets))
			offsets[noffsets++] = o;
	}

	for (t = from - floor_mod64(from, 60) + 60; t <= to; t += 60)
	{
		int32		off = tz_libc_offset_at(t);
		int32		off_before = tz_libc_offset_at(t - 1);
		int64		wall = t + off;
		bool		is_slot = false;

		if (off % 60 != 0)
			harness_fail("brute force used where the UTC offset (%d s) is not whole minutes", off);

		if (wall_matches(s, wall))
			is_slot = s->hour_star || !shown_earlier(t, wall, offsets, noffsets);
		if (!is_slot && !s->hour_star && off > off_before)
		{
			/* t ends a gap: does a matching wall time fall inside it? */
			int64		w;

			for (w = t + off_before; w < wall; w += 60)
				if (wall_matches(s, w))
				{
					is_slot = true;
					break;
				}
		}
		if (is_slot)
		{
			if (n < max)
				out[n] = t;
			n++;
		}
	}
	return n;
}

/* is t an instant at which the zone's offset changes? */
static bool
is_offset_change(int64 t)
{
	return tz_libc_offset_at(t) != tz_libc_offset_at(t - 1);
}

/* harness_fail for slot #k, with the previous instant and the slot rendered */
static void
fail_slot(int k, int64 prev, int64 slot, const char *what)
{
	char		a[128];
	char		b[128];

	format_instant(prev, a, sizeof(a));
	format_instant(slot, b, sizeof(b));
	harness_fail("slot #%d: %s\n  previous %s\n  slot     %s", k, what, a, b);
}

int
check_slots(const char *text, const CronSchedule *s, int64 after, int nslots,
			bool with_reference)
{
	const CronTz *tz = tz_libc_provider();
	int64		prev = after;
	int			k;

	harness_set_context(text, after);
	for (k = 1; k <= nslots; k++)
	{
		int64		slot = 0;
		bool		ok;

		/* next_run.c answers only for starting points in range */
		if (prev < CRON_MIN_INSTANT || prev > CRON_MAX_INSTANT)
			break;

		ok = cron_next_slot(s, tz, prev, &slot);
		if (s->kind == CRON_KIND_REBOOT)
		{
			if (ok)
				fail_slot(k, prev, slot, "@reboot has no slots in time, but cron_next_slot returned one");
			return 0;
		}
		if (!ok && s->kind == CRON_KIND_AT)
		{
			/* a one-off schedule has no slot once its instant is past */
			int64		expect;

			if (with_reference && ref_next_slot(text, s, prev, &expect))
			{
				char		a[128];
				char		c[128];

				format_instant(prev, a, sizeof(a));
				format_instant(expect, c, sizeof(c));
				harness_fail("slot #%d: cron_next_slot found no slot after %s for a one-off schedule;\n"
							 "  expected %s", k, a, c);
			}
			return k - 1;
		}
		if (!ok)
		{
			char		a[128];

			format_instant(prev, a, sizeof(a));
			harness_fail("slot #%d: cron_next_slot found no slot after %s for an accepted schedule "
						 "(every accepted schedule must fire within CRON_SEARCH_DAYS)", k, a);
		}
		if (slot <= prev)
			fail_slot(k, prev, slot, "not strictly after the previous instant");

		if (s->kind == CRON_KIND_INTERVAL)
		{
			int64		n = s->interval_seconds;

			if (floor_mod64(slot, n) != 0)
				fail_slot(k, prev, slot, "interval slot is not a multiple of the interval");
			if (slot - prev > n)
				fail_slot(k, prev, slot, "interval slot skips a multiple of the interval");
		}
		else if (s->kind == CRON_KIND_AT)
		{
			/* any whole second; but only one of them */
			if (k > 1)
				fail_slot(k, prev, slot, "a one-off (@at) schedule returned a second slot");
		}
		else
		{
			/*
			 * A cron slot is a whole minute on the local clock, hence a
			 * whole UTC minute wherever the offset is whole minutes (every
			 * zone since local mean time).  The one exception is the end
			 * of a DST gap, where a fixed-time job fires at the transition.
			 */
			if (floor_mod64(slot + tz_libc_offset_at(slot), 60) != 0 &&
				!(!s->hour_star && is_offset_change(slot)))
				fail_slot(k, prev, slot, "cron slot is not a whole minute");
		}

		if (with_reference)
		{
			int64		expect;

			if (!ref_next_slot(text, s, prev, &expect))
				fail_slot(k, prev, slot, "next_run.c returned this slot; the reference finds none");
			if (expect != slot)
			{
				char		a[128];
				char		b[128];
				char		c[128];

				format_instant(prev, a, sizeof(a));
				format_instant(slot, b, sizeof(b));
				format_instant(expect, c, sizeof(c));
				harness_fail("slot #%d after %s:\n  got      %s\n  expected %s",
							 k, a, b, c);
			}
		}
		prev = slot;
	}
	return k - 1;
}

void
check_parse_error(const char *text, const CronParseError *error)
{
	harness_set_context(text, HARNESS_NO_INSTANT);
	if (memchr(error->value, '\0', sizeof(error->value)) == NULL)
		harness_fail("parse error: value is not NUL-terminated");
	if (memchr(error->detail, '\0', sizeof(error->detail)) == NULL)
		harness_fail("parse error: detail is not NUL-terminated");
	if (memchr(error->hint, '\0', sizeof(error->hint)) == NULL)
		harness_fail("parse error: hint is not NUL-terminated");
	if (error->detail[0] == '\0')
		harness_fail("parse error with an empty detail");
	if ((int) error->field < (int) CRON_FIELD_MINUTE ||
		(int) error->field > (int) CRON_FIELD_NONE)
		harness_fail("parse error with unknown field %d", (int) error->field);
	if (cron_field_name(error->field) == NULL)
		harness_fail("cron_field_name(%d) is NULL", (int) error->field);
}
