/*-------------------------------------------------------------------------
 *
 * ledger.c
 *	  All SQL the scheduler runs: reading cron.job, and claiming slots and
 *	  recording outcomes in cron.job_run_details.
 *
 * The statements are prepared once and kept.  Every name is schema-
 * qualified and every operator is pg_catalog's, so nothing a user creates
 * can run inside the scheduler, whatever search_path says.  Callers run
 * these inside a transaction with SPI connected (see scheduler.c).
 *
 * The claim is the heart of the at-most-once guarantee: a slot is run only
 * if its INSERT ... ON CONFLICT (jobid, scheduled_for) DO NOTHING inserted
 * a row, and that row is committed before the run starts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "cronext.h"
#include "schedule_pg.h"

#include "ledger.h"
#include "lock_timeout.h"

/* the words of cron.job_run_details.status, by CronRunStatus */
static const char *const run_status_names[] = {
	[CRON_RUN_STARTING] = "starting",
	[CRON_RUN_RUNNING] = "running",
	[CRON_RUN_SUCCEEDED] = "succeeded",
	[CRON_RUN_FAILED] = "failed",
	[CRON_RUN_SKIPPED] = "skipped",
};

const char *
cron_run_status_name(CronRunStatus status)
{
	Assert(status >= 0 && status < lengthof(run_status_names));
	return run_status_names[status];
}

/*
 * What the scheduler keeps of a job: never its command (read when a run is
 * claimed) nor its name, so its memory does not grow with what roles write.
 */
#define JOB_COLUMNS \
	"SELECT j.jobid, j.schedule, j.roleid, j.database, j.username, " \
	"j.timezone, j.active AND j.paused_at IS NULL, j.catchup, " \
	"pg_catalog.date_part('epoch', j.catchup_window), j.overlap, " \
	"j.max_retries, pg_catalog.date_part('epoch', j.retry_delay), " \
	"COALESCE(pg_catalog.date_part('epoch', j.timeout), 0), " \
	"GREATEST(j.created_at, j.updated_at, j.paused_at), " \
	"j.kind OPERATOR(pg_catalog.=) 'http', NULL::pg_catalog.text, " \
	"j.expect_success_within IS NOT NULL, j.alert_url IS NOT NULL"

static const char *const load_jobs_sql =
JOB_COLUMNS ", NULL::pg_catalog.timestamptz FROM cron.job j";

/* at startup, also the newest slot each job ran (its catch-up anchor) */
static const char *const load_jobs_with_slots_sql =
JOB_COLUMNS ", (SELECT pg_catalog.max(d.scheduled_for) "
"FROM cron.job_run_details d "
"WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid AND NOT d.manual) "
"FROM cron.job j";

/* some jobs only: those a committed transaction changed */
static const char *const load_some_jobs_sql =
JOB_COLUMNS ", NULL::pg_catalog.timestamptz "
"FROM cron.job j WHERE j.jobid OPERATOR(pg_catalog.=) ANY ($1)";

/* the command is the job's as it is now: the scheduler does not keep it */
static const char *const claim_sql =
"INSERT INTO cron.job_run_details "
"(jobid, database, username, command, status, return_message, "
"scheduled_for, attempt, manual, start_time, end_time, roleid) "
"SELECT $1, $2, $3, (SELECT j.command FROM cron.job j "
"WHERE j.jobid OPERATOR(pg_catalog.=) $1), $4, $5, $6, $7, $8, $9, $10, $11 "
"ON CONFLICT (jobid, scheduled_for) DO NOTHING RETURNING runid, command";

/* the commands of runs about to start, as their claims recorded them */
static const char *const run_commands_sql =
"SELECT d.runid, d.command FROM cron.job_run_details d "
"WHERE d.runid OPERATOR(pg_catalog.=) ANY ($1)";

/*
 * The same without reading cron.job, for a pass in which a superuser's
 * lock keeps cron.job unreadable: skipped slots and HTTP runs (whose
 * request the HTTP worker reads itself) are recorded without a command.
 */
static const char *const claim_nocmd_sql =
"INSERT INTO cron.job_run_details "
"(jobid, database, username, command, status, return_message, "
"scheduled_for, attempt, manual, start_time, end_time, roleid) "
"SELECT $1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10, $11 "
"ON CONFLICT (jobid, scheduled_for) DO NOTHING RETURNING runid, command";

static const char *const mark_running_sql =
"UPDATE cron.job_run_details SET status = 'running', job_pid = $2, "
"start_time = $3, next_attempt_at = NULL WHERE runid OPERATOR(pg_catalog.=) $1 "
/* a worker of exactly-once effect marks its run running itself */
"AND status OPERATOR(pg_catalog.=) 'starting'";

static const char *const finish_sql =
"UPDATE cron.job_run_details SET status = $2, return_message = $3, "
"start_time = COALESCE(start_time, $4), end_time = $5, "
"http_status = $6, response_body = $7, next_attempt_at = NULL "
"WHERE runid OPERATOR(pg_catalog.=) $1 "
"AND status OPERATOR(pg_catalog.=) ANY (ARRAY['starting', 'running'])";

/* one-off jobs (@at) that ran or were skipped: they are done (unless changed since) */
/*
 * A job row its owner holds locked (an open transaction that edits it) is
 * skipped, not waited for, so that nobody's lock delays anyone else's
 * one-off jobs; the statement returns those jobs, to be tried again.
 */
static const char *const deactivate_sql =
"WITH d AS (SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS d(jobid, schedule)), "
"l AS (SELECT j.jobid FROM cron.job j, d "
"WHERE j.jobid OPERATOR(pg_catalog.=) d.jobid "
"AND j.schedule OPERATOR(pg_catalog.=) d.schedule AND j.active "
"FOR UPDATE OF j SKIP LOCKED), "
"u AS (UPDATE cron.job j SET active = false FROM l "
"WHERE j.jobid OPERATOR(pg_catalog.=) l.jobid RETURNING j.jobid) "
"SELECT d.jobid FROM d "
"WHERE d.jobid OPERATOR(pg_catalog.<>) ALL (ARRAY(SELECT u.jobid FROM u)) "
"AND EXISTS (SELECT 1 FROM cron.job j WHERE j.jobid OPERATOR(pg_catalog.=) d.jobid "
"AND j.schedule OPERATOR(pg_catalog.=) d.schedule AND j.active)";

/*
 * The attempt that failed is kept in cron.job_run_attempts; the row then
 * waits for the next one (next_attempt_at: when, NULL if at once).
 */
static const char *const retrying_sql =
"WITH a AS (INSERT INTO cron.job_run_attempts (runid, attempt, jobid, "
"scheduled_for, status, http_status, return_message, start_time, end_time, "
"username, roleid) "
"SELECT d.runid, d.attempt, d.jobid, d.scheduled_for, 'failed', $5, $3, $6, $7, "
"d.username, d.roleid FROM cron.job_run_details d "
"WHERE d.runid OPERATOR(pg_catalog.=) $1 "
"AND d.status OPERATOR(pg_catalog.=) ANY (ARRAY['starting', 'running']) "
"ON CONFLICT (runid, attempt) DO NOTHING) "
"UPDATE cron.job_run_details SET status = 'starting', attempt = $2, "
"return_message = $3, next_attempt_at = $4 WHERE runid OPERATOR(pg_catalog.=) $1 "
"AND status OPERATOR(pg_catalog.=) ANY (ARRAY['starting', 'running'])";

/*
 * Any role, even one with no privilege on schema cron, can LISTEN on any
 * channel, and any role can NOTIFY on it: so the payload carries only the
 * runid, which tells nothing about the job; the listener reads the run
 * through row-level security, which also tells a forged notification (no
 * such failed run of its own) from a real one.
 */
static const char *const notify_failed_sql =
"SELECT pg_catalog.pg_notify('cron_job_failed', "
"pg_catalog.json_build_object('runid', r.runid)::pg_catalog.text) "
"FROM pg_catalog.unnest($1) AS r(runid)";

/*
 * One batch of history older than the retention, never a run in progress
 * nor the newest row of an existing job (the proof of the last slot it
 * ran) nor its newest success (the dead-man check's anchor).  The delete
 * guard keeps the same rows; choosing none of them keeps batches moving.
 */
static const char *const prune_sql =
"DELETE FROM cron.job_run_details d WHERE d.runid OPERATOR(pg_catalog.=) ANY (ARRAY("
"SELECT o.runid FROM cron.job_run_details o "
"WHERE o.scheduled_for OPERATOR(pg_catalog.<) $1 "
"AND o.status OPERATOR(pg_catalog.<>) ALL (ARRAY['starting', 'running']) "
"AND ((o.scheduled_for OPERATOR(pg_catalog.<) (SELECT pg_catalog.max(n.scheduled_for) "
"FROM cron.job_run_details n WHERE n.jobid OPERATOR(pg_catalog.=) o.jobid) "
"AND (o.status OPERATOR(pg_catalog.<>) 'succeeded' OR EXISTS (SELECT 1 FROM cron.job_run_details n "
"WHERE n.jobid OPERATOR(pg_catalog.=) o.jobid AND n.status OPERATOR(pg_catalog.=) 'succeeded' "
"AND n.scheduled_for OPERATOR(pg_catalog.>) o.scheduled_for))) "
"OR NOT EXISTS (SELECT 1 FROM cron.job j WHERE j.jobid OPERATOR(pg_catalog.=) o.jobid)) "
"ORDER BY o.scheduled_for LIMIT $2))";

static const char *const forget_sql =
"DELETE FROM cron.job_run_details d "
"WHERE d.jobid OPERATOR(pg_catalog.=) $1 "
"AND d.runid OPERATOR(pg_catalog.<>) $2 "
"AND d.status OPERATOR(pg_catalog.<>) ALL (ARRAY['starting', 'running'])";

/*
 * Runs of exactly-once effect that a restart cut short left no effect
 * (their 'succeeded' commits with the command): they run again, as their
 * next attempt, up to CRON_MAX_INTERRUPTIONS beyond the job's retries.
 */
static const char *const resume_orphans_sql =
"UPDATE cron.job_run_details d SET status = 'starting', attempt = d.attempt OPERATOR(pg_catalog.+) 1, "
"return_message = pg_catalog.format('attempt %s was interrupted (the server or the scheduler restarted); "
"it left no effect, so the slot runs again', d.attempt) "
"FROM cron.job j "
"WHERE d.status OPERATOR(pg_catalog.=) ANY (ARRAY['starting', 'running']) "
"AND j.jobid OPERATOR(pg_catalog.=) d.jobid AND j.kind OPERATOR(pg_catalog.=) 'sql' "
"AND d.command IS NOT NULL "
"AND cron._delivery('sql', d.command, d.database) OPERATOR(pg_catalog.=) 'exactly-once' "
"AND d.attempt OPERATOR(pg_catalog.<) (j.max_retries OPERATOR(pg_catalog.+) 1 OPERATOR(pg_catalog.+) $1) "
"RETURNING d.runid, d.jobid, d.scheduled_for, d.attempt";

static const char *const close_orphans_sql =
"UPDATE cron.job_run_details SET status = 'failed', "
"return_message = 'the server or the scheduler restarted during the run', "
"end_time = pg_catalog.now() "
"WHERE status OPERATOR(pg_catalog.=) ANY (ARRAY['starting', 'running']) "
"AND runid OPERATOR(pg_catalog.<>) ALL ($1)";

static char *get_text(HeapTuple tuple, TupleDesc desc, int col,
					  MemoryContext cxt);

static SPIPlanPtr load_jobs_plan;
static SPIPlanPtr load_jobs_with_slots_plan;
static SPIPlanPtr load_some_jobs_plan;
static SPIPlanPtr claim_plan;
static SPIPlanPtr claim_nocmd_plan;
static SPIPlanPtr run_commands_plan;
static SPIPlanPtr mark_running_plan;
static SPIPlanPtr finish_plan;
static SPIPlanPtr forget_plan;
static SPIPlanPtr prune_plan;
static SPIPlanPtr retrying_plan;
static SPIPlanPtr notify_failed_plan;
static SPIPlanPtr close_orphans_plan;
static SPIPlanPtr resume_orphans_plan;
static SPIPlanPtr deactivate_plan;

static List *rows_to_jobs(int ret, MemoryContext cxt);

/* execute a kept plan that writes, raising an error unless it gives expected */
static void
run_plan(SPIPlanPtr plan, Datum *values, const char *nulls, int expected,
		 const char *what)
{
	int			ret = SPI_execute_plan(plan, values, nulls, false, 0);

	if (ret != expected)
		elog(ERROR, "cronext: %s failed: %s", what, SPI_result_code_string(ret));
}

/* a kept plan that touches cron.job, as a step of cron_with_lock_timeout */
typedef struct PlanStep
{
	SPIPlanPtr	plan;
	Datum	   *values;
	const char *nulls;
	int			expected;
	const char *what;
	uint64		processed;
} PlanStep;

static void
plan_step(void *arg)
{
	PlanStep   *ps = arg;

	run_plan(ps->plan, ps->values, ps->nulls, ps->expected, ps->what);
	ps->processed = SPI_processed;
}

/*
 * Execute a kept plan that touches cron.job, which any role with write
 * rights on it can lock, waiting only briefly for its locks.  Returns
 * false if a lock was not granted (nothing was done: the caller tries
 * again later), else the number of rows processed in *processed.
 */
static bool
run_plan_nowait(SPIPlanPtr plan, Datum *values, const char *nulls,
				int expected, const char *what, uint64 *processed)
{
	PlanStep	ps = {plan, values, nulls, expected, what, 0};

	if (!cron_with_lock_timeout(plan_step, &ps, NULL))
		return false;
	if (processed)
		*processed = ps.processed;
	return true;
}

static SPIPlanPtr
prepare(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "cronext: could not prepare \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "cronext: could not keep a prepared plan");
	return plan;
}

/* ids as a bigint[] Datum, for the plans that take = ANY ($1) */
static Datum
int8_array(const int64 *ids, int n)
{
	Datum	   *elems = palloc(Max(n, 1) * sizeof(Datum));

	for (int i = 0; i < n; i++)
		elems[i] = Int64GetDatum(ids[i]);
	return PointerGetDatum(construct_array(elems, n, INT8OID, 8,
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * The commands of the given runs, from their ledger rows, into commands[]
 * (same order as runids; NULL where none), allocated in cxt.
 */
void
cron_ledger_run_commands(const int64 *runids, int n, MemoryContext cxt, char **commands)
{
	Datum		values[1];

	values[0] = int8_array(runids, n);
	run_plan(run_commands_plan, values, NULL, SPI_OK_SELECT, "reading run commands");
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		int64		runid = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r],
														SPI_tuptable->tupdesc, 1, &isnull));

		for (int i = 0; i < n; i++)
			if (runids[i] == runid && commands[i] == NULL)
				commands[i] = get_text(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, cxt);
	}
}

/*
 * Take ACCESS SHARE on cron.job for the rest of the transaction, as a step
 * of cron_with_lock_timeout: once held, no statement of the pass waits for
 * a lock on cron.job (only a superuser can hold one that conflicts).
 */
void
cron_ledger_lock_jobs(void *arg)
{
	if (SPI_execute("LOCK TABLE cron.job IN ACCESS SHARE MODE", false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "cronext: locking cron.job failed");
}

/* prepare the plans; call once, in a transaction with SPI connected */
void
cron_ledger_prepare(void)
{
	Oid			claim_types[] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
		TIMESTAMPTZOID, INT4OID, BOOLOID, TIMESTAMPTZOID, TIMESTAMPTZOID, OIDOID};
	Oid			running_types[] = {INT8OID, INT4OID, TIMESTAMPTZOID};
	Oid			finish_types[] = {INT8OID, TEXTOID, TEXTOID, TIMESTAMPTZOID,
	TIMESTAMPTZOID, INT4OID, TEXTOID};
	Oid			deactivate_types[] = {INT8ARRAYOID, TEXTARRAYOID};
	Oid			forget_types[] = {INT8OID, INT8OID};
	Oid			some_types[] = {INT8ARRAYOID};
	Oid			retrying_types[] = {INT8OID, INT4OID, TEXTOID, TIMESTAMPTZOID,
		INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Oid			prune_types[] = {TIMESTAMPTZOID, INT4OID};
	Oid			notify_types[] = {INT8ARRAYOID};

	if (claim_plan != NULL)
		return;
	load_jobs_plan = prepare(load_jobs_sql, 0, NULL);
	load_jobs_with_slots_plan = prepare(load_jobs_with_slots_sql, 0, NULL);
	load_some_jobs_plan = prepare(load_some_jobs_sql, 1, some_types);
	claim_plan = prepare(claim_sql, lengthof(claim_types), claim_types);
	claim_nocmd_plan = prepare(claim_nocmd_sql, lengthof(claim_types), claim_types);
	run_commands_plan = prepare(run_commands_sql, 1, some_types);
	mark_running_plan = prepare(mark_running_sql, lengthof(running_types),
								running_types);
	finish_plan = prepare(finish_sql, lengthof(finish_types), finish_types);
	forget_plan = prepare(forget_sql, lengthof(forget_types), forget_types);
	retrying_plan = prepare(retrying_sql, lengthof(retrying_types), retrying_types);
	prune_plan = prepare(prune_sql, lengthof(prune_types), prune_types);
	notify_failed_plan = prepare(notify_failed_sql, lengthof(notify_types), notify_types);
	{
		Oid			close_types[1] = {INT8ARRAYOID};

		close_orphans_plan = prepare(close_orphans_sql, 1, close_types);
	}
	{
		Oid			resume_types[1] = {INT4OID};

		resume_orphans_plan = prepare(resume_orphans_sql, 1, resume_types);
	}
	deactivate_plan = prepare(deactivate_sql, lengthof(deactivate_types), deactivate_types);
}

static char *
get_text(HeapTuple tuple, TupleDesc desc, int col, MemoryContext cxt)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, desc, col, &isnull);

	if (isnull)
		return NULL;
	return MemoryContextStrdup(cxt, TextDatumGetCString(d));
}

/*
 * Read the SQL jobs of cron.job into a list of CronJobRow allocated in
 * cxt.  with_last_slots also reads each job's newest slot in the ledger.
 */
List *
cron_ledger_load_jobs(bool with_last_slots, MemoryContext cxt)
{
	return rows_to_jobs(SPI_execute_plan(with_last_slots ?
										 load_jobs_with_slots_plan :
										 load_jobs_plan, NULL, NULL, true, 0),
						cxt);
}

/* read only the given jobs (those that exist) */
List *
cron_ledger_load_some_jobs(const int64 *ids, int nids, MemoryContext cxt)
{
	Datum		values[1];

	values[0] = int8_array(ids, nids);
	return rows_to_jobs(SPI_execute_plan(load_some_jobs_plan, values, NULL,
										 true, 0), cxt);
}

/* turn the result of a job query into a list of CronJobRow in cxt */
static List *
rows_to_jobs(int ret, MemoryContext cxt)
{
	List	   *rows = NIL;
	uint64		i;

	if (ret != SPI_OK_SELECT)
		elog(ERROR, "cronext: reading cron.job failed: %s",
			 SPI_result_code_string(ret));

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		CronJobRow *row = MemoryContextAllocZero(cxt, sizeof(CronJobRow));
		bool		isnull;
		MemoryContext old;

		row->jobid = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
		row->schedule = get_text(tuple, desc, 2, cxt);
		row->roleid = DatumGetObjectId(SPI_getbinval(tuple, desc, 3, &isnull));
		if (isnull)
			row->roleid = InvalidOid;
		row->database = get_text(tuple, desc, 4, cxt);
		row->username = get_text(tuple, desc, 5, cxt);
		row->timezone = get_text(tuple, desc, 6, cxt);
		row->active = DatumGetBool(SPI_getbinval(tuple, desc, 7, &isnull));
		row->catchup = get_text(tuple, desc, 8, cxt);
		row->catchup_window = DatumGetFloat8(SPI_getbinval(tuple, desc, 9, &isnull));
		row->overlap = get_text(tuple, desc, 10, cxt);
		row->max_retries = DatumGetInt32(SPI_getbinval(tuple, desc, 11, &isnull));
		row->retry_delay = DatumGetFloat8(SPI_getbinval(tuple, desc, 12, &isnull));
		row->timeout = DatumGetFloat8(SPI_getbinval(tuple, desc, 13, &isnull));
		row->changed_at = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 14, &isnull));
		row->http = DatumGetBool(SPI_getbinval(tuple, desc, 15, &isnull));
		row->watched = DatumGetBool(SPI_getbinval(tuple, desc, 17, &isnull));
		row->alerting = DatumGetBool(SPI_getbinval(tuple, desc, 18, &isnull));
		row->last_slot = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 19, &isnull));
		row->has_last_slot = !isnull;

		old = MemoryContextSwitchTo(cxt);
		rows = lappend(rows, row);
		MemoryContextSwitchTo(old);
	}
	return rows;
}

/*
 * Claim a slot.  Returns the new runid, or 0 if the slot was already in
 * the ledger: someone ran it, and it must not run again.
 */
int64
cron_ledger_claim(const CronClaim *claim, MemoryContext cxt, char **command)
{
	Datum		values[11];
	char		nulls[11];
	bool		skipped = claim->status == CRON_RUN_SKIPPED;
	TimestampTz now = cron_now();
	bool		isnull;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(claim->jobid);
	values[1] = CStringGetTextDatum(claim->database);
	values[2] = CStringGetTextDatum(claim->username);
	values[3] = CStringGetTextDatum(cron_run_status_name(claim->status));
	if (claim->message)
		values[4] = CStringGetTextDatum(claim->message);
	else
		nulls[4] = 'n';
	values[5] = TimestampTzGetDatum(claim->scheduled_for);
	values[6] = Int32GetDatum(skipped ? 0 : 1);
	values[7] = BoolGetDatum(claim->manual);
	/* a skipped slot starts and ends when it is recorded */
	values[8] = TimestampTzGetDatum(now);
	values[9] = TimestampTzGetDatum(now);
	if (!skipped)
		nulls[8] = nulls[9] = 'n';
	values[10] = ObjectIdGetDatum(claim->roleid);
	if (!OidIsValid(claim->roleid))
		nulls[10] = 'n';

	run_plan(claim->read_command ? claim_plan : claim_nocmd_plan, values, nulls,
			 SPI_OK_INSERT_RETURNING, "claiming a slot");
	if (command)
		*command = NULL;
	if (SPI_processed == 0)
		return 0;
	if (command)
		*command = get_text(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, cxt);
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

void
cron_ledger_mark_running(int64 runid, int pid, TimestampTz start_time)
{
	Datum		values[3];

	values[0] = Int64GetDatum(runid);
	values[1] = Int32GetDatum(pid);
	values[2] = TimestampTzGetDatum(start_time);
	run_plan(mark_running_plan, values, NULL, SPI_OK_UPDATE, "recording a run start");
}

/* record the outcome of a run; start_time 0 = the run never started */
void
cron_ledger_finish(int64 runid, bool succeeded, const char *message,
			  TimestampTz start_time, TimestampTz end_time)
{
	cron_ledger_finish_http(runid, succeeded, message, start_time, end_time, 0, NULL);
}

/* the same, with an HTTP run's status (0 = no response) and body */
void
cron_ledger_finish_http(int64 runid, bool succeeded, const char *message,
				   TimestampTz start_time, TimestampTz end_time,
				   int http_status, const char *body)
{
	Datum		values[7];
	char		nulls[7];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(runid);
	values[1] = CStringGetTextDatum(cron_run_status_name(succeeded ? CRON_RUN_SUCCEEDED : CRON_RUN_FAILED));
	values[2] = CStringGetTextDatum(message ? message : "");
	values[3] = TimestampTzGetDatum(start_time);
	if (start_time == 0)
		nulls[3] = 'n';
	values[4] = TimestampTzGetDatum(end_time);
	values[5] = Int32GetDatum(http_status);
	if (http_status == 0)
		nulls[5] = 'n';
	if (body)
		values[6] = CStringGetTextDatum(body);
	else
		nulls[6] = 'n';
	run_plan(finish_plan, values, nulls, SPI_OK_UPDATE, "recording a run outcome");
}

/* the deactivation, as a step of cron_with_lock_timeout */
typedef struct DeactivateStep
{
	Datum	   *values;
	int64	   *jobids;			/* out: the jobs still to do */
	int			left;
} DeactivateStep;

static void
deactivate_step(void *arg)
{
	DeactivateStep *ds = arg;

	run_plan(deactivate_plan, ds->values, NULL, SPI_OK_SELECT, "deactivating one-off jobs");
	ds->left = 0;
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;

		ds->jobids[ds->left++] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r],
															 SPI_tuptable->tupdesc, 1, &isnull));
	}
}

/*
 * Mark one-off jobs inactive (in one statement), unless changed meanwhile.
 * Returns how many are left to do (jobids[] holds them now): those whose
 * row was locked, or all if cron.job was; the caller tries again later.
 */
int
cron_ledger_deactivate_jobs(int64 *jobids, const char **schedules, int n)
{
	Datum	   *texts = palloc(n * sizeof(Datum));
	Datum		values[2];
	DeactivateStep ds;

	for (int i = 0; i < n; i++)
		texts[i] = CStringGetTextDatum(schedules[i]);
	values[0] = int8_array(jobids, n);
	values[1] = PointerGetDatum(construct_array(texts, n, TEXTOID, -1,
												false, TYPALIGN_INT));
	ds.values = values;
	ds.jobids = jobids;
	ds.left = n;				/* if cron.job stays locked: all of them */
	(void) cron_with_lock_timeout(deactivate_step, &ds, NULL);
	return ds.left;
}

/* delete up to batch rows of history older than before; returns how many */
uint64
cron_ledger_prune(TimestampTz before, int batch)
{
	Datum		values[2];

	uint64		deleted = 0;

	values[0] = TimestampTzGetDatum(before);
	values[1] = Int32GetDatum(batch);
	/* the query and the delete guard look at cron.job */
	if (!run_plan_nowait(prune_plan, values, NULL, SPI_OK_DELETE,
						 "pruning history", &deleted))
		return 0;
	return deleted;
}

/*
 * A failed attempt will be retried: the attempt is kept, the row waits
 * again until next_at (0: at once), attempt counted.  The attempt's HTTP
 * status, start and end are 0 when unknown.
 */
void
cron_ledger_retrying(int64 runid, int next_attempt, const char *message,
					 TimestampTz next_at, int http_status,
					 TimestampTz start_time, TimestampTz end_time)
{
	Datum		values[7];
	char		nulls[7] = "       ";

	values[0] = Int64GetDatum(runid);
	values[1] = Int32GetDatum(next_attempt);
	values[2] = CStringGetTextDatum(message ? message : "");
	values[3] = TimestampTzGetDatum(next_at);
	values[4] = Int32GetDatum(http_status);
	values[5] = TimestampTzGetDatum(start_time);
	values[6] = TimestampTzGetDatum(end_time);
	nulls[3] = next_at ? ' ' : 'n';
	nulls[4] = http_status ? ' ' : 'n';
	nulls[5] = start_time ? ' ' : 'n';
	nulls[6] = end_time ? ' ' : 'n';
	run_plan(retrying_plan, values, nulls, SPI_OK_UPDATE, "recording a retry");
}

/*
 * NOTIFY cron_job_failed for each failed run, payload {"runid": N}.  The
 * caller runs this in a transaction of its own, after the outcomes have
 * committed: a full notification queue fails that commit, and must never
 * take an outcome with it.
 */
void
cron_ledger_notify_failed(const int64 *runids, int n)
{
	Datum		values[1];

	values[0] = int8_array(runids, n);
	run_plan(notify_failed_plan, values, NULL, SPI_OK_SELECT, "notifying failures");
}

/*
 * With cron.log_run off, keep only a job's newest row: it is still needed
 * as the proof of the last slot the job ran.
 */
void
cron_ledger_forget_history(int64 jobid, int64 keep_runid)
{
	Datum		values[2];

	values[0] = Int64GetDatum(jobid);
	values[1] = Int64GetDatum(keep_runid);
	/* the delete guard looks at cron.job; if locked, the next run prunes */
	(void) run_plan_nowait(forget_plan, values, NULL, SPI_OK_DELETE,
						   "pruning run history", NULL);
}

/*
 * At scheduler start: runs still open belong to an earlier lifetime of the
 * server or the scheduler and will never report.  Close them as failed.
 */
uint64
cron_ledger_close_orphans(const int64 *keep, int nkeep)
{
	Datum		values[1] = {int8_array(keep, nkeep)};
	int			ret = SPI_execute_plan(close_orphans_plan, values, NULL, false, 0);

	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "cronext: closing interrupted runs failed: %s",
			 SPI_result_code_string(ret));
	return SPI_processed;
}

/*
 * Job workers left by an earlier scheduler: ask them to stop (SIGTERM
 * aborts their transaction).  Returns how many there were.  Unprepared:
 * this runs once per scheduler start.
 */
/*
 * The job workers and the HTTP worker of this database's catalog (other
 * databases' schedulers have their own): job workers say their catalog in
 * their application_name (job_worker.c), the HTTP worker is connected to
 * it.
 */
static char *
this_catalogs_workers(void)
{
	return psprintf("FROM pg_catalog.pg_stat_get_activity(NULL) a "
					"WHERE (a.backend_type OPERATOR(pg_catalog.=) 'cronext job' "
					"AND a.application_name OPERATOR(pg_catalog.~~) '%% (catalog %u)') "
					"OR (a.backend_type OPERATOR(pg_catalog.=) 'cronext http' "
					"AND a.datid OPERATOR(pg_catalog.=) %u) "
					/* and whoever runs an open run (an application_name changed) */
					"OR (a.backend_type OPERATOR(pg_catalog.=) 'cronext job' "
					"AND a.pid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT d.job_pid FROM cron.job_run_details d "
					"WHERE d.status OPERATOR(pg_catalog.=) ANY (ARRAY['starting', 'running']) "
					"AND d.job_pid IS NOT NULL)))",
					MyDatabaseId, MyDatabaseId);
}

int
cron_ledger_signal_orphan_workers(void)
{
	int			ret;

	ret = SPI_execute(psprintf("SELECT pg_catalog.pg_terminate_backend(a.pid) %s",
							   this_catalogs_workers()),
					  false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "cronext: stopping job workers failed: %s",
			 SPI_result_code_string(ret));
	return (int) SPI_processed;
}

/* how many job workers are still alive */
int
cron_ledger_count_orphan_workers(void)
{
	int			ret;
	bool		isnull;

	/* a fresh snapshot of the activity table each time */
	pgstat_clear_snapshot();
	ret = SPI_execute(psprintf("SELECT pg_catalog.count(*)::pg_catalog.int4 %s",
							   this_catalogs_workers()),
					  false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "cronext: counting job workers failed: %s",
			 SPI_result_code_string(ret));
	return DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * The runs of exactly-once effect a restart cut short, put back to
 * 'starting' for their next attempt (in this transaction): a list of
 * CronResumedRun in cxt.
 */
List *
cron_ledger_resume_orphans(int max_interruptions, MemoryContext cxt)
{
	Datum		values[1] = {Int32GetDatum(max_interruptions)};
	int			ret = SPI_execute_plan(resume_orphans_plan, values, NULL, false, 0);
	List	   *rows = NIL;

	if (ret != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "cronext: resuming interrupted runs failed: %s",
			 SPI_result_code_string(ret));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		CronResumedRun *r = MemoryContextAlloc(cxt, sizeof(CronResumedRun));
		bool		isnull;

		r->runid = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
		r->jobid = DatumGetInt64(SPI_getbinval(tuple, desc, 2, &isnull));
		r->scheduled_for = DatumGetTimestampTz(SPI_getbinval(tuple, desc, 3, &isnull));
		r->attempt = DatumGetInt32(SPI_getbinval(tuple, desc, 4, &isnull));
		rows = lappend(rows, r);
	}
	return rows;
}
