/*-------------------------------------------------------------------------
 *
 * sql_api.c
 *	  SQL-callable functions implemented in C: cron.next_runs and
 *	  cron.check_schedule.
 *
 * The job-management functions (cron.schedule and friends) are written in
 * SQL in the install script and validate through cron.check_schedule, so a
 * schedule is judged by exactly one parser whether it arrives through the
 * API or a direct write to cron.job.  cron.next_runs is the scheduler's own
 * slot code made visible, which is what lets the time logic be tested with
 * fixed timestamps.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "schedule_pg.h"

PG_FUNCTION_INFO_V1(cron_next_runs);
PG_FUNCTION_INFO_V1(cron_check_schedule);

/* state kept across calls of cron.next_runs */
typedef struct NextRunsState
{
	CronSchedule schedule;
	CronTz		tz;
	int64		after;			/* Unix seconds */
} NextRunsState;

/* raise the error for a NULL argument that needs a value */
static void
require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
}

/* the time zone argument: NULL means cron.timezone */
static const char *
timezone_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/*
 * cron.next_runs(schedule text, timezone text DEFAULT NULL,
 *				  after timestamptz DEFAULT now(), count int DEFAULT 5)
 *
 * The next count slots strictly after after.  Pure: the result depends only
 * on the arguments (and cron.timezone when timezone is NULL).  @reboot has
 * no slots in time and returns no rows.
 */
Datum
cron_next_runs(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	NextRunsState *state;
	int64		slot;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext oldcontext;
		char	   *schedule_text;
		const char *tzname;
		TimestampTz after;
		int32		count;

		require_arg(fcinfo, 0, "schedule");
		require_arg(fcinfo, 2, "after");
		require_arg(fcinfo, 3, "count");

		schedule_text = text_to_cstring(PG_GETARG_TEXT_PP(0));
		tzname = timezone_arg(fcinfo, 1);
		after = PG_GETARG_TIMESTAMPTZ(2);
		count = PG_GETARG_INT32(3);

		if (count < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("count must not be negative"),
					 errdetail("count is %d.", count)));
		if (TIMESTAMP_NOT_FINITE(after) ||
			cron_timestamptz_to_unix(after) < CRON_MIN_INSTANT ||
			cron_timestamptz_to_unix(after) > CRON_MAX_INSTANT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("after must lie between years 1 and 9999"),
					 errdetail("after is %s.", timestamptz_to_str(after))));

		funcctx = SRF_FIRSTCALL_INIT();
		oldcontext = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		state = palloc0(sizeof(NextRunsState));
		cron_parse_schedule_or_error(schedule_text, &state->schedule);
		cron_tz_lookup_or_error(tzname, &state->tz);
		state->after = cron_timestamptz_to_unix(after);
		funcctx->user_fctx = state;
		funcctx->max_calls = (uint64) count;
		MemoryContextSwitchTo(oldcontext);
	}

	funcctx = SRF_PERCALL_SETUP();
	state = (NextRunsState *) funcctx->user_fctx;

	CHECK_FOR_INTERRUPTS();

	if (funcctx->call_cntr < funcctx->max_calls &&
		cron_next_slot(&state->schedule, &state->tz, state->after, &slot))
	{
		state->after = slot;
		SRF_RETURN_NEXT(funcctx, TimestampTzGetDatum(cron_unix_to_timestamptz(slot)));
	}
	SRF_RETURN_DONE(funcctx);
}

/*
 * cron.check_schedule(schedule text, timezone text DEFAULT NULL) RETURNS void
 *
 * Raises the parser's error for an invalid schedule or time zone; used by
 * the trigger that guards every write to cron.job.
 */
Datum
cron_check_schedule(PG_FUNCTION_ARGS)
{
	CronSchedule schedule;
	CronTz		tz;
	char	   *schedule_text;

	require_arg(fcinfo, 0, "schedule");
	schedule_text = text_to_cstring(PG_GETARG_TEXT_PP(0));
	cron_parse_schedule_or_error(schedule_text, &schedule);
	cron_tz_lookup_or_error(timezone_arg(fcinfo, 1), &tz);
	PG_RETURN_VOID();
}
