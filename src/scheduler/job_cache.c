/*-------------------------------------------------------------------------
 *
 * job_cache.c
 *	  The scheduler's in-memory copy of cron.job: a hash by jobid and a
 *	  heap ordered by each job's next slot.
 *
 * The scheduler sleeps until the heap's first slot, so its idle cost does
 * not grow with the number of jobs.  The cache is refreshed only when a
 * transaction that wrote cron.job commits (see shared.c and the
 * job_changed trigger), and then only for the jobs it touched (all of
 * them after a TRUNCATE or a bulk change).  A job's scheduling state (its
 * last decided slot, its running and pending runs) survives a refresh, so
 * editing one job never disturbs another.
 *
 * Slots come from the same code as cron.next_runs (next_run.c), through
 * the same pg_tz-backed zones (schedule_pg.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cronext.h"
#include "job_cache.h"
#include "ledger.h"
#include "name_pool.h"
#include "schedule_pg.h"

static MemoryContext cache_cxt = NULL;
static HTAB *jobs = NULL;
static pairingheap *heap = NULL;
static int	nwatched = 0;	/* jobs with a dead-man check */
/*
 * Jobs with queued slots: HTTP jobs in one list, SQL jobs in their owner's
 * (name_pool.h), and the owners with any in another; each in the order
 * their first slot was queued, but a changed job's first, so that its
 * stale queue is flushed at once.
 */
static dlist_head ready_http = DLIST_STATIC_INIT(ready_http);
static dlist_head ready_owners = DLIST_STATIC_INIT(ready_owners);

static void enter_ready_list(CronJob *job, bool first);
static void leave_ready_list(CronJob *job);

/* min-heap on next_slot: pairingheap keeps the largest first */
static int
next_slot_cmp(const pairingheap_node *a, const pairingheap_node *b, void *arg)
{
	const CronJob *ja = pairingheap_const_container(CronJob, heap_node, a);
	const CronJob *jb = pairingheap_const_container(CronJob, heap_node, b);

	if (ja->next_slot < jb->next_slot)
		return 1;
	if (ja->next_slot > jb->next_slot)
		return -1;
	return 0;
}

void
cron_job_cache_init(void)
{
	HASHCTL		ctl;

	cache_cxt = AllocSetContextCreate(TopMemoryContext, "cronext job cache",
									  ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(CronJob);
	ctl.hcxt = cache_cxt;
	jobs = hash_create("cronext jobs", 1024, &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	heap = pairingheap_allocate(next_slot_cmp, NULL);
	cron_name_pool_init(cache_cxt);
}

/* the pooled copy of new, giving up old */
static const char *
replace_string(const char *old, const char *new)
{
	const char *result = cron_name_hold_str(new);

	cron_name_release_str(old);
	return result;
}

/*
 * The first slot of the job strictly after after.  @reboot's only slot is
 * the server's start time.
 */
bool
cron_job_cache_slot_after(CronJob *job, TimestampTz after, TimestampTz *slot)
{
	int64		t;

	if (!job->valid)
		return false;
	if (job->schedule.kind == CRON_KIND_REBOOT)
	{
		if (PgStartTime <= after)
			return false;
		*slot = PgStartTime;
		return true;
	}
	if (!cron_next_slot(&job->schedule, &job->tz,
						cron_timestamptz_to_unix(after), &t))
		return false;
	*slot = cron_unix_to_timestamptz(t);
	return true;
}

static bool
job_slots_after(const CronSlots *slots, int64 t, int64 *slot)
{
	return cron_job_cache_slot_after((CronJob *) slots->arg, t, slot);
}

/* the job's schedule as the pure rules see it (core/policy.h) */
void
cron_job_cache_slots(CronJob *job, CronSlots *slots)
{
	slots->after = job_slots_after;
	slots->arg = job;
}

/* put the job in the heap at its next slot after last_slot, or take it out */
void
cron_job_cache_reschedule(CronJob *job)
{
	TimestampTz slot;

	if (job->in_heap)
	{
		pairingheap_remove(heap, &job->heap_node);
		job->in_heap = false;
	}
	if (!job->active || !cronext_launch_active_jobs)
		return;
	if (!cron_job_cache_slot_after(job, job->last_slot, &slot))
		return;
	job->next_slot = slot;
	pairingheap_add(heap, &job->heap_node);
	job->in_heap = true;
}

/*
 * Seconds to microseconds, clamped to 0 .. 100 years: the guard trigger
 * bounds these intervals, and no row can make the conversion overflow.
 */
static int64
seconds_to_usecs(double secs)
{
	const double max = 100.0 * 366 * SECS_PER_DAY;

	if (!(secs > 0))
		return 0;
	return (int64) (Min(secs, max) * USECS_PER_SEC);
}

/* copy a row's definition into the job and parse it */
static void
apply_row(CronJob *job, const CronJobRow *row)
{
	CronParseError error;
	bool		was_ready = job->in_ready;

	/* its owner or kind may change, and with them its ready list */
	leave_ready_list(job);
	job->schedule_text = replace_string(job->schedule_text, row->schedule);
	job->timezone = replace_string(job->timezone, row->timezone);
	job->database = replace_string(job->database, row->database);
	{
		CronName   *owner = cron_name_hold(row->username);

		cron_name_release(job->owner);
		job->owner = owner;
		job->username = owner ? owner->str : NULL;
	}
	job->roleid = row->roleid;
	job->active = row->active;
	job->policy.catchup = cron_catchup_from_name(row->catchup);
	job->policy.catchup_window = seconds_to_usecs(row->catchup_window);
	job->policy.overlap = cron_overlap_from_name(row->overlap);
	/* rounded up: a timeout under a millisecond is not "none" */
	job->timeout_ms = (int) Min(ceil(row->timeout * 1000.0), (double) PG_INT32_MAX);
	job->max_retries = row->max_retries;
	job->retry_delay = seconds_to_usecs(row->retry_delay);
	job->changed_at = row->changed_at;
	job->http = row->http;
	if (job->watched != row->watched)
		nwatched += row->watched ? 1 : -1;
	job->watched = row->watched;
	job->alerting = row->alerting;
	if (was_ready)
		enter_ready_list(job, false);

	/*
	 * cron.job's guard trigger validates every write, so this fails only if
	 * the zone database changed underneath or the row was written before a
	 * check existed (a POSIX zone string); such a job is left unscheduled,
	 * alone, and said so.  Only zones of the tz database are ever loaded.
	 */
	job->valid = cron_parse_schedule(row->schedule, &job->schedule, &error);
	if (job->valid)
		job->valid = cron_tz_lookup(row->timezone, &job->tz);	/* NULL: cron.timezone */
	job->policy.once_per_start = job->valid &&
		job->schedule.kind == CRON_KIND_REBOOT;
	if (!job->valid)
		ereport(WARNING,
				(errmsg("cron job " INT64_FORMAT " is not scheduled: invalid schedule \"%s\" or time zone \"%s\"",
						job->jobid, row->schedule,
						row->timezone ? row->timezone : cronext_timezone)));
}

/*
 * Add or refresh one job from its row.  with_ledger: the row carries the
 * job's newest slot in the ledger, which is where its slots resume.
 */
static void
upsert_row(const CronJobRow *row, bool with_ledger)
{
	CronJob    *job;
	bool		found;

	job = hash_search(jobs, &row->jobid, HASH_ENTER, &found);
	if (!found)
	{
		memset(((char *) job) + sizeof(int64), 0,
			   sizeof(CronJob) - sizeof(int64));
		job->last_slot = row->changed_at;
		if (with_ledger && row->has_last_slot && row->last_slot > job->last_slot)
			job->last_slot = row->last_slot;
	}
	else if (with_ledger)
	{
		/*
		 * Resynchronising after a pass that rolled back: the ledger says
		 * which slots were decided.  Queued slots are decided again from
		 * there (a slot already claimed is never claimed twice).
		 */
		job->last_slot = Max(row->changed_at,
							 row->has_last_slot ? row->last_slot : row->changed_at);
		leave_ready_list(job);
		job->npending = 0;
		job->pending_stale = false;
	}
	else if (row->changed_at != job->changed_at)
	{
		/* only slots after a change count; those queued before do not */
		if (row->changed_at > job->last_slot)
			job->last_slot = row->changed_at;
		if (job->npending > 0)
			job->pending_stale = true;
	}
	job->seen = true;
	{
		const void *old_zone = job->tz.arg;
		CronSchedule old_schedule = job->schedule;

		apply_row(job, row);
		/*
		 * Queued slots are consecutive slots of the schedule in its zone: if
		 * either changed (a cron.timezone reload changes no row), they no
		 * longer are.
		 */
		if (job->npending > 0 &&
			(job->tz.arg != old_zone ||
			 memcmp(&job->schedule, &old_schedule, sizeof(CronSchedule)) != 0))
			job->pending_stale = true;
		/* a stale queue is flushed first (decide.c) */
		if (job->pending_stale && job->in_ready)
		{
			leave_ready_list(job);
			enter_ready_list(job, true);
		}
	}
	/* a reload may follow a cron.timezone change: always recompute */
	cron_job_cache_reschedule(job);
}

/* forget a job that is no longer in cron.job */
static void
remove_job(CronJob *job)
{
	if (job->watched)
		nwatched--;
	if (job->in_heap)
		pairingheap_remove(heap, &job->heap_node);
	leave_ready_list(job);
	replace_string(job->schedule_text, NULL);
	replace_string(job->timezone, NULL);
	replace_string(job->database, NULL);
	cron_name_release(job->owner);
	hash_search(jobs, &job->jobid, HASH_REMOVE, NULL);
}

/*
 * Bring the cache in line with rows (all of cron.job).  On the first load
 * a job's last decided slot is the newest slot in the ledger, so that
 * catch-up after a restart starts there; slots before the job was created
 * or last changed never count.
 */
void
cron_job_cache_reload(List *rows, bool first_load)
{
	HASH_SEQ_STATUS seq;
	CronJob    *job;
	ListCell   *lc;

	hash_seq_init(&seq, jobs);
	while ((job = hash_seq_search(&seq)) != NULL)
		job->seen = false;

	foreach(lc, rows)
		upsert_row(lfirst(lc), first_load);

	hash_seq_init(&seq, jobs);
	while ((job = hash_seq_search(&seq)) != NULL)
	{
		if (!job->seen)
			remove_job(job);
	}
}

/*
 * Bring the given jobs in line with rows (their current rows in cron.job;
 * an id without a row was deleted).  The rest of the cache is untouched,
 * so one edited job costs one row, however many jobs there are.
 */
void
cron_job_cache_update(List *rows, const int64 *ids, int nids)
{
	ListCell   *lc;
	int			i;

	for (i = 0; i < nids; i++)
	{
		CronJob    *job = hash_search(jobs, &ids[i], HASH_FIND, NULL);

		if (job)
			job->seen = false;
	}
	foreach(lc, rows)
		upsert_row(lfirst(lc), false);
	for (i = 0; i < nids; i++)
	{
		CronJob    *job = hash_search(jobs, &ids[i], HASH_FIND, NULL);

		if (job && !job->seen)
			remove_job(job);
	}
}

CronJob *
cron_job_cache_lookup(int64 jobid)
{
	return hash_search(jobs, &jobid, HASH_FIND, NULL);
}

/* the job with the earliest next slot, or NULL */
CronJob *
cron_job_cache_first(void)
{
	if (pairingheap_is_empty(heap))
		return NULL;
	return pairingheap_container(CronJob, heap_node, pairingheap_first(heap));
}

long
cron_job_cache_count(void)
{
	return hash_get_num_entries(jobs);
}

/* does any job have a dead-man check? (none: alerts.c never looks) */
bool
cron_job_cache_any_watched(void)
{
	return nwatched > 0;
}

/*
 * May slot join the queue?  Queued slots are consecutive slots of the
 * schedule, so it must be the one right after the last queued (slots
 * declared missed in between break the run).
 */
bool
cron_job_pending_follows(CronJob *job, TimestampTz slot)
{
	TimestampTz next;

	return job->npending == 0 ||
		(cron_job_cache_slot_after(job, job->pending_last, &next) && next == slot);
}

/* queue a due slot (see cron_job_pending_follows); it is claimed when it can start */
void
cron_job_pending_push(CronJob *job, TimestampTz slot)
{
	Assert(cron_job_pending_follows(job, slot));
	if (job->npending == 0)
		job->pending_first = slot;
	job->pending_last = slot;
	job->npending++;
	enter_ready_list(job, false);
}

/* put a job with queued slots in its ready list, last (or first) */
static void
enter_ready_list(CronJob *job, bool first)
{
	dlist_head *list;

	if (job->in_ready)
		return;
	/* cron.job.username is NOT NULL: every SQL job has an owner */
	if (job->http || job->owner == NULL)
		list = &ready_http;
	else
	{
		list = &job->owner->ready;
		if (dlist_is_empty(list))
			dlist_push_tail(&ready_owners, &job->owner->owners_node);
		job->ready_owner = job->owner;
	}
	if (first)
		dlist_push_head(list, &job->ready_node);
	else
		dlist_push_tail(list, &job->ready_node);
	job->in_ready = true;
}

static void
leave_ready_list(CronJob *job)
{
	if (!job->in_ready)
		return;
	dlist_delete(&job->ready_node);
	job->in_ready = false;
	if (job->ready_owner != NULL && dlist_is_empty(&job->ready_owner->ready))
		dlist_delete(&job->ready_owner->owners_node);
	job->ready_owner = NULL;
}

/*
 * Take the oldest queued slot; the caller checks npending first.  The next
 * one is the schedule's next slot: queued slots are consecutive slots of
 * the job's schedule (a changed job's queue is cleared, not popped).
 */
TimestampTz
cron_job_pending_pop(CronJob *job)
{
	TimestampTz slot = job->pending_first;
	TimestampTz next;

	Assert(job->npending > 0 && !job->pending_stale);
	job->npending--;
	if (job->npending > 0 &&
		(!cron_job_cache_slot_after(job, slot, &next) || next > job->pending_last))
		job->npending = 0;		/* cannot happen with an unchanged schedule */
	if (job->npending > 0)
		job->pending_first = next;
	else
		leave_ready_list(job);
	return slot;
}

/* empty the queue, returning how many slots it held and the first and last */
int64
cron_job_pending_clear(CronJob *job, TimestampTz *first, TimestampTz *last)
{
	int64		n = job->npending;

	*first = job->pending_first;
	*last = job->pending_last;
	job->npending = 0;
	job->pending_stale = false;
	leave_ready_list(job);
	return n;
}

/* the roles with SQL jobs that have queued slots (CronName.owners_node) */
dlist_head *
cron_job_cache_ready_owners(void)
{
	return &ready_owners;
}

/* the HTTP jobs that have queued slots */
dlist_head *
cron_job_cache_ready_http(void)
{
	return &ready_http;
}
