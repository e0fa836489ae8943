/*-------------------------------------------------------------------------
 *
 * schedule_pg.h
 *	  Server-side glue for the pure core: error reports, time zones backed
 *	  by pg_tz, the server's clock, and conversions to and from TimestampTz.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_SCHEDULE_PG_H
#define CRONEXT_SCHEDULE_PG_H

#include "datatype/timestamp.h"

#include "next_run.h"
#include "policy.h"
#include "schedule.h"

extern void cron_parse_schedule_or_error(const char *text,
										 CronSchedule *schedule);
extern bool cron_tz_is_valid(const char *name);
extern bool cron_tz_setting_is_valid(const char *name);
extern bool cron_tz_lookup(const char *name, CronTz *tz);
extern void cron_tz_lookup_or_error(const char *name, CronTz *tz);
extern int64 cron_timestamptz_to_unix(TimestampTz ts);
extern TimestampTz cron_unix_to_timestamptz(int64 t);
extern const CronClock *cron_server_clock(void);

/* the scheduler reads the time only through its clock */
static inline TimestampTz
cron_now(void)
{
	return cron_clock_now(cron_server_clock());
}

#endif							/* CRONEXT_SCHEDULE_PG_H */
