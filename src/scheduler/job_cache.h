/*-------------------------------------------------------------------------
 *
 * job_cache.h
 *	  The scheduler's in-memory copy of cron.job, ordered by next slot.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_JOB_CACHE_H
#define CRONEXT_JOB_CACHE_H

#include "datatype/timestamp.h"
#include "lib/ilist.h"
#include "lib/pairingheap.h"
#include "nodes/pg_list.h"

#include "next_run.h"
#include "policy.h"
#include "schedule.h"

typedef struct CronJob
{
	int64		jobid;			/* hash key */

	/* definition, from cron.job (strings in the cache's context) */
	bool		valid;			/* schedule and time zone usable */
	CronSchedule schedule;
	CronTz		tz;
	/* pooled strings (name_pool.c), shared with the other jobs */
	const char *schedule_text;
	const char *timezone;
	const char *database;
	const char *username;
	struct CronName *owner;		/* username's pool entry */
	Oid			roleid;			/* the owner's OID; InvalidOid if unknown */
	bool		active;
	CronJobPolicy policy;		/* catch-up and overlap (core/policy.h) */
	int			timeout_ms;
	int			max_retries;
	int64		retry_delay;	/* microseconds */
	TimestampTz changed_at;
	bool		http;			/* an HTTP job: runs go to the HTTP worker */
	bool		watched;		/* has a dead-man check: its outcomes wake alerts.c */
	bool		alerting;		/* has its own alert_url: its failures are alerts */

	/* scheduling state, kept across reloads */
	bool		seen;			/* present in the latest reload */
	TimestampTz last_slot;		/* newest slot decided: run, skipped or missed */
	bool		in_heap;
	TimestampTz next_slot;		/* valid when in_heap */
	pairingheap_node heap_node;
	int			running;		/* runs launched and not finished */
	int			waiting;		/* runs claimed, waiting for a worker */
	/*
	 * Due slots not yet claimed: npending consecutive slots of the job's
	 * schedule from pending_first to pending_last.  A range, not a list,
	 * so that a job whose slots wait (catchup = all, overlap = allow) costs
	 * no memory per slot however long it waits.
	 */
	int64		npending;
	TimestampTz pending_first;
	TimestampTz pending_last;
	bool		in_ready;		/* in a ready list (npending > 0): its
								 * owner's, or the HTTP jobs' */
	bool		pending_stale;	/* job changed: its queued slots no longer count */
	dlist_node	ready_node;
	struct CronName *ready_owner;	/* whose ready list it is in, if a role's */
} CronJob;

extern void cron_job_cache_init(void);
extern void cron_job_cache_reload(List *rows, bool first_load);
extern void cron_job_cache_update(List *rows, const int64 *ids, int nids);
extern CronJob *cron_job_cache_lookup(int64 jobid);
extern CronJob *cron_job_cache_first(void);
extern void cron_job_cache_reschedule(CronJob *job);
extern void cron_job_cache_slots(CronJob *job, CronSlots *slots);
extern bool cron_job_cache_slot_after(CronJob *job, TimestampTz after,
								 TimestampTz *slot);
extern long cron_job_cache_count(void);
extern bool cron_job_cache_any_watched(void);
extern bool cron_job_pending_follows(CronJob *job, TimestampTz slot);
extern void cron_job_pending_push(CronJob *job, TimestampTz slot);
extern TimestampTz cron_job_pending_pop(CronJob *job);
extern int64 cron_job_pending_clear(CronJob *job, TimestampTz *first,
							   TimestampTz *last);
extern dlist_head *cron_job_cache_ready_owners(void);
extern dlist_head *cron_job_cache_ready_http(void);

#endif							/* CRONEXT_JOB_CACHE_H */
