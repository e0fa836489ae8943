/*-------------------------------------------------------------------------
 *
 * decide.h
 *	  The scheduler's decisions about due slots, and their claims
 *	  (decide.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_DECIDE_H
#define CRONEXT_DECIDE_H

#include "datatype/timestamp.h"

#include "policy.h"

extern void cron_decide_due_slots(const CronClock *clock,
								  TimestampTz started_at);
extern void cron_decide_claim_ready(void);

#endif							/* CRONEXT_DECIDE_H */
