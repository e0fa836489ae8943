/*-------------------------------------------------------------------------
 *
 * http_read.c
 *	  The HTTP worker's reads of the catalog: the definitions of the jobs
 *	  (URL, method, headers, body) and alerts whose requests the scheduler
 *	  posted, turned into requests for libcurl (http_request.h).
 *
 * The worker reads a job's definition when its request starts, so a job
 * edited while its run waited is sent as it is now, and whether its owner
 * may still make HTTP requests is checked then.  Header values are read
 * here and handed to libcurl, and are never logged, reported or stored.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <curl/curl.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "cronext.h"
#include "http_queue.h"
#include "http_read.h"
#include "http_request.h"
#include "lock_timeout.h"

static const char *const job_sql =
"SELECT j.jobid, j.http_method, j.http_url, j.http_body, "
"(SELECT pg_catalog.string_agg(h.key OPERATOR(pg_catalog.||) "
"CASE WHEN (h.value OPERATOR(pg_catalog.#>>) '{}') OPERATOR(pg_catalog.=) '' THEN ';' "
"ELSE ': ' OPERATOR(pg_catalog.||) (h.value OPERATOR(pg_catalog.#>>) '{}') END, "
"E'\\n') FROM pg_catalog.jsonb_each(j.http_headers) h), "
"j.http_expect_status, "
"COALESCE(pg_catalog.date_part('epoch', j.timeout) OPERATOR(pg_catalog.*) 1000, 0)::pg_catalog.float8, "
"CASE WHEN r.oid IS NULL THEN pg_catalog.format('role \"%s\" does not exist', j.username) "
"WHEN r.oid IS DISTINCT FROM j.roleid "
"THEN pg_catalog.format('role \"%s\" is not the role that scheduled the job: that role was dropped', j.username) "
"WHEN NOT cron._http_allowed(r.rolname) "
"THEN pg_catalog.format('role \"%s\" may no longer schedule HTTP jobs (EXECUTE on cron.schedule_http was revoked)', j.username) "
"END, COALESCE(j.jobname, j.jobid::pg_catalog.text), "
"(SELECT s.secret FROM cron._job_secret s WHERE s.jobid OPERATOR(pg_catalog.=) j.jobid) "
"FROM cron.job j LEFT JOIN pg_catalog.pg_roles r "
"ON r.rolname OPERATOR(pg_catalog.=) j.username "
"WHERE j.jobid OPERATOR(pg_catalog.=) ANY ($1) "
"AND j.kind OPERATOR(pg_catalog.=) 'http'";

/*
 * Alerts (scheduler/alerts.c): the URL and JSON were fixed when the alert
 * was written; the job's signing secret is the one it has now.
 */
static const char *const alert_sql =
"SELECT a.alertid, COALESCE(a.url, d.url), a.payload::pg_catalog.text, a.event, "
"COALESCE(j.jobname, a.jobid::pg_catalog.text), "
"(SELECT s.secret FROM cron._job_secret s WHERE s.jobid OPERATOR(pg_catalog.=) a.jobid), "
"CASE WHEN j.jobid IS NULL THEN 'the job was unscheduled before its alert was sent' "
"WHEN COALESCE(a.url, d.url) IS NULL "
"THEN 'the job has no alert_url and cron.default_alert_url is empty' "
/* the job's own alert_url is its owner's request: the owner needs the HTTP privilege still */
"WHEN a.url IS NOT NULL AND (r.oid IS NULL OR j.roleid IS NULL "
"OR r.oid OPERATOR(pg_catalog.<>) j.roleid OR NOT cron._http_allowed(r.rolname)) "
"THEN pg_catalog.format('role \"%s\" may no longer send alerts (it is not the role that set alert_url, "
"or EXECUTE on cron.schedule_http was revoked)', j.username) END "
"FROM cron.job_alerts a LEFT JOIN cron.job j ON j.jobid OPERATOR(pg_catalog.=) a.jobid "
"LEFT JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) j.username "
"CROSS JOIN (SELECT NULLIF(pg_catalog.current_setting('cron.default_alert_url', true), '') AS url) d "
"WHERE a.alertid OPERATOR(pg_catalog.=) ANY ($1) "
"AND a.status OPERATOR(pg_catalog.=) 'pending'";

/* an alert's request gives up after this long */
#define ALERT_TIMEOUT_MS	10000

/* build a request from a row of job_sql, in its own memory context */
static HttpRequest *
request_from_row(CronHttpQueue *queue, int entryno, HeapTuple tuple, TupleDesc desc)
{
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "cronext http request",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	HttpRequest *req = palloc0(sizeof(HttpRequest));
	bool		isnull;
	Datum		d;

	req->entryno = entryno;
	req->entry = cron_http_entry(queue, entryno);
	req->body_capacity = queue->body_capacity;
	req->cxt = cxt;
	req->method = SPI_getvalue(tuple, desc, 2);
	req->url = SPI_getvalue(tuple, desc, 3);
	req->body = SPI_getvalue(tuple, desc, 4);
	req->jobname = SPI_getvalue(tuple, desc, 9);
	req->secret = SPI_getvalue(tuple, desc, 10);

	d = SPI_getbinval(tuple, desc, 5, &isnull);
	if (!isnull)
	{
		char	   *lines = TextDatumGetCString(d);
		char	   *save = NULL;

		for (char *tok = strtok_r(lines, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save))
			req->headers = curl_slist_append(req->headers, tok);
		/* the header values are secrets: do not leave copies around */
		explicit_bzero(lines, strlen(lines));
	}

	d = SPI_getbinval(tuple, desc, 6, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		bool	   *nulls;

		deconstruct_array(DatumGetArrayTypeP(d), INT4OID, 4, true, TYPALIGN_INT,
						  &elems, &nulls, &req->nexpect);
		req->expect = palloc(sizeof(int) * Max(req->nexpect, 1));
		for (int i = 0; i < req->nexpect; i++)
			req->expect[i] = DatumGetInt32(elems[i]);
	}

	d = SPI_getbinval(tuple, desc, 7, &isnull);
	req->timeout_ms = (int) Min(ceil(DatumGetFloat8(d)), (double) INT_MAX);

	/*
	 * No request holds a connection longer than cron.http_max_timeout, so
	 * no role can keep connections busy for ever (0 = the job has none).
	 */
	if (req->timeout_ms <= 0 || req->timeout_ms > cronext_http_max_timeout * 1000)
		req->timeout_ms = cronext_http_max_timeout * 1000;
	MemoryContextSwitchTo(old);
	return req;
}

/* build an alert's request from a row of alert_sql */
static HttpRequest *
request_from_alert_row(CronHttpQueue *queue, int entryno, HeapTuple tuple,
					   TupleDesc desc)
{
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext, "cronext http alert",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	HttpRequest *req = palloc0(sizeof(HttpRequest));

	req->entryno = entryno;
	req->entry = cron_http_entry(queue, entryno);
	req->body_capacity = queue->body_capacity;
	req->cxt = cxt;
	req->alert = true;
	req->method = pstrdup("POST");
	req->url = SPI_getvalue(tuple, desc, 2);
	req->body = SPI_getvalue(tuple, desc, 3);
	req->event = SPI_getvalue(tuple, desc, 4);
	req->jobname = SPI_getvalue(tuple, desc, 5);
	req->secret = SPI_getvalue(tuple, desc, 6);
	req->headers = curl_slist_append(NULL, "Content-Type: application/json");
	req->timeout_ms = Min(ALERT_TIMEOUT_MS, cronext_http_max_timeout * 1000);
	MemoryContextSwitchTo(old);
	return req;
}

/* what cron_http_read_posted reads, as a step of cron_with_lock_timeout */
typedef struct ReadStep
{
	CronHttpQueue *queue;
	int			n;
	const int  *entries;			/* the posted entries */
	Datum		ids;			/* the jobids of the runs' entries, an int8[] */
	int			nids;
	Datum		alert_ids;		/* the alertids of the alerts' entries, an int8[] */
	int			nalerts;
	HttpRequest **reqs;			/* out: a request per entry, or NULL */
	char	  **problems;		/* out: why an entry cannot run, or NULL */
	MemoryContext cxt;			/* where the problems are kept */
} ReadStep;

typedef HttpRequest *(*RequestFromRow) (CronHttpQueue *queue, int entryno,
										 HeapTuple tuple, TupleDesc desc);

/*
 * Run one of the read queries (its rows: the id in column 1, why the entry
 * cannot run, or NULL, in column problem_col) and give each posted entry
 * the row of its job (alerts = false) or of its alert (alerts = true).
 */
static void
read_rows(ReadStep *rs, const char *sql, Datum ids, bool alerts, int problem_col,
		  RequestFromRow build)
{
	Oid			argtypes[1] = {INT8ARRAYOID};
	Datum		values[1] = {ids};
	int			ret = SPI_execute_with_args(sql, 1, argtypes, values, NULL, true, 0);

	if (ret != SPI_OK_SELECT)
		elog(ERROR, "cronext: reading HTTP %s failed: %s", alerts ? "alerts" : "jobs",
			 SPI_result_code_string(ret));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		int64		id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
		char	   *problem = SPI_getvalue(tuple, desc, problem_col);

		for (int i = 0; i < rs->n; i++)
		{
			CronHttpEntry *entry = cron_http_entry(rs->queue, rs->entries[i]);

			if (alerts ? entry->alertid != id : (entry->alertid != 0 || entry->jobid != id))
				continue;
			if (problem)
				rs->problems[i] = MemoryContextStrdup(rs->cxt, problem);
			else
				rs->reqs[i] = build(rs->queue, rs->entries[i], tuple, desc);
		}
	}
}

static void
read_step(void *arg)
{
	ReadStep   *rs = arg;

	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (rs->nids > 0)
		read_rows(rs, job_sql, rs->ids, false, 8, request_from_row);
	if (rs->nalerts > 0)
		read_rows(rs, alert_sql, rs->alert_ids, true, 7, request_from_alert_row);
	SPI_finish();
	PopActiveSnapshot();
}


/*
 * Read the jobs (and alerts) of the posted entries, in one transaction:
 * reqs[i] gets entry i's request, or problems[i] why it cannot run (in the
 * caller's memory context), or neither if its job or alert is gone.  If
 * the read fails (cron.job locked: ERRCODE_LOCK_NOT_AVAILABLE), returns
 * false with the error in *edata, and the requests made are the caller's
 * to free.
 */
bool
cron_http_read_posted(CronHttpQueue *queue, const int *entries, int n,
					  HttpRequest **reqs, char **problems, ErrorData **edata)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum	   *ids;
	Datum	   *alert_ids;
	int			nids = 0;
	int			nalerts = 0;
	ReadStep	rs;
	bool		ok;

	ids = palloc(sizeof(Datum) * n);
	alert_ids = palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
	{
		CronHttpEntry *entry = cron_http_entry(queue, entries[i]);

		if (entry->alertid != 0)
			alert_ids[nalerts++] = Int64GetDatum(entry->alertid);
		else
			ids[nids++] = Int64GetDatum(entry->jobid);
	}

	rs.queue = queue;
	rs.n = n;
	rs.entries = entries;
	rs.nids = nids;
	rs.nalerts = nalerts;
	rs.ids = PointerGetDatum(construct_array(ids, nids, INT8OID, 8, true,
											 TYPALIGN_DOUBLE));
	rs.alert_ids = PointerGetDatum(construct_array(alert_ids, nalerts, INT8OID, 8, true,
												   TYPALIGN_DOUBLE));
	rs.reqs = reqs;
	rs.problems = problems;
	rs.cxt = cxt;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	/* the error, if any, must outlive the transaction */
	MemoryContextSwitchTo(cxt);
	pgstat_report_activity(STATE_RUNNING, "reading HTTP jobs");
	ok = cron_with_lock_timeout(read_step, &rs, edata);
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	pgstat_report_activity(STATE_IDLE, NULL);

	return ok;
}
