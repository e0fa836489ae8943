/*-------------------------------------------------------------------------
 *
 * lock_guard.h
 *	  The utility hook that keeps roles from locking cronext's tables in
 *	  modes that would stall others (lock_guard.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_LOCK_GUARD_H
#define CRONEXT_LOCK_GUARD_H

extern void cron_lock_guard_install(void);

#endif							/* CRONEXT_LOCK_GUARD_H */
