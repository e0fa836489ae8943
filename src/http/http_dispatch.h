/*-------------------------------------------------------------------------
 *
 * http_dispatch.h
 *	  The scheduler's side of the HTTP queue.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_HTTP_DISPATCH_H
#define CRONEXT_HTTP_DISPATCH_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

#include "http_queue.h"

extern int	cron_http_post(int64 runid, int64 jobid, TimestampTz scheduled_for,
					  int attempt);
extern int	cron_http_post_alert(int64 alertid, int64 jobid, int attempt);
extern uint64 cron_http_queue_gen(void);
extern CronHttpEntry *cron_dispatch_entry(int entryno);
extern void cron_http_release(int entryno);
extern void cron_http_wake_worker(void);
extern void cron_http_cancel(int entryno);
extern int	cron_http_worker_pid(void);
extern bool cron_http_worker_gone(void);
extern void cron_http_forget_worker(void);
extern List *cron_http_collect_reports(List *runs);
extern bool cron_http_reports_waiting(List *runs);

#endif							/* CRONEXT_HTTP_DISPATCH_H */
