/*-------------------------------------------------------------------------
 *
 * job_guard.c
 *	  cron.job_guard(), the trigger that validates every write to cron.job,
 *	  through the API or not, so that the table cannot hold a job the API
 *	  would refuse: who may write, the schedule and time zone, the options,
 *	  who runs the job and where, the limits a DBA sets, the owner's OID
 *	  and the job id.  The HTTP rules are in job_guard_http.c.
 *
 * Until catalog 1.4 this trigger was PL/pgSQL.  It runs once per row, so
 * an INSERT of many jobs paid for each row what the PL/pgSQL version
 * spent on its catalog queries and its interpreter, about five times the
 * insert itself.  The rules, their order, their errors (SQLSTATE, message,
 * detail, hint) and the values they fill are those of the PL/pgSQL
 * version, NULLs included: each rule below says the condition it checks.
 * What does not change from one row to the next is not done again: the
 * columns are found once per statement, and the last schedule and time
 * zone found valid are remembered (their check is a pure function of
 * their text).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "cronext.h"
#include "job_guard.h"
#include "schedule_pg.h"

PG_FUNCTION_INFO_V1(cron_job_guard);

/* the job's role, as pg_roles shows it */
typedef struct GuardRole
{
	bool		found;
	Oid			oid;
	bool		rolsuper;
	bool		rolcanlogin;
} GuardRole;

/* a text value, or "<NULL>" as RAISE shows a NULL */
static const char *
raise_arg(const GuardRow *row, GuardCol c)
{
	return NEW_NULL(row, c) ? "<NULL>" : cron_guard_text(row, c);
}

static char *
interval_text(Datum value)
{
	return DatumGetCString(DirectFunctionCall1(interval_out, value));
}

/* compare an interval with days and microseconds, as interval's < and > do */
static int
interval_cmp_to(Datum value, int32 days, int64 usecs)
{
	Interval	bound;

	bound.month = 0;
	bound.day = days;
	bound.time = usecs;
	return DatumGetInt32(DirectFunctionCall2(interval_cmp, value,
											 IntervalPGetDatum(&bound)));
}

/* NEW.<c> = literal, for a text column; NULL is not equal */
static bool
new_text_is(const GuardRow *row, GuardCol c, const char *literal)
{
	return !NEW_NULL(row, c) && cron_guard_text_is(NEW_VAL(row, c), literal);
}

/* has_function_privilege(cron.<proname>(argtypes), 'EXECUTE') */
static bool
may_execute(const char *proname, int nargs, const Oid *argtypes,
			const char *signature)
{
	return pg_proc_aclcheck(cron_guard_function(proname, nargs, argtypes, signature),
							GetUserId(), ACL_EXECUTE) == ACLCHECK_OK;
}

/*
 * pg_cron's model: the functions are the gate.  Writing cron.job directly
 * takes what the API takes, EXECUTE on the pg_cron function that does the
 * same, so that a REVOKE on it (kept by a takeover) closes the table too.
 * Creating an HTTP job takes the HTTP privilege instead (job_guard_http.c).
 * Superusers are not asked.
 */
static void
check_delete_privilege(void)
{
	static const Oid by_id[1] = {INT8OID};
	static const Oid by_name[1] = {TEXTOID};

	if (may_execute("unschedule", 1, by_id, "cron.unschedule(bigint)") ||
		may_execute("unschedule", 1, by_name, "cron.unschedule(text)"))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to unschedule jobs"),
			 errdetail("Deleting from cron.job takes EXECUTE on cron.unschedule, as the API does.")));
}

static void
check_write_privilege(const GuardRow *row)
{
	static const Oid t3[3] = {TEXTOID, TEXTOID, TEXTOID};
	static const Oid t2[2] = {TEXTOID, TEXTOID};
	static const Oid in_db[6] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID};
	static const Oid alter[6] = {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID};
	bool		allowed;

	/* NOT (is_insert AND NEW.kind = 'http'): unknown when kind is NULL */
	bool		http_insert = row->is_insert && new_text_is(row, GC_KIND, "http");
	bool		unknown = row->is_insert && NEW_NULL(row, GC_KIND);

	if (http_insert)
		return;
	allowed = may_execute("schedule", 3, t3, "cron.schedule(text,text,text)") ||
		may_execute("schedule_in_database", 6, in_db,
					"cron.schedule_in_database(text,text,text,text,text,boolean)") ||
		(row->is_insert
		 ? may_execute("schedule", 2, t2, "cron.schedule(text,text)")
		 : (may_execute("alter_job", 6, alter,
						"cron.alter_job(bigint,text,text,text,text,boolean)") ||
			(cron_guard_text_is(OLD_VAL(row, GC_KIND), "http") &&
			 cron_guard_http_allowed())));
	if (allowed || unknown)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s jobs", row->is_insert ? "schedule" : "change"),
			 row->is_insert
			 ? errdetail("Writing cron.job takes EXECUTE on cron.schedule or cron.schedule_in_database, as the API does.")
			 : errdetail("Changing cron.job takes EXECUTE on cron.alter_job, cron.schedule or cron.schedule_in_database, as the API does.")));
}

/*
 * The catch-up anchor and the identity cannot be forged.  cron.pause()
 * stamps paused_at (once); clearing it resumes.  A write that changes only
 * how the job is watched or paused (paused_at, alert_url,
 * expect_success_within) is no change of the job: its catch-up anchor,
 * updated_at, stays, unless the writer moves updated_at itself (which is
 * how cron.resume() without catch_up skips the slots of the pause).
 */
static void
set_identity(GuardRow *row)
{
	Datum		now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());

	if (row->is_insert)
		cron_guard_set(row, GC_CREATED_AT, now, false);
	else
	{
		if (!NEW_NULL(row, GC_JOBID) &&
			DatumGetInt64(NEW_VAL(row, GC_JOBID)) != DatumGetInt64(OLD_VAL(row, GC_JOBID)))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("the jobid of a job cannot be changed")));
		cron_guard_set(row, GC_CREATED_AT, OLD_VAL(row, GC_CREATED_AT),
					   OLD_NULL(row, GC_CREATED_AT));
	}
	if (!NEW_NULL(row, GC_PAUSED_AT) && !row->is_restore)
	{
		if (!row->is_insert && !OLD_NULL(row, GC_PAUSED_AT))
			cron_guard_set(row, GC_PAUSED_AT, OLD_VAL(row, GC_PAUSED_AT), false);
		else
			cron_guard_set(row, GC_PAUSED_AT, now, false);
	}
	if (!row->is_insert && !cron_guard_distinct(row, GC_UPDATED_AT) &&
		cron_guard_same_but_watching(row))
		cron_guard_set(row, GC_UPDATED_AT, OLD_VAL(row, GC_UPDATED_AT),
					   OLD_NULL(row, GC_UPDATED_AT));
	else
		cron_guard_set(row, GC_UPDATED_AT, now, false);
}

/*
 * A failure alert is an HTTP request from the server, like an HTTP job:
 * setting its URL takes the same privilege and passes the same checks.
 * An empty alert_url is none.
 */
static void
check_watching(GuardRow *row)
{
	if (!NEW_NULL(row, GC_ALERT_URL) && cron_guard_octets(NEW_VAL(row, GC_ALERT_URL)) == 0)
		cron_guard_set(row, GC_ALERT_URL, (Datum) 0, true);
	if (!NEW_NULL(row, GC_ALERT_URL) &&
		(row->is_insert || cron_guard_distinct(row, GC_ALERT_URL)))
	{
		if (!cron_guard_http_allowed())
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to set alert_url of job \"%s\"",
							cron_guard_job_label(row)),
					 errdetail("An alert is an HTTP request: it needs EXECUTE on cron.schedule_http, granted by an administrator."),
					 errhint("Ask an administrator to set cron.default_alert_url, which covers every job.")));
		cron_guard_check_url(NEW_VAL(row, GC_ALERT_URL));
	}
	if (!NEW_NULL(row, GC_EXPECT_SUCCESS_WITHIN) &&
		(interval_cmp_to(NEW_VAL(row, GC_EXPECT_SUCCESS_WITHIN), 0, USECS_PER_SEC) < 0 ||
		 interval_cmp_to(NEW_VAL(row, GC_EXPECT_SUCCESS_WITHIN), 366, 0) > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expect_success_within must be between 1 second and 366 days"),
				 errdetail("expect_success_within of job \"%s\" is %s.",
						   cron_guard_job_label(row),
						   interval_text(NEW_VAL(row, GC_EXPECT_SUCCESS_WITHIN)))));
}

/* the job's name and command */
static void
check_name_and_command(const GuardRow *row)
{
	/* the (username, jobname) index could not hold much more anyway */
	if (!NEW_NULL(row, GC_JOBNAME))
	{
		int64		len = cron_guard_octets(NEW_VAL(row, GC_JOBNAME));

		if (len > 1000)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("job name is too long"),
					 errdetail("A job name has at most 1000 bytes; this one has " INT64_FORMAT ".", len)));
		if (len == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("job name must not be empty"),
					 errhint("Give the job a name, or use cron.schedule(schedule, command) for an unnamed job.")));
	}
	/*
	 * btrim(command, E' \t\n\r\f\v') = '', as 1.3 wrote it: SQL's E'' has
	 * no \v escape, so the set is a space, a tab, a line feed, a carriage
	 * return, a form feed and the letter v.  Kept as it was.
	 */
	if (!NEW_NULL(row, GC_COMMAND))
	{
		text	   *command = DatumGetTextPP(NEW_VAL(row, GC_COMMAND));
		const char *p = VARDATA_ANY(command);
		int			len = VARSIZE_ANY_EXHDR(command);
		int			i = 0;

		while (i < len && p[i] != '\0' && strchr(" \t\n\r\fv", p[i]) != NULL)
			i++;
		if (i == len)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("command must not be empty")));
	}
}

/* NEW.schedule, as cron.check_schedule and cron.next_runs take it: not NULL */
static char *
schedule_text(const GuardRow *row)
{
	if (NEW_NULL(row, GC_SCHEDULE))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", "schedule")));
	return cron_guard_text(row, GC_SCHEDULE);
}

/*
 * cron.check_schedule(NEW.schedule, NEW.timezone): raises 22023 naming the
 * field and the value.  A whole INSERT of jobs usually carries one
 * schedule and zone: the last pair found valid is not checked again.
 */
static void
check_schedule(const GuardRow *row)
{
	static char *valid_schedule = NULL; /* in TopMemoryContext */
	static char *valid_zone = NULL; /* the job's zone, or cron.timezone's */
	static bool valid_zone_is_setting = false;
	char	   *schedule;
	char	   *zone;
	const char *zone_key;
	CronSchedule parsed;
	CronTz		tz;

	schedule = schedule_text(row);
	zone = NEW_NULL(row, GC_TIMEZONE) ? NULL : cron_guard_text(row, GC_TIMEZONE);
	zone_key = zone ? zone : cronext_timezone;
	if (valid_schedule != NULL && zone_key != NULL &&
		strcmp(schedule, valid_schedule) == 0 &&
		valid_zone_is_setting == (zone == NULL) &&
		strcmp(zone_key, valid_zone) == 0)
		return;

	cron_parse_schedule_or_error(schedule, &parsed);
	cron_tz_lookup_or_error(zone, &tz);

	if (valid_schedule != NULL)
	{
		pfree(valid_schedule);
		pfree(valid_zone);
		valid_schedule = valid_zone = NULL;
	}
	if (zone_key != NULL)
	{
		valid_schedule = MemoryContextStrdup(TopMemoryContext, schedule);
		valid_zone = MemoryContextStrdup(TopMemoryContext, zone_key);
		valid_zone_is_setting = (zone == NULL);
	}
}

/* NEW.schedule ~* '^\s*@at\s': a one-off job's schedule */
static bool
is_one_off(Datum schedule)
{
	text	   *t = DatumGetTextPP(schedule);

	/* what has no '@' cannot match */
	if (memchr(VARDATA_ANY(t), '@', VARSIZE_ANY_EXHDR(t)) == NULL)
		return false;
	return DatumGetBool(DirectFunctionCall2Coll(texticregexeq, DEFAULT_COLLATION_OID,
												PointerGetDatum(t),
												CStringGetTextDatum("^\\s*@at\\s")));
}

/* EXISTS (SELECT 1 FROM cron.next_runs(NEW.schedule, NULL, now(), 1)) */
static bool
has_next_slot(const GuardRow *row)
{
	CronSchedule parsed;
	CronTz		tz;
	int64		slot;

	cron_parse_schedule_or_error(schedule_text(row), &parsed);
	cron_tz_lookup_or_error(NULL, &tz);
	return cron_next_slot(&parsed, &tz,
						  cron_timestamptz_to_unix(GetCurrentTransactionStartTimestamp()),
						  &slot);
}

/*
 * A one-off job whose instant is not after now would never run (the
 * scheduler counts only slots after the job's last change): refuse to
 * create it, move it there, or switch it back on once it has run.
 * NEW.active AND NOT is_restore AND <one-off> AND (is_insert OR <schedule
 * changed> OR NOT OLD.active) AND NOT <a next slot>, evaluated as SQL
 * evaluates AND: a NULL goes on to the next term, a false stops.
 */
static void
check_one_off(const GuardRow *row)
{
	bool		anynull = false;

	if (NEW_NULL(row, GC_ACTIVE))
		anynull = true;
	else if (!DatumGetBool(NEW_VAL(row, GC_ACTIVE)))
		return;
	if (row->is_restore)
		return;
	if (NEW_NULL(row, GC_SCHEDULE))
		anynull = true;
	else if (!is_one_off(NEW_VAL(row, GC_SCHEDULE)))
		return;
	if (!(row->is_insert || cron_guard_distinct(row, GC_SCHEDULE) ||
		  !DatumGetBool(OLD_VAL(row, GC_ACTIVE))))
		return;
	if (has_next_slot(row) || anynull)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("the instant of schedule \"%s\" is not in the future",
					cron_guard_text(row, GC_SCHEDULE)),
			 errdetail("The time now is %s.",
					   DatumGetCString(DirectFunctionCall1(timestamptz_out,
														   TimestampTzGetDatum(GetCurrentTransactionStartTimestamp())))),
			 errhint("A one-off job runs once; schedule it again with a later instant.")));
}

/* how the job runs: catch-up, overlap, retries, timeout */
static void
check_options(GuardRow *row)
{
	static const char *const catchups[] = {"none", "latest", "all"};
	static const char *const overlaps[] = {"queue", "skip", "allow"};

	if (!NEW_NULL(row, GC_CATCHUP) &&
		!cron_guard_one_of(row, GC_CATCHUP, catchups, lengthof(catchups)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid catchup policy \"%s\"", cron_guard_text(row, GC_CATCHUP)),
				 errhint("Use none, latest or all.")));
	if (!NEW_NULL(row, GC_OVERLAP) &&
		!cron_guard_one_of(row, GC_OVERLAP, overlaps, lengthof(overlaps)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid overlap policy \"%s\"", cron_guard_text(row, GC_OVERLAP)),
				 errhint("Use queue, skip or allow.")));
	if (!NEW_NULL(row, GC_CATCHUP_WINDOW) &&
		(interval_cmp_to(NEW_VAL(row, GC_CATCHUP_WINDOW), 0, 0) < 0 ||
		 interval_cmp_to(NEW_VAL(row, GC_CATCHUP_WINDOW), 366, 0) > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("catchup_window must be between 0 and 366 days"),
				 errdetail("catchup_window is %s.", interval_text(NEW_VAL(row, GC_CATCHUP_WINDOW)))));
	if (!NEW_NULL(row, GC_MAX_RETRIES) &&
		(DatumGetInt32(NEW_VAL(row, GC_MAX_RETRIES)) < 0 ||
		 DatumGetInt32(NEW_VAL(row, GC_MAX_RETRIES)) > 100))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_retries must be between 0 and 100"),
				 errdetail("max_retries is %d.", DatumGetInt32(NEW_VAL(row, GC_MAX_RETRIES)))));
	if (!NEW_NULL(row, GC_RETRY_DELAY) &&
		(interval_cmp_to(NEW_VAL(row, GC_RETRY_DELAY), 0, 0) < 0 ||
		 interval_cmp_to(NEW_VAL(row, GC_RETRY_DELAY), 30, 0) > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retry_delay must be between 0 and 30 days"),
				 errdetail("retry_delay is %s.", interval_text(NEW_VAL(row, GC_RETRY_DELAY)))));

	/*
	 * A zero timeout means none, as for statement_timeout; runs time out in
	 * whole milliseconds, so a timeout under one is never rounded down to
	 * none.
	 */
	if (!NEW_NULL(row, GC_TIMEOUT))
	{
		Datum		timeout = NEW_VAL(row, GC_TIMEOUT);

		if (interval_cmp_to(timeout, 0, 0) == 0)
			cron_guard_set(row, GC_TIMEOUT, (Datum) 0, true);
		else if (interval_cmp_to(timeout, 0, 0) > 0 && interval_cmp_to(timeout, 0, 1000) < 0)
		{
			Interval   *ms = palloc0(sizeof(Interval));

			ms->time = 1000;
			cron_guard_set(row, GC_TIMEOUT, IntervalPGetDatum(ms), false);
		}
		else if (interval_cmp_to(timeout, 0, 0) < 0 || interval_cmp_to(timeout, 24, 0) > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("timeout must be between 0 and 24 days"),
					 errdetail("timeout is %s.", interval_text(timeout)),
					 errhint("Use 0 for no timeout.")));
	}
}

/* SELECT oid, rolsuper, rolcanlogin FROM pg_roles WHERE rolname = NEW.username::name */
static GuardRole
job_role(const GuardRow *row)
{
	GuardRole	role = {0};
	Name		name;
	HeapTuple	tuple;

	if (NEW_NULL(row, GC_USERNAME))
		return role;
	name = DatumGetName(DirectFunctionCall1(text_name, NEW_VAL(row, GC_USERNAME)));
	tuple = SearchSysCache1(AUTHNAME, NameGetDatum(name));
	if (!HeapTupleIsValid(tuple))
		return role;
	role.found = true;
	role.oid = ((Form_pg_authid) GETSTRUCT(tuple))->oid;
	role.rolsuper = ((Form_pg_authid) GETSTRUCT(tuple))->rolsuper;
	role.rolcanlogin = ((Form_pg_authid) GETSTRUCT(tuple))->rolcanlogin;
	ReleaseSysCache(tuple);
	return role;
}

/* is name the current database's? (it cannot be renamed while we are in it) */
static bool
is_current_database(const char *name)
{
	static char current[NAMEDATALEN] = "";

	if (current[0] == '\0')
	{
		char	   *db = get_database_name(MyDatabaseId);

		if (db == NULL)
			return false;
		strlcpy(current, db, NAMEDATALEN);
	}
	return strcmp(name, current) == 0;
}

/* EXISTS (SELECT 1 FROM pg_database d WHERE d.datname = NEW.database::name) */
static bool
database_exists(Datum database)
{
	Name		name = DatumGetName(DirectFunctionCall1(text_name, database));

	return is_current_database(NameStr(*name)) ||
		OidIsValid(get_database_oid(NameStr(*name), true));
}

/* has_database_privilege(role, NEW.database, 'CONNECT') */
static bool
may_connect(Oid roleid, Datum database)
{
	char	   *name = TextDatumGetCString(database);
	Oid			dboid = is_current_database(name) ? MyDatabaseId : get_database_oid(name, false);

	return pg_database_aclcheck(dboid, roleid, ACL_CONNECT) == ACLCHECK_OK;
}

/*
 * Who runs the job, and where.  Checked when set, not on every change, so
 * that a job whose role or database has gone can still be paused.
 */
static void
check_runner(const GuardRow *row)
{
	GuardRole	role;
	bool		kind_is_sql = new_text_is(row, GC_KIND, "sql");

	if (!((row->is_insert && !row->is_restore) ||
		  (!row->is_insert && (cron_guard_distinct(row, GC_USERNAME) ||
							   cron_guard_distinct(row, GC_DATABASE) ||
							   cron_guard_distinct(row, GC_KIND)))))
		return;

	if (NEW_NULL(row, GC_DATABASE) || !database_exists(NEW_VAL(row, GC_DATABASE)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_CATALOG_NAME),
				 errmsg("database \"%s\" does not exist", raise_arg(row, GC_DATABASE))));
	role = job_role(row);
	if (!role.found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" does not exist", raise_arg(row, GC_USERNAME))));
	if (!row->caller_is_superuser &&
		strcmp(cron_guard_text(row, GC_USERNAME), GetUserNameFromId(GetUserId(), false)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to schedule a job as role \"%s\"",
						cron_guard_text(row, GC_USERNAME)),
				 errdetail("Only superusers can schedule jobs that run as another role.")));
	/* an HTTP job opens no session: no LOGIN or CONNECT needed */
	if (!new_text_is(row, GC_KIND, "http") && !role.rolcanlogin)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" is not permitted to log in", cron_guard_text(row, GC_USERNAME)),
				 errdetail("A job runs in a session of its role, which needs LOGIN.")));
	/* NEW.kind = 'sql' AND NOT <CONNECT>: asked also when kind is NULL */
	if ((kind_is_sql || NEW_NULL(row, GC_KIND)) &&
		!may_connect(role.oid, NEW_VAL(row, GC_DATABASE)) && kind_is_sql)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" does not have CONNECT privilege on database \"%s\"",
						cron_guard_text(row, GC_USERNAME), cron_guard_text(row, GC_DATABASE))));
	if (role.rolsuper && kind_is_sql && !cronext_enable_superuser_jobs)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("jobs cannot run as superuser \"%s\"", cron_guard_text(row, GC_USERNAME)),
				 errdetail("cron.enable_superuser_jobs is off."),
				 errhint("Schedule the job as a role without superuser rights.")));
}

/*
 * SELECT count(*) FROM cron.job j WHERE j.username = NEW.username, as the
 * caller (row-level security) and seeing the rows this statement has
 * written so far.
 */
static int64
count_jobs_of(const GuardRow *row)
{
	Datum		username = NEW_VAL(row, GC_USERNAME);
	char		nulls[1] = {NEW_NULL(row, GC_USERNAME) ? 'n' : ' '};
	static SPIPlanPtr plan = NULL;
	static const Oid argtypes[1] = {TEXTOID};
	int64		njobs;
	bool		isnull;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "cronext: SPI_connect failed");
	if (plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare("SELECT pg_catalog.count(*) FROM cron.job j "
									"WHERE j.username OPERATOR(pg_catalog.=) ($1 COLLATE pg_catalog.\"default\")",
									1, (Oid *) argtypes);

		if (p == NULL || SPI_keepplan(p) != 0)
			elog(ERROR, "cronext: preparing the count of a role's jobs failed");
		plan = p;
	}
	if (SPI_execute_plan(plan, &username, nulls, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "cronext: counting a role's jobs failed");
	njobs = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return njobs;
}

/*
 * Limits a DBA sets for roles that share the server (superusers are not
 * limited): the size of what a job carries, and how many jobs a role
 * owns.  Only what changes is measured, so that a job stored under a
 * higher limit can still be paused.  A role's concurrent transactions
 * each see only their own new rows, so the count can be passed by as many
 * jobs as they create at once.
 */
static void
check_limits(const GuardRow *row)
{
	static const GuardCol sized[] = {GC_COMMAND, GC_HTTP_URL, GC_HTTP_BODY, GC_HTTP_HEADERS, GC_ALERT_URL};
	int64		max_bytes = cronext_max_command_bytes;
	int64		max_jobs = cronext_max_jobs_per_role;

	for (int i = 0; i < lengthof(sized); i++)
	{
		GuardCol	c = sized[i];
		int64		len;

		if (NEW_NULL(row, c) || !(row->is_insert || cron_guard_distinct(row, c)))
			continue;
		if (c == GC_HTTP_HEADERS)
			len = strlen(DatumGetCString(DirectFunctionCall1(jsonb_out, NEW_VAL(row, c))));
		else
			len = cron_guard_octets(NEW_VAL(row, c));
		if (len > max_bytes)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the job is too large"),
					 errdetail("Its command, url, headers, body or alert_url is longer than cron.max_command_bytes (" INT64_FORMAT " bytes).", max_bytes),
					 errhint("Put long code in a function or procedure and call it from the job.")));
	}
	if (max_jobs > 0 && (row->is_insert || cron_guard_distinct(row, GC_USERNAME)))
	{
		int64		njobs;

		njobs = count_jobs_of(row);
		if (njobs >= max_jobs)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("role \"%s\" already has " INT64_FORMAT " jobs",
							raise_arg(row, GC_USERNAME), njobs),
					 errdetail("cron.max_jobs_per_role (" INT64_FORMAT ") is the most jobs one role may own.", max_jobs),
					 errhint("Unschedule jobs that are no longer needed, or ask an administrator to raise the limit.")));
	}
}

/*
 * The owner's identity is the role's OID, never taken from the writer.  A
 * superuser gives the jobs of a dropped role to the new role of the same
 * name by setting roleid to NULL, or to that role's OID (only a superuser
 * sees them).  A job without an owner (restored or taken over after its
 * role was dropped) stays without one when it is paused or changed
 * otherwise, and runs as nobody meanwhile.
 */
static void
set_owner(GuardRow *row)
{
	bool		user_changed = row->is_insert || cron_guard_distinct(row, GC_USERNAME);
	GuardRole	owner;

	if (!(user_changed ||
		  (NEW_NULL(row, GC_ROLEID) && !OLD_NULL(row, GC_ROLEID)) ||
		  (row->caller_is_superuser && cron_guard_distinct(row, GC_ROLEID))))
	{
		cron_guard_set(row, GC_ROLEID, OLD_VAL(row, GC_ROLEID), OLD_NULL(row, GC_ROLEID));
		return;
	}
	owner = job_role(row);
	if (!user_changed && !NEW_NULL(row, GC_ROLEID) &&
		(!owner.found || DatumGetObjectId(NEW_VAL(row, GC_ROLEID)) != owner.oid))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("roleid must be the OID of role \"%s\"", cron_guard_text(row, GC_USERNAME)),
				 errhint("Set roleid to NULL to give the job to the role of that name.")));
	cron_guard_set(row, GC_ROLEID, ObjectIdGetDatum(owner.oid), !owner.found);
	if (!owner.found && !row->is_restore && user_changed)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role \"%s\" does not exist", raise_arg(row, GC_USERNAME))));
}

/*
 * cron.job_guard(): BEFORE INSERT OR UPDATE OR DELETE FOR EACH ROW on
 * cron.job.  Returns the row to write, with what the server sets filled
 * in; raises the API's error for a row the API would refuse.
 */
Datum
cron_job_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td;
	GuardRow	row;
	HeapTuple	newtuple;
	int			natts;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("trigger functions can only be called as triggers")));
	td = (TriggerData *) fcinfo->context;
	row.col = cron_guard_columns(fcinfo->flinfo, td);
	row.caller_is_superuser = superuser();

	if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
	{
		if (!row.caller_is_superuser)
			check_delete_privilege();
		return PointerGetDatum(td->tg_trigtuple);
	}

	row.is_insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);
	row.desc = RelationGetDescr(td->tg_relation);
	natts = row.desc->natts;
	newtuple = row.is_insert ? td->tg_trigtuple : td->tg_newtuple;
	row.nv = palloc(natts * sizeof(Datum));
	row.nn = palloc(natts * sizeof(bool));
	heap_deform_tuple(newtuple, row.desc, row.nv, row.nn);
	row.ov = NULL;
	row.on = NULL;
	if (!row.is_insert)
	{
		row.ov = palloc(natts * sizeof(Datum));
		row.on = palloc(natts * sizeof(bool));
		heap_deform_tuple(td->tg_trigtuple, row.desc, row.ov, row.on);
	}

	if (!row.caller_is_superuser)
		check_write_privilege(&row);

	/*
	 * A superuser writing a job with its id (a pg_dump being restored) gets
	 * the row as it is, as a takeover does: whether its role, database and
	 * schedule are usable is checked when it runs (the scheduler skips and
	 * reports it), since one row refused here would lose the whole COPY.
	 */
	row.is_restore = row.is_insert && row.caller_is_superuser && !NEW_NULL(&row, GC_JOBID);

	set_identity(&row);
	check_watching(&row);
	cron_guard_http(&row);
	check_name_and_command(&row);
	if ((row.is_insert && !row.is_restore) ||
		(!row.is_insert && (cron_guard_distinct(&row, GC_SCHEDULE) ||
							cron_guard_distinct(&row, GC_TIMEZONE))))
		check_schedule(&row);
	check_one_off(&row);
	check_options(&row);
	check_runner(&row);
	if (!row.caller_is_superuser)
		check_limits(&row);
	set_owner(&row);

	/*
	 * Ids come from the sequence only once the row is valid, so refused
	 * writes use none (ids stay consecutive, as in pg_cron), and only a
	 * superuser (pg_dump's restore) may choose one.
	 */
	if (row.is_insert && (NEW_NULL(&row, GC_JOBID) || !row.caller_is_superuser))
	{
		Oid			seq = get_relname_relid("jobid_seq",
											RelationGetNamespace(td->tg_relation));

		if (!OidIsValid(seq))
			elog(ERROR, "cronext: sequence cron.jobid_seq is missing");
		cron_guard_set(&row, GC_JOBID, Int64GetDatum(nextval_internal(seq, true)), false);
	}

	return PointerGetDatum(heap_form_tuple(row.desc, row.nv, row.nn));
}
