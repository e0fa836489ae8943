/*-------------------------------------------------------------------------
 *
 * watch_api.c
 *	  SQL-callable functions for watching jobs that need C:
 *	  cron._store_secret (a job's signing secret, which no role but a
 *	  superuser may read back) and cron.scheduler_metrics (what each
 *	  scheduler published in shared memory).
 *
 * A signing secret lives in cron._job_secret, which grants nothing to
 * anyone: a role that could read it could forge its own job's signatures
 * (harmless) but also, through a bug in a policy, another's.  So the owner
 * writes it only through cron._store_secret: the job's visibility is
 * checked as the caller (row-level security on cron.job), then the row is
 * written as the bootstrap superuser, under a restricted security context.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "shared.h"

/* shortest and longest secret accepted */
#define SECRET_MIN_BYTES	16
#define SECRET_MAX_BYTES	1024

PG_FUNCTION_INFO_V1(cron_store_secret);
PG_FUNCTION_INFO_V1(cron_scheduler_metrics);

static const char *const store_secret_sql =
"WITH d AS (DELETE FROM cron._job_secret s "
"WHERE s.jobid OPERATOR(pg_catalog.=) $1 AND $2 IS NULL RETURNING 1), "
"u AS (INSERT INTO cron._job_secret (jobid, secret) "
"SELECT $1, $2 WHERE $2 IS NOT NULL "
"ON CONFLICT (jobid) DO UPDATE SET secret = EXCLUDED.secret "
"WHERE NOT (cron._job_secret.secret OPERATOR(pg_catalog.=) EXCLUDED.secret) RETURNING 1) "
"SELECT (SELECT pg_catalog.count(*) FROM d) OPERATOR(pg_catalog.+) "
"(SELECT pg_catalog.count(*) FROM u)";

Datum
cron_store_secret(PG_FUNCTION_ARGS)
{
	int64		jobid;
	char	   *secret = NULL;
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = "  ";
	Oid			save_userid;
	int			save_sec;
	bool		changed;
	bool		own;
	bool		isnull;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("job_id must not be NULL")));
	jobid = PG_GETARG_INT64(0);
	if (!PG_ARGISNULL(1))
	{
		secret = text_to_cstring(PG_GETARG_TEXT_PP(1));
		if (secret[0] == '\0')
			secret = NULL;
	}
	if (secret != NULL)
	{
		size_t		len = strlen(secret);

		if (len < SECRET_MIN_BYTES || len > SECRET_MAX_BYTES)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("signing_secret must have %d to %d bytes",
							SECRET_MIN_BYTES, SECRET_MAX_BYTES),
					 errdetail("It has %zu.", len),
					 errhint("Generate one with, e.g., python3 -c \"import secrets; print(secrets.token_urlsafe(32))\".")));
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "cronext: SPI_connect failed");

	/*
	 * As the caller: the job must be the caller's own (row-level security,
	 * and the owner's OID for a role that bypasses it), or the caller a
	 * superuser.  (The function's search_path is pinned: nothing the caller
	 * creates runs below, as the bootstrap superuser.)
	 */
	values[0] = Int64GetDatum(jobid);
	if (SPI_execute_with_args("SELECT j.roleid FROM cron.job j WHERE j.jobid OPERATOR(pg_catalog.=) $1",
							  1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "cronext: reading cron.job failed");
	own = SPI_processed == 1;
	if (own && !superuser())
	{
		Datum		owner = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		own = !isnull && DatumGetObjectId(owner) == GetUserId();
	}
	if (!own)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("job " INT64_FORMAT " does not exist", jobid),
				 errhint("A role can set the signing secret of its own jobs only.")));

	/* as the bootstrap superuser: the one writer of the secrets */
	values[1] = secret ? CStringGetTextDatum(secret) : (Datum) 0;
	nulls[1] = secret ? ' ' : 'n';
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
						   save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		if (SPI_execute_with_args(store_secret_sql, 2, types, values, nulls,
								  false, 0) != SPI_OK_SELECT)
			elog(ERROR, "cronext: writing the signing secret failed");
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
	changed = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull)) > 0;
	SPI_finish();
	if (secret)
		explicit_bzero(secret, strlen(secret));
	PG_RETURN_BOOL(changed);
}

/* one row per running scheduler, from shared memory */
Datum
cron_scheduler_metrics(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			max = cron_max_databases_slots();
	CronDbMetrics *rows = palloc0(sizeof(CronDbMetrics) * Max(max, 1));
	int			n = cron_metrics_snapshot(rows, max);

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < n; i++)
	{
		Datum		values[10];
		bool		nulls[10] = {0};
		char	   *dbname = get_database_name(rows[i].dboid);
		const CronSchedulerMetrics *m = &rows[i].m;

		if (dbname == NULL)
			continue;			/* dropped meanwhile */
		values[0] = CStringGetDatum(dbname);
		values[0] = DirectFunctionCall1(namein, values[0]);
		values[1] = Int32GetDatum(rows[i].pid);
		values[2] = Int64GetDatum(m->jobs_loaded);
		values[3] = Int32GetDatum(m->runs_running);
		values[4] = Int32GetDatum(m->runs_waiting);
		values[5] = Int32GetDatum(m->workers_busy);
		values[6] = Int32GetDatum(m->workers_max);
		values[7] = Float8GetDatum(m->workers_max > 0 ?
								   (double) m->workers_busy / m->workers_max : 0.0);
		values[8] = Int32GetDatum(m->http_in_flight);
		values[9] = Int32GetDatum(m->http_max);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
