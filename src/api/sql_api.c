/*-------------------------------------------------------------------------
 *
 * sql_api.c
 *	  SQL-callable functions implemented in C: cron.next_runs, cron._next_run,
 *	  cron.check_schedule, cron.run_job and cron.cancel_run.
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

#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "ledger.h"
#include "schedule_pg.h"
#include "shared.h"

/* how long cron.run_job waits for the scheduler to claim the run */
#define RUN_JOB_WAIT_MS		30000

PG_FUNCTION_INFO_V1(cron_next_runs);
PG_FUNCTION_INFO_V1(cron_next_run);
PG_FUNCTION_INFO_V1(cron_check_schedule);
PG_FUNCTION_INFO_V1(cron_run_job);
PG_FUNCTION_INFO_V1(cron_cancel_run);

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
 * cron._next_run(schedule text, timezone text, after timestamptz)
 *		RETURNS timestamptz
 *
 * The first slot after after, or NULL when there is none or when the
 * schedule or the zone is not one cronext accepts: cron.job_status shows
 * every job, including one kept from pg_cron that the scheduler skips,
 * where cron.next_runs would raise the error and fail the whole view.
 */
Datum
cron_next_run(PG_FUNCTION_ARGS)
{
	CronSchedule schedule;
	CronParseError error;
	CronTz		tz;
	TimestampTz after;
	int64		slot;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	after = PG_GETARG_TIMESTAMPTZ(2);
	if (TIMESTAMP_NOT_FINITE(after) ||
		cron_timestamptz_to_unix(after) < CRON_MIN_INSTANT ||
		cron_timestamptz_to_unix(after) > CRON_MAX_INSTANT)
		PG_RETURN_NULL();
	if (!cron_parse_schedule(text_to_cstring(PG_GETARG_TEXT_PP(0)), &schedule, &error) ||
		!cron_tz_lookup(timezone_arg(fcinfo, 1), &tz))
		PG_RETURN_NULL();
	if (!cron_next_slot(&schedule, &tz, cron_timestamptz_to_unix(after), &slot))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(cron_unix_to_timestamptz(slot));
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

/*
 * Raise the right error unless the caller may run the job: it must be
 * visible through cron.job's row-level security (the caller's own job, or
 * any job for a superuser).
 */
static void
check_job_visible(int64 jobid)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1];
	bool		exists;
	bool		isnull;

	values[0] = Int64GetDatum(jobid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "cronext: SPI_connect failed");
	if (SPI_execute_with_args("SELECT 1 FROM cron.job j WHERE j.jobid OPERATOR(pg_catalog.=) $1",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "cronext: reading cron.job failed");
	if (SPI_processed > 0)
	{
		SPI_finish();
		return;
	}
	if (SPI_execute_with_args("SELECT cron._job_exists($1)",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "cronext: reading cron.job failed");
	exists = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	if (exists)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("job " INT64_FORMAT " belongs to another role", jobid),
				 errhint("Only the job's owner or a superuser can run it.")));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("job " INT64_FORMAT " does not exist", jobid)));
}

/*
 * cron.run_job(job_id bigint) RETURNS bigint
 *
 * Runs a job now, as a manual slot of its own (manual = true in the
 * ledger), whatever its schedule and honouring its overlap policy.  The
 * scheduler claims the slot; this waits for the claim and returns its
 * runid.
 */
/* how long cron.run_job waits for a scheduler that is starting */
#define SCHEDULER_START_WAIT_MS		3000

Datum
cron_run_job(PG_FUNCTION_ARGS)
{
	int64		jobid;
	int			idx = -1;
	int64		runid = 0;
	char		message[128] = "";
	int			waited_ms = 0;

	require_arg(fcinfo, 0, "job_id");
	jobid = PG_GETARG_INT64(0);
	check_job_visible(jobid);

	/*
	 * A scheduler starts within moments of CREATE EXTENSION or a server
	 * start: give it a few seconds before saying it is not running.
	 */
	while ((idx = cron_manual_post(jobid)) == -2 && waited_ms < SCHEDULER_START_WAIT_MS)
	{
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 50, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		waited_ms += 50;
	}
	waited_ms = 0;

	if (idx == -2)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the cronext scheduler of database \"%s\" is not running",
						get_database_name(MyDatabaseId)),
				 errhint("The launcher starts it once recovery is over, and within a second of CREATE EXTENSION cronext; see the server log if it does not.")));
	if (idx < 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many cron.run_job requests are waiting"),
				 errhint("Try again in a moment.")));

	cron_wake_scheduler();

	PG_TRY();
	{
		cron_manual_prepare_wait();
		for (;;)
		{
			bool		gone;

			runid = cron_manual_answer(idx, message, sizeof(message), &gone);
			if (runid != 0 || gone || waited_ms >= RUN_JOB_WAIT_MS)
				break;
			if (cron_manual_wait(1000))
				waited_ms += 1000;
		}
		ConditionVariableCancelSleep();
	}
	PG_FINALLY();
	{
		cron_manual_forget(idx);
	}
	PG_END_TRY();

	if (runid == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the cronext scheduler did not take the run of job " INT64_FORMAT, jobid)));
	if (runid < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not run job " INT64_FORMAT ": %s", jobid, message),
				 strstr(message, "not known") ?
				 errhint("A job scheduled in this transaction can be run once it has committed.") :
				 errhint("Try again when a run has ended.")));
	PG_RETURN_INT64(runid);
}

/*
 * cron.cancel_run(runid bigint) RETURNS boolean
 *
 * Asks the scheduler to stop a run in progress: the caller's own run (as
 * row-level security lets it see), or any run for a superuser.  The run
 * ends as failed, saying it was cancelled.  Returns false if the run had
 * already ended.
 */
Datum
cron_cancel_run(PG_FUNCTION_ARGS)
{
	int64		runid;
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1];
	char	   *status;
	bool		queued = false;

	require_arg(fcinfo, 0, "runid");
	runid = PG_GETARG_INT64(0);
	values[0] = Int64GetDatum(runid);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "cronext: SPI_connect failed");
	if (SPI_execute_with_args("SELECT d.status FROM cron.job_run_details d "
							  "WHERE d.runid OPERATOR(pg_catalog.=) $1",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "cronext: reading cron.job_run_details failed");
	if (SPI_processed == 0)
	{
		SPI_finish();
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("run " INT64_FORMAT " does not exist", runid),
				 errhint("A role can cancel only its own runs.")));
	}
	status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	status = status ? pstrdup(status) : "";
	SPI_finish();

	if (strcmp(status, cron_run_status_name(CRON_RUN_STARTING)) != 0 &&
		strcmp(status, cron_run_status_name(CRON_RUN_RUNNING)) != 0)
		PG_RETURN_BOOL(false);

	queued = cron_cancel_post(runid);
	if (!queued)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not pass the cancel request to the cronext scheduler"),
				 errhint("The scheduler is not running, or too many requests are waiting.")));
	cron_wake_scheduler();
	PG_RETURN_BOOL(true);
}
