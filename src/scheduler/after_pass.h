/*-------------------------------------------------------------------------
 *
 * after_pass.h
 *	  The scheduler's transactions and its work after a pass
 *	  (after_pass.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRON_AFTER_PASS_H
#define CRON_AFTER_PASS_H

extern void cron_pass_begin_xact(void);
extern void cron_pass_end_xact(void);
extern void cron_send_failure_notifications(void);
extern void cron_run_alerts(void);
extern void cron_publish_metrics(void);

#endif							/* CRON_AFTER_PASS_H */
