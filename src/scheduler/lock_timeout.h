/*-------------------------------------------------------------------------
 *
 * lock_timeout.h
 *	  Running a step in a subtransaction whose lock waits are bounded.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_LOCK_TIMEOUT_H
#define CRONEXT_LOCK_TIMEOUT_H

#include "utils/elog.h"

/* how long cronext's processes wait for a lock on cron.job */
#define CRON_LOCK_TIMEOUT_MS	200

typedef void (*CronLockedStep) (void *arg);

extern bool cron_with_lock_timeout(CronLockedStep step, void *arg,
								   ErrorData **error);

#endif							/* CRONEXT_LOCK_TIMEOUT_H */
