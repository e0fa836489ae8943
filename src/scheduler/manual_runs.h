/*-------------------------------------------------------------------------
 *
 * manual_runs.h
 *	  The scheduler's side of cron.run_job (manual_runs.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CRONEXT_MANUAL_RUNS_H
#define CRONEXT_MANUAL_RUNS_H

#include "datatype/timestamp.h"

#include "shared.h"

/* a processed cron.run_job request, answered after the claim commits */
typedef struct ManualAnswer
{
	uint64		ticket;
	int64		runid;
	TimestampTz scheduled_for;
	char		message[128];
} ManualAnswer;

extern int	cron_manual_serve_requests(ManualAnswer *answers);
extern void cron_manual_publish_answers(ManualAnswer *answers, int n);

#endif							/* CRONEXT_MANUAL_RUNS_H */
