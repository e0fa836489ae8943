/*-------------------------------------------------------------------------
 *
 * alerts.c
 *	  The scheduler's side of alerts: the dead-man check, and sending the
 *	  outbox cron.job_alerts through the HTTP worker.
 *
 * A failure alert is written by a trigger in the transaction that records
 * the failure (cronext--1.3.sql, cron._alert_failed), so it cannot be lost.
 * The dead-man check is one statement: for each job with
 * expect_success_within, it writes an 'overdue' alert when that interval
 * has passed since the job's last success (or its creation), and a
 * 'recovered' one at the next success.  UNIQUE (jobid, event, slot) makes
 * each fire once, across restarts too.
 *
 * The check runs when it can find something: at the earliest deadline it
 * computed, after a run of a watched job ended, and after cron.job changed.
 * Pending alerts are sent when one was written or its next attempt comes
 * due.  Neither runs on a scheduler with nothing to watch, so idle costs
 * stay zero.
 *
 * Sending: at most ALERT_MAX_IN_FLIGHT alerts are in the HTTP queue at
 * once, so alerts never take the queue from HTTP jobs.  An alert is sent
 * until the endpoint answers 2xx, at most ALERT_MAX_ATTEMPTS times, 10 s,
 * 30 s, 90 s and 270 s apart (or after the server's Retry-After); an alert
 * whose request was lost with the HTTP worker is sent again (its
 * Idempotency-Key is the same).  Posting happens after the transaction
 * that found the alert committed, so the HTTP worker reads a row that
 * exists.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "alerts.h"
#include "cronext.h"
#include "http_dispatch.h"
#include "http_request.h"
#include "job_cache.h"
#include "schedule_pg.h"

#define ALERT_MAX_IN_FLIGHT		4
#define ALERT_MAX_ATTEMPTS		5
/* no free queue entry, or the HTTP worker is starting: look again then */
#define ALERT_POST_RETRY_MS		1000
/* the pass failed (its error is in the log): try again then */
#define ALERT_FAILED_RETRY_MS	10000
/* a dead-man check asked for by run outcomes or job changes waits this long after the last */
#define ALERT_CHECK_EVERY_MS	5000

/*
 * The dead-man check.  good_at: the last success's end, or the job's
 * creation; the previous dead-man alert says whether the job is overdue
 * now.  Returns how many alerts it wrote and the next deadline.
 */
static const char *const check_sql =
"WITH w AS (SELECT j.jobid, j.jobname, j.username, j.roleid, j.kind, j.alert_url, "
"j.expect_success_within AS within, s.end_time AS last_success, "
"GREATEST(j.created_at, s.end_time, r.created_at) AS good_at, "
"o.slot AS overdue_slot, r.slot IS NOT NULL AS recovered "
"FROM cron.job j "
"LEFT JOIN LATERAL (SELECT d.end_time FROM cron.job_run_details d "
"WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid "
"AND d.status OPERATOR(pg_catalog.=) 'succeeded' "
"ORDER BY d.scheduled_for DESC LIMIT 1) s ON true "
"LEFT JOIN LATERAL (SELECT a.slot FROM cron.job_alerts a "
"WHERE a.jobid OPERATOR(pg_catalog.=) j.jobid AND a.event OPERATOR(pg_catalog.=) 'overdue' "
"ORDER BY a.slot DESC LIMIT 1) o ON true "
"LEFT JOIN LATERAL (SELECT a.slot, a.created_at FROM cron.job_alerts a "
"WHERE a.jobid OPERATOR(pg_catalog.=) j.jobid AND a.event OPERATOR(pg_catalog.=) 'recovered' "
"AND a.slot OPERATOR(pg_catalog.=) o.slot) r ON true "
"WHERE j.expect_success_within IS NOT NULL "
"AND j.schedule OPERATOR(pg_catalog.!~~) '@at %' "
"AND cron._alert_url(j.alert_url) IS NOT NULL), "
"e AS (SELECT w.*, CASE "
"WHEN w.overdue_slot IS NOT NULL AND NOT w.recovered "
"THEN CASE WHEN w.good_at OPERATOR(pg_catalog.>) w.overdue_slot THEN 'recovered' END "
"WHEN w.good_at OPERATOR(pg_catalog.+) w.within OPERATOR(pg_catalog.<=) pg_catalog.now() "
"THEN 'overdue' END AS ev, "
"(w.overdue_slot IS NULL OR w.recovered) AS watching FROM w), "
"ins AS (INSERT INTO cron.job_alerts (jobid, event, slot, url, username, roleid, payload) "
"SELECT e.jobid, e.ev, "
"CASE WHEN e.ev OPERATOR(pg_catalog.=) 'recovered' THEN e.overdue_slot ELSE e.good_at END, "
"NULLIF(e.alert_url, ''), e.username, e.roleid, pg_catalog.jsonb_build_object("
"'event', e.ev, 'job_id', e.jobid, 'job_name', e.jobname, 'owner', e.username, "
"'kind', e.kind, 'database', pg_catalog.current_database(), "
"'expect_success_within_seconds', pg_catalog.date_part('epoch', e.within), "
"'last_success', e.last_success, "
"'overdue_since', CASE WHEN e.ev OPERATOR(pg_catalog.=) 'overdue' "
"THEN e.good_at OPERATOR(pg_catalog.+) e.within END) "
"FROM e WHERE e.ev IS NOT NULL ON CONFLICT DO NOTHING RETURNING 1) "
"SELECT (SELECT pg_catalog.count(*) FROM ins), "
"(SELECT pg_catalog.min(e.good_at OPERATOR(pg_catalog.+) e.within) FROM e "
"WHERE e.watching AND e.good_at OPERATOR(pg_catalog.+) e.within OPERATOR(pg_catalog.>) pg_catalog.now())";

/*
 * Failure alerts written while cron.job was locked have no job fields
 * yet: add them, or drop the alert if the job has no alert URL (its own
 * or cron.default_alert_url) or is gone.
 */
static const char *const resolve_sql =
"WITH r AS (SELECT a.alertid, j.jobid AS found, j.alert_url, "
"cron._alert_url(j.alert_url) AS url, j.jobname, j.kind "
"FROM cron.job_alerts a LEFT JOIN cron.job j ON j.jobid OPERATOR(pg_catalog.=) a.jobid "
"WHERE a.status OPERATOR(pg_catalog.=) 'pending' AND NOT a.resolved), "
"d AS (DELETE FROM cron.job_alerts a USING r "
"WHERE a.alertid OPERATOR(pg_catalog.=) r.alertid AND (r.found IS NULL OR r.url IS NULL)) "
"UPDATE cron.job_alerts a SET url = NULLIF(r.alert_url, ''), resolved = true, "
"payload = a.payload OPERATOR(pg_catalog.||) "
"pg_catalog.jsonb_build_object('job_name', r.jobname, 'kind', r.kind) "
"FROM r WHERE a.alertid OPERATOR(pg_catalog.=) r.alertid "
"AND r.found IS NOT NULL AND r.url IS NOT NULL";

/*
 * Alerts due now, not in flight: the oldest of each role first, then the
 * next of each, so that one role's many alerts do not hold up another's.
 */
static const char *const due_sql =
"SELECT q.alertid, q.jobid, q.attempts FROM (SELECT a.alertid, a.jobid, a.attempts, "
"a.next_attempt_at, pg_catalog.row_number() OVER (PARTITION BY a.username "
"ORDER BY a.next_attempt_at, a.alertid) AS turn "
"FROM cron.job_alerts a "
"WHERE a.status OPERATOR(pg_catalog.=) 'pending' AND a.resolved "
"AND a.next_attempt_at OPERATOR(pg_catalog.<=) pg_catalog.now() "
"AND a.alertid OPERATOR(pg_catalog.<>) ALL ($1)) q "
"ORDER BY q.turn, q.next_attempt_at, q.alertid LIMIT $2";

/* when the next pending alert not in flight comes due */
static const char *const next_sql =
"SELECT pg_catalog.min(a.next_attempt_at) FROM cron.job_alerts a "
"WHERE a.status OPERATOR(pg_catalog.=) 'pending' AND a.resolved "
"AND a.alertid OPERATOR(pg_catalog.<>) ALL ($1)";

/* one attempt's outcome; the next attempt 10 s x 3^n later, or Retry-After */
static const char *const outcome_sql =
"UPDATE cron.job_alerts a SET attempts = a.attempts OPERATOR(pg_catalog.+) 1, "
"status = CASE WHEN $2 THEN 'sent' "
"WHEN a.attempts OPERATOR(pg_catalog.+) 1 OPERATOR(pg_catalog.>=) $7 THEN 'failed' "
"ELSE 'pending' END, "
"next_attempt_at = CASE WHEN $2 THEN a.next_attempt_at ELSE pg_catalog.now() OPERATOR(pg_catalog.+) "
"pg_catalog.make_interval(secs => GREATEST(10 OPERATOR(pg_catalog.*) "
"(3 OPERATOR(pg_catalog.^) a.attempts), $8)) END, "
"sent_at = CASE WHEN $2 THEN $4 END, http_status = $5, return_message = $6 "
"WHERE a.alertid OPERATOR(pg_catalog.=) $1 AND a.status OPERATOR(pg_catalog.=) 'pending' "
"RETURNING a.status, COALESCE(a.url, pg_catalog.current_setting('cron.default_alert_url', true)), "
"a.jobid, a.event, a.attempts";

/* delivered or given-up alerts older than cron.history_retention, one batch */
static const char *const prune_sql =
"DELETE FROM cron.job_alerts a WHERE a.alertid OPERATOR(pg_catalog.=) ANY (ARRAY("
"SELECT o.alertid FROM cron.job_alerts o "
"WHERE o.status OPERATOR(pg_catalog.<>) 'pending' "
"AND o.created_at OPERATOR(pg_catalog.<) $1 ORDER BY o.alertid LIMIT $2))";

typedef struct InFlight
{
	int64		alertid;
	int			entry;
	uint64		queue_gen;
	bool		recorded;		/* its outcome is written in the pass's
								 * transaction: released once it commits */
} InFlight;

static InFlight inflight[ALERT_MAX_IN_FLIGHT];
static int	ninflight = 0;

static bool check_wanted = true;	/* at start: look once */
static bool send_wanted = true;
static TimestampTz last_check_at = 0;
static TimestampTz next_check_at = 0;	/* 0: no deadline known */
static TimestampTz next_send_at = 0;	/* 0: nothing to send until woken */

/* alerts found in the pass, posted after it commits */
typedef struct ToPost
{
	int64		alertid;
	int64		jobid;
	int			attempt;
} ToPost;

static ToPost to_post[ALERT_MAX_IN_FLIGHT];
static int	nto_post = 0;

/*
 * A run ended.  A watched job's outcome may move its deadline or recover
 * it; a failure of a job with an alert URL (its own, or
 * cron.default_alert_url) wrote an alert to send.
 */
void
cron_alerts_note_outcome(bool watched, bool failed, bool alerting)
{
	if (watched)
		check_wanted = true;
	if (failed && (alerting || cronext_default_alert_url[0] != '\0'))
		send_wanted = true;
}

/* cron.job changed, or the settings were reloaded (cron.default_alert_url) */
void
cron_alerts_note_jobs_changed(void)
{
	check_wanted = true;
}

static bool
entry_done(const InFlight *f)
{
	if (f->queue_gen != cron_http_queue_gen())
		return true;			/* the worker and its queue are gone */
	return !f->recorded &&
		pg_atomic_read_u32(&cron_dispatch_entry(f->entry)->state) == HE_DONE;
}

/* is a dead-man check asked for?  Never while no job is watched */
static bool
check_asked(void)
{
	if (check_wanted && !cron_job_cache_any_watched())
	{
		check_wanted = false;
		next_check_at = 0;
	}
	return check_wanted;
}

/* a check asked for by outcomes and changes runs at most this often */
static TimestampTz
check_allowed_at(void)
{
	return last_check_at + (int64) ALERT_CHECK_EVERY_MS * 1000;
}

/* is there anything for cron_alerts_pass to do now? */
bool
cron_alerts_due(TimestampTz now)
{
	if (check_asked() && now >= check_allowed_at())
		return true;
	if (send_wanted)
		return true;
	if (next_check_at != 0 && now >= next_check_at && cron_job_cache_any_watched())
		return true;
	if (next_send_at != 0 && now >= next_send_at)
		return true;
	for (int i = 0; i < ninflight; i++)
		if (entry_done(&inflight[i]))
			return true;
	return false;
}

void
cron_alerts_add_wakes(CronWake *wake)
{
	if (send_wanted)
		cron_wake_in(wake, 0);
	if (check_asked())
		cron_wake_at(wake, check_allowed_at());
	if (next_check_at != 0 && cron_job_cache_any_watched())
		cron_wake_at(wake, next_check_at);
	if (next_send_at != 0)
		cron_wake_at(wake, next_send_at);
}

static Datum
ids_array(bool with_to_post)
{
	Datum		ids[2 * ALERT_MAX_IN_FLIGHT];
	int			n = 0;

	for (int i = 0; i < ninflight; i++)
		ids[n++] = Int64GetDatum(inflight[i].alertid);
	if (with_to_post)
		for (int i = 0; i < nto_post; i++)
			ids[n++] = Int64GetDatum(to_post[i].alertid);
	return PointerGetDatum(construct_array(ids, n, INT8OID, 8, true, TYPALIGN_DOUBLE));
}

/* record one finished request; say so in the log when the alert gave up */
static void
record_outcome(InFlight *f)
{
	CronHttpEntry *entry = cron_dispatch_entry(f->entry);
	Oid			types[8] = {INT8OID, BOOLOID, BOOLOID, TIMESTAMPTZOID, INT4OID,
		TEXTOID, INT4OID, FLOAT8OID};
	Datum		values[8];
	char		nulls[8] = "        ";

	pg_read_barrier();
	values[0] = Int64GetDatum(f->alertid);
	values[1] = BoolGetDatum(entry->succeeded);
	values[2] = BoolGetDatum(entry->retryable);
	values[3] = TimestampTzGetDatum(entry->end_time);
	values[4] = Int32GetDatum(entry->http_status);
	values[5] = CStringGetTextDatum(entry->message);
	values[6] = Int32GetDatum(entry->retryable ? ALERT_MAX_ATTEMPTS : 1);
	values[7] = Float8GetDatum(entry->retry_after_ms / 1000.0);
	if (entry->end_time == 0)
		nulls[3] = 'n';
	if (entry->http_status == 0)
		nulls[4] = 'n';
	if (entry->message[0] == '\0')
		nulls[5] = 'n';
	if (SPI_execute_with_args(outcome_sql, 8, types, values, nulls, false, 0) != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "cronext: recording an alert's delivery failed");
	f->recorded = true;
	if (SPI_processed == 1)
	{
		HeapTuple	tuple = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *status = SPI_getvalue(tuple, desc, 1);
		char	   *url = SPI_getvalue(tuple, desc, 2);
		char	   *attempts = SPI_getvalue(tuple, desc, 5);

		if (strcmp(status, "failed") == 0)
			ereport(WARNING,
					(errmsg("cronext could not deliver the %s alert " INT64_FORMAT " of job %s to %s after %s attempt%s: %s",
							SPI_getvalue(tuple, desc, 4), f->alertid,
							SPI_getvalue(tuple, desc, 3),
							url ? cron_http_loggable_url(url, CurrentMemoryContext) : "(no URL)",
							attempts, strcmp(attempts, "1") == 0 ? "" : "s",
							entry->message),
					 errdetail("The alert is kept in cron.job_alerts with status failed.")));
		else if (strcmp(status, "pending") == 0)
			send_wanted = true; /* its next attempt time is read below */
	}
}

/*
 * One pass, in the caller's transaction (SPI connected): record what the
 * HTTP worker answered, run the dead-man check, and choose the alerts to
 * send.  They are posted, and the finished requests' queue entries freed,
 * by cron_alerts_post_committed once the transaction has committed.  It
 * reads cron.job, so the caller bounds its lock waits
 * (cron_with_lock_timeout).
 */
void
cron_alerts_pass(void)
{
	TimestampTz now = cron_now();
	Oid			types[2] = {INT8ARRAYOID, INT4OID};
	Datum		values[2];
	bool		isnull;
	int			busy = 0;

	/* finished requests; those lost with the worker are sent again */
	for (int i = 0; i < ninflight; i++)
	{
		InFlight   *f = &inflight[i];

		if (f->queue_gen != cron_http_queue_gen())
			send_wanted = true;
		else if (!f->recorded &&
				 pg_atomic_read_u32(&cron_dispatch_entry(f->entry)->state) == HE_DONE)
			record_outcome(f);
		else if (!f->recorded)
			busy++;
	}

	if ((check_asked() && now >= check_allowed_at()) ||
		(next_check_at != 0 && now >= next_check_at))
	{
		check_wanted = false;
		last_check_at = now;
		if (SPI_execute(check_sql, false, 0) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "cronext: the dead-man check failed");
		if (DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) > 0)
			send_wanted = true;
		next_check_at = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0],
														  SPI_tuptable->tupdesc, 2, &isnull));
		if (isnull)
			next_check_at = 0;
	}

	if (send_wanted || (next_send_at != 0 && now >= next_send_at))
	{
		send_wanted = false;
		nto_post = 0;
		if (SPI_execute(resolve_sql, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "cronext: completing alerts failed");
		if (busy < ALERT_MAX_IN_FLIGHT)
		{
			values[0] = ids_array(false);
			values[1] = Int32GetDatum(ALERT_MAX_IN_FLIGHT - busy);
			if (SPI_execute_with_args(due_sql, 2, types, values, NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "cronext: reading the alerts to send failed");
			for (uint64 r = 0; r < SPI_processed; r++)
			{
				HeapTuple	tuple = SPI_tuptable->vals[r];
				TupleDesc	desc = SPI_tuptable->tupdesc;

				to_post[nto_post].alertid = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
				to_post[nto_post].jobid = DatumGetInt64(SPI_getbinval(tuple, desc, 2, &isnull));
				to_post[nto_post].attempt = DatumGetInt32(SPI_getbinval(tuple, desc, 3, &isnull)) + 1;
				nto_post++;
			}
		}

		/*
		 * The next one due, besides those in flight or about to be posted.
		 * With every place taken, none: a request that ends wakes the
		 * scheduler (so an alert already due does not spin it meanwhile).
		 */
		next_send_at = 0;
		if (busy + nto_post < ALERT_MAX_IN_FLIGHT)
		{
			values[0] = ids_array(true);
			if (SPI_execute_with_args(next_sql, 1, types, values, NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "cronext: reading the next alert failed");
			next_send_at = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0],
															 SPI_tuptable->tupdesc, 1, &isnull));
			if (isnull)
				next_send_at = 0;
		}
	}
}

/* forget the requests whose outcome committed, and those the worker lost */
static void
release_finished(bool committed)
{
	int			kept = 0;

	for (int i = 0; i < ninflight; i++)
	{
		InFlight   *f = &inflight[i];

		if (f->queue_gen != cron_http_queue_gen())
			continue;
		if (f->recorded && committed)
		{
			cron_http_release(f->entry);
			continue;
		}
		f->recorded = false;	/* rolled back: recorded again next time */
		inflight[kept++] = *f;
	}
	ninflight = kept;
}

/* the pass committed: free what it recorded, post the alerts it chose */
void
cron_alerts_post_committed(void)
{
	release_finished(true);
	for (int i = 0; i < nto_post; i++)
	{
		int			entry;

		if (ninflight >= ALERT_MAX_IN_FLIGHT)
			break;
		entry = cron_http_post_alert(to_post[i].alertid, to_post[i].jobid,
									 to_post[i].attempt);
		if (entry < 0)
		{
			/* no free entry, or the worker is starting: try again soon */
			TimestampTz soon = cron_now() + ALERT_POST_RETRY_MS * 1000;

			if (next_send_at == 0 || soon < next_send_at)
				next_send_at = soon;
			break;
		}
		inflight[ninflight].alertid = to_post[i].alertid;
		inflight[ninflight].entry = entry;
		inflight[ninflight].queue_gen = cron_http_queue_gen();
		inflight[ninflight].recorded = false;
		ninflight++;
	}
	nto_post = 0;
}

/* the pass rolled back: nothing it chose is posted; look again a little later */
void
cron_alerts_pass_failed(void)
{
	TimestampTz later = cron_now() + ALERT_FAILED_RETRY_MS * 1000;

	release_finished(false);
	nto_post = 0;
	check_wanted = false;
	send_wanted = false;
	next_check_at = later;
	next_send_at = later;
}

/*
 * With the ledger's history (cron.history_retention), in the pass's
 * transaction: one batch of old alerts that are done.  Returns how many.
 */
uint64
cron_alerts_prune(TimestampTz before, int batch)
{
	Oid			types[2] = {TIMESTAMPTZOID, INT4OID};
	Datum		values[2];

	values[0] = TimestampTzGetDatum(before);
	values[1] = Int32GetDatum(batch);
	if (SPI_execute_with_args(prune_sql, 2, types, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "cronext: pruning alerts failed");
	return SPI_processed;
}

/* HTTP entries this scheduler's alerts hold (for cron.scheduler_metrics) */
int
cron_alerts_in_flight(void)
{
	return ninflight;
}
