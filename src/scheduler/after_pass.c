/*-------------------------------------------------------------------------
 *
 * after_pass.c
 *	  The scheduler's transactions: the pass's, and those of the work done
 *	  after a pass, each in a transaction of its own so that its failure
 *	  never rolls back a claim or an outcome: failure notifications and
 *	  alerts.  Also what the scheduler publishes for
 *	  cron.scheduler_metrics() after each pass.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/elog.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "after_pass.h"
#include "alerts.h"
#include "cronext.h"
#include "job_cache.h"
#include "ledger.h"
#include "lock_timeout.h"
#include "run_state.h"
#include "runs.h"
#include "schedule_pg.h"
#include "shared.h"

/* the pass's memory context, current again after each commit */
static MemoryContext pass_cxt = NULL;

/* failure notifications dropped since the last warning */
static int	notify_dropped = 0;
static TimestampTz notify_warned_at = 0;

/* start a transaction of the scheduler's, with SPI and a snapshot */
void
cron_pass_begin_xact(void)
{
	pass_cxt = CurrentMemoryContext;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "cronext: SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "cronext scheduler");
}

/* commit it, back in the memory context it began in */
void
cron_pass_end_xact(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	/* the commit leaves TopMemoryContext current */
	MemoryContextSwitchTo(pass_cxt);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * Run step(arg) in a transaction of its own after the pass.  Returns NULL
 * when it committed, else its error (in the caller's memory context), the
 * transaction rolled back: side work that fails never stops the loop.
 */
static ErrorData *
in_own_xact(void (*step) (void *), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	ErrorData  *edata = NULL;

	PG_TRY();
	{
		cron_pass_begin_xact();
		step(arg);
		cron_pass_end_xact();
		MemoryContextSwitchTo(cxt);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		/* the abort leaves TopMemoryContext current: back to this pass's */
		MemoryContextSwitchTo(cxt);
	}
	PG_END_TRY();
	return edata;
}

typedef struct NotifyStep
{
	const int64 *runids;
	int			n;
} NotifyStep;

static void
notify_step(void *arg)
{
	NotifyStep *ns = arg;

	cron_ledger_notify_failed(ns->runids, ns->n);
}

/*
 * NOTIFY cron_job_failed for the runs that failed in this pass, in a
 * transaction of its own after their outcomes committed.  Any role can
 * fill the notification queue (a listener that never reads, in an open
 * transaction); then this commit fails: the notifications are dropped,
 * with a warning at most once a minute, and the scheduler goes on.
 */
void
cron_send_failure_notifications(void)
{
	NotifyStep	ns;
	ErrorData  *edata;
	TimestampTz now;

	ns.n = cron_runs_take_failed(&ns.runids);
	if (ns.n == 0)
		return;
	edata = in_own_xact(notify_step, &ns);
	if (edata == NULL)
		return;
	now = cron_now();
	notify_dropped += ns.n;
	if (now - notify_warned_at >= 60 * USECS_PER_SEC)
	{
		ereport(WARNING,
				(errmsg("cronext dropped %d failure notification%s: %s",
						notify_dropped, notify_dropped == 1 ? "" : "s",
						edata->message),
				 errdetail("The runs' outcomes are recorded in cron.job_run_details.")));
		notify_warned_at = now;
		notify_dropped = 0;
	}
	FreeErrorData(edata);
}

static void
alerts_locked_step(void *arg)
{
	cron_alerts_pass();
}

/* the pass, with bounded waits for a lock on cron.job */
static void
alerts_step(void *arg)
{
	ErrorData  *edata = NULL;

	if (!cron_with_lock_timeout(alerts_locked_step, NULL, &edata))
		ReThrowError(edata);
}

/*
 * Alerts (alerts.c): record what the HTTP worker answered, run the
 * dead-man check and choose what to send, in a transaction of its own
 * after the pass; post them once it committed.  An error here is logged
 * (a repeated one at most once a minute) and tried again later; it never
 * holds up the jobs.  The scheduler calls it once its jobs are read.
 */
void
cron_run_alerts(void)
{
	static TimestampTz warned_at = 0;
	ErrorData  *edata;
	TimestampTz now;

	if (!cron_alerts_due(cron_now()))
		return;
	edata = in_own_xact(alerts_step, NULL);
	if (edata == NULL)
	{
		cron_alerts_post_committed();
		return;
	}
	cron_alerts_pass_failed();
	now = cron_now();
	/* cron.job is locked: alerts wait, as every read of it does */
	if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE &&
		now - warned_at >= 60 * USECS_PER_SEC)
	{
		ereport(WARNING,
				(errmsg("cronext could not look for alerts to send: %s", edata->message),
				 errdetail("It tries again in a few seconds; alerts wait in cron.job_alerts.")));
		warned_at = now;
	}
	FreeErrorData(edata);
}

/*
 * What this scheduler publishes for cron.scheduler_metrics, once a pass:
 * counts it keeps anyway, so publishing costs one short lock.
 */
void
cron_publish_metrics(void)
{
	CronSchedulerMetrics m = {0};
	ListCell   *lc;

	m.jobs_loaded = cron_job_cache_count();
	foreach(lc, cron_runs)
	{
		CronRun    *run = lfirst(lc);

		if (run->state == CRON_RS_HANDED || run->state == CRON_RS_RUNNING)
		{
			m.runs_running++;
			if (run->http_entry >= 0)
				m.http_in_flight++;
			else
				m.workers_busy++;
		}
		else
			m.runs_waiting++;
	}
	m.http_in_flight += cron_alerts_in_flight();
	m.workers_max = cronext_max_running_jobs;
	m.http_max = cronext_http_max_connections;
	cron_scheduler_publish_metrics(&m);
}
