/*-------------------------------------------------------------------------
 *
 * run_record.h
 *	  The job worker's part of exactly-once effect: the run's outcome
 *	  written in the command's own transaction (run_record.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_RUN_RECORD_H
#define CRONEXT_RUN_RECORD_H

#include "exec_command.h"
#include "mailbox.h"

extern void cron_run_record_hooks(CronMailbox *mb, CronCommandHooks *hooks);

#endif							/* CRONEXT_RUN_RECORD_H */
