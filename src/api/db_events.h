/*-------------------------------------------------------------------------
 *
 * db_events.h
 *	  The hooks that tell the launcher and the schedulers what statements
 *	  did to cronext and its databases (db_events.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_DB_EVENTS_H
#define CRONEXT_DB_EVENTS_H

extern void cron_db_events_install(void);

#endif							/* CRONEXT_DB_EVENTS_H */
