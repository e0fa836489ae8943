/*-------------------------------------------------------------------------
 *
 * run_resume.h
 *	  Runs of exactly-once effect cut short by a restart run again
 *	  (run_resume.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_RUN_RESUME_H
#define CRONEXT_RUN_RESUME_H

extern uint64 cron_resume_orphans(void);

#endif							/* CRONEXT_RUN_RESUME_H */
