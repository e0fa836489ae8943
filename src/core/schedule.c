/*-------------------------------------------------------------------------
 *
 * schedule.c
 *	  Parse a schedule string into a CronSchedule.
 *
 * The language is pg_cron's: five fields "minute hour day-of-month month
 * day-of-week" with lists, ranges, steps and names; '$' for the last day of
 * the month; the macros @hourly .. @annually and @reboot (@restart); and interval
 * schedules of 1 to 59 seconds, with pg_cron's leniency about spacing, case
 * and the plural.  Every way a schedule can be wrong is reported with the
 * field, the value and a hint, and so is a schedule that can never fire:
 * accepting one would make every later search for its next slot run to its
 * bound and find nothing.
 *
 * This file is pure C on top of c.h (no palloc, no ereport), so it is
 * exercised directly by the sanitizer and fuzzing harness in test/harness.
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include <stdarg.h>

#include "schedule.h"

/* static description of one of the five fields */
typedef struct FieldSpec
{
	CronField	field;
	int			low;			/* smallest value that may be written */
	int			high;			/* largest value that may be written */
	int			star_high;		/* largest value '*' stands for */
	const char *const *names;	/* names for low.. (NULL: none) */
	int			name_base;		/* value of names[0] */
	const char *unit;			/* plural noun for messages */
} FieldSpec;

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec", NULL
};

static const char *const dow_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const FieldSpec field_specs[] = {
	{CRON_FIELD_MINUTE, 0, 59, 59, NULL, 0, "minutes"},
	{CRON_FIELD_HOUR, 0, 23, 23, NULL, 0, "hours"},
	{CRON_FIELD_DOM, 1, 31, 31, NULL, 0, "days of the month"},
	{CRON_FIELD_MONTH, 1, 12, 12, month_names, 1, "months"},
	/* 7 may be written for Sunday; '*' means 0-6 */
	{CRON_FIELD_DOW, 0, 7, 6, dow_names, 0, "days of the week"},
};

/* the macros and the 5-field expressions they stand for */
static const struct
{
	const char *name;
	const char *expansion;
}			macros[] = {
	{"@yearly", "0 0 1 1 *"},
	{"@annually", "0 0 1 1 *"},
	{"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"},
	{"@daily", "0 0 * * *"},
	{"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

/* days in each month of a leap year: the most a day-of-month can reach */
static const int max_days_in_month[13] = {
	0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
};

/* days in a month of the proleptic Gregorian calendar */
int
cron_days_in_month(int year, int month)
{
	bool		leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (month == 2 && !leap)
		return 28;
	return max_days_in_month[month];
}

/* days since 1970-01-01 of a proleptic Gregorian date */
static int64
days_from_civil(int year, int month, int day)
{
	int64		y = year - (month <= 2 ? 1 : 0);
	int64		era = (y >= 0 ? y : y - 399) / 400;
	int64		yoe = y - era * 400;
	int64		doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	int64		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

const char *
cron_field_name(CronField field)
{
	switch (field)
	{
		case CRON_FIELD_MINUTE:
			return "minute";
		case CRON_FIELD_HOUR:
			return "hour";
		case CRON_FIELD_DOM:
			return "day of month";
		case CRON_FIELD_MONTH:
			return "month";
		case CRON_FIELD_DOW:
			return "day of week";
		case CRON_FIELD_SECONDS:
			return "seconds";
		case CRON_FIELD_NONE:
			break;
	}
	return "schedule";
}

/* ASCII-only classification: schedules are parsed the same in every locale */
static inline bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\v' || c == '\f';
}

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline char
to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

/* case-insensitive comparison of len bytes of s with the lower-case word */
static bool
word_equals(const char *s, size_t len, const char *word)
{
	size_t		i;

	if (strlen(word) != len)
		return false;
	for (i = 0; i < len; i++)
		if (to_lower(s[i]) != word[i])
			return false;
	return true;
}

/*
 * Fill in an error.  The offending value is copied with anything but
 * printable ASCII replaced, so that a truncated multibyte character or a
 * control byte never reaches an error message.
 */
static bool
set_error(CronParseError *error, CronField field, const char *value,
		  size_t value_len, const char *hint, const char *detail_fmt,...)
{
	va_list		args;
	size_t		i;
	size_t		n = Min(value_len, sizeof(error->value) - 1);

	error->field = field;
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) value[i];

		error->value[i] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
	}
	error->value[n] = '\0';

	va_start(args, detail_fmt);
	vsnprintf(error->detail, sizeof(error->detail), detail_fmt, args);
	va_end(args);
	strlcpy(error->hint, hint, sizeof(error->hint));
	return false;
}

/*
 * Read a number or a name at s[*pos] for the given field.  On success the
 * value is in *value and *pos is advanced past it.
 */
static bool
parse_value(const FieldSpec *spec, const char *s, size_t len, size_t *pos,
			int *value, CronParseError *error)
{
	size_t		start = *pos;
	size_t		end = start;

	if (end < len && is_digit(s[end]))
	{
		long		v = 0;

		while (end < len && is_digit(s[end]))
		{
			/* clamp instead of overflowing; anything this big is refused */
			if (v < 100000)
				v = v * 10 + (s[end] - '0');
			end++;
		}
		if (v < spec->low || v > spec->high)
			return set_error(error, spec->field, s + start, end - start,
							 "Check the field order: minute hour day-of-month month day-of-week.",
							 "%.*s is out of range: %s go from %d to %d.",
							 (int) Min(end - start, 12), s + start,
							 spec->unit, spec->low, spec->high);
		*value = (int) v;
		*pos = end;
		return true;
	}

	if (end < len && is_alpha(s[end]))
	{
		int			i;

		while (end < len && is_alpha(s[end]))
			end++;
		/* the L (last) of other cron dialects: cronext spells it '$' */
		if (end - start == 1 && (s[start] == 'L' || s[start] == 'l'))
			return set_error(error, spec->field, s + start, 1,
							 spec->field == CRON_FIELD_DOM ?
							 "Write '$' for the last day of the month, e.g. '0 0 $ * *'." :
							 "'$' (the last day of the month) is the only \"last\" cronext knows, in the day of month field.",
							 "'L' is not part of cronext's schedules.");
		if (spec->names == NULL)
			return set_error(error, spec->field, s + start, end - start,
							 "Names are allowed only for months (jan-dec) and days of the week (sun-sat).",
							 "The %s field takes numbers, not names.",
							 cron_field_name(spec->field));
		for (i = 0; spec->names[i] != NULL; i++)
		{
			if (word_equals(s + start, end - start, spec->names[i]))
			{
				*value = spec->name_base + i;
				*pos = end;
				return true;
			}
		}
		return set_error(error, spec->field, s + start, end - start,
						 spec->names == month_names ?
						 "Month names are jan, feb, mar, apr, may, jun, jul, aug, sep, oct, nov, dec." :
						 "Day names are sun, mon, tue, wed, thu, fri, sat.",
						 "Unknown name in the %s field.",
						 cron_field_name(spec->field));
	}

	if (start >= len)
		return set_error(error, spec->field, s, len,
						 "Write a number after '-' or '/', e.g. 1-5 or */10.",
						 "The %s field ends where a value is expected.",
						 cron_field_name(spec->field));
	return set_error(error, spec->field, s + start, 1,
					 "A field is a list of values, ranges (a-b) and steps (*/n, a-b/n), separated by commas.",
					 "Unexpected character in the %s field.",
					 cron_field_name(spec->field));
}

/*
 * Parse one element of a field's list: '*', '$', a value, or a range, each
 * optionally followed by a step.  Sets the matching bits in *bits.
 */
static bool
parse_element(const FieldSpec *spec, const char *s, size_t len,
			  uint64 *bits, bool *last_dom, CronParseError *error)
{
	size_t		pos = 0;
	int			first;
	int			last;
	int			step = 1;
	bool		open_ended = false;
	int			v;

	Assert(len > 0);

	if (s[0] == '$')
	{
		if (spec->field != CRON_FIELD_DOM)
			return set_error(error, spec->field, s, len,
							 "'$' means the last day of the month and is allowed only in the day of month field.",
							 "'$' is not allowed in the %s field.",
							 cron_field_name(spec->field));
		if (len != 1)
			return set_error(error, spec->field, s, len,
							 "Write '$' on its own, e.g. '0 0 $ * *' or '0 0 1,15,$ * *'.",
							 "'$' cannot be part of a range or take a step.");
		*last_dom = true;
		return true;
	}

	if (s[0] == '*')
	{
		first = spec->low;
		last = spec->star_high;
		pos = 1;
	}
	else
	{
		if (!parse_value(spec, s, len, &pos, &first, error))
			return false;
		last = first;
		if (pos < len && s[pos] == '-')
		{
			pos++;
			if (!parse_value(spec, s, len, &pos, &last, error))
				return false;
			if (first > last)
				return set_error(error, spec->field, s, len,
								 "Write the smaller value first; for a range that wraps around, use a list, e.g. 22-23,0-2.",
								 "The range %d-%d is reversed.", first, last);
		}
		else
			open_ended = true;
	}

	if (pos < len && s[pos] == '/')
	{
		long		st = 0;
		size_t		start = ++pos;

		while (pos < len && is_digit(s[pos]))
		{
			if (st < 100000)
				st = st * 10 + (s[pos] - '0');
			pos++;
		}
		if (pos == start)
			return set_error(error, spec->field, s, len,
							 "Write a step as a number after '/', e.g. */15.",
							 "The step in the %s field is missing.",
							 cron_field_name(spec->field));
		if (st == 0)
			return set_error(error, spec->field, s, len,
							 "A step must be at least 1, e.g. */15.",
							 "A step of zero never advances.");
		/*
		 * A step above the field's largest value never repeats: a step of
		 * 60 in the minute field is minute 0 alone.  pg_cron refuses these
		 * too (the same bound); say what was probably meant.  The digits are
		 * quoted as written, since st stops counting at 100000.
		 */
		if (st > spec->high)
			return set_error(error, spec->field, s, len,
							 "A step must be smaller than its field, e.g. */15 in the minute field; for once an hour write 0 in the minute field, for once a day 0 in the hour field.",
							 "The step %.*s never repeats in the %d %s of the field.",
							 (int) Min(pos - start, 20), s + start,
							 spec->star_high - spec->low + 1, spec->unit);
		step = (int) st;
		/* "5/15" means from 5 to the end of the field, every 15 */
		if (open_ended && s[0] != '*')
			last = spec->star_high;
	}

	if (pos != len)
		return set_error(error, spec->field, s + pos, len - pos,
						 "A field is a list of values, ranges (a-b) and steps (*/n, a-b/n), separated by commas.",
						 "Unexpected text in the %s field.",
						 cron_field_name(spec->field));

	for (v = first; v <= last; v += step)
		*bits |= UINT64CONST(1) << v;
	return true;
}

/* parse one whole field: a comma-separated list of elements */
static bool
parse_field(const FieldSpec *spec, const char *s, size_t len,
			uint64 *bits, bool *last_dom, bool *star, CronParseError *error)
{
	size_t		start = 0;

	*bits = 0;
	*star = (len > 0 && s[0] == '*');
	for (;;)
	{
		size_t		end = start;

		while (end < len && s[end] != ',')
			end++;
		if (end == start)
			return set_error(error, spec->field, s, len,
							 "Separate values with single commas, e.g. 1,15,30.",
							 "The %s field has an empty list element.",
							 cron_field_name(spec->field));
		if (!parse_element(spec, s + start, end - start, bits, last_dom, error))
			return false;
		if (end >= len)
			break;
		start = end + 1;
	}
	return true;
}

/* a day-of-month set that cannot occur in any of the months is an error */
static bool
day_of_month_possible(const CronSchedule *schedule)
{
	int			month;

	if (schedule->last_dom)
		return true;
	for (month = 1; month <= 12; month++)
	{
		uint32		possible;

		if (!(schedule->months & (1 << month)))
			continue;
		/* bits 1..max_days_in_month[month] */
		possible = (uint32) ((UINT64CONST(1) << (max_days_in_month[month] + 1)) - 2);
		if (schedule->days_of_month & possible)
			return true;
	}
	return false;
}

/* parse a 5-field expression (also the expansion of a macro) */
static bool
parse_cron_fields(const char *s, size_t len, CronSchedule *schedule,
				  CronParseError *error)
{
	size_t		starts[5];
	size_t		lens[5];
	int			nfields = 0;
	size_t		pos = 0;
	int			i;

	while (pos < len)
	{
		size_t		start;

		while (pos < len && is_space(s[pos]))
			pos++;
		if (pos >= len)
			break;
		start = pos;
		while (pos < len && !is_space(s[pos]))
			pos++;
		if (nfields < 5)
		{
			starts[nfields] = start;
			lens[nfields] = pos - start;
		}
		nfields++;
	}

	if (nfields != 5)
		return set_error(error, CRON_FIELD_NONE, s, len,
						 "A cron schedule has five fields, minute hour day-of-month month day-of-week, e.g. '0 3 * * *'; an interval schedule is written '[1-59] seconds'.",
						 "The schedule has %d field%s; 5 are expected.",
						 nfields, nfields == 1 ? "" : "s");

	for (i = 0; i < 5; i++)
	{
		const FieldSpec *spec = &field_specs[i];
		uint64		bits;
		bool		star;

		if (!parse_field(spec, s + starts[i], lens[i], &bits,
						 &schedule->last_dom, &star, error))
			return false;

		switch (spec->field)
		{
			case CRON_FIELD_MINUTE:
				schedule->minutes = bits;
				break;
			case CRON_FIELD_HOUR:
				schedule->hours = (uint32) bits;
				schedule->hour_star = star;
				break;
			case CRON_FIELD_DOM:
				schedule->days_of_month = (uint32) bits;
				schedule->dom_star = star;
				break;
			case CRON_FIELD_MONTH:
				schedule->months = (uint16) bits;
				break;
			case CRON_FIELD_DOW:
				/* 7 is another name for Sunday */
				if (bits & (UINT64CONST(1) << 7))
					bits = (bits & ~(UINT64CONST(1) << 7)) | 1;
				schedule->days_of_week = (uint8) bits;
				schedule->dow_star = star;
				break;
			default:
				Assert(false);
		}
	}

	/*
	 * When both day fields are restricted, either may match (Vixie cron), so
	 * the day of week alone makes the schedule fire.  Otherwise the day of
	 * month must be able to occur in one of the months.
	 */
	if ((schedule->dom_star || schedule->dow_star) &&
		!day_of_month_possible(schedule))
		return set_error(error, CRON_FIELD_NONE, s, len,
						 "Check the day of month and month fields; use '$' for the last day of a month.",
						 "The schedule can never fire: none of its days of the month occurs in its months.");

	schedule->kind = CRON_KIND_CRON;
	return true;
}

/*
 * Try the interval form "<n> second(s)".  Returns true if the text has that
 * shape (then *ok says whether it is valid), false if it is something else
 * and should be parsed as a cron expression.
 */
static bool
parse_interval(const char *s, size_t len, CronSchedule *schedule,
			   CronParseError *error, bool *ok)
{
	size_t		pos = 0;
	size_t		num_start;
	size_t		num_len;
	size_t		unit_start;
	size_t		unit_len;
	long		n = 0;

	if (len == 0 || !is_digit(s[0]))
		return false;
	while (pos < len && is_digit(s[pos]))
	{
		if (n < 100000)
			n = n * 10 + (s[pos] - '0');
		pos++;
	}
	num_start = 0;
	num_len = pos;
	while (pos < len && is_space(s[pos]))
		pos++;
	unit_start = pos;
	while (pos < len && is_alpha(s[pos]))
		pos++;
	unit_len = pos - unit_start;
	if (unit_len == 0 || pos != len)
		return false;

	if (!word_equals(s + unit_start, unit_len, "second") &&
		!word_equals(s + unit_start, unit_len, "seconds"))
	{
		*ok = set_error(error, CRON_FIELD_SECONDS, s + unit_start, unit_len,
						"Interval schedules are written '[1-59] seconds'; for minutes or longer use a cron schedule, e.g. '*/5 * * * *'.",
						"Interval schedules count only seconds.");
		return true;
	}
	if (n < 1 || n > 59)
	{
		*ok = set_error(error, CRON_FIELD_SECONDS, s + num_start, num_len,
						"For a period of a minute or longer use a cron schedule, e.g. '*/2 * * * *'.",
						"%.*s is out of range: an interval schedule runs every 1 to 59 seconds.",
						(int) Min(num_len, 12), s + num_start);
		return true;
	}
	schedule->kind = CRON_KIND_INTERVAL;
	schedule->interval_seconds = (int) n;
	*ok = true;
	return true;
}

/* read exactly n digits at s[*pos] into *value */
static bool
read_digits(const char *s, size_t len, size_t *pos, int n, int *value)
{
	int			v = 0;

	if (*pos + n > len)
		return false;
	for (int i = 0; i < n; i++)
	{
		if (!is_digit(s[*pos + i]))
			return false;
		v = v * 10 + (s[*pos + i] - '0');
	}
	*pos += n;
	*value = v;
	return true;
}

/* read one of the characters in chars at s[*pos] */
static bool
read_char(const char *s, size_t len, size_t *pos, const char *chars)
{
	if (*pos >= len || s[*pos] == '\0' || strchr(chars, s[*pos]) == NULL)
		return false;
	(*pos)++;
	return true;
}

/*
 * The instant of a one-off schedule, after "@at": 'YYYY-MM-DD HH:MM:SS'
 * (or with 'T') in UTC, written '+00', '+00:00' or 'Z'.  Only UTC, so that
 * the text means one instant whatever the job's time zone.
 */
static bool
parse_at(const char *s, size_t len, CronSchedule *schedule,
		 CronParseError *error)
{
	const char *hint = "Write the instant in UTC, e.g. '@at 2026-11-21 12:00:00+00', or use cron.schedule_at.";
	size_t		pos = 0;
	size_t		start;
	int			year,
				month,
				day,
				hour,
				minute,
				second;
	size_t		rest;

	while (pos < len && is_space(s[pos]))
		pos++;
	start = pos;
	if (!(read_digits(s, len, &pos, 4, &year) && read_char(s, len, &pos, "-") &&
		  read_digits(s, len, &pos, 2, &month) && read_char(s, len, &pos, "-") &&
		  read_digits(s, len, &pos, 2, &day) && read_char(s, len, &pos, " T") &&
		  read_digits(s, len, &pos, 2, &hour) && read_char(s, len, &pos, ":") &&
		  read_digits(s, len, &pos, 2, &minute) && read_char(s, len, &pos, ":") &&
		  read_digits(s, len, &pos, 2, &second)))
		return set_error(error, CRON_FIELD_NONE, s + start, len - start, hint,
						 "The instant of an @at schedule is not of the form YYYY-MM-DD HH:MM:SS+00.");
	rest = len - pos;
	if (rest > 0 && s[pos] == '.')
		return set_error(error, CRON_FIELD_NONE, s + start, len - start, hint,
						 "The instant of an @at schedule is given to the second, without a fraction.");
	if ((rest > 3 && strncmp(s + pos, "+00", 3) == 0 && s[pos + 3] != ':') ||
		(rest > 6 && strncmp(s + pos, "+00:00", 6) == 0) ||
		(rest > 1 && s[pos] == 'Z'))
		return set_error(error, CRON_FIELD_NONE, s + start, len - start, hint,
						 "Unexpected text after the instant of an @at schedule.");
	if (!((rest == 3 && strncmp(s + pos, "+00", 3) == 0) ||
		  (rest == 6 && strncmp(s + pos, "+00:00", 6) == 0) ||
		  (rest == 1 && s[pos] == 'Z')))
		return set_error(error, CRON_FIELD_NONE, s + start, len - start, hint,
						 "The instant of an @at schedule must end with +00 (UTC).");
	if (year < 1 || month < 1 || month > 12 || day < 1 ||
		day > cron_days_in_month(year, month) ||
		hour > 23 || minute > 59 || second > 59)
		return set_error(error, CRON_FIELD_NONE, s + start, len - start, hint,
						 "%04d-%02d-%02d %02d:%02d:%02d is not a valid date and time.",
						 year, month, day, hour, minute, second);
	schedule->kind = CRON_KIND_AT;
	schedule->at = days_from_civil(year, month, day) * 86400 +
		hour * 3600 + minute * 60 + second;
	return true;
}

/*
 * Parse a schedule.  Returns true and fills *schedule, or returns false and
 * fills *error.  Never reads past the terminating NUL of text.
 */
bool
cron_parse_schedule(const char *text, CronSchedule *schedule,
					CronParseError *error)
{
	size_t		len;
	size_t		start = 0;
	int			i;
	bool		ok;

	memset(schedule, 0, sizeof(*schedule));
	memset(error, 0, sizeof(*error));
	error->field = CRON_FIELD_NONE;

	len = strnlen(text, CRON_SCHEDULE_MAX_LEN + 1);
	if (len > CRON_SCHEDULE_MAX_LEN)
		return set_error(error, CRON_FIELD_NONE, text, 32,
						 "Write the schedule as five short fields, a macro, or '[1-59] seconds'.",
						 "The schedule is longer than %d bytes.",
						 CRON_SCHEDULE_MAX_LEN);

	while (start < len && is_space(text[start]))
		start++;
	while (len > start && is_space(text[len - 1]))
		len--;
	text += start;
	len -= start;

	if (len == 0)
		return set_error(error, CRON_FIELD_NONE, "", 0,
						 "Write a cron schedule such as '0 3 * * *', a macro such as '@daily', or '[1-59] seconds'.",
						 "The schedule is empty.");

	if (text[0] == '@')
	{
		/* pg_cron also reads @restart as @reboot */
		if (word_equals(text, len, "@reboot") ||
			word_equals(text, len, "@restart"))
		{
			schedule->kind = CRON_KIND_REBOOT;
			return true;
		}
		if (len > 3 && word_equals(text, 3, "@at") && is_space(text[3]))
			return parse_at(text + 3, len - 3, schedule, error);
		for (i = 0; i < (int) lengthof(macros); i++)
		{
			if (word_equals(text, len, macros[i].name))
				return parse_cron_fields(macros[i].expansion,
										 strlen(macros[i].expansion),
										 schedule, error);
		}
		return set_error(error, CRON_FIELD_NONE, text, len,
						 "The macros are @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually and @reboot (or @restart); a one-off instant is '@at YYYY-MM-DD HH:MM:SS+00'.",
						 "Unknown macro.");
	}

	if (parse_interval(text, len, schedule, error, &ok))
		return ok;

	return parse_cron_fields(text, len, schedule, error);
}
