/*-------------------------------------------------------------------------
 *
 * schedule_pg.c
 *	  Server-side glue for the pure core (schedule.c, next_run.c,
 *	  policy.c): turning parse errors into ereport, implementing CronTz on
 *	  top of PostgreSQL's pg_tz library and CronClock on top of the
 *	  server's clock, and converting instants.
 *
 * Using PostgreSQL's own time zone library means cronext agrees with the
 * server about every offset (the same tz database, the same extrapolation
 * of rules past the last listed transition) and ships no tz data itself.
 * The SQL functions and the scheduler both come through here, so they
 * report the same errors and compute the same slots.
 *
 * A job's zone must be a name of the server's time zone database that
 * PostgreSQL accepts (what pg_timezone_names lists): pg_tzset also takes
 * POSIX specifications such as '<Z123>5', and keeps every zone it loads
 * for the life of the process, so jobs free to name any of those could
 * grow every process that loads them without bound.  Only cron.timezone,
 * one value set by an administrator, may be such a specification.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pgtime.h"
#include "portability/instr_time.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cronext.h"
#include "schedule_pg.h"

/* seconds from the Unix epoch to PostgreSQL's epoch, 2000-01-01 */
#define UNIX_TO_PG_EPOCH_SECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

/*
 * Parse a schedule or raise the error the parser describes, naming the
 * field and the value.
 */
void
cron_parse_schedule_or_error(const char *text, CronSchedule *schedule)
{
	CronParseError error;

	if (cron_parse_schedule(text, schedule, &error))
		return;

	if (error.field == CRON_FIELD_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid schedule \"%s\"", error.value),
				 errdetail("%s", error.detail),
				 errhint("%s", error.hint)));
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s field \"%s\" in schedule \"%s\"",
						cron_field_name(error.field), error.value,
						text),
				 errdetail("%s", error.detail),
				 errhint("%s", error.hint)));
}

static int32
pg_offset_at(const CronTz *tz, int64 t)
{
	pg_time_t	pt = (pg_time_t) t;
	struct pg_tm *tm = pg_localtime(&pt, (const pg_tz *) tz->arg);

	/* pg_localtime fails only for instants far outside our range */
	return tm ? (int32) tm->tm_gmtoff : 0;
}

static bool
pg_next_change(const CronTz *tz, int64 t, int64 *change)
{
	pg_time_t	pt = (pg_time_t) t;
	long int	before_gmtoff;
	int			before_isdst;
	pg_time_t	boundary;
	long int	after_gmtoff;
	int			after_isdst;

	if (pg_next_dst_boundary(&pt, &before_gmtoff, &before_isdst, &boundary,
							 &after_gmtoff, &after_isdst,
							 (const pg_tz *) tz->arg) != 1)
		return false;
	*change = (int64) boundary;
	return true;
}

/*
 * The names of the server's time zone database that PostgreSQL accepts,
 * upper-cased as pg_tzset folds them, sorted; in TopMemoryContext, read
 * once per process when a job's zone is first checked.
 */
static const char **tz_names = NULL;
static int	tz_nnames = 0;

/* name upper-cased as pg_tzset does; false if it is too long for a zone */
static bool
tz_fold(const char *name, char *upper)
{
	int			i;

	if (strlen(name) > TZ_STRLEN_MAX)
		return false;
	for (i = 0; name[i] != '\0'; i++)
		upper[i] = pg_toupper((unsigned char) name[i]);
	upper[i] = '\0';
	return true;
}

static int
tz_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * Read the zone names, as pg_timezone_names does: pg_tzenumerate_next
 * loads each zone file of the tz database without caching it, and skips
 * those PostgreSQL does not accept (leap-second zones such as right/UTC).
 * Reading the files is the cost, paid once per process that checks a job's
 * zone.  An error leaves nothing behind: the work is in a child of the
 * caller's context, and tz_names is set only at the end.
 */
static void
tz_load_names(void)
{
	MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext,
												  "cronext time zone scan",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(scratch);
	instr_time	start;
	instr_time	elapsed;
	pg_tzenum  *tzenum;
	pg_tz	   *zone;
	char	  **names;
	int			nnames = 0;
	int			capacity = 1024;
	Size		bytes = 0;
	char	   *text;
	const char **sorted;

	INSTR_TIME_SET_CURRENT(start);
	names = palloc(sizeof(char *) * capacity);
	tzenum = pg_tzenumerate_start();
	while ((zone = pg_tzenumerate_next(tzenum)) != NULL)
	{
		char		upper[TZ_STRLEN_MAX + 1];

		if (!tz_fold(pg_get_timezone_name(zone), upper))
			continue;
		if (nnames == capacity)
		{
			capacity *= 2;
			names = repalloc(names, sizeof(char *) * capacity);
		}
		names[nnames++] = pstrdup(upper);
		bytes += strlen(upper) + 1;
	}
	pg_tzenumerate_end(tzenum);

	/* one array and one block of text, for the life of the process */
	sorted = MemoryContextAlloc(TopMemoryContext,
								sizeof(char *) * Max(nnames, 1));
	text = MemoryContextAlloc(TopMemoryContext, Max(bytes, 1));
	for (int i = 0; i < nnames; i++)
	{
		strcpy(text, names[i]);
		sorted[i] = text;
		text += strlen(text) + 1;
	}
	qsort(sorted, nnames, sizeof(char *), tz_name_cmp);

	MemoryContextSwitchTo(old);
	MemoryContextDelete(scratch);
	tz_names = sorted;
	tz_nnames = nnames;

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	elog(DEBUG1, "cronext: read %d time zone names in %.1f ms",
		 nnames, INSTR_TIME_GET_MILLISEC(elapsed));
}

/* is name, case-insensitively, a zone pg_timezone_names lists? */
static bool
tz_name_listed(const char *name)
{
	char		upper[TZ_STRLEN_MAX + 1];
	const char *key = upper;

	if (!tz_fold(name, upper))
		return false;
	if (tz_names == NULL)
		tz_load_names();
	return bsearch(&key, tz_names, tz_nnames, sizeof(char *),
				   tz_name_cmp) != NULL;
}

/*
 * May a job name this zone?  Only a name of the server's time zone
 * database that PostgreSQL accepts, so that the zones a process loads are
 * bounded by that database (see the file header).
 */
bool
cron_tz_is_valid(const char *name)
{
	return name != NULL && name[0] != '\0' && tz_name_listed(name) &&
		pg_tzset(name) != NULL;
}

/*
 * May cron.timezone be this zone?  Anything PostgreSQL would take for its
 * own TimeZone setting: a name of the tz database or a POSIX
 * specification, but not a leap-second zone.
 */
bool
cron_tz_setting_is_valid(const char *name)
{
	pg_tz	   *zone;

	if (name == NULL || name[0] == '\0' || strlen(name) > TZ_STRLEN_MAX)
		return false;
	zone = pg_tzset(name);
	return zone != NULL && pg_tz_acceptable(zone);
}

/*
 * Fill *tz for the named zone of a job, or for the cron.timezone setting
 * if name is NULL; false (and *tz untouched) if the zone is not valid for
 * that use.  pg_tzset caches zones for the life of the process, so the
 * pointer kept in tz->arg stays valid.
 */
bool
cron_tz_lookup(const char *name, CronTz *tz)
{
	bool		valid;

	if (name == NULL)
		valid = cron_tz_setting_is_valid(cronext_timezone);
	else
		valid = cron_tz_is_valid(name);
	if (!valid)
		return false;
	tz->offset_at = pg_offset_at;
	tz->next_change = pg_next_change;
	tz->arg = pg_tzset(name ? name : cronext_timezone);
	return true;
}

/* the same, raising an error if the zone is not valid */
void
cron_tz_lookup_or_error(const char *name, CronTz *tz)
{
	if (!cron_tz_lookup(name, tz))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid time zone \"%s\"",
						name ? name : (cronext_timezone ? cronext_timezone : "")),
				 errhint("Use a name from pg_timezone_names, e.g. 'America/New_York' or 'UTC'.")));
}

/* whole Unix seconds of a timestamp, rounding down */
int64
cron_timestamptz_to_unix(TimestampTz ts)
{
	int64		secs = ts / USECS_PER_SEC;

	if (ts % USECS_PER_SEC < 0)
		secs--;
	return secs + UNIX_TO_PG_EPOCH_SECS;
}

TimestampTz
cron_unix_to_timestamptz(int64 t)
{
	return (TimestampTz) ((t - UNIX_TO_PG_EPOCH_SECS) * USECS_PER_SEC);
}

static int64
server_clock_now(const CronClock *clock)
{
	return GetCurrentTimestamp();
}

static const CronClock server_clock = {server_clock_now, NULL};

/*
 * The clock the scheduler's rules read (core/policy.h): the server's.  The
 * harness gives the same rules fixed and stepping clocks instead.
 */
const CronClock *
cron_server_clock(void)
{
	return &server_clock;
}
