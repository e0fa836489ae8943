/*-------------------------------------------------------------------------
 *
 * schedule_pg.c
 *	  Server-side glue for the pure schedule code (schedule.c, next_run.c):
 *	  turning parse errors into ereport, implementing CronTz on top of
 *	  PostgreSQL's pg_tz library, and converting instants.
 *
 * Using PostgreSQL's own time zone library means cronext agrees with the
 * server about every offset (the same tz database, the same extrapolation
 * of rules past the last listed transition) and ships no tz data itself.
 * The SQL functions and the scheduler both come through here, so they
 * report the same errors and compute the same slots.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "pgtime.h"
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

/* is name a time zone PostgreSQL knows? */
bool
cron_tz_is_valid(const char *name)
{
	return name != NULL && name[0] != '\0' &&
		strlen(name) <= TZ_STRLEN_MAX && pg_tzset(name) != NULL;
}

/*
 * Fill *tz for the named zone; NULL means the cron.timezone setting.
 * pg_tzset caches zones for the life of the process, so the pointer kept in
 * tz->arg stays valid.
 */
void
cron_tz_lookup_or_error(const char *name, CronTz *tz)
{
	pg_tz	   *zone;

	if (name == NULL)
		name = cronext_timezone;
	if (!cron_tz_is_valid(name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid time zone \"%s\"", name),
				 errhint("Use a name from pg_timezone_names, e.g. 'America/New_York' or 'UTC'.")));
	zone = pg_tzset(name);
	tz->offset_at = pg_offset_at;
	tz->next_change = pg_next_change;
	tz->arg = zone;
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
