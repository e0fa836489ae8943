/*-------------------------------------------------------------------------
 *
 * scheduler.h
 *	  Entry point of the cronext scheduler background worker.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_SCHEDULER_H
#define CRONEXT_SCHEDULER_H

extern PGDLLEXPORT void cron_scheduler_main(Datum main_arg);

#endif							/* CRONEXT_SCHEDULER_H */
