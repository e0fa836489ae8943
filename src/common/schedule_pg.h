/*-------------------------------------------------------------------------
 *
 * schedule_pg.h
 *	  Server-side glue for the pure schedule code: error reports, time
 *	  zones backed by pg_tz, and conversions to and from TimestampTz.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_SCHEDULE_PG_H
#define CRONEXT_SCHEDULE_PG_H

#include "datatype/timestamp.h"

#include "next_run.h"
#include "schedule.h"

extern void cron_parse_schedule_or_error(const char *text,
										 CronSchedule *schedule);
extern bool cron_tz_is_valid(const char *name);
extern bool cron_tz_setting_is_valid(const char *name);
extern bool cron_tz_lookup(const char *name, CronTz *tz);
extern void cron_tz_lookup_or_error(const char *name, CronTz *tz);
extern int64 cron_timestamptz_to_unix(TimestampTz ts);
extern TimestampTz cron_unix_to_timestamptz(int64 t);

#endif							/* CRONEXT_SCHEDULE_PG_H */
