/*-------------------------------------------------------------------------
 *
 * job_changed.c
 *	  cron.job_changed(), the trigger on cron.job that tells the scheduler
 *	  which jobs changed, at the commit of the transaction that changed
 *	  them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "shared.h"

/*
 * Triggers on cron.job (AFTER, FOR EACH ROW, and FOR EACH STATEMENT for
 * TRUNCATE): remember which jobs this transaction changed, and at its
 * commit tell the scheduler.  Waking at commit, not at the write, means
 * the scheduler reads the new rows only once they are visible, and a
 * rolled-back change costs nothing.
 */
static int64 *xact_changed = NULL;	/* in TopMemoryContext */
static int	xact_nchanged = 0;
static bool xact_changed_all = false;
static bool job_changed_in_xact = false;
static bool xact_callback_registered = false;

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* sort the noted ids and drop repeats; returns how many are left */
static int
unique_changed(void)
{
	int			n = 0;

	qsort(xact_changed, xact_nchanged, sizeof(int64), int64_cmp);
	for (int i = 0; i < xact_nchanged; i++)
		if (n == 0 || xact_changed[n - 1] != xact_changed[i])
			xact_changed[n++] = xact_changed[i];
	return n;
}

static void
job_changed_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (job_changed_in_xact)
			{
				cron_publish_changed_jobs(xact_changed, xact_nchanged,
										  xact_changed_all);
				cron_wake_scheduler();
			}
			break;
		default:
			break;
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		job_changed_in_xact = false;
		xact_changed_all = false;
		xact_nchanged = 0;
	}
}

/* note a changed job id; past the shared capacity, "all jobs" is enough */
static void
note_changed_job(int64 jobid)
{
	if (xact_changed_all)
		return;
	if (xact_changed == NULL)
		xact_changed = MemoryContextAlloc(TopMemoryContext,
										  CRON_MAX_CHANGED_JOBS * sizeof(int64));
	/* the same job changed again and again counts once */
	if (xact_nchanged > 0 && xact_changed[xact_nchanged - 1] == jobid)
		return;
	if (xact_nchanged >= CRON_MAX_CHANGED_JOBS)
		xact_nchanged = unique_changed();
	if (xact_nchanged >= CRON_MAX_CHANGED_JOBS)
	{
		xact_changed_all = true;
		return;
	}
	xact_changed[xact_nchanged++] = jobid;
}

/*
 * cron.job_changed() reads the first column of the row as a job id and
 * makes the scheduler re-read jobs, so it may only fire where that is
 * true: AFTER, on cronext's own cron.job, per row for INSERT, UPDATE and
 * DELETE, per statement for TRUNCATE.  Anywhere else (a role's own table,
 * a zero-column table, another event) it refuses, so it can neither read a
 * column that is not there nor make the scheduler reload in a loop.
 */
static void
check_job_changed_context(TriggerData *trigdata)
{
	Relation	rel = trigdata->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	TriggerEvent ev = trigdata->tg_event;
	Oid			nsp = get_namespace_oid("cron", true);
	bool		row_event;

	if (!OidIsValid(nsp) || RelationGetNamespace(rel) != nsp ||
		strcmp(RelationGetRelationName(rel), "job") != 0 ||
		rel->rd_rel->relkind != RELKIND_RELATION ||
		desc->natts < 1 || TupleDescAttr(desc, 0)->attisdropped ||
		TupleDescAttr(desc, 0)->atttypid != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cron.job_changed() fired on table \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("It is cronext's trigger on cron.job and works on no other table.")));

	row_event = TRIGGER_FIRED_BY_INSERT(ev) || TRIGGER_FIRED_BY_UPDATE(ev) ||
		TRIGGER_FIRED_BY_DELETE(ev);
	if (!TRIGGER_FIRED_AFTER(ev) ||
		(row_event && !TRIGGER_FIRED_FOR_ROW(ev)) ||
		(TRIGGER_FIRED_BY_TRUNCATE(ev) && !TRIGGER_FIRED_FOR_STATEMENT(ev)) ||
		(!row_event && !TRIGGER_FIRED_BY_TRUNCATE(ev)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cron.job_changed() fired for the wrong event"),
				 errdetail("It must fire AFTER INSERT, UPDATE or DELETE FOR EACH ROW, or AFTER TRUNCATE FOR EACH STATEMENT.")));
}

PG_FUNCTION_INFO_V1(cron_job_changed);

Datum
cron_job_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("cron.job_changed() must be called as a trigger")));
	check_job_changed_context(trigdata);
	if (!xact_callback_registered)
	{
		RegisterXactCallback(job_changed_xact_callback, NULL);
		xact_callback_registered = true;
	}
	job_changed_in_xact = true;

	if (TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
	{
		/* jobid is the first column and never changes (see job_guard) */
		HeapTuple	tuple = trigdata->tg_trigtuple;
		bool		isnull;
		Datum		d = heap_getattr(tuple, 1, trigdata->tg_relation->rd_att,
									 &isnull);

		if (!isnull)
			note_changed_job(DatumGetInt64(d));
		return PointerGetDatum(tuple);
	}
	xact_changed_all = true;	/* TRUNCATE */
	return PointerGetDatum(NULL);
}

