/*-------------------------------------------------------------------------
 *
 * alerts.h
 *	  The dead-man check and the sending of alerts (alerts.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_ALERTS_H
#define CRONEXT_ALERTS_H

#include "datatype/timestamp.h"

#include "policy.h"

extern void cron_alerts_note_outcome(bool watched, bool failed, bool alerting);
extern void cron_alerts_note_jobs_changed(void);
extern bool cron_alerts_due(TimestampTz now);
extern void cron_alerts_add_wakes(CronWake *wake);
extern void cron_alerts_pass(void);
extern void cron_alerts_post_committed(void);
extern void cron_alerts_pass_failed(void);
extern int	cron_alerts_in_flight(void);
extern uint64 cron_alerts_prune(TimestampTz before, int batch);

#endif							/* CRONEXT_ALERTS_H */
