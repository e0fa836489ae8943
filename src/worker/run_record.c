/*-------------------------------------------------------------------------
 *
 * run_record.c
 *	  Exactly-once effect for SQL jobs: the job worker writes its run's
 *	  'succeeded' in the command's own transaction.
 *
 * In the database that holds the ledger, a command whose statements all
 * run in one transaction (common/delivery.c) is run in one, and just
 * before its commit the worker marks the run's ledger row succeeded.  The
 * two commit together or not at all: after a crash at any instant the row
 * says succeeded and the effects are there, or neither; then the scheduler
 * runs the slot again (runs.c, run_resume.c).  Just before, in a short
 * transaction of its own, the worker marks the row running: a run already
 * ended (a worker that committed and died before it could report) is not
 * run a second time, and the scheduler leaves the row alone meanwhile.
 *
 * The ledger is written as the bootstrap superuser (the command runs as the
 * job's owner, who may not write it), with a fully qualified statement, in
 * a security-restricted operation so that nothing the command left behind
 * (a temporary function, a changed search_path) runs with those rights.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "mailbox.h"
#include "run_record.h"
#include "text_clip.h"

/* the ledger statements of this worker, planned once (as_owner_of_ledger) */
static SPIPlanPtr mark_running_plan = NULL;
static SPIPlanPtr read_run_plan = NULL;
static SPIPlanPtr mark_succeeded_plan = NULL;

/*
 * Run a ledger statement as the bootstrap superuser, restricted.  Its plan
 * is made once per worker and kept (*plan): the worker runs the same few
 * statements for every run, and planning them cost more than running
 * them.  The plan cache keeps it valid (a changed catalog or search_path
 * makes it plan again); the session reset between runs leaves it alone
 * (session_state.c).
 */
static int
as_owner_of_ledger(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types,
				   Datum *values, bool read_only)
{
	Oid			save_userid;
	int			save_sec_context;
	int			ret;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "cronext: SPI_connect failed");
		if (*plan == NULL)
		{
			/* generic: a custom plan would be made for each of the first runs */
			SPIPlanPtr	made = SPI_prepare_cursor(sql, nargs, types,
												  CURSOR_OPT_GENERIC_PLAN);

			if (made == NULL || SPI_keepplan(made) != 0)
				elog(ERROR, "cronext: could not prepare a ledger statement: %s",
					 SPI_result_code_string(SPI_result));
			*plan = made;
		}
		ret = SPI_execute_plan(*plan, values, NULL, read_only, 1);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
	return ret;
}

static void
done_with_spi(void)
{
	SPI_finish();
	PopActiveSnapshot();
}

/*
 * In a transaction of its own, just before the command's: is the run still
 * to be done?  If so it is marked running by this worker (so that the
 * scheduler, which marks only 'starting' rows, does not write the row while
 * the command runs); a run whose row has ended (or is gone) is not run, and
 * its outcome is reported as the row says.
 */
static bool
before_command(void *arg, bool *succeeded, char *message, Size size)
{
	CronMailbox *mb = arg;
	Oid			types[2] = {INT8OID, TIMESTAMPTZOID};
	Datum		values[2];
	bool		run;

	/*
	 * This short transaction is ours, whatever the role's defaults: read
	 * committed (the scheduler may have just marked the row) and writable.
	 * Its commit need not wait for the disk: the mark only says the run is
	 * under way, and the command's own commit, which is synchronous, makes
	 * it durable first if the command commits; lost in a crash, the row
	 * says 'starting', and a run of exactly-once effect that had not
	 * committed runs again either way.
	 */
	(void) set_config_option("transaction_isolation", "read committed",
							 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
	(void) set_config_option("transaction_read_only", "off",
							 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
	(void) set_config_option("synchronous_commit", "off",
							 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
	values[0] = Int64GetDatum(mb->runid);
	values[1] = TimestampTzGetDatum(mb->start_time);
	if (as_owner_of_ledger(&mark_running_plan,
						   "UPDATE cron.job_run_details SET status = 'running', "
						   "job_pid = pg_catalog.pg_backend_pid(), "
						   "start_time = COALESCE(start_time, $2), next_attempt_at = NULL "
						   "WHERE runid OPERATOR(pg_catalog.=) $1 "
						   "AND status OPERATOR(pg_catalog.=) ANY (ARRAY['starting', 'running'])",
						   2, types, values, false) != SPI_OK_UPDATE)
		elog(ERROR, "cronext: could not mark run " INT64_FORMAT " running", mb->runid);
	run = SPI_processed == 1;
	done_with_spi();
	if (run)
	{
		mb->exactly_once = true;	/* seen by the scheduler if we die now */
		return true;
	}

	/* ended already, by an earlier attempt that committed, or gone */
	if (as_owner_of_ledger(&read_run_plan,
						   "SELECT status, return_message FROM cron.job_run_details "
						   "WHERE runid OPERATOR(pg_catalog.=) $1",
						   1, types, values, true) != SPI_OK_SELECT)
		elog(ERROR, "cronext: could not read run " INT64_FORMAT, mb->runid);
	if (SPI_processed == 0)
	{
		*succeeded = false;
		strlcpy(message, "the run's row in cron.job_run_details is gone; the command was not run", size);
	}
	else
	{
		char	   *status = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		char	   *said = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

		*succeeded = strcmp(status, "succeeded") == 0;
		cron_text_copy(message, said ? said : status, size);
		mb->recorded = true;
	}
	done_with_spi();
	return false;
}

/*
 * After the last statement, before the commit: the run succeeded.  A
 * read-only transaction (SET TRANSACTION READ ONLY, a role's
 * default_transaction_read_only) cannot write it, and has no effect to
 * protect: the scheduler records it then, as for any run.
 */
static void
at_commit(void *arg, const char *message)
{
	CronMailbox *mb = arg;
	Oid			types[3] = {INT8OID, TEXTOID, TIMESTAMPTZOID};
	Datum		values[3];

	if (XactReadOnly)
	{
		mb->record_skipped = true;
		return;
	}
	values[0] = Int64GetDatum(mb->runid);
	values[1] = CStringGetTextDatum(message);
	values[2] = TimestampTzGetDatum(mb->start_time);
	if (as_owner_of_ledger(&mark_succeeded_plan,
						   "UPDATE cron.job_run_details SET status = 'succeeded', "
						   "return_message = $2, start_time = COALESCE(start_time, $3), "
						   "end_time = pg_catalog.clock_timestamp() "
						   "WHERE runid OPERATOR(pg_catalog.=) $1 "
						   "AND status OPERATOR(pg_catalog.=) ANY (ARRAY['starting', 'running'])",
						   3, types, values, false) != SPI_OK_UPDATE)
		elog(ERROR, "cronext: could not record run " INT64_FORMAT, mb->runid);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("run " INT64_FORMAT " ended before its command could commit; its effects were rolled back",
						mb->runid)));
	done_with_spi();
}

/* the hooks of a run, for cron_execute_command */
void
cron_run_record_hooks(CronMailbox *mb, CronCommandHooks *hooks)
{
	hooks->before = before_command;
	hooks->at_commit = at_commit;
	hooks->arg = mb;
}
